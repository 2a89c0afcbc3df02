"""ECS's own blue/green, linear and canary deployments, read back through boto3 as the AWS CLI would."""

import collections
import threading
import time
import urllib.request

import botocore.session
import pytest
from botocore.validate import ParamValidator

from canary_sandbox.dataplane.extension import listener_url
from canary_sandbox.engine.testing import wait_for
from canary_sandbox.servicedeploy import testing
from canary_sandbox.servicedeploy.model import rule_weights, traffic_steps
from canary_sandbox.stack import error_of, register_version

DONE = {"SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"}
ECS_MODEL = botocore.session.get_session().get_service_model("ecs")


@pytest.fixture(scope="module")
def aws(sandbox):
    sandbox.reset()
    return sandbox.clients


_counter = iter(range(1, 1000))


@pytest.fixture
def prefix():
    return f"sd{next(_counter)}"


def assert_shape(operation, answer):
    """The answer fits botocore's output shape of the operation (types, enums, no unknown keys)."""
    answer = {key: value for key, value in answer.items() if key != "ResponseMetadata"}
    report = ParamValidator().validate(answer, ECS_MODEL.operation_model(operation).output_shape)
    assert not report.has_errors(), report.generate_report()


def versions(url, count):
    seen = collections.Counter()
    for _ in range(count):
        with urllib.request.urlopen(url, timeout=10) as answer:
            seen[answer.read().decode().strip().rsplit(" ", 1)[-1]] += 1
    return seen


def service(aws, stack):
    return aws("ecs").describe_services(cluster=stack.cluster, services=[stack.service])["services"][0]


