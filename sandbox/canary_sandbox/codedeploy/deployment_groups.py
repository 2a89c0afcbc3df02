"""CodeDeploy deployment groups for the ECS compute platform: create, get, batch get, list,
update (every field, rename included), delete.

store.deployment_groups[(application, group)] holds the DeploymentGroupInfo exactly as
GetDeploymentGroup returns it. The engine may add lastAttemptedDeployment,
lastSuccessfulDeployment and targetRevision to that dict; updates keep them.

Groups of Server and Lambda applications are recorded with light checks only: the
sandbox serves ECS blue/green.
"""

import copy
import re
import uuid

from ..router import AwsError
from . import applications, arns, deployment_configs, references, validation
from .service import operation

MAX_ALARMS = 10
MAX_ALARM_NAME = 255
MAX_TRIGGERS = 10
MAX_WAIT_MINUTES = 2880  # blue task set termination and ready wait: at most two days

DEPLOYMENT_TYPES = ("IN_PLACE", "BLUE_GREEN")
DEPLOYMENT_OPTIONS = ("WITH_TRAFFIC_CONTROL", "WITHOUT_TRAFFIC_CONTROL")
ROLLBACK_EVENTS = ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST")
TRIGGER_EVENTS = (
    "DeploymentStart",
    "DeploymentSuccess",
    "DeploymentFailure",
    "DeploymentStop",
    "DeploymentRollback",
    "DeploymentReady",
    "InstanceStart",
    "InstanceSuccess",
    "InstanceFailure",
    "InstanceReady",
)
TERMINATION_ACTIONS = ("TERMINATE", "KEEP_ALIVE")
READY_ACTIONS = ("CONTINUE_DEPLOYMENT", "STOP_DEPLOYMENT")
OUTDATED_STRATEGIES = ("UPDATE", "IGNORE")
SNS_TOPIC_ARN = r"^arn:aws:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$"

ECS_STYLE = {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}
DEFAULT_STYLE = {
    "Server": {"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"},
    "Lambda": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
}

# The order AWS lists DeploymentGroupInfo's members in.
INFO_KEYS = (
    "applicationName",
    "deploymentGroupId",
    "deploymentGroupName",
    "deploymentConfigName",
    "ec2TagFilters",
    "onPremisesInstanceTagFilters",
    "autoScalingGroups",
    "serviceRoleArn",
    "targetRevision",
    "triggerConfigurations",
    "alarmConfiguration",
    "autoRollbackConfiguration",
    "deploymentStyle",
    "outdatedInstancesStrategy",
    "blueGreenDeploymentConfiguration",
    "loadBalancerInfo",
    "lastSuccessfulDeployment",
    "lastAttemptedDeployment",
    "ec2TagSet",
    "onPremisesTagSet",
    "computePlatform",
    "ecsServices",
    "ec2DeploymentOptions",
    "terminationHookEnabled",
)


def find(store, application, group):
    """The stored DeploymentGroupInfo (not a copy), or AWS's error for whichever name is missing or wrong."""
    applications.find(store, application)
    validation.name(group, validation.DEPLOYMENT_GROUP)
    info = store.deployment_groups.get((application, group))
    if info is None:
        raise AwsError(
            "DeploymentGroupDoesNotExistException",
            f"No deployment group found for name: {group} in application {application}. Create it with CreateDeploymentGroup.",
        )
    return info


def group_using_service(store, cluster, service, ignore=None):
    """The (application, group) key whose ecsServices include cluster/service, other than `ignore`."""
    for key, info in store.deployment_groups.items():
        if key != ignore and any(item.get("clusterName") == cluster and item.get("serviceName") == service for item in info.get("ecsServices", [])):
            return key
    return None


# ---- one normaliser per member: check the request's value, return what AWS echoes ---------------


def _alarm_configuration(raw):
    raw = raw or {}
    code = "InvalidAlarmConfigException"
    alarms = raw.get("alarms") or []
    if len(alarms) > MAX_ALARMS:
        raise AwsError("AlarmsLimitExceededException", f"{len(alarms)} alarms were given; a deployment group can watch at most {MAX_ALARMS}.")
    names = []
    for alarm in alarms:
        name = (alarm or {}).get("name")
        if not name or len(name) > MAX_ALARM_NAME:
            raise AwsError(code, f"Every alarm needs a name of 1 to {MAX_ALARM_NAME} characters; got {str(name)[:40]!r}.")
        if name in names:
            raise AwsError(code, f"The alarm {name} is listed twice.")
        names.append(name)
    enabled = bool(raw.get("enabled", False))
    if enabled and not names:
        raise AwsError(code, "The alarm configuration is enabled but lists no alarms: add alarms or set enabled to false.")
    return {"enabled": enabled, "ignorePollAlarmFailure": bool(raw.get("ignorePollAlarmFailure", False)), "alarms": [{"name": name} for name in names]}


