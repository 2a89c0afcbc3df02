"""Deployments that do not simply run through: alarms, stop requests, approvals, waits."""

import time

import pytest
from botocore.exceptions import ClientError

from canary_sandbox.engine.testing import Release, setup_group, task_sets, wait_for, wait_for_status
from canary_sandbox.stack import make_ecs_stack, put_5xx_alarm

CANARY = "CodeDeployDefault.ECSCanary10Percent15Minutes"  # 3.75 s of bake at the test clock
ALL_AT_ONCE = "CodeDeployDefault.ECSAllAtOnce"
DONE = {"Succeeded", "Failed", "Stopped"}
GROUP = "stops"
ALARM = "stops-5xx"


@pytest.fixture(scope="module")
def stack(sandbox):
    """One stack for the module: each test configures the group, releases, and leaves one primary task set."""
    sandbox.reset()
    aws = sandbox.clients
    built = make_ecs_stack(aws, GROUP)
    put_5xx_alarm(aws("cloudwatch"), ALARM, evaluation_periods=1, operator="GreaterThanThreshold", TreatMissingData="notBreaching")
    setup_group(aws, built, GROUP)
    return built


@pytest.fixture
def release(sandbox, stack):
    cloudwatch = sandbox.clients("cloudwatch")
    cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="test start")
    current = Release(sandbox.clients, stack, GROUP)
    yield current
    cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="test end")
    current.clean_up()


def raise_alarm_until_done(release, deployment_id):
    """Put the alarm in ALARM until the deployment ends; set again each round, as the alarm evaluator
    re-evaluates it (to OK, with no 5xx data) every sandbox minute."""
    cloudwatch, codedeploy = release.aws("cloudwatch"), release.codedeploy

    def alarm_and_check():
        cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="test: 5xx above threshold")
        info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        return info if info["status"] in DONE else None

    return wait_for(alarm_and_check, timeout=10, interval=0.1, what="the alarm to stop the deployment")


def test_alarm_during_the_bake_stops_and_rolls_back(release):
    release.configure(alarms=[ALARM], config=CANARY)
    deployment_id = release.start("v2")
    release.wait_for_canary()
    codedeploy = release.codedeploy
    started = time.monotonic()
    raise_alarm_until_done(release, deployment_id)
    assert time.monotonic() - started < 3.0  # well before the end of the 3.75 s bake (a fraction of a second when idle)
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert info["status"] == "Stopped"
    assert info["errorInformation"]["code"] == "ALARM_ACTIVE"
    assert ALARM in info["errorInformation"]["message"]
    assert info["rollbackInfo"]["rollbackMessage"]
    release.assert_rolled_back(info)
    target_id = f"{release.stack.cluster}:{release.stack.service}"
    target = codedeploy.get_deployment_target(deploymentId=deployment_id, targetId=target_id)["deploymentTarget"]["ecsTarget"]
    events = {event["lifecycleEventName"]: event["status"] for event in target["lifecycleEvents"]}
    assert events["Install"] == "Succeeded" and events["AllowTraffic"] == "Failed" and events["AfterAllowTraffic"] == "Skipped"
    assert target["status"] == "Failed"
    group = codedeploy.get_deployment_group(applicationName=GROUP, deploymentGroupName=GROUP)["deploymentGroupInfo"]
    assert group["lastAttemptedDeployment"]["deploymentId"] == info["rollbackInfo"]["rollbackDeploymentId"]


def test_alarm_without_stop_on_alarm_rollback_stops_in_place(release):
    release.configure(alarms=[ALARM], rollback={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]})
    deployment_id = release.start("v2")
    release.wait_for_canary()
    info = raise_alarm_until_done(release, deployment_id)
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "ALARM_ACTIVE"
    assert "rollbackInfo" not in info
    assert release.share_of_new() == 10
    assert len(task_sets(release.aws, release.stack)) == 2


def test_missing_alarm_stops_the_deployment(release):
    release.configure(alarms=["stops-missing"])
    deployment_id = release.start("v2")
    info = wait_for_status(release.codedeploy, deployment_id, DONE, timeout=10)
    assert info["status"] == "Stopped" and "stops-missing" in info["errorInformation"]["message"]
    release.assert_rolled_back(info)


