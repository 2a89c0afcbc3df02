"""The engine runs ECS blue/green deployments to the end: task sets, listener weights, swaps."""

import json
import time
import urllib.request

import pytest

from canary_sandbox.background import Every
from canary_sandbox.engine import extension
from canary_sandbox.engine.testing import (
    Release,
    appspec_content,
    appspec_revision,
    deploy,
    green_percent,
    new_image,
    setup_group,
    stack_with_group,
    task_sets,
    wait_for,
    wait_for_status,
)
from canary_sandbox.engine.traffic import traffic_plan
from canary_sandbox.router import WriteWatch
from canary_sandbox.stack import make_ecs_stack

PREDEFINED = {
    "CodeDeployDefault.ECSAllAtOnce": [100],
    "CodeDeployDefault.ECSCanary10Percent5Minutes": [10, 100],
    "CodeDeployDefault.ECSCanary10Percent15Minutes": [10, 100],
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes": list(range(10, 101, 10)),
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes": list(range(10, 101, 10)),
}


ALL_AT_ONCE = "CodeDeployDefault.ECSAllAtOnce"
DONE = {"Succeeded", "Failed", "Stopped"}


@pytest.fixture(scope="module")
def aws(module_aws):
    """Every test builds its own stack (unique prefix) or shares `stack`."""
    return module_aws


@pytest.fixture(scope="module")
def stack(aws):
    return stack_with_group(aws, "life")


@pytest.fixture
def release(aws, stack):
    current = Release(aws, stack, "life")
    yield current
    current.clean_up()


def primary(aws, stack):
    service = aws("ecs").describe_services(cluster=stack.cluster, services=[stack.service])["services"][0]
    return [task_set for task_set in service["taskSets"] if task_set["status"] == "PRIMARY"]


def timeline(sandbox, deployment_id):
    url = f"{sandbox.endpoint}/_sandbox/engine/timeline?deploymentId={deployment_id}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())["timeline"]


class WeightSampler(Every):
    """Reads a production listener's green share in the background while a deployment runs."""

    def __init__(self, aws, stack, green_arn):
        super().__init__(0.03, self._sample_once, name="weight-sampler", join_seconds=5)
        self.elbv2 = aws("elbv2")
        self.stack = stack
        self.green_arn = green_arn
        self.seen = []

    def _sample_once(self):
        share = green_percent(self.elbv2, self.stack.prod_listener_arn, self.green_arn)
        if not self.seen or self.seen[-1] != share:
            self.seen.append(share)


def test_reconciler_gives_a_new_code_deploy_service_its_primary_task_set(aws):
    stack = make_ecs_stack(aws, "rc")
    sets = wait_for(lambda: primary(aws, stack), timeout=5, what="the primary task set")
    assert sets[0]["taskDefinition"] == stack.task_definition_arn
    assert sets[0]["loadBalancers"][0]["targetGroupArn"] == stack.blue_target_group_arn
    time.sleep(1.2)  # two more reconciler rounds: still exactly one task set
    assert len(task_sets(aws, stack)) == 1


def test_the_reconciler_scans_after_a_write_and_otherwise_only_now_and_then(monkeypatch):
    """An idle sandbox does not list its services twice a second: a scan follows a write, or the quiet interval."""

    class Router:
        writes = 0

    clock = [1000.0]
    engine = extension.DeploymentEngine()
    engine._due = WriteWatch(Router, extension.RECONCILE_QUIET_SECONDS, clock=lambda: clock[0])
    scans = []
    monkeypatch.setattr(engine, "_regions", lambda: ["us-east-1"])
    monkeypatch.setattr(engine, "_reconcile", scans.append)

    def tick(seconds=extension.RECONCILE_SECONDS):
        clock[0] += seconds
        engine._reconcile_regions()

    tick()
    assert len(scans) == 1, "the first look scans"
    for _ in range(int(extension.RECONCILE_QUIET_SECONDS / extension.RECONCILE_SECONDS) - 1):
        tick()
    assert len(scans) == 1, "nothing written: no scan before the quiet interval"
    Router.writes += 1  # e.g. CreateService
    tick()
    assert len(scans) == 2, "a write makes the next look scan"
    tick(extension.RECONCILE_QUIET_SECONDS)
    assert len(scans) == 3, "the quiet interval passed: a scan anyway (a failed bootstrap is tried again)"


def test_every_predefined_ecs_config_shifts_by_its_steps_and_succeeds(sandbox, aws):
    stacks = {}
    for index, config in enumerate(PREDEFINED):
        stacks[config] = make_ecs_stack(aws, f"p{index}", cidr=f"10.{index}.0.0/16")
        setup_group(aws, stacks[config], f"app{index}", deploymentConfigName=config)
    samplers, deployments = {}, {}
    for config in PREDEFINED:
        samplers[config] = WeightSampler(aws, stacks[config], stacks[config].green_target_group_arn).__enter__()
    try:
        for index, config in enumerate(PREDEFINED):
            deployments[config] = deploy(aws, stacks[config], f"app{index}", "v2")
        for deployment_id, _ in deployments.values():
            info = wait_for_status(aws("codedeploy"), deployment_id, {"Succeeded", "Failed", "Stopped"}, timeout=30)
            assert info["status"] == "Succeeded", info.get("errorInformation")
    finally:
        for sampler in samplers.values():
            sampler.__exit__()
    for config, expected in PREDEFINED.items():
        stack, (deployment_id, task_definition) = stacks[config], deployments[config]
        seen = samplers[config].seen
        # what the listener showed follows the steps; a 1-minute step (0.25 s) may slip between two samples on a busy machine
        if config.endswith("Every1Minutes"):
            assert seen[0] == 0 and seen[-1] == 100 and seen == sorted(seen) and set(seen) <= {0, *expected}, (config, seen)
        else:
            assert seen == [0] + expected, (config, seen)
        shifts = [entry["replacementPercent"] for entry in timeline(sandbox, deployment_id) if entry["event"] == "traffic"]
        assert shifts == expected
        sets = task_sets(aws, stack)
        assert len(sets) == 1 and sets[0]["status"] == "PRIMARY"
        assert sets[0]["taskDefinition"] == task_definition
        assert sets[0]["loadBalancers"][0]["targetGroupArn"] == stack.green_target_group_arn
        assert sets[0]["externalId"] == deployment_id


