"""A fleet release (playbooks/fleet.yml, canary.ecs.ecs_fleet_release) of five services in one sandbox.

The five stacks are built straight in the sandbox (canary_sandbox.engine.testing.stack_with_alarms,
seconds each), each with its deployment group and the seed's 5xx alarm on each target group,
stopping a release at the first error of a minute. Every assertion reads the sandbox back: which
deployments exist, what each service's primary task set runs, what the alarms did.
"""

import datetime
import json
import subprocess

import pytest
from conftest import json_playbook
from release_helpers import interrupt, lasting_config, playbook_command, recorded

from canary_sandbox.engine.testing import stack_with_alarms, wait_for
from canary_sandbox.traffic import at_rate, listener_url

NAMES = ["fl-a", "fl-b", "fl-c", "fl-d", "fl-e"]
SECRET = "fleet-s3cret-value-4821"  # a secret_environment value: never in any output


@pytest.fixture(scope="module")
def fleet(own_sandbox_env):
    return {name: stack_with_alarms(own_sandbox_env.clients, name) for name in NAMES}


def entries(fleet, **per_name):
    """fleet_services for the stacks: cluster, service and group named, plus each name's own settings."""
    listed = []
    for name in NAMES:
        stack = fleet[name]
        item = {"name": name, "cluster": stack.cluster, "service": stack.service, "application_name": name, "deployment_group_name": name}
        item.update(per_name.get(name) or {})
        listed.append(item)
    return listed


def deployments(env, name):
    """The deployments of a stack's group, oldest first, as CodeDeploy lists them."""
    codedeploy = env.clients("codedeploy")
    ids = codedeploy.list_deployments(applicationName=name, deploymentGroupName=name)["deployments"]
    infos = codedeploy.batch_get_deployments(deploymentIds=ids)["deploymentsInfo"] if ids else []
    return sorted(infos, key=lambda info: info["createTime"])


def live_image(env, stack):
    ecs = env.clients("ecs")
    [service] = ecs.describe_services(cluster=stack.cluster, services=[stack.service])["services"]
    primary = [task_set for task_set in service["taskSets"] if task_set["status"] == "PRIMARY"]
    arn = primary[0]["taskDefinition"] if primary else service["taskDefinition"]
    return ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["containerDefinitions"][0]["image"]


def run_fleet(env, fleet_vars, expect_failure=False, timeout=600, check=False):
    """fleet.yml with the JSON callback: (the fleet task's result, the progress lines on stderr)."""
    extra = {"fleet_poll_interval": 1}
    if "change_ref" not in fleet_vars:
        extra["release_record_dir"] = ""  # no records but where a test asks for them
    extra.update(fleet_vars)
    run = json_playbook(env, "fleet.yml", check=check, extra_vars=extra, timeout=timeout)
    assert (run.rc != 0) == expect_failure, repr(run)
    assert SECRET not in run.stdout + run.stderr, "a secret_environment value was printed"
    return run.task("Release the fleet"), run.stderr


