# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The release decisions with fake AWS clients: no-op, attach, conflict, check mode, preflight order, stop."""

import json
from unittest.mock import MagicMock

import botocore.exceptions
import pytest

from ansible_collections.canary.ecs.plugins.module_utils._release import appspec, release
from ansible_collections.canary.ecs.plugins.module_utils._release.codedeploy import CodeDeployBackend
from ansible_collections.canary.ecs.plugins.module_utils.common import AnsibleCanaryECSError
from ansible_collections.canary.ecs.plugins.modules import ecs_deployment
from ansible_collections.canary.ecs.tests.unit.plugins.module_utils.fakes import FakeModule, client_error, paginating, spec_defaults

TD1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"
TD2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
CONTAINER = {"name": "app", "image": "web:v1", "portMappings": [{"containerPort": 80}], "environment": []}
TASK_DEFINITIONS = {
    TD1: {"taskDefinitionArn": TD1, "family": "web", "revision": 1, "containerDefinitions": [CONTAINER]},
    TD2: {"taskDefinitionArn": TD2, "family": "web", "revision": 2, "containerDefinitions": [dict(CONTAINER, image="web:v2")]},
}
SERVICE = {
    "serviceName": "web",
    "status": "ACTIVE",
    "deploymentController": {"type": "CODE_DEPLOY"},
    "taskDefinition": TD1,
    "taskSets": [{"status": "PRIMARY", "taskDefinition": TD1}],
    "loadBalancers": [{"containerName": "app", "containerPort": 80}],
}
GROUP = {
    "applicationName": "web-app",
    "deploymentGroupName": "web-dg",
    "deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce",
    "ecsServices": [{"clusterName": "prod", "serviceName": "web"}],
    "alarmConfiguration": {"enabled": True, "alarms": [{"name": "web-5xx"}]},
}


# the module's own options and defaults, so a test cannot drift from what a playbook gets
RELEASE_PARAMS = spec_defaults(
    ecs_deployment.ARGUMENT_SPEC,
    cluster="prod",
    service="web",
    application_name="web-app",
    deployment_group_name="web-dg",
    wait=False,
    wait_timeout=60,
    poll_interval=1,
    endpoint_url=None,
    region="us-east-1",
)


def module(check_mode=False, **params):
    return FakeModule(check_mode=check_mode, defaults=RELEASE_PARAMS, **params)


def fake_clients(in_flight=(), alarm_state="OK"):
    ecs, codedeploy, cloudwatch = MagicMock(), paginating(MagicMock()), MagicMock()
    ecs.describe_services.return_value = {"services": [SERVICE]}
    ecs.describe_task_definition.side_effect = lambda taskDefinition, **kw: {"taskDefinition": TASK_DEFINITIONS[taskDefinition], "tags": []}
    ecs.register_task_definition.return_value = {"taskDefinition": dict(TASK_DEFINITIONS[TD2], taskDefinitionArn=TD2.replace(":2", ":3"), revision=3)}
    codedeploy.get_deployment_group.return_value = {"deploymentGroupInfo": GROUP}
    codedeploy.get_deployment_config.return_value = {"deploymentConfigInfo": {"trafficRoutingConfig": {"type": "AllAtOnce"}}}
    codedeploy.list_deployments.return_value = {"deployments": [d["deploymentId"] for d in in_flight]}
    codedeploy.batch_get_deployments.return_value = {"deploymentsInfo": list(in_flight)}
    codedeploy.create_deployment.return_value = {"deploymentId": "d-NEW"}
    codedeploy.get_deployment.side_effect = lambda deploymentId, **kw: {
        "deploymentInfo": {"deploymentId": deploymentId, "status": "InProgress", "applicationName": "web-app", "deploymentGroupName": "web-dg"}
    }
    codedeploy.batch_get_deployment_targets.return_value = {"deploymentTargets": []}
    cloudwatch.describe_alarms.return_value = {"MetricAlarms": [{"AlarmName": "web-5xx", "StateValue": alarm_state}]}
    by_name = {"ecs": ecs, "codedeploy": codedeploy, "cloudwatch": cloudwatch}
    return lambda service, region=None: by_name[service]


def backend(clients):
    return CodeDeployBackend(clients)


def deployment_of(task_definition_arn, deployment_id="d-OLD", status="InProgress"):
    return {"deploymentId": deployment_id, "status": status, "creator": "user", "revision": appspec.revision(appspec.build(task_definition_arn, "app", 80))}