def _auto_rollback(raw):
    raw = raw or {}
    code = "InvalidAutoRollbackConfigException"
    events = [validation.enum(event, ROLLBACK_EVENTS, code, "An autoRollbackConfiguration event") for event in raw.get("events") or []]
    enabled = bool(raw.get("enabled", False))
    if enabled and not events:
        raise AwsError(
            code, "Automatic rollback is enabled but no events are listed: add DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM and/or DEPLOYMENT_STOP_ON_REQUEST."
        )
    return {"enabled": enabled, "events": events}


def _deployment_style(raw, platform):
    code = "InvalidDeploymentStyleException"
    if platform == "ECS":
        raw = raw or {}
        style = {"deploymentType": raw.get("deploymentType"), "deploymentOption": raw.get("deploymentOption")}
        if style != ECS_STYLE:
            raise AwsError(
                code,
                f"An ECS deployment group needs deploymentStyle deploymentType BLUE_GREEN and deploymentOption "
                f"WITH_TRAFFIC_CONTROL; got {style['deploymentType']} / {style['deploymentOption']}.",
            )
        return dict(ECS_STYLE)
    style = dict(DEFAULT_STYLE[platform])
    style.update({key: value for key, value in (raw or {}).items() if value is not None})
    validation.enum(style["deploymentType"], DEPLOYMENT_TYPES, code, "deploymentStyle.deploymentType")
    validation.enum(style["deploymentOption"], DEPLOYMENT_OPTIONS, code, "deploymentStyle.deploymentOption")
    return {"deploymentType": style["deploymentType"], "deploymentOption": style["deploymentOption"]}


def _blue_green(raw, platform):
    """BlueGreenDeploymentConfiguration with AWS's defaults filled in (ECS: terminate at once, continue at once)."""
    code = "InvalidBlueGreenDeploymentConfigurationException"
    raw = raw or {}
    if platform != "ECS":
        return copy.deepcopy(raw)
    if raw.get("greenFleetProvisioningOption"):
        raise AwsError(code, "greenFleetProvisioningOption applies to EC2 fleets; an ECS deployment group provisions a replacement task set instead.")
    terminate = raw.get("terminateBlueInstancesOnDeploymentSuccess") or {}
    ready = raw.get("deploymentReadyOption") or {}
    return {
        "terminateBlueInstancesOnDeploymentSuccess": {
            "action": validation.enum(terminate.get("action") or "TERMINATE", TERMINATION_ACTIONS, code, "terminateBlueInstancesOnDeploymentSuccess.action"),
            "terminationWaitTimeInMinutes": validation.integer(
                terminate.get("terminationWaitTimeInMinutes", 0),
                0,
                MAX_WAIT_MINUTES,
                code,
                "terminateBlueInstancesOnDeploymentSuccess.terminationWaitTimeInMinutes",
            ),
        },
        "deploymentReadyOption": {
            "actionOnTimeout": validation.enum(
                ready.get("actionOnTimeout") or "CONTINUE_DEPLOYMENT", READY_ACTIONS, code, "deploymentReadyOption.actionOnTimeout"
            ),
            "waitTimeInMinutes": validation.integer(ready.get("waitTimeInMinutes", 0), 0, MAX_WAIT_MINUTES, code, "deploymentReadyOption.waitTimeInMinutes"),
        },
    }


