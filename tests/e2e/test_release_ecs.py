"""The ECS backend (stack_release_backend: ecs): ECS's own canary, linear and blue/green deployments
through the same playbooks, with real HTTP traffic, in a sandbox of this module's own.

In order, on one stack: provision (check mode first, then idempotent), the seed's Test 1 (about 1
request in 10 to v2 during the bake, then all) and Test 2 (a v3 failing half its requests rolled
back by the alarm, the play failing and naming it), the same tag again, status.yml, rollback.yml
mid-bake, an interrupted release attached to by a re-run and another refused meanwhile, approval
through the pause hook and promote.yml, linear and blue/green read back step by step, bad inputs
refused by name before any change, the backend switch refused, and cleanup leaving nothing.
Every assertion reads the sandbox back: service deployments, revisions, rule weights, the service.
"""

import json
import subprocess
import threading
import time

import pytest
from conftest import json_playbook
from release_helpers import FAILING, bake_window, interrupt, playbook_command, recorded, release_vars, steady_traffic, version_of

from canary_sandbox.engine.testing import wait_for
from canary_sandbox.traffic import listener_url

STACK = {"stack_name": "native", "stack_release_backend": "ecs"}
CANARY_PERCENT = 10.0
CANARY_TOLERANCE = 4.0
SHIFT_EDGE = 1.0
IN_FLIGHT = ["PENDING", "IN_PROGRESS", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS"]


def run(env, name, extra=None, expect_failure=False, check=False):
    """A playbook against this module's sandbox, on the stack of this module: PlaybookRun."""
    outcome = json_playbook(env, name, check=check, extra_vars=dict(STACK, **(extra or {})))
    assert (outcome.rc != 0) == expect_failure, repr(outcome)
    return outcome


def deploy(env, tag, expect_failure=False, **extra):
    outcome = run(env, "deploy.yml", dict(release_vars(env.endpoint, **extra), image_tag=tag), expect_failure=expect_failure)
    found = [task["result"] for task in outcome.tasks if task["action"] in ("canary.ecs.ecs_deployment", "ecs_deployment")]
    return found[-1], outcome


class Native:
    """The provisioned stack, read back the way the AWS CLI would."""

    def __init__(self, env):
        self.env = env
        self.ecs, self.elbv2 = env.clients("ecs"), env.clients("elbv2")
        self.cluster, self.service_name = "native-cluster", "native-canary-app-service"

    def service(self):
        try:
            found = self.ecs.describe_services(cluster=self.cluster, services=[self.service_name])["services"]
        except self.ecs.exceptions.ClusterNotFoundException:
            return None
        return found[0] if found and found[0]["status"] == "ACTIVE" else None

    @property
    def advanced(self):
        return self.service()["loadBalancers"][0]["advancedConfiguration"]

    def weights(self, rule=None):
        """{target group name: weight} of the production rule (or another)."""
        actions = self.elbv2.describe_rules(RuleArns=[rule or self.advanced["productionListenerRule"]])["Rules"][0]["Actions"]
        groups = next(action for action in actions if action["Type"] == "forward")["ForwardConfig"]["TargetGroups"]
        return {group["TargetGroupArn"].split("/")[-2]: group["Weight"] for group in groups}

    def deployments(self, statuses=None):
        """ServiceDeployments, newest first."""
        request = {"cluster": self.cluster, "service": self.service_name}
        if statuses:
            request["status"] = statuses
        arns = [item["serviceDeploymentArn"] for item in self.ecs.list_service_deployments(**request)["serviceDeployments"]]
        return self.ecs.describe_service_deployments(serviceDeploymentArns=arns)["serviceDeployments"] if arns else []

    def deployment(self, arn):
        return self.ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]

    def live_image(self):
        """The image production runs: the service's task definition once no deployment is in flight."""
        service = self.service()
        active = [item for item in service["deployments"] if item["status"] == "ACTIVE"]
        arn = active[0]["taskDefinition"] if active else service["taskDefinition"]
        return self.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["containerDefinitions"][0]["image"]

    def url(self):
        return listener_url(self.env.endpoint, load_balancer_name="native-alb", port=80)


@pytest.fixture(scope="module")
def native(own_sandbox_env):
    return Native(own_sandbox_env)


def test_check_mode_creates_nothing(own_sandbox_env, native):
    run(own_sandbox_env, "provision.yml", check=True)
    assert native.service() is None
    assert own_sandbox_env.clients("elbv2").describe_load_balancers()["LoadBalancers"] == []