def test_missing_alarm_is_ignored_with_ignore_poll_alarm_failure(release):
    release.configure(config=ALL_AT_ONCE, alarms=["stops-missing"], ignore_poll_failure=True)
    deployment_id = release.start("v2")
    assert wait_for_status(release.codedeploy, deployment_id, DONE)["status"] == "Succeeded"


@pytest.mark.parametrize("rollback", [True, False])
def test_stop_deployment(release, rollback):
    release.configure()
    deployment_id = release.start("v2")
    release.wait_for_canary()
    codedeploy = release.codedeploy
    answer = codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=rollback)
    assert answer["status"] == "Pending"
    info = wait_for_status(codedeploy, deployment_id, DONE, timeout=3)
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "MANUAL_STOP"
    if rollback:
        release.assert_rolled_back(info)
    else:
        assert "rollbackInfo" not in info
        assert release.share_of_new() == 10
        assert len(task_sets(release.aws, release.stack)) == 2
    with pytest.raises(ClientError) as error:
        codedeploy.stop_deployment(deploymentId=deployment_id)
    assert error.value.response["Error"]["Code"] == "DeploymentAlreadyCompletedException"


def test_ready_wait_needs_continue_deployment(release):
    release.configure(config=ALL_AT_ONCE, ready={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 60})
    codedeploy = release.codedeploy
    deployment_id = release.start("v2")
    info = wait_for_status(codedeploy, deployment_id, {"Ready"} | DONE, timeout=10)
    assert info["status"] == "Ready" and info["deploymentOverview"]["Ready"] == 1
    # test traffic reaches the replacement, production traffic does not yet
    assert release.share_of_new(release.stack.test_listener_arn) == 100
    assert release.share_of_new() == 0
    time.sleep(0.5)
    assert codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"] == "Ready"
    with pytest.raises(ClientError) as error:
        codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="TERMINATION_WAIT")
    assert error.value.response["Error"]["Code"] == "DeploymentIsNotInReadyStateException"
    codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    assert wait_for_status(codedeploy, deployment_id, DONE, timeout=5)["status"] == "Succeeded"
    assert release.share_of_new() == 100


def test_ready_wait_times_out_into_stopped(release):
    release.configure(ready={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 2})
    deployment_id = release.start("v2")
    info = wait_for_status(release.codedeploy, deployment_id, DONE, timeout=10)
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "TIMEOUT"
    release.assert_rolled_back(info)


def test_termination_wait_ends_early_on_continue(release):
    release.configure(config=ALL_AT_ONCE, termination_wait=120)  # 30 s at the test clock: only continue ends it in time
    codedeploy = release.codedeploy
    deployment_id = release.start("v2")
    release.wait_for_termination_wait(deployment_id)
    assert codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"] == "InProgress"
    sets = {s["status"]: s["taskDefinition"] for s in task_sets(release.aws, release.stack)}
    assert sets == {"PRIMARY": release.new, "ACTIVE": release.serving}
    with pytest.raises(ClientError) as error:
        codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    assert error.value.response["Error"]["Code"] == "DeploymentIsNotInReadyStateException"
    codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="TERMINATION_WAIT")
    assert wait_for_status(codedeploy, deployment_id, DONE, timeout=3)["status"] == "Succeeded"
    assert [s["taskDefinition"] for s in task_sets(release.aws, release.stack)] == [release.new]


def test_stop_with_rollback_during_termination_wait_restores_the_original(release):
    release.configure(config=ALL_AT_ONCE, termination_wait=120)
    deployment_id = release.start("v2")
    release.wait_for_termination_wait(deployment_id)
    assert release.share_of_new() == 100
    release.codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
    info = wait_for_status(release.codedeploy, deployment_id, DONE, timeout=3)
    assert info["status"] == "Stopped"
    release.assert_rolled_back(info)


def test_keep_alive_leaves_the_original_task_set(release):
    release.configure(config=ALL_AT_ONCE, termination_action="KEEP_ALIVE")
    deployment_id = release.start("v2")
    assert wait_for_status(release.codedeploy, deployment_id, DONE)["status"] == "Succeeded"
    sets = {s["status"]: s["taskDefinition"] for s in task_sets(release.aws, release.stack)}
    assert sets == {"PRIMARY": release.new, "ACTIVE": release.serving}
