"""CodeDeploy ECS deployment groups through boto3: every field echoed, every misuse refused
with AWS's error code, and every write read back from the sandbox."""

import copy
import json
import uuid

import pytest

from canary_sandbox.stack import CODEDEPLOY_TRUST_POLICY, GROUP_ARN, SharedStack, error_of, unvalidated_client

# a fresh sandbox for the module (conftest.empty_sandbox); each test clears CodeDeploy (conftest.codedeploy)
pytestmark = pytest.mark.usefixtures("empty_sandbox")

TOPIC = "arn:aws:sns:us-east-1:123456789012:deployments"

# These tests change CodeDeploy state only, so they share two stacks instead of resetting
# the sandbox (and rebuilding moto's EC2 backend) for every test.
SHARED = SharedStack("dg")
SHARED_OTHER = SharedStack("dg2", cidr="10.1.0.0/16")


@pytest.fixture
def clients(sandbox):
    return sandbox.clients


@pytest.fixture
def stack(clients, codedeploy):
    stack = SHARED.get(clients)
    codedeploy.create_application(applicationName="shop", computePlatform="ECS")
    return stack


@pytest.fixture
def other(clients, stack):
    """A second stack: another service, target groups and listeners."""
    return SHARED_OTHER.get(clients)


def get_group(codedeploy, name, application="shop"):
    return codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=name)["deploymentGroupInfo"]


def full_args(stack, name="web"):
    return stack.deployment_group_args(
        "shop",
        name,
        deploymentConfigName="CodeDeployDefault.ECSCanary10Percent15Minutes",
        alarmConfiguration={"enabled": True, "ignorePollAlarmFailure": True, "alarms": [{"name": "canary-5xx"}, {"name": "canary-latency"}]},
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]},
        triggerConfigurations=[{"triggerName": "notify", "triggerTargetArn": TOPIC, "triggerEvents": ["DeploymentFailure", "DeploymentRollback"]}],
        blueGreenDeploymentConfiguration={
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 15},
            "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30},
        },
        outdatedInstancesStrategy="IGNORE",
    )


def test_create_echoes_every_field(stack, codedeploy):
    args = full_args(stack)
    group_id = codedeploy.create_deployment_group(**args)["deploymentGroupId"]
    assert uuid.UUID(group_id)
    info = get_group(codedeploy, "web")
    assert info == {
        "applicationName": "shop",
        "deploymentGroupId": group_id,
        "deploymentGroupName": "web",
        "deploymentConfigName": "CodeDeployDefault.ECSCanary10Percent15Minutes",
        "ec2TagFilters": [],
        "onPremisesInstanceTagFilters": [],
        "autoScalingGroups": [],
        "serviceRoleArn": stack.role_arn,
        "triggerConfigurations": args["triggerConfigurations"],
        "alarmConfiguration": args["alarmConfiguration"],
        "autoRollbackConfiguration": args["autoRollbackConfiguration"],
        "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "outdatedInstancesStrategy": "IGNORE",
        "blueGreenDeploymentConfiguration": args["blueGreenDeploymentConfiguration"],
        "loadBalancerInfo": stack.load_balancer_info(),
        "ec2TagSet": {"ec2TagSetList": []},
        "onPremisesTagSet": {"onPremisesTagSetList": []},
        "computePlatform": "ECS",
        "ecsServices": [{"serviceName": stack.service, "clusterName": stack.cluster}],
        "terminationHookEnabled": False,
    }


def test_defaults_of_a_minimal_group(stack, codedeploy):
    args = stack.deployment_group_args("shop", "min", loadBalancerInfo=stack.load_balancer_info(with_test_listener=False))
    del args["blueGreenDeploymentConfiguration"]
    codedeploy.create_deployment_group(**args)
    info = get_group(codedeploy, "min")
    assert info["deploymentConfigName"] == "CodeDeployDefault.ECSAllAtOnce"
    assert info["alarmConfiguration"] == {"enabled": False, "ignorePollAlarmFailure": False, "alarms": []}
    assert info["autoRollbackConfiguration"] == {"enabled": False, "events": []}
    assert info["blueGreenDeploymentConfiguration"] == {
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
        "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
    }
    assert info["outdatedInstancesStrategy"] == "UPDATE"
    assert "testTrafficRoute" not in info["loadBalancerInfo"]["targetGroupPairInfoList"][0]
    assert info["triggerConfigurations"] == []