def test_provision_builds_ecs_releases_and_no_codedeploy(own_sandbox_env, native):
    run(own_sandbox_env, "provision.yml")
    service = native.service()
    assert service["deploymentController"] == {"type": "ECS"}
    configuration = service["deploymentConfiguration"]
    # the seed's CodeDeployDefault.ECSCanary10Percent15Minutes, termination wait 5 minutes
    assert configuration["strategy"] == "CANARY" and configuration["canaryConfiguration"] == {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 15}
    assert configuration["bakeTimeInMinutes"] == 5 and not configuration.get("lifecycleHooks")
    alarms = configuration["alarms"]
    assert alarms["enable"] and alarms["rollback"] and any("5XX" in name for name in alarms["alarmNames"])
    described = own_sandbox_env.clients("cloudwatch").describe_alarms(AlarmNames=alarms["alarmNames"])["MetricAlarms"]
    assert len(described) == len(alarms["alarmNames"])
    advanced = native.advanced
    assert native.weights() == {"native-app-tg-blue": 100, "native-app-tg-green": 0}
    assert native.weights(advanced["testListenerRule"]) == {"native-app-tg-blue": 100, "native-app-tg-green": 0}
    role = own_sandbox_env.clients("iam").get_role(RoleName=advanced["roleArn"].rsplit("/", 1)[-1])["Role"]
    assert "ecs.amazonaws.com" in json.dumps(role["AssumeRolePolicyDocument"])
    assert own_sandbox_env.clients("codedeploy").list_applications()["applications"] == []
    # again: nothing changes
    again = run(own_sandbox_env, "provision.yml")
    assert again.changed_tasks == [], again.changed_tasks
    assert native.service()["deploymentConfiguration"] == configuration


def test_canary_serves_one_request_in_ten_then_all(own_sandbox_env, native):
    old = version_of(native.live_image())
    with steady_traffic(native.url()) as traffic:
        started = time.time()
        result, _run = deploy(own_sandbox_env, "v2")
        ended = time.time()
        time.sleep(2)
        after = traffic.window(since=ended)
        bake = bake_window(traffic, started, "v2", old, SHIFT_EDGE)
    assert bake.total > 300, f"too little traffic to judge the split: {bake.describe()}"
    assert abs(bake.share("v2") - CANARY_PERCENT) <= CANARY_TOLERANCE, f"during the bake: {bake.describe()}"
    assert bake.errors() == 0
    assert after.total > 0 and after.share("v2") == 100.0, f"after the release: {after.describe()}"
    assert result["status"] == "Succeeded" and result["outcome"]["succeeded"] and result["backend"] == "ecs"
    assert result["deployment_config_name"] == "ECS CANARY 10% for 15 min"
    shares = [event["traffic_share"] for event in result["timeline"] if event["kind"] == "traffic"]
    assert CANARY_PERCENT in shares and shares[-1] == 100.0, shares
    # read back: the service deployment succeeded, green takes all production traffic, blue's tasks are gone
    deployment = native.deployment(result["deployment_id"])
    assert deployment["status"] == "SUCCESSFUL" and deployment["lifecycleStage"] == "CLEAN_UP"
    assert native.weights() == {"native-app-tg-blue": 0, "native-app-tg-green": 100}
    assert [item["status"] for item in native.service()["deployments"]] == ["PRIMARY"]
    assert native.live_image().endswith(":v2")
    record, html = recorded(own_sandbox_env, result["deployment_id"])
    assert record["status"] == "Succeeded" and 'data-outcome="succeeded"' in html


def test_the_same_tag_again_changes_nothing(own_sandbox_env, native):
    before = [item["serviceDeploymentArn"] for item in native.deployments()]
    result, _run = deploy(own_sandbox_env, "v2")
    assert result["changed"] is False and result["status"] == "Live"
    assert [item["serviceDeploymentArn"] for item in native.deployments()] == before