def assert_batched(result, services, routed=True):
    """Every look of the watcher: one BatchGetDeployments per 25 (and one for rollbacks), one DescribeAlarms, one
    DescribeListeners per 20 listeners, the routes (once per release: at most one call per application and one
    DescribeServices per cluster, here one per service), and a release's full look once, when it ended."""
    looks = result["api_calls_per_look"]
    assert looks, result
    for calls in looks:
        ended = calls.get("GetDeploymentTarget", 0)  # the full looks at the releases that ended
        assert calls.get("BatchGetDeployments", 0) <= -(-services // 25) + 1, calls
        assert calls.get("DescribeAlarms", 0) <= 1 + ended and calls.get("DescribeListeners", 0) <= -(-services // 20), calls
        assert calls.get("GetDeployment", 0) <= 2 * ended and calls.get("DescribeAlarmHistory", 0) <= 2 * ended, calls
        assert calls.get("BatchGetDeploymentGroups", 0) <= services and calls.get("DescribeServices", 0) <= services, calls
        expected = {"BatchGetDeployments", "DescribeAlarms", "DescribeListeners", "BatchGetDeploymentGroups", "DescribeServices"}
        assert set(calls) <= expected | {"GetDeployment", "GetDeploymentTarget", "DescribeAlarmHistory"}, calls
    if routed:
        # once routed, a look at releases in flight is the batch reads alone
        assert [calls for calls in looks if set(calls) == {"BatchGetDeployments", "DescribeAlarms", "DescribeListeners"}], looks


def test_check_mode_says_what_each_release_would_do_and_starts_nothing(own_sandbox_env, fleet):
    result, _output = run_fleet(own_sandbox_env, {"fleet_services": entries(fleet), "fleet_defaults": {"image_tag": "v2"}}, check=True)
    assert result["msg"] == "Would release 5 services (5 would change)." and result["changed"], result
    assert all(result["releases"][name]["msg"].startswith("Would register a revision of") for name in NAMES)
    assert all(deployments(own_sandbox_env, name) == [] for name in NAMES)


def test_five_services_succeed_three_at_a_time_with_batched_looks(own_sandbox_env, fleet):
    before = dict((name, len(deployments(own_sandbox_env, name))) for name in NAMES)
    # a canary step of 25 s: the watcher meets every release in flight after routing it, also on a loaded machine
    config = lasting_config(own_sandbox_env, "fleet-canary-25s", real_seconds=25)
    secret = {"secret_environment": {"API_TOKEN": SECRET}}
    result, output = run_fleet(
        own_sandbox_env,
        {
            "fleet_services": entries(fleet, **{"fl-a": secret}),
            "fleet_defaults": {"image_tag": "v2", "deployment_config_name": config},
            "fleet_max_in_flight": 3,
        },
    )
    assert SECRET not in json.dumps(result) + output
    assert result["msg"] == "Fleet of 5: 5 succeeded (fl-a, fl-b, fl-c, fl-d, fl-e).", result
    assert result["summary"]["succeeded"] == NAMES and result["summary"]["halted"] is None
    assert all(result["releases"][name]["outcome"]["succeeded"] and result["releases"][name]["version"] == "v2" for name in NAMES)
    assert_batched(result, 3)
    for name in NAMES:
        infos = deployments(own_sandbox_env, name)
        assert len(infos) == before[name] + 1, name
        assert infos[-1]["status"] == "Succeeded"
        assert live_image(own_sandbox_env, fleet[name]).endswith(":v2"), name
    # the table and the per-service lines
    assert "service  phase" in output and "fl-e " in output, output
    assert all(f"{name} d-" in output and "10% on v2" in output for name in NAMES), output
    # at most 3 in flight: the 4th started only after one of the first three ended
    starts = sorted((deployments(own_sandbox_env, name)[-1]["createTime"], name) for name in NAMES)
    ends = sorted(deployments(own_sandbox_env, name)[-1]["completeTime"] for name in NAMES[:3])
    assert starts[3][0] >= ends[0] - datetime.timedelta(seconds=1)


def test_the_same_fleet_again_finds_every_service_already_live(own_sandbox_env, fleet):
    before = dict((name, len(deployments(own_sandbox_env, name))) for name in NAMES)
    result, output = run_fleet(own_sandbox_env, {"fleet_services": entries(fleet), "fleet_defaults": {"image_tag": "v2"}})
    assert result["msg"] == "Fleet of 5: 5 already live (fl-a, fl-b, fl-c, fl-d, fl-e).", result
    assert not result["changed"] and result["api_calls_per_look"] == []
    assert dict((name, len(deployments(own_sandbox_env, name))) for name in NAMES) == before


@pytest.mark.parametrize(
    "fleet_vars, expected",
    [
        (
            {"fleet_services_extra": [{"name": "ghost", "cluster": "fl-a-cluster", "service": "no-such-service"}]},
            "services[5] (ghost): ECS service no-such-service does not exist",
        ),
        ({"fleet_twice": True}, "release the same ECS service"),
        ({"fleet_max_in_flight": 0}, "max_in_flight must be 1 or more (how many releases may run at once), got 0"),
        ({"fleet_first_wave": ["nobody"]}, "first_wave names nobody, not in services"),
        (
            {"fleet_services_extra": [{"name": "nothing", "cluster": "c", "service": "s", "image_tag": ""}], "fleet_defaults": {}},
            "services[0] (fl-a): nothing to release",
        ),
    ],
    ids=["missing-service", "same-service-twice", "limit", "wave-name", "nothing-to-release"],
)
def test_a_bad_fleet_starts_nothing_and_names_the_entry(own_sandbox_env, fleet, fleet_vars, expected):
    before = dict((name, len(deployments(own_sandbox_env, name))) for name in NAMES)
    services = entries(fleet)
    if fleet_vars.pop("fleet_twice", False):
        services.append(dict(services[1], name="fl-b-again"))
    services += fleet_vars.pop("fleet_services_extra", [])
    fleet_vars.setdefault("fleet_defaults", {"image_tag": "v9"})
    result, output = run_fleet(own_sandbox_env, dict(fleet_vars, fleet_services=services), expect_failure=True)
    assert result["msg"].startswith("Nothing was started: ") and expected in result["msg"], result["msg"]
    assert dict((name, len(deployments(own_sandbox_env, name))) for name in NAMES) == before


def _failing_canary(own_sandbox_env, fleet, name):
    """Traffic on `name`'s production listener, so that a canary failing every request sets its alarm off (15 errors a second)."""
    load_balancer = fleet[name].load_balancer_arn.split("/")[-2]
    return at_rate(listener_url(own_sandbox_env.endpoint, load_balancer_name=load_balancer, port=80), 150, workers=6)


def test_a_rolled_back_canary_halts_the_fleet_and_nothing_more_starts(own_sandbox_env, fleet):
    config = lasting_config(own_sandbox_env, "fleet-canary-20s", real_seconds=20)
    before = dict((name, len(deployments(own_sandbox_env, name))) for name in NAMES)
    bad = {"environment": {"SANDBOX_FAILURE_RATE": "1.0"}, "deployment_config_name": config}
    with _failing_canary(own_sandbox_env, fleet, "fl-b"):
        result, output = run_fleet(
            own_sandbox_env,
            {"fleet_services": entries(fleet, **{"fl-b": bad}), "fleet_defaults": {"image_tag": "v3"}, "fleet_first_wave": 1, "fleet_max_in_flight": 1},
            expect_failure=True,
        )
    after = dict((name, deployments(own_sandbox_env, name)) for name in NAMES)
    assert after["fl-a"][-1]["status"] == "Succeeded" and len(after["fl-a"]) == before["fl-a"] + 1
    # the fleet's release of fl-b (a rollback deployment follows it)
    released = after["fl-b"][before["fl-b"]]
    assert released["status"] == "Stopped" and released["errorInformation"]["code"] == "ALARM_ACTIVE", released
    assert released["rollbackInfo"]["rollbackDeploymentId"] == after["fl-b"][-1]["deploymentId"]
    for name in ("fl-c", "fl-d", "fl-e"):
        assert len(after[name]) == before[name], f"{name} was started after the halt"
        assert live_image(own_sandbox_env, fleet[name]).endswith(":v2"), name
    summary = result["summary"]
    assert (summary["succeeded"], summary["rolled_back"], summary["not_started"], summary["halted"]) == (
        ["fl-a"],
        ["fl-b"],
        ["fl-c", "fl-d", "fl-e"],
        "fl-b rolled back",
    )
    assert "fl-b-5xx" in summary["reasons"]["fl-b"] and summary["reasons"]["fl-c"] == "halted: fl-b rolled back"
    assert result["releases"]["fl-b"]["outcome"]["rolled_back"] and result["releases"]["fl-c"]["status"] == "not started"
    assert "halted: fl-b rolled back; no more releases start" in output


def test_carry_on_releases_the_rest_after_a_rollback(own_sandbox_env, fleet):
    config = lasting_config(own_sandbox_env, "fleet-canary-20s", real_seconds=20)
    bad = {"environment": {"SANDBOX_FAILURE_RATE": "1.0"}, "deployment_config_name": config}
    before = dict((name, len(deployments(own_sandbox_env, name))) for name in NAMES)
    with _failing_canary(own_sandbox_env, fleet, "fl-c"):
        result, output = run_fleet(
            own_sandbox_env,
            {"fleet_services": entries(fleet, **{"fl-c": bad}), "fleet_defaults": {"image_tag": "v4"}, "fleet_halt": "carry_on", "fleet_max_in_flight": 2},
            expect_failure=True,
        )
    for name in NAMES:
        status = deployments(own_sandbox_env, name)[before[name]]["status"]
        assert status == ("Stopped" if name == "fl-c" else "Succeeded"), (name, status)
    assert result["summary"]["rolled_back"] == ["fl-c"] and sorted(result["summary"]["succeeded"]) == ["fl-a", "fl-b", "fl-d", "fl-e"], result["summary"]
    assert_batched(result, 2, routed=False)


def test_roll_back_stops_the_release_in_flight_when_another_rolls_back(own_sandbox_env, fleet):
    failing = lasting_config(own_sandbox_env, "fleet-canary-20s", real_seconds=20)
    slow = lasting_config(own_sandbox_env, "fleet-canary-90s", real_seconds=90)
    before = dict((name, len(deployments(own_sandbox_env, name))) for name in NAMES)
    per_name = {
        "fl-d": {"environment": {"SANDBOX_FAILURE_RATE": "1.0"}, "deployment_config_name": failing},
        "fl-e": {"deployment_config_name": slow},
    }
    services = [item for item in entries(fleet, **per_name) if item["name"] in ("fl-d", "fl-e")]
    with _failing_canary(own_sandbox_env, fleet, "fl-d"):
        result, output = run_fleet(
            own_sandbox_env, {"fleet_services": services, "fleet_defaults": {"image_tag": "v6"}, "fleet_halt": "roll_back"}, expect_failure=True
        )
    bad, stopped = (deployments(own_sandbox_env, name)[before[name]] for name in ("fl-d", "fl-e"))
    assert bad["status"] == "Stopped" and bad["errorInformation"]["code"] == "ALARM_ACTIVE", bad
    # stopped by the fleet with rollback, well before its 90-second canary ended
    assert stopped["status"] == "Stopped" and stopped["errorInformation"]["code"] == "MANUAL_STOP", stopped
    assert (stopped["completeTime"] - stopped["createTime"]).total_seconds() < 80
    assert live_image(own_sandbox_env, fleet["fl-e"]).endswith(":v4"), "fl-e went back to what ran before"
    summary = result["summary"]
    assert summary["rolled_back"] == ["fl-d", "fl-e"] and summary["halted"] == "fl-d rolled back", summary
    assert "halted: fl-d rolled back; rolling back the releases in flight" in output


def test_an_interrupted_fleet_run_again_attaches_and_starts_nothing_twice(own_sandbox_env, fleet):
    config = lasting_config(own_sandbox_env, "fleet-canary-25s", real_seconds=25)
    before = dict((name, len(deployments(own_sandbox_env, name))) for name in NAMES)
    fleet_vars = {
        "fleet_services": entries(fleet),
        "fleet_defaults": {"image_tag": "v5", "deployment_config_name": config},
        "fleet_poll_interval": 1,
        "release_record_dir": "",
    }
    command, cwd, extra_env = playbook_command("fleet.yml")
    env = dict(own_sandbox_env.env, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", **extra_env)
    process = subprocess.Popen(
        command + ["-e", json.dumps(fleet_vars)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(lambda: all(len(deployments(own_sandbox_env, name)) == before[name] + 1 for name in NAMES), timeout=120, what="all five releases started")
    finally:
        interrupt(process)
    assert any(deployments(own_sandbox_env, name)[-1]["status"] == "InProgress" for name in NAMES)
    result, output = run_fleet(own_sandbox_env, fleet_vars)
    for name in NAMES:
        infos = deployments(own_sandbox_env, name)
        assert len(infos) == before[name] + 1, f"{name} was started twice"
        assert infos[-1]["status"] == "Succeeded"
        assert live_image(own_sandbox_env, fleet[name]).endswith(":v5"), name
    attached = [name for name in NAMES if result["releases"][name].get("attached")]
    assert attached and "attached to deployment" in output, output[-3000:]
    assert sorted(result["summary"]["succeeded"] + result["summary"]["already_live"]) == NAMES, result["summary"]


def test_each_release_of_the_fleet_keeps_its_record_and_report(own_sandbox_env, fleet):
    services = [item for item in entries(fleet) if item["name"] in ("fl-a", "fl-b")]
    # the playbook's default record directory (CANARY_ECS_RECORD_DIR in the e2e environment), a change reference
    result, output = run_fleet(own_sandbox_env, {"fleet_services": services, "fleet_defaults": {"image_tag": "v7"}, "change_ref": "CHG-FLEET-7"})
    assert result["summary"]["succeeded"] == ["fl-a", "fl-b"], result["summary"]
    for name in ("fl-a", "fl-b"):
        released = result["releases"][name]
        record, html = recorded(own_sandbox_env, released["deployment_id"])
        assert record["change"]["change_ref"] == "CHG-FLEET-7" and record["release"]["image_tag"] == "v7", record
        assert record["outcome"]["succeeded"] and "<svg" in html
        assert released["release_record_path"].endswith(released["deployment_id"] + ".json")