def release_error(clients, image_tag="v2"):
    """The error a release of image_tag fails with (it must fail)."""
    with pytest.raises(AnsibleCanaryECSError) as caught:
        release.release(module(image_tag=image_tag), backend(clients))
    return caught.value


def test_same_image_live_and_nothing_in_flight_is_a_no_op():
    clients = fake_clients()
    result, failed = release.release(module(image_tag="v1"), backend(clients))
    assert not failed and result["changed"] is False and result["status"] == "Live"
    clients("ecs").register_task_definition.assert_not_called()
    clients("codedeploy").create_deployment.assert_not_called()


def test_a_new_tag_registers_a_revision_and_starts_one_deployment_with_its_appspec():
    clients = fake_clients()
    result, failed = release.release(module(image_tag="v2"), backend(clients))
    assert not failed and result["changed"] and result["deployment_id"] == "d-NEW" and result["attached"] is False
    registered = clients("ecs").register_task_definition.call_args.kwargs
    assert registered["family"] == "web" and registered["containerDefinitions"][0]["image"] == "web:v2"
    create = clients("codedeploy").create_deployment.call_args.kwargs
    spec = json.loads(create["revision"]["appSpecContent"]["content"])
    assert appspec.target_properties(spec)["TaskDefinition"] == TD2.replace(":2", ":3")
    assert create["applicationName"] == "web-app" and create["deploymentGroupName"] == "web-dg"


def test_a_deployment_codedeploy_refuses_takes_back_the_revision_registered_for_it():
    clients = fake_clients()
    clients("codedeploy").create_deployment.side_effect = client_error("AccessDeniedException", "CreateDeployment", "not allowed")
    error = release_error(clients)
    clients("ecs").deregister_task_definition.assert_called_once_with(aws_retry=True, taskDefinition=TD2.replace(":2", ":3"))
    assert error.message == ("Failed to start the CodeDeploy deployment (the revision web:3 registered for it was deregistered again; nothing else changed)")
    assert error.exception.response["Error"]["Code"] == "AccessDeniedException"


def test_a_deployment_lost_in_transit_keeps_its_revision():
    clients = fake_clients()
    clients("codedeploy").create_deployment.side_effect = botocore.exceptions.ReadTimeoutError(endpoint_url="http://127.0.0.1:1")
    error = release_error(clients)
    clients("ecs").deregister_task_definition.assert_not_called()
    assert "the revision web:3 registered for it is kept, in case the deployment started anyway" in error.message


def test_a_revision_that_cannot_be_taken_back_is_named():
    clients = fake_clients()
    clients("codedeploy").create_deployment.side_effect = client_error("AccessDeniedException", "CreateDeployment")
    clients("ecs").deregister_task_definition.side_effect = client_error("AccessDeniedException", "DeregisterTaskDefinition")
    error = release_error(clients)
    assert "the revision web:3 registered for it could not be deregistered" in error.message
    assert error.message.endswith("deregister it by hand)")


def test_the_same_release_in_flight_is_attached_to_not_started_again():
    clients = fake_clients(in_flight=[deployment_of(TD2)])
    result, failed = release.release(module(image_tag="v2"), backend(clients))
    assert not failed and result["attached"] is True and result["deployment_id"] == "d-OLD"
    clients("ecs").register_task_definition.assert_not_called()
    clients("codedeploy").create_deployment.assert_not_called()


def moved_on_while_read(clients, ended_on):
    """The service was read mid-release (two task sets); the deployment has ended by the time the in-flight list is read."""
    mid_release = dict(SERVICE, taskSets=[{"status": "PRIMARY", "taskDefinition": TD1}, {"status": "ACTIVE", "taskDefinition": TD2}])
    after = dict(SERVICE, taskDefinition=ended_on, taskSets=[{"status": "PRIMARY", "taskDefinition": ended_on}])
    clients("ecs").describe_services.side_effect = [{"services": [mid_release]}, {"services": [after]}]


def test_a_release_that_ends_while_it_is_read_is_live_not_started_again():
    clients = fake_clients()
    moved_on_while_read(clients, ended_on=TD2)
    result, failed = release.release(module(image_tag="v2"), backend(clients))
    assert not failed and result["changed"] is False and result["status"] == "Live" and result["task_definition_arn"] == TD2
    clients("ecs").register_task_definition.assert_not_called()
    clients("ecs").deregister_task_definition.assert_not_called()
    clients("codedeploy").create_deployment.assert_not_called()