def test_a_failing_canary_is_rolled_back_by_its_alarm(own_sandbox_env, native):
    weights_before = native.weights()
    with steady_traffic(native.url()) as traffic:
        started = time.time()
        result, outcome = deploy(own_sandbox_env, "v3", expect_failure=True, release_environment=FAILING)
        ended = time.time()
        time.sleep(2)
        during = traffic.window(since=started, until=ended)
        after = traffic.window(since=ended)
    assert during.by_version["v3"] > 0 and during.errors("v3") > 0, during.describe()
    assert after.total > 0 and after.share("v2") == 100.0, after.describe()
    fired = result["outcome"]["alarm"]
    assert fired and fired in result["msg"] and "rolled back" in result["msg"]
    # ECS's service deployments carry no stage times (CodeDeploy's AllowTraffic event has them): the share an alarm
    # fired at is the share a look saw, and a fast alarm can end the canary before any look saw it
    assert result["outcome"]["rolled_back"] and result["outcome"]["alarm_traffic_share"] in (0.0, CANARY_PERCENT)
    deployment = native.deployment(result["deployment_id"])
    assert deployment["status"] == "ROLLBACK_SUCCESSFUL"
    assert deployment["alarms"]["status"] == "TRIGGERED" and fired in deployment["alarms"]["triggeredAlarmNames"]
    assert deployment["rollback"]["serviceRevisionArn"] == deployment["sourceServiceRevisions"][0]["arn"]
    assert native.weights() == weights_before and native.live_image().endswith(":v2")
    assert native.deployments(IN_FLIGHT) == []
    wait_for(
        lambda: all(alarm["StateValue"] != "ALARM" for alarm in own_sandbox_env.clients("cloudwatch").describe_alarms()["MetricAlarms"]),
        120,
        1.0,
        "the alarms to clear",
    )


def test_status_shows_the_service_deployments(own_sandbox_env, native):
    outcome = run(own_sandbox_env, "status.yml")
    result = next(task["result"] for task in outcome.tasks if task["action"] in ("canary.ecs.ecs_deployment_info", "ecs_deployment_info"))
    assert result["backend"] == "ecs" and result["live_version"] == "v2"
    statuses = [item["status"] for item in result["deployments"]]
    assert statuses[:2] == ["Stopped", "Succeeded"], statuses  # v3 rolled back by its alarm, then v2
    assert [item["deployment_id"] for item in result["deployments"]][:2] == [item["serviceDeploymentArn"] for item in native.deployments()][:2]


def test_rollback_mid_bake_stops_with_rollback(own_sandbox_env, native):
    result, _run = deploy(own_sandbox_env, "v4", release_wait=False)
    arn = result["deployment_id"]
    wait_for(lambda: native.weights().get("native-app-tg-blue") == 10, 60, 0.2, "the canary's 10%")  # green is blue's group now
    run(own_sandbox_env, "rollback.yml")
    deployment = native.deployment(arn)
    assert deployment["status"] == "ROLLBACK_SUCCESSFUL" and "StopServiceDeployment" in deployment["rollback"]["reason"]
    assert native.weights() == {"native-app-tg-blue": 0, "native-app-tg-green": 100}
    assert native.live_image().endswith(":v2")


