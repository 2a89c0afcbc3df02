"""CreateDeployment's checks and the read APIs (get, batch get, list, targets).

One stack serves the whole module: the checks below fail before anything is written,
and the tests that do start a deployment stop it before they end.
"""

import hashlib
import time

import pytest
import yaml
from botocore.exceptions import ClientError

from canary_sandbox.engine.testing import (
    appspec,
    appspec_content,
    appspec_revision,
    green_percent,
    new_image,
    setup_group,
    wait_for,
    wait_for_status,
)
from canary_sandbox.stack import make_ecs_stack

APP = "api"
SLOW = "CodeDeployDefault.ECSCanary10Percent15Minutes"
DONE = {"Succeeded", "Failed", "Stopped"}


@pytest.fixture(scope="module")
def stack(sandbox):
    sandbox.reset()
    built = make_ecs_stack(sandbox.clients, "api")
    setup_group(sandbox.clients, built, APP, deploymentConfigName=SLOW)
    return built


@pytest.fixture
def codedeploy(sandbox, stack):
    client = sandbox.clients("codedeploy")
    yield client
    for deployment_id in client.list_deployments(applicationName=APP, deploymentGroupName=APP, includeOnlyStatuses=["Created", "InProgress", "Ready"])[
        "deployments"
    ]:
        client.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
        wait_for_status(client, deployment_id, DONE, timeout=5)


def create(codedeploy, revision, **kwargs):
    return codedeploy.create_deployment(applicationName=APP, deploymentGroupName=APP, revision=revision, **kwargs)


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as error:
        call(*args, **kwargs)
    return error.value.response["Error"]


def no_deployments(codedeploy):
    return codedeploy.list_deployments(applicationName=APP, deploymentGroupName=APP)["deployments"] == []


@pytest.mark.parametrize(
    "content, words",
    [
        ("{not json: [", "neither valid JSON nor valid YAML"),
        ("- just\n- a list\n", "must be a mapping"),
        ('{"version": 0.0}', "no Resources"),
        ('{"version": 0.0, "Resources": [{"TargetService": {"Type": "AWS::Lambda::Function", "Properties": {}}}]}', "AWS::ECS::Service"),
    ],
)
def test_malformed_appspec_is_an_invalid_revision(codedeploy, content, words):
    error = error_of(create, codedeploy, appspec_revision(content))
    assert error["Code"] == "InvalidRevisionException"
    assert words in error["Message"]
    assert no_deployments(codedeploy)


def test_unknown_task_definition(codedeploy, stack):
    missing = stack.task_definition_arn.rsplit(":", 1)[0] + ":99"
    error = error_of(create, codedeploy, appspec_revision(appspec_content(missing)))
    assert error["Code"] == "InvalidRevisionException" and missing in error["Message"]
    assert no_deployments(codedeploy)


def test_unknown_container_name(codedeploy, stack):
    error = error_of(create, codedeploy, appspec_revision(appspec_content(stack.task_definition_arn, container_name="api")))
    assert error["Code"] == "InvalidRevisionException"
    assert "'api'" in error["Message"] and "web" in error["Message"]


def test_unknown_container_port(codedeploy, stack):
    error = error_of(create, codedeploy, appspec_revision(appspec_content(stack.task_definition_arn, container_port=8080)))
    assert error["Code"] == "InvalidRevisionException"
    assert "8080" in error["Message"] and "80" in error["Message"]


def test_sha256_mismatch(codedeploy, stack):
    content = appspec_content(stack.task_definition_arn)
    error = error_of(create, codedeploy, appspec_revision(content, sha256=hashlib.sha256(b"other").hexdigest()))
    assert error["Code"] == "InvalidRevisionException" and "SHA256" in error["Message"]
    assert no_deployments(codedeploy)