def test_batch_get_and_list(stack, other, codedeploy):
    codedeploy.create_deployment_group(**stack.deployment_group_args("shop", "b-group"))
    codedeploy.create_deployment_group(**other.deployment_group_args("shop", "a-group"))
    listed = codedeploy.list_deployment_groups(applicationName="shop")
    assert (listed["applicationName"], listed["deploymentGroups"]) == ("shop", ["a-group", "b-group"])
    batch = codedeploy.batch_get_deployment_groups(applicationName="shop", deploymentGroupNames=["b-group", "a-group"])
    assert [info["deploymentGroupName"] for info in batch["deploymentGroupsInfo"]] == ["b-group", "a-group"]
    assert batch["deploymentGroupsInfo"][1]["ecsServices"] == other.ecs_services()
    assert "errorMessage" not in batch


def test_batch_get_reports_unknown_groups(stack, codedeploy):
    codedeploy.create_deployment_group(**stack.deployment_group_args("shop", "web"))
    batch = codedeploy.batch_get_deployment_groups(applicationName="shop", deploymentGroupNames=["web", "ghost"])
    assert [info["deploymentGroupName"] for info in batch["deploymentGroupsInfo"]] == ["web"]
    assert "ghost" in batch["errorMessage"]
    assert error_of(codedeploy.batch_get_deployment_groups, applicationName="nope", deploymentGroupNames=["web"]) == "ApplicationDoesNotExistException"
    assert (
        error_of(codedeploy.batch_get_deployment_groups, applicationName="shop", deploymentGroupNames=[f"g{i}" for i in range(101)])
        == "BatchLimitExceededException"
    )
    assert error_of(codedeploy.batch_get_deployment_groups, applicationName="shop", deploymentGroupNames=[]) == "DeploymentGroupNameRequiredException"


def test_get_and_list_errors(stack, codedeploy):
    assert error_of(codedeploy.get_deployment_group, applicationName="shop", deploymentGroupName="ghost") == "DeploymentGroupDoesNotExistException"
    assert error_of(codedeploy.get_deployment_group, applicationName="nope", deploymentGroupName="web") == "ApplicationDoesNotExistException"
    assert error_of(codedeploy.get_deployment_group, applicationName="shop", deploymentGroupName="bad name") == "InvalidDeploymentGroupNameException"
    assert error_of(codedeploy.list_deployment_groups, applicationName="nope") == "ApplicationDoesNotExistException"
    assert error_of(codedeploy.list_deployment_groups, applicationName="shop", nextToken="garbage") == "InvalidNextTokenException"


def test_update_changes_every_field(clients, stack, codedeploy):
    codedeploy.create_deployment_group(**full_args(stack))
    group_id = get_group(codedeploy, "web")["deploymentGroupId"]
    codedeploy.create_deployment_config(
        deploymentConfigName="Canary25",
        computePlatform="ECS",
        trafficRoutingConfig={"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 25, "canaryInterval": 2}},
    )
    second_role = clients("iam").create_role(RoleName="dg-second", AssumeRolePolicyDocument=json.dumps(CODEDEPLOY_TRUST_POLICY))["Role"]["Arn"]
    clients("ecs").create_service(
        cluster=stack.cluster, serviceName="web-v2", taskDefinition=stack.task_definition_arn, desiredCount=1, deploymentController={"type": "CODE_DEPLOY"}
    )
    swapped = {
        "targetGroupPairInfoList": [
            {
                "targetGroups": [{"name": stack.green_target_group}, {"name": stack.blue_target_group}],
                "prodTrafficRoute": {"listenerArns": [stack.test_listener_arn]},
            }
        ]
    }
    changes = {
        "deploymentConfigName": "Canary25",
        "serviceRoleArn": second_role,
        "alarmConfiguration": {"enabled": False, "ignorePollAlarmFailure": False, "alarms": [{"name": "other"}]},
        "autoRollbackConfiguration": {"enabled": True, "events": ["DEPLOYMENT_STOP_ON_REQUEST"]},
        "triggerConfigurations": [],
        "blueGreenDeploymentConfiguration": {
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "KEEP_ALIVE", "terminationWaitTimeInMinutes": 0},
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
        },
        "outdatedInstancesStrategy": "UPDATE",
        "loadBalancerInfo": swapped,
        "ecsServices": [{"serviceName": "web-v2", "clusterName": stack.cluster}],
    }
    response = codedeploy.update_deployment_group(applicationName="shop", currentDeploymentGroupName="web", **changes)
    assert response["hooksNotCleanedUp"] == []
    info = get_group(codedeploy, "web")
    assert info["deploymentGroupId"] == group_id
    for key, value in changes.items():
        assert info[key] == value, key