def test_a_release_rolled_back_while_it_is_read_starts_from_what_is_live():
    clients = fake_clients()
    moved_on_while_read(clients, ended_on=TD1)
    result, failed = release.release(module(image_tag="v2"), backend(clients))
    assert not failed and result["changed"] and result["deployment_id"] == "d-NEW" and result["previous_task_definition_arn"] == TD1
    assert clients("ecs").describe_services.call_count == 2


def test_a_steady_service_is_read_once():
    clients = fake_clients()
    release.release(module(image_tag="v2"), backend(clients))
    assert clients("ecs").describe_services.call_count == 1


def test_another_release_in_flight_fails_naming_it():
    clients = fake_clients(in_flight=[deployment_of(TD2)])
    error = release_error(clients, image_tag="v3")
    assert "d-OLD" in error.message and "web:2" in error.message and "web:v3" in error.message
    clients("codedeploy").create_deployment.assert_not_called()


def test_an_image_tag_with_a_space_fails_before_anything_is_read_or_registered():
    clients = fake_clients()
    error = release_error(clients, image_tag="v 2")
    assert error.message.startswith("image_tag 'v 2' is not an image tag")
    clients("ecs").register_task_definition.assert_not_called()
    clients("codedeploy").create_deployment.assert_not_called()


def test_an_unknown_deployment_config_fails_before_anything_is_registered():
    clients = fake_clients()
    clients("codedeploy").get_deployment_config.side_effect = client_error("DeploymentConfigDoesNotExistException", "GetDeploymentConfig")
    with pytest.raises(AnsibleCanaryECSError) as caught:
        release.release(module(image_tag="v2", deployment_config_name="Nope"), backend(clients))
    assert caught.value.message.startswith("deployment_config_name 'Nope' is not a CodeDeploy deployment config")
    clients("ecs").register_task_definition.assert_not_called()
    clients("codedeploy").create_deployment.assert_not_called()


def test_check_mode_registers_and_starts_nothing():
    clients = fake_clients()
    result, failed = release.release(module(check_mode=True, image_tag="v2"), backend(clients))
    assert not failed and result["changed"] and result["msg"].startswith("Would register a revision of web with web:v2")
    assert result["task_definition"]["containerDefinitions"][0]["image"] == "web:v2"
    clients("ecs").register_task_definition.assert_not_called()
    clients("codedeploy").create_deployment.assert_not_called()


def test_an_alarm_already_in_alarm_fails_before_anything_is_registered():
    clients = fake_clients(alarm_state="ALARM")
    error = release_error(clients)
    assert "web-5xx already in ALARM" in error.message
    clients("ecs").register_task_definition.assert_not_called()


def test_a_service_under_the_ecs_controller_fails_first():
    clients = fake_clients()
    clients("ecs").describe_services.return_value = {"services": [dict(SERVICE, deploymentController={"type": "ECS"})]}
    error = release_error(clients)
    assert "needs CODE_DEPLOY" in error.message
    clients("codedeploy").get_deployment_group.assert_not_called()


def test_stop_with_nothing_in_flight_is_a_no_op():
    clients = fake_clients()
    result, failed = release.stop(module(state="stopped"), backend(clients))
    assert not failed and result["changed"] is False and "nothing to stop" in result["msg"]
    clients("codedeploy").stop_deployment.assert_not_called()


def test_stop_rolls_back_the_in_flight_deployment():
    clients = fake_clients(in_flight=[deployment_of(TD2)])
    result, failed = release.stop(module(state="stopped"), backend(clients))
    assert not failed and result["changed"] and result["stopped"] == ["d-OLD"]
    clients("codedeploy").stop_deployment.assert_called_once_with(aws_retry=True, deploymentId="d-OLD", autoRollbackEnabled=True)


def test_continue_only_acts_on_a_deployment_waiting_for_approval():
    clients = fake_clients(in_flight=[deployment_of(TD2)])
    result, failed = release.promote(module(state="continued"), backend(clients))
    assert not failed and result["changed"] is False and "d-OLD (InProgress)" in result["msg"]
    clients = fake_clients(in_flight=[deployment_of(TD2, status="Ready")])
    result, failed = release.promote(module(state="continued"), backend(clients))
    assert result["changed"] and result["continued"] == ["d-OLD"]
    clients("codedeploy").continue_deployment.assert_called_once_with(aws_retry=True, deploymentId="d-OLD", deploymentWaitType="READY_WAIT")