def test_traffic_steps_and_weights_are_the_strategys():
    assert traffic_steps({"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 15}}) == [(10.0, 15), (100.0, 0)]
    assert traffic_steps({"strategy": "CANARY"}) == [(5.0, 10), (100.0, 0)]  # AWS's defaults
    assert traffic_steps({"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 30.0, "stepBakeTimeInMinutes": 2}}) == [
        (30.0, 2),
        (60.0, 2),
        (90.0, 2),
        (100.0, 0),
    ]
    assert traffic_steps({"strategy": "LINEAR"})[:2] == [(10.0, 6), (20.0, 6)]
    assert traffic_steps({"strategy": "BLUE_GREEN"}) == [(100.0, 0)]
    assert rule_weights(10.0) == (90, 10) and rule_weights(0.1) == (999, 1) and rule_weights(12.5) == (875, 125) and rule_weights(100) == (0, 100)


def test_canary_sends_one_request_in_ten_to_green_then_all(sandbox, aws, prefix):
    stack = testing.native_stack(aws, prefix, "CANARY", canaryConfiguration={"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 40}, bake_minutes=2)
    ecs, elbv2 = aws("ecs"), aws("elbv2")
    created = service(aws, stack)
    assert created["deploymentConfiguration"]["strategy"] == "CANARY"
    assert created["loadBalancers"][0]["advancedConfiguration"]["productionListenerRule"] == stack.prod_rule_arn
    url = listener_url(sandbox.endpoint, stack.load_balancer_name, 80)
    wait_for(lambda: versions(url, 3) == {"v1": 3}, 30, what="v1 serving")
    arn = testing.start(aws, stack, "v2")
    testing.wait_for_deployment(ecs, arn, {"IN_PROGRESS"}, stage="PRODUCTION_TRAFFIC_SHIFT")
    canary = {stack.blue_target_group_arn: 90, stack.green_target_group_arn: 10}
    wait_for(lambda: testing.rule_weights(elbv2, stack.prod_rule_arn) == canary, 10, what="the canary's weights")
    assert testing.rule_weights(elbv2, stack.test_rule_arn) == {stack.blue_target_group_arn: 0, stack.green_target_group_arn: 100}
    during = testing.describe(ecs, arn)
    assert_shape("DescribeServiceDeployments", ecs.describe_service_deployments(serviceDeploymentArns=[arn]))
    assert during["targetServiceRevision"]["requestedProductionTrafficWeight"] == 10.0
    assert during["sourceServiceRevisions"][0]["requestedProductionTrafficWeight"] == 90.0
    both = {item["status"]: item["taskDefinition"].rsplit("/", 1)[-1] for item in service(aws, stack)["deployments"]}
    assert both == {"PRIMARY": f"{stack.family}:2", "ACTIVE": f"{stack.family}:1"}
    seen = versions(url, 300)
    assert 12 <= seen["v2"] <= 50 and seen["v1"] + seen["v2"] == 300, seen  # 10% of 300: 3 sigma is 15.6
    done = testing.wait_for_deployment(ecs, arn, DONE, timeout=60)
    assert done["status"] == "SUCCESSFUL" and done["lifecycleStage"] == "CLEAN_UP" and done["finishedAt"] >= done["startedAt"]
    assert testing.rule_weights(elbv2, stack.prod_rule_arn) == {stack.blue_target_group_arn: 0, stack.green_target_group_arn: 100}
    after = service(aws, stack)
    assert [item["taskDefinition"].rsplit("/", 1)[-1] for item in after["deployments"]] == [f"{stack.family}:2"]
    wait_for(lambda: versions(url, 20) == {"v2": 20}, 30, what="v2 serving all")
    history = ecs.list_service_deployments(cluster=stack.cluster, service=stack.service)
    assert_shape("ListServiceDeployments", history)
    assert [item["status"] for item in history["serviceDeployments"]] == ["SUCCESSFUL", "SUCCESSFUL"]  # this one, then the creation
    revisions = ecs.describe_service_revisions(serviceRevisionArns=[done["targetServiceRevision"]["arn"], done["sourceServiceRevisions"][0]["arn"]])
    assert_shape("DescribeServiceRevisions", revisions)
    assert [item["taskDefinition"].rsplit("/", 1)[-1] for item in revisions["serviceRevisions"]] == [f"{stack.family}:2", f"{stack.family}:1"]


def test_linear_moves_the_weights_step_by_step_and_the_next_release_returns_to_the_first_group(aws, prefix):
    stack = testing.native_stack(aws, prefix, "LINEAR", linearConfiguration={"stepPercent": 30.0, "stepBakeTimeInMinutes": 8}, bake_minutes=0)
    ecs, elbv2 = aws("ecs"), aws("elbv2")
    arn = testing.start(aws, stack, "v2")
    seen = []
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            share = testing.rule_weights(elbv2, stack.prod_rule_arn)[stack.green_target_group_arn]
            if not seen or seen[-1] != share:
                seen.append(share)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    done = testing.wait_for_deployment(ecs, arn, DONE, timeout=60)
    stop.set()
    watcher.join()
    final = testing.rule_weights(elbv2, stack.prod_rule_arn)[stack.green_target_group_arn]
    seen += [final] if seen[-1] != final else []
    assert done["status"] == "SUCCESSFUL"
    assert seen == [0, 30, 60, 90, 100], seen
    # the next release's green is the group production left: blue again
    second = testing.start(aws, stack, "v3")
    first_step = {stack.blue_target_group_arn: 30, stack.green_target_group_arn: 70}
    wait_for(lambda: testing.rule_weights(elbv2, stack.prod_rule_arn) == first_step, 20, what="the first step back towards blue")
    ecs.stop_service_deployment(serviceDeploymentArn=second, stopType="ROLLBACK")
    assert testing.wait_for_deployment(ecs, second, DONE)["status"] == "ROLLBACK_SUCCESSFUL"
    assert testing.rule_weights(elbv2, stack.prod_rule_arn) == {stack.blue_target_group_arn: 0, stack.green_target_group_arn: 100}


def test_blue_green_shifts_all_at_once_after_test_traffic(aws, prefix):
    stack = testing.native_stack(aws, prefix, "BLUE_GREEN", bake_minutes=8)
    ecs, elbv2 = aws("ecs"), aws("elbv2")
    arn = testing.start(aws, stack, "v2")
    testing.wait_for_deployment(ecs, arn, {"IN_PROGRESS"}, stage="BAKE_TIME")
    assert testing.rule_weights(elbv2, stack.prod_rule_arn) == {stack.blue_target_group_arn: 0, stack.green_target_group_arn: 100}
    assert len(service(aws, stack)["deployments"]) == 2  # blue kept through the bake
    assert testing.wait_for_deployment(ecs, arn, DONE)["status"] == "SUCCESSFUL"
    assert len(service(aws, stack)["deployments"]) == 1


def test_an_alarm_from_real_failures_rolls_back_to_blue(sandbox, aws, prefix):
    """The seed's Test 2 on ECS's own canary: v3 fails half its requests, the 5xx alarm rolls it back."""
    alarm = f"{prefix}-5xx-green"
    stack = testing.native_stack(aws, prefix, "CANARY", canaryConfiguration={"canaryPercent": 50.0, "canaryBakeTimeInMinutes": 60}, alarms=True)
    ecs, elbv2 = aws("ecs"), aws("elbv2")
    url = listener_url(sandbox.endpoint, stack.load_balancer_name, 80)
    arn = testing.start(aws, stack, "v3", environment={"SANDBOX_FAILURE_RATE": "0.5"})
    testing.wait_for_deployment(ecs, arn, {"IN_PROGRESS"}, stage="PRODUCTION_TRAFFIC_SHIFT")

    def rolled_back():
        try:
            versions(url, 10)
        except Exception:
            pass  # the 500s of v3
        return testing.describe(ecs, arn)["status"] in DONE

    wait_for(rolled_back, 90, interval=0.01, what="the alarm to roll the canary back")
    done = testing.describe(ecs, arn)
    assert done["status"] == "ROLLBACK_SUCCESSFUL", done
    assert done["alarms"]["status"] == "TRIGGERED" and done["alarms"]["triggeredAlarmNames"] == [alarm]
    assert alarm in done["statusReason"] and done["rollback"]["serviceRevisionArn"] == done["sourceServiceRevisions"][0]["arn"]
    assert testing.rule_weights(elbv2, stack.prod_rule_arn) == {stack.blue_target_group_arn: 100, stack.green_target_group_arn: 0}
    assert testing.rule_weights(elbv2, stack.test_rule_arn) == {stack.blue_target_group_arn: 100, stack.green_target_group_arn: 0}
    after = service(aws, stack)
    assert after["taskDefinition"].endswith(f"{stack.family}:1") and [item["status"] for item in after["deployments"]] == ["PRIMARY"]
    wait_for(lambda: versions(url, 20) == {"v1": 20}, 30, what="v1 serving all again")


def test_a_pause_hook_waits_for_continue(aws, prefix):
    hooks = [{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"], "timeoutConfiguration": {"timeoutInMinutes": 600, "action": "ROLLBACK"}}]
    stack = testing.native_stack(aws, prefix, "BLUE_GREEN", hooks=hooks, bake_minutes=0)
    ecs, elbv2 = aws("ecs"), aws("elbv2")
    arn = testing.start(aws, stack, "v2")
    paused = testing.wait_for_deployment(ecs, arn, {"IN_PROGRESS"}, stage="POST_TEST_TRAFFIC_SHIFT")
    wait_for(lambda: testing.describe(ecs, arn)["lifecycleHookDetails"], 10, what="the hook to pause")
    detail = testing.describe(ecs, arn)["lifecycleHookDetails"][0]
    assert detail["targetType"] == "PAUSE" and detail["status"] == "AWAITING_ACTION" and detail["timeoutAction"] == "ROLLBACK"
    assert paused["status"] == "IN_PROGRESS"
    time.sleep(0.5)
    assert testing.rule_weights(elbv2, stack.prod_rule_arn)[stack.green_target_group_arn] == 0  # production waits
    assert error_of(ecs.continue_service_deployment, serviceDeploymentArn=arn, hookId="nope", action="CONTINUE") == "InvalidParameterException"
    ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=detail["hookId"], action="CONTINUE")
    assert testing.wait_for_deployment(ecs, arn, DONE)["status"] == "SUCCESSFUL"
    assert error_of(ecs.continue_service_deployment, serviceDeploymentArn=arn, hookId=detail["hookId"], action="CONTINUE") == "InvalidParameterException"


@pytest.mark.parametrize("how", ["answered", "timed-out"])
def test_a_pause_hook_answered_rollback_or_timed_out_rolls_back(aws, prefix, how):
    timeout = {"timeoutInMinutes": 600 if how == "answered" else 4, "action": "ROLLBACK"}
    hooks = [{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"], "timeoutConfiguration": timeout}]
    stack = testing.native_stack(aws, prefix, "CANARY", hooks=hooks)
    ecs = aws("ecs")
    arn = testing.start(aws, stack, "v2")
    if how == "answered":
        details = wait_for(lambda: testing.describe(ecs, arn).get("lifecycleHookDetails"), 20, what="the hook to pause")
        ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=details[0]["hookId"], action="ROLLBACK")
    done = testing.wait_for_deployment(ecs, arn, DONE, timeout=30)
    assert done["status"] == "ROLLBACK_SUCCESSFUL"
    assert done["lifecycleHookDetails"][0]["status"] == ("FAILED" if how == "answered" else "TIMED_OUT")
    assert service(aws, stack)["taskDefinition"].endswith(f"{stack.family}:1")


def test_stop_service_deployment_rolls_back_and_refuses_what_it_cannot_stop(aws, prefix):
    stack = testing.native_stack(aws, prefix, "CANARY", canaryConfiguration={"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 600})
    ecs, elbv2 = aws("ecs"), aws("elbv2")
    arn = testing.start(aws, stack, "v2")
    testing.wait_for_deployment(ecs, arn, {"IN_PROGRESS"}, stage="PRODUCTION_TRAFFIC_SHIFT")
    assert error_of(ecs.stop_service_deployment, serviceDeploymentArn=arn, stopType="ABORT") == "InvalidParameterException"
    # a second release while one is in flight is refused, and changes nothing
    second = register_version(ecs, stack.family, "v3")
    assert error_of(ecs.update_service, cluster=stack.cluster, service=stack.service, taskDefinition=second) == "InvalidParameterException"
    assert service(aws, stack)["taskDefinition"].endswith(f"{stack.family}:2")
    answer = ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    assert answer["serviceDeploymentArn"] == arn
    assert testing.describe(ecs, arn)["status"] in ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL")
    done = testing.wait_for_deployment(ecs, arn, DONE)
    assert done["status"] == "ROLLBACK_SUCCESSFUL" and "StopServiceDeployment" in done["rollback"]["reason"]
    assert testing.rule_weights(elbv2, stack.prod_rule_arn) == {stack.blue_target_group_arn: 100, stack.green_target_group_arn: 0}
    assert error_of(ecs.stop_service_deployment, serviceDeploymentArn=arn, stopType="ROLLBACK") == "ConflictException"
    missing = arn.rsplit("/", 1)[0] + "/0000"
    assert error_of(ecs.stop_service_deployment, serviceDeploymentArn=missing, stopType="ROLLBACK") == "ServiceDeploymentNotFoundException"
    described = ecs.describe_service_deployments(serviceDeploymentArns=[missing])
    assert described["failures"] == [{"arn": missing, "reason": "MISSING"}]
    rolled = ecs.list_service_deployments(cluster=stack.cluster, service=stack.service, status=["ROLLBACK_SUCCESSFUL"])["serviceDeployments"]
    assert [item["serviceDeploymentArn"] for item in rolled] == [arn]
    assert error_of(ecs.list_service_deployments, cluster=stack.cluster, service="ghost") == "ServiceNotFoundException"


BAD_SETTINGS = [
    ({"canaryConfiguration": {"canaryPercent": 0.0}}, "canaryPercent"),
    ({"canaryConfiguration": {"canaryPercent": 101.0}}, "canaryPercent"),
    ({"canaryConfiguration": {"canaryPercent": 10.05}}, "multiple of 0.1"),
    ({"canaryConfiguration": {"canaryBakeTimeInMinutes": 1441}}, "canaryBakeTimeInMinutes"),
    ({"bakeTimeInMinutes": 1441}, "bakeTimeInMinutes"),
    ({"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 2.0}}, "stepPercent"),
    ({"strategy": "LINEAR", "canaryConfiguration": {"canaryPercent": 10.0}}, "canaryConfiguration"),
    ({"lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["LATER"]}]}, "lifecycleStages"),
    ({"lifecycleHooks": [{"targetType": "AWS_LAMBDA", "lifecycleStages": ["PRE_SCALE_UP"]}]}, "hookTargetArn"),
    (
        {"lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["PRE_SCALE_UP"], "timeoutConfiguration": {"timeoutInMinutes": 20161}}]},
        "timeoutInMinutes",
    ),
]


@pytest.mark.parametrize("settings, named", BAD_SETTINGS, ids=[named for _, named in BAD_SETTINGS])
def test_bad_settings_are_refused_by_name_and_create_nothing(aws, prefix, settings, named):
    with pytest.raises(Exception) as raised:
        testing.native_stack(aws, prefix, settings.pop("strategy", "CANARY"), **settings)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
    assert named in raised.value.response["Error"]["Message"]
    assert aws("ecs").list_services(cluster=f"{prefix}-cluster")["serviceArns"] == []


def test_a_rule_that_does_not_weigh_both_groups_or_a_missing_role_is_refused(aws, prefix):
    stack = testing.native_stack(aws, prefix, "CANARY")
    ecs, elbv2 = aws("ecs"), aws("elbv2")
    current = service(aws, stack)["loadBalancers"]
    # the test rule forwards to blue alone
    elbv2.modify_rule(RuleArn=stack.test_rule_arn, Actions=[{"Type": "forward", "TargetGroupArn": stack.blue_target_group_arn}])
    with pytest.raises(Exception) as raised:
        ecs.update_service(cluster=stack.cluster, service=stack.service, loadBalancers=current)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException" and "testListenerRule" in raised.value.response["Error"]["Message"]
    elbv2.modify_rule(RuleArn=stack.test_rule_arn, Actions=testing.forward(stack.blue_target_group_arn, stack.green_target_group_arn))
    ghost = [dict(current[0], advancedConfiguration=dict(current[0]["advancedConfiguration"], roleArn=stack.role_arn + "-ghost"))]
    with pytest.raises(Exception) as raised:
        ecs.update_service(cluster=stack.cluster, service=stack.service, loadBalancers=ghost)
    assert "roleArn" in raised.value.response["Error"]["Message"]
    assert service(aws, stack)["loadBalancers"] == current