def test_update_keeps_what_it_is_not_given(stack, codedeploy):
    args = full_args(stack)
    codedeploy.create_deployment_group(**args)
    before = get_group(codedeploy, "web")
    codedeploy.update_deployment_group(applicationName="shop", currentDeploymentGroupName="web", deploymentConfigName="CodeDeployDefault.ECSAllAtOnce")
    after = get_group(codedeploy, "web")
    assert after == dict(before, deploymentConfigName="CodeDeployDefault.ECSAllAtOnce")


def test_rename_keeps_id_and_tags(stack, codedeploy):
    group_id = codedeploy.create_deployment_group(**stack.deployment_group_args("shop", "web", tags=[{"Key": "tier", "Value": "web"}]))["deploymentGroupId"]
    codedeploy.update_deployment_group(applicationName="shop", currentDeploymentGroupName="web", newDeploymentGroupName="frontend")
    info = get_group(codedeploy, "frontend")
    assert (info["deploymentGroupId"], info["deploymentGroupName"]) == (group_id, "frontend")
    assert error_of(codedeploy.get_deployment_group, applicationName="shop", deploymentGroupName="web") == "DeploymentGroupDoesNotExistException"
    assert codedeploy.list_deployment_groups(applicationName="shop")["deploymentGroups"] == ["frontend"]
    assert codedeploy.list_tags_for_resource(ResourceArn=GROUP_ARN.format("shop", "frontend"))["Tags"] == [{"Key": "tier", "Value": "web"}]


def test_update_errors_change_nothing(stack, other, codedeploy):
    codedeploy.create_deployment_group(**full_args(stack))
    codedeploy.create_deployment_group(**other.deployment_group_args("shop", "taken"))
    before = get_group(codedeploy, "web")

    def update_web(**changes):
        return error_of(codedeploy.update_deployment_group, applicationName="shop", currentDeploymentGroupName="web", **changes)

    assert update_web(newDeploymentGroupName="taken") == "DeploymentGroupAlreadyExistsException"
    assert update_web(newDeploymentGroupName="bad name") == "InvalidDeploymentGroupNameException"
    assert error_of(codedeploy.update_deployment_group, applicationName="shop", currentDeploymentGroupName="ghost") == "DeploymentGroupDoesNotExistException"
    assert error_of(codedeploy.update_deployment_group, applicationName="nope", currentDeploymentGroupName="web") == "ApplicationDoesNotExistException"
    assert update_web(alarmConfiguration={"enabled": True, "alarms": [{"name": f"a{i}"} for i in range(11)]}) == "AlarmsLimitExceededException"
    assert update_web(ecsServices=other.ecs_services()) == "ECSServiceMappingLimitExceededException"
    assert update_web(deploymentConfigName="Nope") == "DeploymentConfigDoesNotExistException"
    assert update_web(serviceRoleArn="arn:aws:iam::123456789012:role/ghost") == "InvalidRoleException"
    assert update_web(deploymentStyle={"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"}) == "InvalidDeploymentStyleException"
    assert get_group(codedeploy, "web") == before
    assert codedeploy.list_deployment_groups(applicationName="shop")["deploymentGroups"] == ["taken", "web"]


def test_delete(stack, codedeploy):
    codedeploy.create_deployment_group(**stack.deployment_group_args("shop", "web", tags=[{"Key": "k", "Value": "v"}]))
    assert codedeploy.delete_deployment_group(applicationName="shop", deploymentGroupName="web")["hooksNotCleanedUp"] == []
    assert error_of(codedeploy.get_deployment_group, applicationName="shop", deploymentGroupName="web") == "DeploymentGroupDoesNotExistException"
    assert codedeploy.list_deployment_groups(applicationName="shop")["deploymentGroups"] == []
    # deleting again is a no-op; the service is free for a new group, which starts without the old tags
    assert codedeploy.delete_deployment_group(applicationName="shop", deploymentGroupName="web")["hooksNotCleanedUp"] == []
    codedeploy.create_deployment_group(**stack.deployment_group_args("shop", "web"))
    assert codedeploy.list_tags_for_resource(ResourceArn=GROUP_ARN.format("shop", "web"))["Tags"] == []