def test_stop_without_a_deployment_group_is_a_no_op():
    clients = fake_clients()
    clients("codedeploy").get_deployment_group.side_effect = None
    clients("codedeploy").get_deployment_group.return_value = {"deploymentGroupInfo": None}
    result, failed = release.stop(module(state="stopped"), backend(clients))
    assert not failed and result["changed"] is False
    clients("codedeploy").list_deployments.assert_not_called()


def test_a_look_at_a_deployment_by_id_is_four_calls():
    clients = fake_clients()
    result, failed = release.follow(module(deployment_id="d-OLD", wait=False), backend(clients))
    assert not failed and result["status"] == "InProgress" and result["attached"]
    codedeploy, cloudwatch = clients("codedeploy"), clients("cloudwatch")
    assert codedeploy.get_deployment.call_count == 1
    assert codedeploy.get_deployment_group.call_count == 1  # its alarms
    assert codedeploy.batch_get_deployment_targets.call_count == 1
    assert cloudwatch.describe_alarms.call_count == 1
    assert cloudwatch.describe_alarms.call_args.kwargs["AlarmNames"] == ["web-5xx"]
    clients("ecs").describe_services.assert_not_called()


def test_a_look_with_known_alarms_is_three_calls():
    clients = fake_clients()
    snap = backend(clients).look("d-OLD", "prod:web", ["web-5xx"])
    assert snap["status"] == "InProgress" and snap["alarms"]["web-5xx"]["state"] == "OK"
    codedeploy = clients("codedeploy")
    assert (codedeploy.get_deployment.call_count, codedeploy.batch_get_deployment_targets.call_count, clients("cloudwatch").describe_alarms.call_count) == (
        1,
        1,
        1,
    )
    codedeploy.get_deployment_group.assert_not_called()


def test_a_glance_is_one_call_while_the_target_is_in_progress_and_a_full_look_after():
    clients = fake_clients()
    codedeploy = clients("codedeploy")
    codedeploy.batch_get_deployment_targets.return_value = {
        "deploymentTargets": [
            {
                "ecsTarget": {
                    "targetId": "prod:web",
                    "status": "InProgress",
                    "taskSetsInfo": [{"taskSetLabel": "Green", "trafficWeight": 10.0}, {"taskSetLabel": "Blue", "trafficWeight": 90.0}],
                    "lifecycleEvents": [{"lifecycleEventName": "AllowTraffic", "status": "InProgress"}],
                }
            }
        ]
    }
    result, failed = release.follow(module(deployment_id="d-OLD", wait=False, look="glance"), backend(clients))
    assert not failed and result["status"] == "InProgress" and result["terminal"] is False
    seen = result["observation"]
    assert seen["glance"] and seen["traffic_share"] == 10.0 and seen["target_status"] == "InProgress" and "alarms" not in seen
    assert codedeploy.batch_get_deployment_targets.call_count == 1
    codedeploy.get_deployment.assert_not_called()
    clients("cloudwatch").describe_alarms.assert_not_called()
    # the target ended: the glance is a full look, which tells how the deployment ended
    codedeploy.batch_get_deployment_targets.return_value["deploymentTargets"][0]["ecsTarget"]["status"] = "Succeeded"
    result, failed = release.follow(module(deployment_id="d-OLD", wait=False, look="glance"), backend(clients))
    assert "glance" not in result["observation"] and result["observation"]["alarms"]["web-5xx"]["state"] == "OK"
    assert codedeploy.get_deployment.call_count == 1 and codedeploy.batch_get_deployment_targets.call_count == 3


def test_a_look_before_codedeploy_started_the_deployment_reads_no_target():
    clients = fake_clients()
    codedeploy = clients("codedeploy")
    codedeploy.get_deployment.side_effect = lambda deploymentId, **kw: {
        "deploymentInfo": {"deploymentId": deploymentId, "status": "Created", "applicationName": "web-app", "deploymentGroupName": "web-dg"}
    }
    snap = backend(clients).look("d-NEW", "prod:web", ["web-5xx"])
    assert snap["status"] == "Created" and not snap.get("task_sets") and snap.get("traffic_share") is None
    codedeploy.batch_get_deployment_targets.assert_not_called()
    # started between the two reads is the same as not started yet: CodeDeploy answers DeploymentNotStartedException
    codedeploy.get_deployment.side_effect = None
    codedeploy.get_deployment.return_value = {"deploymentInfo": {"deploymentId": "d-NEW", "status": "InProgress"}}
    codedeploy.batch_get_deployment_targets.side_effect = client_error(
        "DeploymentNotStartedException", "BatchGetDeploymentTargets", "The deployment d-NEW has not started yet."
    )
    snap = backend(clients).look("d-NEW", "prod:web", ["web-5xx"])
    assert snap["status"] == "InProgress" and not snap.get("task_sets")