def _load_balancer_info(raw, platform):
    """ECS: exactly one target group pair, two distinct groups, one production listener, at most one test listener."""
    raw = raw or {}
    if platform != "ECS":
        return copy.deepcopy(raw)
    if raw.get("elbInfoList") or raw.get("targetGroupInfoList"):
        raise AwsError(
            "InvalidLoadBalancerInfoException",
            "An ECS deployment group takes loadBalancerInfo.targetGroupPairInfoList, not elbInfoList or targetGroupInfoList.",
        )
    pairs = raw.get("targetGroupPairInfoList") or []
    if not pairs:
        raise AwsError(
            "InvalidLoadBalancerInfoException",
            "The specification for load balancing in the deployment group is invalid: "
            "an ECS deployment group needs loadBalancerInfo.targetGroupPairInfoList with one target group pair.",
        )
    code = "InvalidTargetGroupPairException"
    if len(pairs) > 1:
        raise AwsError(code, f"{len(pairs)} target group pairs were given; an ECS deployment group takes exactly one.")
    pair = pairs[0] or {}
    names = [(group or {}).get("name") for group in pair.get("targetGroups") or []]
    if len(names) != 2 or not all(names):
        raise AwsError(code, f"A target group pair needs exactly two target groups by name; got {names}.")
    if names[0] == names[1]:
        raise AwsError(code, f"The two target groups of the pair must differ; both are {names[0]}.")
    prod = list((pair.get("prodTrafficRoute") or {}).get("listenerArns") or [])
    if len(prod) != 1:
        raise AwsError(code, f"prodTrafficRoute needs exactly one listener ARN; got {len(prod)}.")
    test = list((pair.get("testTrafficRoute") or {}).get("listenerArns") or [])
    if len(test) > 1:
        raise AwsError(code, f"testTrafficRoute takes at most one listener ARN; got {len(test)}.")
    if test and test[0] == prod[0]:
        raise AwsError(code, "The test listener must differ from the production listener.")
    normalised = {"targetGroups": [{"name": name} for name in names], "prodTrafficRoute": {"listenerArns": prod}}
    if test:
        normalised["testTrafficRoute"] = {"listenerArns": test}
    return {"targetGroupPairInfoList": [normalised]}


def _ecs_services(raw, platform):
    code = "InvalidECSServiceException"
    services = raw or []
    if platform != "ECS":
        if services:
            raise AwsError(code, f"ecsServices apply to ECS deployment groups; this application's compute platform is {platform}.")
        return []
    if len(services) != 1:
        raise AwsError(code, f"An ECS deployment group needs exactly one ecsServices entry {{serviceName, clusterName}}; got {len(services)}.")
    service = services[0] or {}
    if not service.get("serviceName") or not service.get("clusterName"):
        raise AwsError(code, "An ecsServices entry needs both serviceName and clusterName.")
    return [{"serviceName": service["serviceName"], "clusterName": service["clusterName"]}]


def _triggers(raw):
    code = "InvalidTriggerConfigException"
    triggers = raw or []
    if len(triggers) > MAX_TRIGGERS:
        raise AwsError("TriggerTargetsLimitExceededException", f"{len(triggers)} triggers were given; at most {MAX_TRIGGERS} are allowed.")
    result, seen = [], set()
    for trigger in triggers:
        trigger = trigger or {}
        name, target = trigger.get("triggerName"), trigger.get("triggerTargetArn")
        if not name:
            raise AwsError(code, "Every trigger needs a triggerName.")
        if name in seen:
            raise AwsError(code, f"The trigger name {name} is used twice.")
        if not target or not re.match(SNS_TOPIC_ARN, target):
            raise AwsError(code, f"The trigger {name} needs triggerTargetArn set to an SNS topic ARN; got {target!r}.")
        events = trigger.get("triggerEvents") or []
        if not events:
            raise AwsError(code, f"The trigger {name} lists no triggerEvents.")
        events = [validation.enum(event, TRIGGER_EVENTS, code, f"An event of trigger {name}") for event in events]
        seen.add(name)
        result.append({"triggerName": name, "triggerTargetArn": target, "triggerEvents": events})
    return result


def _outdated_strategy(raw):
    return validation.enum(raw, OUTDATED_STRATEGIES, "InvalidInputException", "outdatedInstancesStrategy")


def _service_role(raw):
    if not raw:
        raise AwsError("RoleRequiredException", "A serviceRoleArn is required: the IAM role CodeDeploy assumes (e.g. with AWSCodeDeployRoleForECS).")
    references.role_name(raw)
    return raw


def _server_only(platform, key, raw):
    """EC2/on-premises settings: echoed for Server groups, refused for ECS (which has no instances)."""
    codes = {
        "ec2TagFilters": "InvalidEC2TagException",
        "ec2TagSet": "InvalidEC2TagException",
        "onPremisesInstanceTagFilters": "InvalidTagException",
        "onPremisesTagSet": "InvalidTagException",
        "autoScalingGroups": "InvalidAutoScalingGroupException",
        "ec2DeploymentOptions": "InvalidInputException",
        "terminationHookEnabled": "InvalidInputException",
    }
    if platform == "ECS" and raw:
        raise AwsError(codes[key], f"{key} applies to EC2/on-premises deployment groups, not to an ECS deployment group.")
    if key == "autoScalingGroups":
        return [{"name": name} for name in raw or []]
    return copy.deepcopy(raw)