def test_group_in_missing_or_misnamed_application(stack, codedeploy):
    assert error_of(codedeploy.create_deployment_group, **stack.deployment_group_args("nope", "web")) == "ApplicationDoesNotExistException"
    assert error_of(codedeploy.create_deployment_group, **stack.deployment_group_args("bad name", "web")) == "InvalidApplicationNameException"


def test_duplicate_group(stack, codedeploy):
    first = codedeploy.create_deployment_group(**stack.deployment_group_args("shop", "web"))["deploymentGroupId"]
    assert error_of(codedeploy.create_deployment_group, **stack.deployment_group_args("shop", "web")) == "DeploymentGroupAlreadyExistsException"
    assert get_group(codedeploy, "web")["deploymentGroupId"] == first


def test_service_already_in_a_group_of_another_application(stack, codedeploy):
    codedeploy.create_deployment_group(**stack.deployment_group_args("shop", "web"))
    codedeploy.create_application(applicationName="other", computePlatform="ECS")
    assert error_of(codedeploy.create_deployment_group, **stack.deployment_group_args("other", "web")) == "ECSServiceMappingLimitExceededException"
    assert codedeploy.list_deployment_groups(applicationName="other")["deploymentGroups"] == []


def test_names_required(sandbox, stack):
    raw = unvalidated_client(sandbox, "codedeploy")
    assert error_of(raw.create_deployment_group, **stack.deployment_group_args("shop", "")) == "DeploymentGroupNameRequiredException"
    assert error_of(raw.create_deployment_group, **stack.deployment_group_args("", "web")) == "ApplicationNameRequiredException"
    assert error_of(raw.get_deployment_group, applicationName="shop", deploymentGroupName="") == "DeploymentGroupNameRequiredException"


def test_service_with_the_ecs_controller_is_refused(clients, stack, codedeploy):
    clients("ecs").create_service(cluster=stack.cluster, serviceName="rolling", taskDefinition=stack.task_definition_arn, desiredCount=1)
    args = stack.deployment_group_args("shop", "web", ecsServices=[{"serviceName": "rolling", "clusterName": stack.cluster}])
    assert error_of(codedeploy.create_deployment_group, **args) == "InvalidECSServiceException"


def test_role_that_does_not_trust_codedeploy_is_refused(clients, stack, codedeploy):
    policy = copy.deepcopy(CODEDEPLOY_TRUST_POLICY)
    policy["Statement"][0]["Principal"]["Service"] = "ecs-tasks.amazonaws.com"
    arn = clients("iam").create_role(RoleName="dg-tasks", AssumeRolePolicyDocument=json.dumps(policy))["Role"]["Arn"]
    assert error_of(codedeploy.create_deployment_group, **stack.deployment_group_args("shop", "web", serviceRoleArn=arn)) == "InvalidRoleException"


def _pair(stack, groups=None, prod=None, test=None):
    pair = {
        "targetGroups": [{"name": name} for name in (groups or [stack.blue_target_group, stack.green_target_group])],
        "prodTrafficRoute": {"listenerArns": [stack.prod_listener_arn] if prod is None else prod},
    }
    if test is not None:
        pair["testTrafficRoute"] = {"listenerArns": test}
    return {"targetGroupPairInfoList": [pair]}


MISSING_LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/none/0123456789abcdef/0123456789abcdef"

