# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ECS backend: service deployments mapped onto the shapes the release's shared code reads."""

from unittest.mock import MagicMock

import pytest

from ansible_collections.canary.ecs.plugins.module_utils._release import ecs
from ansible_collections.canary.ecs.plugins.module_utils._release.observe import is_terminal, phase, rolled_back, snapshot
from ansible_collections.canary.ecs.plugins.module_utils._release.outcome import outcome
from ansible_collections.canary.ecs.plugins.module_utils._release.progress import Tracker
from ansible_collections.canary.ecs.plugins.module_utils.common import AnsibleCanaryECSError

SERVICE_ARN = "arn:aws:ecs:us-east-1:123456789012:service/prod/web"
ARN = "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/abc123"
BLUE = "arn:aws:ecs:us-east-1:123456789012:service-revision/prod/web/r1"
GREEN = "arn:aws:ecs:us-east-1:123456789012:service-revision/prod/web/r2"
CANARY = {"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 15}, "bakeTimeInMinutes": 5}
ALARMS = {"alarmNames": ["web-5xx"], "enable": True, "rollback": True}


def service(**fields):
    found = {
        "serviceName": "web",
        "serviceArn": SERVICE_ARN,
        "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
        "deploymentController": {"type": "ECS"},
        "deploymentConfiguration": dict(CANARY, alarms=ALARMS),
        "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2",
        "loadBalancers": [{"targetGroupArn": "tg-blue", "advancedConfiguration": {"alternateTargetGroupArn": "tg-green", "productionListenerRule": "rule"}}],
    }
    found.update(fields)
    return found


def deployment(status="IN_PROGRESS", stage="PRODUCTION_TRAFFIC_SHIFT", share=10.0, **fields):
    found = {
        "serviceDeploymentArn": ARN,
        "serviceArn": SERVICE_ARN,
        "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
        "createdAt": 1000.0,
        "startedAt": 1001.0,
        "status": status,
        "lifecycleStage": stage,
        "sourceServiceRevisions": [{"arn": BLUE, "requestedProductionTrafficWeight": 100.0 - share, "requestedTaskCount": 2, "runningTaskCount": 2}],
        "targetServiceRevision": {"arn": GREEN, "requestedProductionTrafficWeight": share, "requestedTaskCount": 2, "runningTaskCount": 2},
        "deploymentConfiguration": dict(CANARY, alarms=ALARMS),
        "alarms": {"status": "MONITORING", "alarmNames": ["web-5xx"]},
    }
    found.update(fields)
    return found


def snap_of(found, rollback=None):
    return snapshot(ecs.as_deployment_info(found), ecs.as_target(found), [], observed_at=2000.0, rollback_info={"status": rollback} if rollback else None)


@pytest.mark.parametrize(
    "stage, share, expected",
    [
        ("SCALE_UP", 0.0, "installing replacement"),
        ("POST_TEST_TRAFFIC_SHIFT", 0.0, "test traffic"),
        ("PRODUCTION_TRAFFIC_SHIFT", 10.0, "canary"),
        ("BAKE_TIME", 100.0, "draining original"),
    ],
)
def test_stages_read_as_the_release_phases(stage, share, expected):
    snap = snap_of(deployment(stage=stage, share=share))
    assert phase(snap) == expected and snap["traffic_share"] == share and snap["status"] == "InProgress"
    assert not is_terminal(snap)


def test_a_pause_hook_awaiting_action_is_a_release_waiting_for_approval():
    found = deployment(stage="POST_TEST_TRAFFIC_SHIFT", share=0.0, lifecycleHookDetails=[{"hookId": "h1", "targetType": "PAUSE", "status": "AWAITING_ACTION"}])
    assert phase(snap_of(found)) == "waiting for approval"


def test_success_and_rollbacks_map_onto_codedeploys_endings():
    done = snap_of(deployment(status="SUCCESSFUL", stage="CLEAN_UP", share=100.0, finishedAt=1100.0))
    assert done["status"] == "Succeeded" and is_terminal(done) and phase(done) == "succeeded"
    alarmed = deployment(
        status="ROLLBACK_IN_PROGRESS",
        alarms={"status": "TRIGGERED", "alarmNames": ["web-5xx"], "triggeredAlarmNames": ["web-5xx"]},
        statusReason="Service deployment rolled back because of alarm(s): web-5xx.",
        rollback={"reason": "Service deployment rolled back because of alarm(s): web-5xx.", "startedAt": 1050.0, "serviceRevisionArn": BLUE},
    )
    rolling = snap_of(alarmed, rollback="InProgress")
    assert rolling["status"] == "Stopped" and rolling["error_code"] == "ALARM_ACTIVE" and not is_terminal(rolling) and phase(rolling) == "rolling back"
    ended = snap_of(dict(alarmed, status="ROLLBACK_SUCCESSFUL"), rollback="Succeeded")
    assert is_terminal(ended) and rolled_back(ended) and phase(ended) == "rolled back"
    stopped = ecs.as_deployment_info(
        dict(alarmed, alarms={"status": "MONITORING"}, rollback={"reason": "Service deployment rolled back by StopServiceDeployment."})
    )
    assert stopped["errorInformation"]["code"] == "MANUAL_STOP"
    timed_out = ecs.as_deployment_info(
        dict(alarmed, alarms={"status": "MONITORING"}, rollback=None, statusReason="Lifecycle hook h1 timed out after 60 minutes.")
    )
    assert timed_out["status"] == "Failed" and timed_out["errorInformation"]["code"] == "TIMEOUT"


def test_an_alarm_no_look_saw_the_share_of_says_so():
    found = deployment(
        status="ROLLBACK_SUCCESSFUL",
        share=0.0,
        alarms={"status": "TRIGGERED", "alarmNames": ["web-5xx"], "triggeredAlarmNames": ["web-5xx"]},
        rollback={"reason": "alarm(s): web-5xx", "serviceRevisionArn": BLUE},
        statusReason="Service deployment rolled back because of alarm(s): web-5xx.",
    )
    info = ecs.as_deployment_info(found)
    snap = snapshot(info, ecs.as_target(found), [{"AlarmName": "web-5xx", "StateValue": "ALARM", "StateUpdatedTimestamp": 1990.0}], observed_at=2000.0)
    tracker = Tracker()
    tracker.observe(snap)
    said = outcome(tracker, snap, "the release of v3")
    assert "web-5xx" in said["message"] and "no look saw its share" in said["message"] and "at 0%" not in said["message"]


def test_the_strategy_is_the_plan():
    route = ecs.as_route(
        service(deploymentConfiguration=dict(CANARY, lifecycleHooks=[{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]))
    )
    backend = ecs.EcsBackend(MagicMock())
    planned = backend.plan(route, None, 1.0)
    assert [(step["share"], step["minutes"]) for step in planned["steps"]] == [(10.0, 15.0), (100.0, 0.0)]
    assert planned["termination_wait_minutes"] == 5.0 and planned["wait_for_approval"] and planned["minute_seconds"] == 1.0
    linear = backend.plan(
        ecs.as_route(service(deploymentConfiguration={"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 25.0, "stepBakeTimeInMinutes": 2}})), None
    )
    assert [step["share"] for step in linear["steps"]] == [25.0, 50.0, 75.0, 100.0]
    assert ecs.strategy_label(CANARY) == "ECS CANARY 10% for 15 min"
    with pytest.raises(AnsibleCanaryECSError, match="deployment_config_name is CodeDeploy's"):
        backend.plan(route, "CodeDeployDefault.ECSAllAtOnce")


@pytest.mark.parametrize(
    "fields, named",
    [
        ({"deploymentController": {"type": "CODE_DEPLOY"}}, "CODE_DEPLOY deployment controller"),
        ({"deploymentConfiguration": {"strategy": "ROLLING"}}, "ROLLING strategy"),
        ({"loadBalancers": [{"targetGroupArn": "tg-blue"}]}, "no advancedConfiguration"),
    ],
)
def test_a_service_ecs_cannot_release_as_a_canary_is_named(fields, named):
    assert named in ecs.route_problem(service(**fields))
    assert ecs.backend_of(service(**fields)) == "codedeploy" and ecs.backend_of(service()) == "ecs"


def clients_with(ecs_client, cloudwatch=None):
    cloudwatch = cloudwatch or MagicMock()
    cloudwatch.describe_alarms.return_value = {"MetricAlarms": [{"AlarmName": "web-5xx", "StateValue": "OK"}], "CompositeAlarms": []}
    return lambda name, region=None: {"ecs": ecs_client, "cloudwatch": cloudwatch}[name]


def test_a_look_is_two_calls():
    client = MagicMock()
    client.describe_service_deployments.return_value = {"serviceDeployments": [deployment()]}
    client.describe_service_revisions.return_value = {"serviceRevisions": [{"serviceRevisionArn": GREEN, "taskDefinition": "web:3"}]}
    cloudwatch = MagicMock()
    backend = ecs.EcsBackend(clients_with(client, cloudwatch))
    first = backend.look(ARN, None, ["web-5xx"])
    backend.look(ARN, None, ["web-5xx"])
    assert first["traffic_share"] == 10.0 and first["backend"] == "ecs"
    assert client.describe_service_deployments.call_count == 2 and cloudwatch.describe_alarms.call_count == 2
    assert client.describe_service_revisions.call_count == 0
    info = ecs.as_deployment_info(deployment())
    assert backend.released_revision(info) == backend.released_revision(info) == "web:3"
    assert client.describe_service_revisions.call_count == 1  # a revision is read once


def test_start_follows_the_deployment_ecs_lists_a_moment_after_update_service():
    client = MagicMock()
    listed = [{"serviceDeployments": []}, {"serviceDeployments": [{"serviceDeploymentArn": ARN}]}]
    client.list_service_deployments.side_effect = listed
    client.describe_service_deployments.return_value = {"serviceDeployments": [deployment(status="PENDING")]}
    client.describe_service_revisions.return_value = {"serviceRevisions": [{"serviceRevisionArn": GREEN, "taskDefinition": "web:3"}]}
    backend = ecs.EcsBackend(clients_with(client))
    route = ecs.as_route(service())
    slept = []
    backend._started = lambda route_, arn, clock=None, sleep=None, original=backend._started: original(route_, arn, sleep=slept.append)
    assert backend.start(route, {"taskDefinition": "web:3"}) == ARN
    assert client.update_service.call_args.kwargs["taskDefinition"] == "web:3" and slept == [1.0]


def test_stop_always_rolls_back_and_the_bake_cannot_be_cut():
    client = MagicMock()
    client.describe_service_deployments.return_value = {
        "serviceDeployments": [
            deployment(stage="POST_TEST_TRAFFIC_SHIFT", lifecycleHookDetails=[{"hookId": "h1", "targetType": "PAUSE", "status": "AWAITING_ACTION"}])
        ]
    }
    backend = ecs.EcsBackend(clients_with(client))
    with pytest.raises(AnsibleCanaryECSError, match="only by rolling it back"):
        backend.stop(ARN, False)
    assert backend.stop(ARN, True) is True
    assert client.stop_service_deployment.call_args.kwargs["stopType"] == "ROLLBACK"
    with pytest.raises(AnsibleCanaryECSError, match="bake time early"):
        backend.resume(ARN, "TERMINATION_WAIT")
    assert backend.resume(ARN, "READY_WAIT") is True
    assert client.continue_service_deployment.call_args.kwargs == {"aws_retry": True, "serviceDeploymentArn": ARN, "hookId": "h1", "action": "CONTINUE"}


def test_codedeploy_names_are_refused_with_the_ecs_backend():
    backend = ecs.EcsBackend(clients_with(MagicMock()))
    with pytest.raises(AnsibleCanaryECSError, match="application_name and deployment_group_name name a CodeDeploy deployment group"):
        backend.find("prod", "web", "web-app", "web-dg")


def test_a_glance_is_one_call_while_in_progress():
    client = MagicMock()
    client.describe_service_deployments.return_value = {"serviceDeployments": [deployment()]}
    cloudwatch = MagicMock()
    backend = ecs.EcsBackend(clients_with(client, cloudwatch))
    glanced = backend.glance(ARN, None)
    assert glanced["glance"] and glanced["traffic_share"] == 10.0 and glanced["status"] == "InProgress"
    assert client.describe_service_deployments.call_count == 1 and cloudwatch.describe_alarms.call_count == 0
    waiting = deployment(stage="POST_TEST_TRAFFIC_SHIFT", lifecycleHookDetails=[{"hookId": "h1", "status": "AWAITING_ACTION"}])
    for other in (deployment(status="SUCCESSFUL", stage="CLEAN_UP", share=100.0), deployment(status="ROLLBACK_IN_PROGRESS"), waiting):
        client.describe_service_deployments.return_value = {"serviceDeployments": [other]}
        assert backend.glance(ARN, None) is None