# Request members that map one-to-one onto DeploymentGroupInfo, with their normaliser.
_MEMBERS = {
    "serviceRoleArn": lambda raw, platform: _service_role(raw),
    "triggerConfigurations": lambda raw, platform: _triggers(raw),
    "alarmConfiguration": lambda raw, platform: _alarm_configuration(raw),
    "autoRollbackConfiguration": lambda raw, platform: _auto_rollback(raw),
    "deploymentStyle": _deployment_style,
    "outdatedInstancesStrategy": lambda raw, platform: _outdated_strategy(raw),
    "blueGreenDeploymentConfiguration": _blue_green,
    "loadBalancerInfo": _load_balancer_info,
    "ecsServices": _ecs_services,
}
_SERVER_MEMBERS = (
    "ec2TagFilters",
    "onPremisesInstanceTagFilters",
    "autoScalingGroups",
    "ec2TagSet",
    "onPremisesTagSet",
    "ec2DeploymentOptions",
    "terminationHookEnabled",
)


def _defaults(application, group, platform):
    """A new group's DeploymentGroupInfo before the request's members are applied."""
    return {
        "applicationName": application,
        "deploymentGroupId": str(uuid.uuid4()),
        "deploymentGroupName": group,
        "deploymentConfigName": deployment_configs.DEFAULT_FOR_PLATFORM[platform],
        "ec2TagFilters": [],
        "onPremisesInstanceTagFilters": [],
        "autoScalingGroups": [],
        "triggerConfigurations": [],
        "alarmConfiguration": _alarm_configuration(None),
        "autoRollbackConfiguration": _auto_rollback(None),
        "deploymentStyle": _deployment_style(None, platform) if platform != "ECS" else None,
        "outdatedInstancesStrategy": "UPDATE",
        "blueGreenDeploymentConfiguration": _blue_green(None, platform) if platform == "ECS" else None,
        "loadBalancerInfo": None,
        "ec2TagSet": {"ec2TagSetList": []},
        "onPremisesTagSet": {"onPremisesTagSetList": []},
        "computePlatform": platform,
        "ecsServices": [],
        "terminationHookEnabled": False,
    }


def _apply(store, info, params, platform, creating):
    """Apply the request's members to `info` (a working copy): each member given replaces the stored one."""
    if creating or "serviceRoleArn" in params:
        info["serviceRoleArn"] = _service_role(params.get("serviceRoleArn"))
    for key, normalise in _MEMBERS.items():
        if key != "serviceRoleArn" and (params.get(key) is not None or (creating and key in ("deploymentStyle", "loadBalancerInfo", "ecsServices"))):
            info[key] = normalise(params.get(key), platform)
    for key in _SERVER_MEMBERS:
        if params.get(key) is not None:
            value = _server_only(platform, key, params[key])
            info[key] = value if key != "terminationHookEnabled" else bool(value)
    if params.get("deploymentConfigName") is not None:
        info["deploymentConfigName"] = _deployment_config(store, params["deploymentConfigName"], platform)
    return info


def _deployment_config(store, name, platform):
    config = deployment_configs.lookup(store, name)
    if config["computePlatform"] != platform:
        raise AwsError(
            "InvalidDeploymentConfigNameException",
            f"The deployment configuration {name} is for the {config['computePlatform']} compute platform; this application is {platform}.",
        )
    return name


def _check_references(ctx, info, key):
    """What the group names must exist, and its ECS service must not belong to another group."""
    references.check_role(ctx, info["serviceRoleArn"])
    if info["computePlatform"] != "ECS":
        return
    service = info["ecsServices"][0]
    owner = group_using_service(ctx.store, service["clusterName"], service["serviceName"], ignore=key)
    if owner is not None:
        raise AwsError(
            "ECSServiceMappingLimitExceededException",
            f"The ECS service {service['clusterName']}:{service['serviceName']} already belongs to deployment group "
            f"{owner[1]} of application {owner[0]}; an ECS service can be in only one deployment group.",
        )
    references.check_ecs_service(ctx, service)
    pair = info["loadBalancerInfo"]["targetGroupPairInfoList"][0]
    references.check_target_groups(ctx, [group["name"] for group in pair["targetGroups"]])
    references.check_listeners(ctx, pair["prodTrafficRoute"]["listenerArns"], "production")
    references.check_listeners(ctx, pair.get("testTrafficRoute", {}).get("listenerArns", []), "test")