# (what is wrong, overrides of a valid create_deployment_group call, AWS's error code)
MISUSES = [
    (
        "in-place style",
        lambda s: {"deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"}},
        "InvalidDeploymentStyleException",
    ),
    (
        "no traffic control",
        lambda s: {"deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"}},
        "InvalidDeploymentStyleException",
    ),
    ("no style", lambda s: {"deploymentStyle": None}, "InvalidDeploymentStyleException"),
    ("no ecs services", lambda s: {"ecsServices": []}, "InvalidECSServiceException"),
    ("two ecs services", lambda s: {"ecsServices": s.ecs_services() * 2}, "InvalidECSServiceException"),
    ("missing service", lambda s: {"ecsServices": [{"serviceName": "ghost", "clusterName": s.cluster}]}, "InvalidECSServiceException"),
    ("missing cluster", lambda s: {"ecsServices": [{"serviceName": s.service, "clusterName": "ghost"}]}, "InvalidECSServiceException"),
    ("service without cluster", lambda s: {"ecsServices": [{"serviceName": s.service}]}, "InvalidECSServiceException"),
    ("no load balancer info", lambda s: {"loadBalancerInfo": None}, "InvalidLoadBalancerInfoException"),
    ("classic load balancer", lambda s: {"loadBalancerInfo": {"elbInfoList": [{"name": "clb"}]}}, "InvalidLoadBalancerInfoException"),
    ("one target group", lambda s: {"loadBalancerInfo": _pair(s, groups=[s.blue_target_group])}, "InvalidTargetGroupPairException"),
    (
        "three target groups",
        lambda s: {"loadBalancerInfo": _pair(s, groups=[s.blue_target_group, s.green_target_group, "x"])},
        "InvalidTargetGroupPairException",
    ),
    ("same target group twice", lambda s: {"loadBalancerInfo": _pair(s, groups=[s.blue_target_group] * 2)}, "InvalidTargetGroupPairException"),
    ("missing target group", lambda s: {"loadBalancerInfo": _pair(s, groups=[s.blue_target_group, "ghost-tg"])}, "InvalidTargetGroupPairException"),
    ("no production listener", lambda s: {"loadBalancerInfo": _pair(s, prod=[])}, "InvalidTargetGroupPairException"),
    ("missing production listener", lambda s: {"loadBalancerInfo": _pair(s, prod=[MISSING_LISTENER])}, "InvalidTargetGroupPairException"),
    ("missing test listener", lambda s: {"loadBalancerInfo": _pair(s, test=[MISSING_LISTENER])}, "InvalidTargetGroupPairException"),
    ("test listener is production", lambda s: {"loadBalancerInfo": _pair(s, test=[s.prod_listener_arn])}, "InvalidTargetGroupPairException"),
    ("two pairs", lambda s: {"loadBalancerInfo": {"targetGroupPairInfoList": _pair(s)["targetGroupPairInfoList"] * 2}}, "InvalidTargetGroupPairException"),
    ("empty role", lambda s: {"serviceRoleArn": ""}, "RoleRequiredException"),
    ("role is no ARN", lambda s: {"serviceRoleArn": "codedeploy-role"}, "InvalidRoleException"),
    ("user instead of role", lambda s: {"serviceRoleArn": "arn:aws:iam::123456789012:user/someone"}, "InvalidRoleException"),
    ("missing role", lambda s: {"serviceRoleArn": "arn:aws:iam::123456789012:role/ghost"}, "InvalidRoleException"),
    ("role of another account", lambda s: {"serviceRoleArn": s.role_arn.replace("123456789012", "210987654321")}, "InvalidRoleException"),
    ("eleven alarms", lambda s: {"alarmConfiguration": {"enabled": True, "alarms": [{"name": f"a{i}"} for i in range(11)]}}, "AlarmsLimitExceededException"),
    ("alarms enabled, none listed", lambda s: {"alarmConfiguration": {"enabled": True, "alarms": []}}, "InvalidAlarmConfigException"),
    ("alarm listed twice", lambda s: {"alarmConfiguration": {"enabled": True, "alarms": [{"name": "a"}, {"name": "a"}]}}, "InvalidAlarmConfigException"),
    ("unknown config", lambda s: {"deploymentConfigName": "NoSuchConfig"}, "DeploymentConfigDoesNotExistException"),
    ("server config", lambda s: {"deploymentConfigName": "CodeDeployDefault.OneAtATime"}, "InvalidDeploymentConfigNameException"),
    ("rollback enabled without events", lambda s: {"autoRollbackConfiguration": {"enabled": True, "events": []}}, "InvalidAutoRollbackConfigException"),
    ("unknown rollback event", lambda s: {"autoRollbackConfiguration": {"enabled": True, "events": ["DEPLOYMENT_SLOW"]}}, "InvalidAutoRollbackConfigException"),
    (
        "trigger without topic",
        lambda s: {"triggerConfigurations": [{"triggerName": "t", "triggerEvents": ["DeploymentStart"]}]},
        "InvalidTriggerConfigException",
    ),
    (
        "trigger to a queue",
        lambda s: {
            "triggerConfigurations": [{"triggerName": "t", "triggerTargetArn": "arn:aws:sqs:us-east-1:123456789012:q", "triggerEvents": ["DeploymentStart"]}]
        },
        "InvalidTriggerConfigException",
    ),
    (
        "unknown trigger event",
        lambda s: {"triggerConfigurations": [{"triggerName": "t", "triggerTargetArn": TOPIC, "triggerEvents": ["Lunch"]}]},
        "InvalidTriggerConfigException",
    ),
    (
        "trigger without events",
        lambda s: {"triggerConfigurations": [{"triggerName": "t", "triggerTargetArn": TOPIC, "triggerEvents": []}]},
        "InvalidTriggerConfigException",
    ),
    (
        "eleven triggers",
        lambda s: {"triggerConfigurations": [{"triggerName": f"t{i}", "triggerTargetArn": TOPIC, "triggerEvents": ["DeploymentStart"]} for i in range(11)]},
        "TriggerTargetsLimitExceededException",
    ),
    (
        "termination wait over two days",
        lambda s: {
            "blueGreenDeploymentConfiguration": {"terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 2881}}
        },
        "InvalidBlueGreenDeploymentConfigurationException",
    ),
    (
        "unknown termination action",
        lambda s: {"blueGreenDeploymentConfiguration": {"terminateBlueInstancesOnDeploymentSuccess": {"action": "DESTROY", "terminationWaitTimeInMinutes": 5}}},
        "InvalidBlueGreenDeploymentConfigurationException",
    ),
    (
        "unknown ready action",
        lambda s: {"blueGreenDeploymentConfiguration": {"deploymentReadyOption": {"actionOnTimeout": "WAIT"}}},
        "InvalidBlueGreenDeploymentConfigurationException",
    ),
    (
        "negative ready wait",
        lambda s: {"blueGreenDeploymentConfiguration": {"deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": -1}}},
        "InvalidBlueGreenDeploymentConfigurationException",
    ),
    (
        "green fleet provisioning",
        lambda s: {"blueGreenDeploymentConfiguration": {"greenFleetProvisioningOption": {"action": "DISCOVER_EXISTING"}}},
        "InvalidBlueGreenDeploymentConfigurationException",
    ),
    ("auto scaling groups", lambda s: {"autoScalingGroups": ["asg"]}, "InvalidAutoScalingGroupException"),
    ("ec2 tag filters", lambda s: {"ec2TagFilters": [{"Key": "k", "Value": "v", "Type": "KEY_AND_VALUE"}]}, "InvalidEC2TagException"),
    ("unknown outdated strategy", lambda s: {"outdatedInstancesStrategy": "SOMETIMES"}, "InvalidInputException"),
    ("group name too long", lambda s: {"deploymentGroupName": "g" * 101}, "InvalidDeploymentGroupNameException"),
    ("group name with a space", lambda s: {"deploymentGroupName": "my group"}, "InvalidDeploymentGroupNameException"),
    ("reserved tag key", lambda s: {"tags": [{"Key": "aws:owner", "Value": "x"}]}, "InvalidTagsToAddException"),
]