def test_unknown_hook_name(codedeploy, stack):
    content = appspec_content(stack.task_definition_arn, hooks={"ApplicationStart": "fn"})
    assert error_of(create, codedeploy, appspec_revision(content))["Code"] == "InvalidRevisionException"


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"applicationName": "nope", "deploymentGroupName": APP}, "ApplicationDoesNotExistException"),
        ({"applicationName": APP, "deploymentGroupName": "nope"}, "DeploymentGroupDoesNotExistException"),
        ({"applicationName": APP, "deploymentGroupName": APP, "deploymentConfigName": "Nope"}, "DeploymentConfigDoesNotExistException"),
        ({"applicationName": APP, "deploymentGroupName": APP, "deploymentConfigName": "CodeDeployDefault.OneAtATime"}, "InvalidDeploymentConfigNameException"),
        ({"applicationName": APP, "deploymentGroupName": APP, "description": "x" * 513}, "DescriptionTooLongException"),
    ],
)
def test_create_deployment_errors(codedeploy, stack, kwargs, code):
    revision = appspec_revision(appspec_content(stack.task_definition_arn))
    assert error_of(codedeploy.create_deployment, revision=revision, **kwargs)["Code"] == code
    assert no_deployments(codedeploy)


def test_missing_revision(codedeploy):
    assert error_of(codedeploy.create_deployment, applicationName=APP, deploymentGroupName=APP)["Code"] == "RevisionRequiredException"