TD3 = TD2.replace(":2", ":3")


def test_a_create_whose_answer_was_lost_is_recognised_and_followed_never_undone():
    """CreateDeployment started the deployment, but its answer was lost and botocore's retry was refused,
    naming the deployment this very call had created: the release follows it, the revision stays."""
    clients = fake_clients()
    codedeploy = clients("codedeploy")
    codedeploy.create_deployment.side_effect = client_error(
        "DeploymentLimitExceededException", "CreateDeployment", "The Deployment Group 'web-dg' already has an active Deployment 'd-LOST'"
    )
    # nothing in flight at the preflight; once the refusal came back, the deployment of the revision just registered
    codedeploy.list_deployments.side_effect = [{"deployments": []}, {"deployments": ["d-LOST"]}]
    codedeploy.batch_get_deployments.return_value = {"deploymentsInfo": [deployment_of(TD3, "d-LOST")]}
    result, failed = release.release(module(image_tag="v2"), backend(clients))
    assert not failed and result["deployment_id"] == "d-LOST" and result["task_definition_arn"] == TD3
    clients("ecs").deregister_task_definition.assert_not_called()
    assert any("d-LOST" in warning and "this very revision" in warning for warning in result["warnings"])


def test_a_refused_create_with_someone_elses_deployment_in_flight_still_takes_the_revision_back():
    clients = fake_clients()
    codedeploy = clients("codedeploy")
    codedeploy.create_deployment.side_effect = client_error("DeploymentLimitExceededException", "CreateDeployment", "already has an active Deployment")
    codedeploy.list_deployments.side_effect = [{"deployments": []}, {"deployments": ["d-OTHER"]}]
    codedeploy.batch_get_deployments.return_value = {"deploymentsInfo": [deployment_of(TD2, "d-OTHER")]}
    release_error(clients)
    clients("ecs").deregister_task_definition.assert_called_once_with(aws_retry=True, taskDefinition=TD3)


def test_a_revision_a_retried_registration_left_behind_is_deregistered():
    """RegisterTaskDefinition's answer was lost and botocore retried: ECS registered :2 and :3 alike."""
    clients = fake_clients()
    ecs = clients("ecs")
    now = 1764655200.0
    leftover = dict(TASK_DEFINITIONS[TD2], registeredAt=now - 2)
    other = dict(TASK_DEFINITIONS[TD2], registeredAt=now - 3600)  # same content, an hour old: someone's own revision
    described = {TD1: TASK_DEFINITIONS[TD1], TD2: leftover, TD2.replace(":2", ":9"): other}
    ecs.describe_task_definition.side_effect = lambda taskDefinition, **kw: {"taskDefinition": described[taskDefinition], "tags": []}
    ecs.register_task_definition.return_value = {"taskDefinition": dict(TASK_DEFINITIONS[TD2], taskDefinitionArn=TD3, revision=3, registeredAt=now)}
    ecs.list_task_definitions.return_value = {"taskDefinitionArns": [TD3, TD2, TD1]}
    result, failed = release.release(module(image_tag="v2"), backend(clients))
    assert not failed and result["task_definition_arn"] == TD3
    ecs.deregister_task_definition.assert_called_once_with(aws_retry=True, taskDefinition=TD2)
    assert any("web:2" in warning and "retried registration" in warning for warning in result["warnings"])


def test_an_older_revision_of_the_same_content_is_not_a_leftover():
    clients = fake_clients()
    ecs = clients("ecs")
    now = 1764655200.0
    described = {TD1: TASK_DEFINITIONS[TD1], TD2: dict(TASK_DEFINITIONS[TD2], registeredAt=now - 3600)}
    ecs.describe_task_definition.side_effect = lambda taskDefinition, **kw: {"taskDefinition": described[taskDefinition], "tags": []}
    ecs.register_task_definition.return_value = {"taskDefinition": dict(TASK_DEFINITIONS[TD2], taskDefinitionArn=TD3, revision=3, registeredAt=now)}
    ecs.list_task_definitions.return_value = {"taskDefinitionArns": [TD3, TD2, TD1]}
    release.release(module(image_tag="v2"), backend(clients))
    ecs.deregister_task_definition.assert_not_called()