def test_second_release_swaps_blue_and_green_again(aws, release):
    release.configure(config=ALL_AT_ONCE)
    first = release.start("v2")
    assert wait_for_status(release.codedeploy, first, DONE)["status"] == "Succeeded"
    assert release.share_of_new() == 100
    assert release.share_of_new(release.stack.test_listener_arn) == 100
    second = Release(aws, release.stack, "life")
    assert (second.live, second.idle, second.serving) == (release.idle, release.live, release.new)
    deployment_id = second.start("v3")
    info = wait_for_status(release.codedeploy, deployment_id, DONE)
    assert info["status"] == "Succeeded", info.get("errorInformation")
    assert second.share_of_new() == 100  # traffic is back on the target group the first release started from
    assert [(s["status"], s["taskDefinition"], s["loadBalancers"][0]["targetGroupArn"]) for s in task_sets(aws, release.stack)] == [
        ("PRIMARY", second.new, release.live)
    ]
    group = release.codedeploy.get_deployment_group(applicationName="life", deploymentGroupName="life")["deploymentGroupInfo"]
    assert group["lastSuccessfulDeployment"]["deploymentId"] == deployment_id
    assert group["lastAttemptedDeployment"]["deploymentId"] == deployment_id
    assert group["targetRevision"] == info["revision"]
    assert info["previousRevision"]["appSpecContent"]["content"] != info["revision"]["appSpecContent"]["content"]


def test_deployment_record_and_target_after_success(release):
    release.configure(config=ALL_AT_ONCE)
    codedeploy, stack = release.codedeploy, release.stack
    deployment_id = release.start("v2", description="release v2")
    info = wait_for_status(codedeploy, deployment_id, DONE)
    assert info["status"] == "Succeeded", info.get("errorInformation")
    assert info["computePlatform"] == "ECS" and info["creator"] == "user" and info["description"] == "release v2"
    assert info["deploymentOverview"] == {"Pending": 0, "InProgress": 0, "Succeeded": 1, "Failed": 0, "Skipped": 0, "Ready": 0}
    assert info["createTime"] <= info["startTime"] <= info["completeTime"]
    assert "targetInstances" not in info and "errorInformation" not in info
    target_id = f"{stack.cluster}:{stack.service}"
    assert codedeploy.list_deployment_targets(deploymentId=deployment_id)["targetIds"] == [target_id]
    target = codedeploy.get_deployment_target(deploymentId=deployment_id, targetId=target_id)["deploymentTarget"]
    assert target["deploymentTargetType"] == "ECSTarget"
    ecs_target = target["ecsTarget"]
    assert ecs_target["targetArn"].endswith(f":service/{stack.cluster}/{stack.service}")
    assert [(event["lifecycleEventName"], event["status"]) for event in ecs_target["lifecycleEvents"]] == [
        (name, "Succeeded")
        # written out here, not imported, so the test keeps its own copy of AWS's ECS lifecycle order
        for name in "BeforeInstall Install AfterInstall AllowTestTraffic AfterAllowTestTraffic BeforeAllowTraffic AllowTraffic AfterAllowTraffic".split()
    ]
    assert ecs_target["status"] == "Succeeded"
    [green] = ecs_target["taskSetsInfo"]
    assert green["taskSetLabel"] == "Green" and green["trafficWeight"] == 100.0 and green["status"] == "PRIMARY"
    names = {stack.blue_target_group_arn: stack.blue_target_group, stack.green_target_group_arn: stack.green_target_group}
    assert green["targetGroup"]["name"] == names[release.idle]


def test_lambda_hooks_are_recorded_as_skipped(aws, release):
    release.configure(config=ALL_AT_ONCE)
    stack, codedeploy = release.stack, release.codedeploy
    content = appspec_content(new_image(aws, stack, "v2"), hooks={"BeforeInstall": "check-before", "AfterAllowTraffic": "check-after"})
    deployment_id = codedeploy.create_deployment(applicationName="life", deploymentGroupName="life", revision=appspec_revision(content))["deploymentId"]
    wait_for_status(codedeploy, deployment_id, {"Succeeded"})
    target = codedeploy.get_deployment_target(deploymentId=deployment_id, targetId=f"{stack.cluster}:{stack.service}")
    statuses = {event["lifecycleEventName"]: event["status"] for event in target["deploymentTarget"]["ecsTarget"]["lifecycleEvents"]}
    assert statuses["BeforeInstall"] == "Skipped" and statuses["AfterAllowTraffic"] == "Skipped"
    assert statuses["Install"] == "Succeeded" and statuses["AllowTraffic"] == "Succeeded"


@pytest.mark.parametrize("config", sorted(PREDEFINED))
def test_traffic_plan_of_predefined_configs(config):
    from canary_sandbox.codedeploy import deployment_configs

    assert [percent for percent, _ in traffic_plan(deployment_configs.predefined(config))] == PREDEFINED[config]