def test_an_interrupted_release_is_attached_to_and_another_refused(own_sandbox_env, native):
    """deploy.yml interrupted (SIGINT to its process group) once the canary runs; another tag is refused
    naming the release in flight; the same tag again attaches to it, and nothing starts twice."""
    # a canary of 60 sandbox minutes (a minute each): the release is still in flight for the runs below on a busy machine
    longer = {"stack_custom_deployment_configs": [{"name": "long", "traffic_routing": "canary", "percentage": 10, "interval": 60}]}
    longer["stack_deployment_config"] = "native-long"
    run(own_sandbox_env, "provision.yml", longer)
    assert native.service()["deploymentConfiguration"]["canaryConfiguration"] == {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 60}
    before = [item["serviceDeploymentArn"] for item in native.deployments()]
    command, cwd, extra_env = playbook_command("deploy.yml")
    values = dict(STACK, **release_vars(own_sandbox_env.endpoint), image_tag="v5")
    process = subprocess.Popen(
        command + ["-e", json.dumps(values)],
        cwd=cwd,
        env=dict(own_sandbox_env.env, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", **extra_env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(lambda: [item for item in native.deployments(IN_FLIGHT) if item.get("lifecycleStage") == "PRODUCTION_TRAFFIC_SHIFT"], 120, 0.2, "the canary")
    finally:
        interrupt(process)
    (in_flight,) = native.deployments(IN_FLIGHT)
    refused, _run = deploy(own_sandbox_env, "v6", expect_failure=True, **longer)
    assert in_flight["serviceDeploymentArn"] in refused["msg"] and "already in flight" in refused["msg"]
    attached, _run = deploy(own_sandbox_env, "v5", **longer)
    assert attached["attached"] is True and attached["deployment_id"] == in_flight["serviceDeploymentArn"] and attached["status"] == "Succeeded"
    new = [item["serviceDeploymentArn"] for item in native.deployments() if item["serviceDeploymentArn"] not in before]
    assert new == [in_flight["serviceDeploymentArn"]], "a release started twice"
    assert native.live_image().endswith(":v5")


def test_approval_through_the_pause_hook(own_sandbox_env, native):
    run(own_sandbox_env, "provision.yml", {"stack_ready_wait_minutes": 600})
    hooks = native.service()["deploymentConfiguration"]["lifecycleHooks"]
    assert hooks[0]["targetType"] == "PAUSE" and hooks[0]["lifecycleStages"] == ["POST_TEST_TRAFFIC_SHIFT"]
    assert native.deployments(IN_FLIGHT) == []  # changing the strategy's settings started nothing
    started, _run = deploy(own_sandbox_env, "v7", release_wait=False)
    arn = started["deployment_id"]
    wait_for(lambda: [hook for hook in native.deployment(arn).get("lifecycleHookDetails") or [] if hook["status"] == "AWAITING_ACTION"], 60, 0.2, "the pause")
    time.sleep(1)
    assert sorted(native.weights().values()) == [0, 100]  # production waits on the approval
    assert native.deployment(arn)["status"] == "IN_PROGRESS"
    run(own_sandbox_env, "promote.yml")
    wait_for(lambda: native.deployment(arn)["status"] == "SUCCESSFUL", 120, 0.5, "the approved release to end")
    assert native.live_image().endswith(":v7")
    run(own_sandbox_env, "provision.yml")  # back to no approval
    assert not native.service()["deploymentConfiguration"].get("lifecycleHooks")


def _green_weights_during(native, action):
    """The distinct weights the production rule gave the group that is not live now, while `action` runs."""
    live = max(native.weights().items(), key=lambda item: item[1])[0]
    seen, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            weight = [value for name, value in native.weights().items() if name != live][0]
            if not seen or seen[-1] != weight:
                seen.append(weight)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        action()
    finally:
        stop.set()
        watcher.join()
    final = [value for name, value in native.weights().items() if name != live][0]
    return seen + ([final] if seen[-1] != final else [])


@pytest.mark.parametrize(
    "config, strategy, weights",
    [
        ("CodeDeployDefault.ECSLinear10PercentEvery1Minutes", "LINEAR", [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]),
        ("CodeDeployDefault.ECSAllAtOnce", "BLUE_GREEN", [0, 100]),
    ],
)
def test_linear_and_blue_green_move_the_weights_step_by_step(own_sandbox_env, native, config, strategy, weights):
    run(own_sandbox_env, "provision.yml", {"stack_deployment_config": config, "stack_termination_wait_minutes": 1})
    assert native.service()["deploymentConfiguration"]["strategy"] == strategy
    tag = "v8" if strategy == "LINEAR" else "v9"
    results = []
    seen = _green_weights_during(native, lambda: results.append(deploy(own_sandbox_env, tag)[0]))
    assert seen == weights, seen
    assert results[0]["status"] == "Succeeded" and native.live_image().endswith(":" + tag)


@pytest.mark.parametrize(
    "extra, named",
    [
        ({"stack_deployment_config": "CodeDeployDefault.AllAtOnce"}, "stack_deployment_config"),
        ({"stack_termination_wait_minutes": 1441}, "stack_termination_wait_minutes"),
        ({"stack_ready_wait_minutes": 20161}, "stack_ready_wait_minutes"),
        ({"stack_release_backend": "codedeploy"}, "stack_release_backend"),
        ({"stack_extra_alarm_names": ["no-such-alarm"]}, "stack_extra_alarm_names"),
    ],
)
def test_bad_inputs_fail_before_any_change_naming_the_input(own_sandbox_env, native, extra, named):
    before = native.service()
    outcome = run(own_sandbox_env, "provision.yml", extra, expect_failure=True)
    assert named in outcome.stdout + outcome.stderr
    after = native.service()
    assert after["deploymentConfiguration"] == before["deploymentConfiguration"] and after["taskDefinition"] == before["taskDefinition"]
    assert own_sandbox_env.clients("codedeploy").list_applications()["applications"] == []


def test_cleanup_leaves_nothing(own_sandbox_env, native):
    run(own_sandbox_env, "cleanup.yml")
    assert native.service() is None
    assert own_sandbox_env.clients("elbv2").describe_load_balancers()["LoadBalancers"] == []
    roles = [role["RoleName"] for role in own_sandbox_env.clients("iam").list_roles()["Roles"]]
    assert not [name for name in roles if name.startswith("native-")], roles