def test_yaml_string_revision_with_options_is_accepted(codedeploy, stack, sandbox):
    document = appspec(
        new_image(sandbox.clients, stack, "yaml"),
        PlatformVersion="1.4.0",
        NetworkConfiguration={
            "AwsvpcConfiguration": {"Subnets": stack.subnet_ids[:1], "SecurityGroups": [stack.security_group_id], "AssignPublicIp": "DISABLED"}
        },
    )
    content = yaml.safe_dump(document)
    deployment_id = create(codedeploy, {"revisionType": "String", "string": {"content": content}}, deploymentConfigName="CodeDeployDefault.ECSAllAtOnce")[
        "deploymentId"
    ]
    assert wait_for_status(codedeploy, deployment_id, DONE)["status"] == "Succeeded"
    ecs = sandbox.clients("ecs")
    [task_set] = ecs.describe_task_sets(cluster=stack.cluster, service=stack.service)["taskSets"]
    assert task_set["platformVersion"] == "1.4.0"
    assert task_set["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == stack.subnet_ids[:1]


def test_one_active_deployment_per_group(codedeploy, stack):
    revision = appspec_revision(appspec_content(stack.task_definition_arn))
    first = create(codedeploy, revision)["deploymentId"]
    error = error_of(create, codedeploy, revision)
    assert error["Code"] == "DeploymentLimitExceededException"
    assert error["Message"] == f"The Deployment Group '{APP}' already has an active Deployment '{first}'"
    info = codedeploy.get_deployment(deploymentId=first)["deploymentInfo"]
    assert info["status"] in ("Created", "InProgress") and info["deploymentConfigName"] == SLOW
    group = codedeploy.get_deployment_group(applicationName=APP, deploymentGroupName=APP)["deploymentGroupInfo"]
    assert group["lastAttemptedDeployment"]["deploymentId"] == first


def test_deployment_config_override_and_rollback_override(codedeploy, stack):
    revision = appspec_revision(appspec_content(stack.task_definition_arn))
    rollback = {"enabled": True, "events": ["DEPLOYMENT_STOP_ON_REQUEST"]}
    deployment_id = create(codedeploy, revision, deploymentConfigName="CodeDeployDefault.ECSLinear10PercentEvery3Minutes", autoRollbackConfiguration=rollback)[
        "deploymentId"
    ]
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert info["deploymentConfigName"] == "CodeDeployDefault.ECSLinear10PercentEvery3Minutes"
    assert info["autoRollbackConfiguration"] == rollback
    assert info["deploymentStyle"] == {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}
    assert info["revision"] == revision and info["computePlatform"] == "ECS"
    # no autoRollbackEnabled: the deployment's STOP_ON_REQUEST rollback applies
    codedeploy.stop_deployment(deploymentId=deployment_id)
    assert "rollbackDeploymentId" in wait_for_status(codedeploy, deployment_id, DONE, timeout=5)["rollbackInfo"]


def test_get_and_batch_get_and_unknown_ids(codedeploy, stack):
    assert error_of(codedeploy.get_deployment, deploymentId="d-NOPE00000")["Code"] == "DeploymentDoesNotExistException"
    deployment_id = create(codedeploy, appspec_revision(appspec_content(stack.task_definition_arn)))["deploymentId"]
    found = codedeploy.batch_get_deployments(deploymentIds=[deployment_id, "d-NOPE00000"])["deploymentsInfo"]
    assert [info["deploymentId"] for info in found] == [deployment_id]
    assert error_of(codedeploy.batch_get_deployments, deploymentIds=[f"d-{i:09d}" for i in range(26)])["Code"] == "BatchLimitExceededException"


def test_list_deployments_filters_and_pages(codedeploy, stack):
    before = time.time()
    revision = appspec_revision(appspec_content(stack.task_definition_arn))
    deployment_id = create(codedeploy, revision, deploymentConfigName="CodeDeployDefault.ECSAllAtOnce")["deploymentId"]
    wait_for_status(codedeploy, deployment_id, DONE)
    listed = codedeploy.list_deployments(applicationName=APP, deploymentGroupName=APP)["deployments"]
    assert listed[0] == deployment_id  # newest first
    assert codedeploy.list_deployments(applicationName=APP, deploymentGroupName=APP, includeOnlyStatuses=["Succeeded"], createTimeRange={"start": before})[
        "deployments"
    ] == [deployment_id]
    assert codedeploy.list_deployments(createTimeRange={"end": before})["deployments"] == [
        d for d in listed if d != deployment_id and _created(codedeploy, d) <= before
    ]
    assert error_of(codedeploy.list_deployments, applicationName=APP)["Code"] == "DeploymentGroupNameRequiredException"
    assert error_of(codedeploy.list_deployments, includeOnlyStatuses=["Done"])["Code"] == "InvalidDeploymentStatusException"
    assert error_of(codedeploy.list_deployments, nextToken="garbage")["Code"] == "InvalidNextTokenException"
    pages = list(codedeploy.get_paginator("list_deployments").paginate())
    assert sum(len(page["deployments"]) for page in pages) == len(codedeploy.list_deployments()["deployments"])


def _created(codedeploy, deployment_id):
    return codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["createTime"].timestamp()


def test_deployment_targets_while_running(codedeploy, stack, sandbox):
    # the live group is Blue: blue unless an earlier test of this module on the same worker completed a deployment
    elbv2 = sandbox.clients("elbv2")
    live, other = (stack.blue_target_group, stack.green_target_group)
    if green_percent(elbv2, stack.prod_listener_arn, stack.green_target_group_arn) == 100:
        live, other = other, live
    deployment_id = create(codedeploy, appspec_revision(appspec_content(stack.task_definition_arn)))["deploymentId"]
    target_id = f"{stack.cluster}:{stack.service}"

    def canary_target():
        try:
            target = codedeploy.get_deployment_target(deploymentId=deployment_id, targetId=target_id)["deploymentTarget"]["ecsTarget"]
        except ClientError:  # DeploymentNotStartedException for an instant
            return None
        return target if len(target["taskSetsInfo"]) == 2 and target["taskSetsInfo"][0]["trafficWeight"] != 100.0 else None

    target = wait_for(canary_target, timeout=10, what="the canary step")
    weights = {info["taskSetLabel"]: (info["trafficWeight"], info["targetGroup"]["name"]) for info in target["taskSetsInfo"]}
    assert weights == {"Blue": (90.0, live), "Green": (10.0, other)}
    assert all("identifer" in info for info in target["taskSetsInfo"])
    statuses = {event["lifecycleEventName"]: event["status"] for event in target["lifecycleEvents"]}
    assert statuses["Install"] == "Succeeded" and statuses["AllowTraffic"] == "InProgress" and statuses["AfterAllowTraffic"] == "Pending"
    assert target["status"] == "InProgress"
    assert codedeploy.list_deployment_targets(deploymentId=deployment_id, targetFilters={"TargetStatus": ["Succeeded"]})["targetIds"] == []
    batch = codedeploy.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=[target_id])["deploymentTargets"]
    assert batch[0]["ecsTarget"]["targetId"] == target_id
    error = error_of(codedeploy.get_deployment_target, deploymentId=deployment_id, targetId="other:service")
    assert error["Code"] == "DeploymentTargetDoesNotExistException"
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert info["deploymentOverview"]["InProgress"] == 1


def test_continue_and_stop_errors(codedeploy, stack):
    assert error_of(codedeploy.stop_deployment, deploymentId="d-NOPE00000")["Code"] == "DeploymentDoesNotExistException"
    deployment_id = create(codedeploy, appspec_revision(appspec_content(stack.task_definition_arn)))["deploymentId"]
    error = error_of(codedeploy.continue_deployment, deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    assert error["Code"] == "DeploymentIsNotInReadyStateException"