def _ordered(info):
    return {key: info[key] for key in INFO_KEYS if info.get(key) is not None}


# ---- operations -----------------------------------------------------------------------------


@operation("CreateDeploymentGroup")
def create_deployment_group(ctx, params):
    application = applications.find(ctx.store, params.get("applicationName"))
    app_name, platform = application["applicationName"], application.get("computePlatform", "Server")
    group = validation.name(params.get("deploymentGroupName"), validation.DEPLOYMENT_GROUP)
    if (app_name, group) in ctx.store.deployment_groups:
        raise AwsError(
            "DeploymentGroupAlreadyExistsException",
            f"The deployment group {group} already exists in application {app_name}; use UpdateDeploymentGroup to change it.",
        )
    tags = validation.tags(params.get("tags"))
    info = _apply(ctx.store, _defaults(app_name, group, platform), params, platform, creating=True)
    _check_references(ctx, info, None)
    ctx.store.deployment_groups[(app_name, group)] = _ordered(info)
    ctx.store.tag(arns.deployment_group_arn(ctx.region, app_name, group), tags)
    return {"deploymentGroupId": info["deploymentGroupId"]}


@operation("GetDeploymentGroup")
def get_deployment_group(ctx, params):
    return {"deploymentGroupInfo": copy.deepcopy(find(ctx.store, params.get("applicationName"), params.get("deploymentGroupName")))}


@operation("BatchGetDeploymentGroups")
def batch_get_deployment_groups(ctx, params):
    application = applications.find(ctx.store, params.get("applicationName"))["applicationName"]
    names = validation.batch_names(params.get("deploymentGroupNames"), validation.DEPLOYMENT_GROUP)
    found = [copy.deepcopy(ctx.store.deployment_groups[(application, name)]) for name in names if (application, name) in ctx.store.deployment_groups]
    missing = [name for name in names if (application, name) not in ctx.store.deployment_groups]
    response = {"deploymentGroupsInfo": found}
    if missing:  # AWS reports unknown names here rather than failing the call
        response["errorMessage"] = f"Deployment group(s) not found in application {application}: {', '.join(missing)}"
    return response


@operation("ListDeploymentGroups")
def list_deployment_groups(ctx, params):
    application = applications.find(ctx.store, params.get("applicationName"))["applicationName"]
    names = [group for app, group in ctx.store.deployment_groups if app == application]
    return validation.listed("deploymentGroups", validation.page(names, params.get("nextToken")), applicationName=application)


@operation("UpdateDeploymentGroup")
def update_deployment_group(ctx, params):
    """Change any member; a member not given keeps its value. newDeploymentGroupName renames (tags follow)."""
    current = find(ctx.store, params.get("applicationName"), params.get("currentDeploymentGroupName"))
    app_name, old_name = current["applicationName"], current["deploymentGroupName"]
    platform = current["computePlatform"]
    new_name = params.get("newDeploymentGroupName") or old_name
    validation.name(new_name, validation.DEPLOYMENT_GROUP)
    if new_name != old_name and (app_name, new_name) in ctx.store.deployment_groups:
        raise AwsError(
            "DeploymentGroupAlreadyExistsException",
            f"Cannot rename {old_name} to {new_name}: application {app_name} already has a deployment group named {new_name}.",
        )
    info = _apply(ctx.store, copy.deepcopy(current), params, platform, creating=False)
    _check_references(ctx, info, (app_name, old_name))
    info["deploymentGroupName"] = new_name
    del ctx.store.deployment_groups[(app_name, old_name)]
    ctx.store.deployment_groups[(app_name, new_name)] = _ordered(info)
    ctx.store.move_tags(arns.deployment_group_arn(ctx.region, app_name, old_name), arns.deployment_group_arn(ctx.region, app_name, new_name))
    return {"hooksNotCleanedUp": []}


@operation("DeleteDeploymentGroup")
def delete_deployment_group(ctx, params):
    """Delete a group; a missing group or application is a no-op, as on AWS (the model has no error for it).

    Deployment records stay in store.deployments: the engine must expect a group to vanish
    under a running deployment, since CodeDeploy does not refuse the delete either.
    """
    app_name = validation.name(params.get("applicationName"), validation.APPLICATION)
    group = validation.name(params.get("deploymentGroupName"), validation.DEPLOYMENT_GROUP)
    if ctx.store.deployment_groups.pop((app_name, group), None) is not None:
        ctx.store.drop_tags(arns.deployment_group_arn(ctx.region, app_name, group))
    return {"hooksNotCleanedUp": []}