@pytest.mark.parametrize("overrides,code", [pytest.param(case[1], case[2], id=case[0]) for case in MISUSES])
def test_misuse_is_refused_and_creates_nothing(sandbox, stack, codedeploy, overrides, code):
    args = {key: value for key, value in stack.deployment_group_args("shop", "web", **overrides(stack)).items() if value is not None}
    # the raw client also sends what botocore would refuse client-side (an empty role)
    assert error_of(unvalidated_client(sandbox, "codedeploy").create_deployment_group, **args) == code
    assert codedeploy.list_deployment_groups(applicationName="shop")["deploymentGroups"] == []


def test_server_application_groups_are_recorded_without_ecs_rules(stack, codedeploy):
    codedeploy.create_application(applicationName="legacy", computePlatform="Server")
    codedeploy.create_deployment_group(
        applicationName="legacy",
        deploymentGroupName="fleet",
        serviceRoleArn=stack.role_arn,
        ec2TagFilters=[{"Key": "app", "Value": "legacy", "Type": "KEY_AND_VALUE"}],
    )
    info = get_group(codedeploy, "fleet", application="legacy")
    assert info["computePlatform"] == "Server"
    assert info["deploymentConfigName"] == "CodeDeployDefault.OneAtATime"
    assert info["deploymentStyle"] == {"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"}
    assert info["ec2TagFilters"] == [{"Key": "app", "Value": "legacy", "Type": "KEY_AND_VALUE"}]
    assert (
        error_of(
            codedeploy.create_deployment_group,
            applicationName="legacy",
            deploymentGroupName="ecs",
            serviceRoleArn=stack.role_arn,
            ecsServices=stack.ecs_services(),
        )
        == "InvalidECSServiceException"
    )
