# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ECS blue/green deployment groups: module arguments -> API request, comparison, writes.

A group is handled in a canonical form: the CodeDeploy request members the module
manages, with defaults filled in and unordered lists sorted. The current group and the
wanted group (the current one with what the user gave laid over it) are compared in
that form; an update sends only the members that differ.
"""

import copy

from ansible.module_utils.common.dict_transformations import _camel_to_snake, camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.api import (
    create_deployment_group,
    delete_deployment_group,
    get_application,
    get_deployment_group,
    list_tags,
    update_deployment_group,
)
from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.tags import described, ensure_tags
from ansible_collections.canary.ecs.plugins.module_utils.common import check_name, diff_result, fail, short_name

# The only deployment style CodeDeploy accepts for the ECS compute platform.
ECS_DEPLOYMENT_STYLE = {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}

# The request members this module manages, in the order a diff shows them.
MANAGED_MEMBERS = (
    "ecsServices",
    "serviceRoleArn",
    "deploymentConfigName",
    "deploymentStyle",
    "loadBalancerInfo",
    "alarmConfiguration",
    "autoRollbackConfiguration",
    "blueGreenDeploymentConfiguration",
    "triggerConfigurations",
)
DEFAULT_DEPLOYMENT_CONFIG = "CodeDeployDefault.ECSAllAtOnce"
DEFAULT_TERMINATION_WAIT = 5
# What CodeDeploy allows for the termination and ready waits of ECS groups (two days).
MAX_WAIT_MINUTES = 2880
MAX_ALARMS = 10
# Options a new group cannot do without.
REQUIRED_TO_CREATE = ("cluster", "service", "service_role", "target_groups", "production_listener")


# ---- canonical form --------------------------------------------------------------------------


def _names(items):
    return [item["name"] for item in items or []]


def canonical_load_balancer_info(info):
    pairs = (info or {}).get("targetGroupPairInfoList") or [{}]
    pair = pairs[0]
    result = {"targetGroups": [{"name": name} for name in _names(pair.get("targetGroups"))]}
    result["prodTrafficRoute"] = {"listenerArns": list((pair.get("prodTrafficRoute") or {}).get("listenerArns") or [])}
    test = list((pair.get("testTrafficRoute") or {}).get("listenerArns") or [])
    if test:
        result["testTrafficRoute"] = {"listenerArns": test}
    return {"targetGroupPairInfoList": [result]}


def canonical_alarms(config):
    config = config or {}
    return {
        "enabled": bool(config.get("enabled", False)),
        "ignorePollAlarmFailure": bool(config.get("ignorePollAlarmFailure", False)),
        "alarms": [{"name": name} for name in sorted(set(_names(config.get("alarms"))))],
    }


def canonical_auto_rollback(config):
    config = config or {}
    return {"enabled": bool(config.get("enabled", False)), "events": sorted(set(config.get("events") or []))}


def canonical_blue_green(config):
    config = config or {}
    termination = config.get("terminateBlueInstancesOnDeploymentSuccess") or {}
    ready = config.get("deploymentReadyOption") or {}
    return {
        "terminateBlueInstancesOnDeploymentSuccess": {
            "action": termination.get("action", "TERMINATE"),
            "terminationWaitTimeInMinutes": termination.get("terminationWaitTimeInMinutes", DEFAULT_TERMINATION_WAIT),
        },
        "deploymentReadyOption": {
            "actionOnTimeout": ready.get("actionOnTimeout", "CONTINUE_DEPLOYMENT"),
            "waitTimeInMinutes": ready.get("waitTimeInMinutes", 0),
        },
    }


def canonical_triggers(triggers):
    result = []
    for trigger in sorted(triggers or [], key=lambda item: item.get("triggerName", "")):
        result.append(
            {
                "triggerName": trigger.get("triggerName"),
                "triggerTargetArn": trigger.get("triggerTargetArn"),
                "triggerEvents": sorted(set(trigger.get("triggerEvents") or [])),
            }
        )
    return result


def canonical_group(info):
    """The managed members of a DeploymentGroupInfo (or of a create request) in canonical form."""
    info = info or {}
    return {
        "ecsServices": [{"serviceName": item.get("serviceName"), "clusterName": item.get("clusterName")} for item in info.get("ecsServices") or []],
        "serviceRoleArn": info.get("serviceRoleArn"),
        "deploymentConfigName": info.get("deploymentConfigName") or DEFAULT_DEPLOYMENT_CONFIG,
        "deploymentStyle": {
            "deploymentType": (info.get("deploymentStyle") or {}).get("deploymentType", ECS_DEPLOYMENT_STYLE["deploymentType"]),
            "deploymentOption": (info.get("deploymentStyle") or {}).get("deploymentOption", ECS_DEPLOYMENT_STYLE["deploymentOption"]),
        },
        "loadBalancerInfo": canonical_load_balancer_info(info.get("loadBalancerInfo")),
        "alarmConfiguration": canonical_alarms(info.get("alarmConfiguration")),
        "autoRollbackConfiguration": canonical_auto_rollback(info.get("autoRollbackConfiguration")),
        "blueGreenDeploymentConfiguration": canonical_blue_green(info.get("blueGreenDeploymentConfiguration")),
        "triggerConfigurations": canonical_triggers(info.get("triggerConfigurations")),
    }


# ---- module arguments laid over the current group -------------------------------------------


def _pick(given, current):
    return current if given is None else given


def merge_alarms(current, option):
    """alarms option over the current alarm configuration (enabled follows the names unless given)."""
    if option is None:
        return current
    names = _pick(option.get("names"), _names(current["alarms"]))
    if len(set(names)) > MAX_ALARMS:
        fail("alarms.names: a deployment group can watch at most %d alarms, got %d." % (MAX_ALARMS, len(set(names))))
    enabled = _pick(option.get("enabled"), bool(names))
    if enabled and not names:
        fail("alarms.enabled is true but no alarm is named: give alarms.names, or set alarms.enabled to false.")
    return canonical_alarms(
        {
            "enabled": enabled,
            "ignorePollAlarmFailure": _pick(option.get("ignore_poll_alarm_failure"), current["ignorePollAlarmFailure"]),
            "alarms": [{"name": name} for name in names],
        }
    )


def merge_auto_rollback(current, option):
    if option is None:
        return current
    events = _pick(option.get("events"), current["events"])
    enabled = _pick(option.get("enabled"), bool(events))
    if enabled and not events:
        fail(
            "auto_rollback.enabled is true but auto_rollback.events is empty: name the events that roll back "
            "(for example DEPLOYMENT_FAILURE and DEPLOYMENT_STOP_ON_ALARM)."
        )
    return canonical_auto_rollback({"enabled": enabled, "events": events})


def _check_minutes(option, value):
    if value is not None and not 0 <= value <= MAX_WAIT_MINUTES:
        fail("%s must be between 0 and %d minutes, got %s." % (option, MAX_WAIT_MINUTES, value))


def merge_deployment_ready(current, option):
    """deployment_ready over the current deploymentReadyOption.

    CONTINUE_DEPLOYMENT reroutes traffic at once (its wait is 0); STOP_DEPLOYMENT waits
    wait_time_in_minutes for a manual continue and stops the deployment when nobody does.
    """
    if option is None:
        return current
    action, wait = option.get("action_on_timeout"), option.get("wait_time_in_minutes")
    _check_minutes("deployment_ready.wait_time_in_minutes", wait)
    if action is None:
        action = current["actionOnTimeout"] if wait is None else ("STOP_DEPLOYMENT" if wait > 0 else "CONTINUE_DEPLOYMENT")
    if action == "CONTINUE_DEPLOYMENT":
        if wait:
            fail(
                "deployment_ready.wait_time_in_minutes only applies with action_on_timeout=STOP_DEPLOYMENT "
                "(CONTINUE_DEPLOYMENT reroutes traffic at once): remove it or set it to 0."
            )
        wait = 0
    elif wait is None:
        wait = current["waitTimeInMinutes"]
    if action == "STOP_DEPLOYMENT" and wait < 1:
        fail("deployment_ready: action_on_timeout=STOP_DEPLOYMENT needs wait_time_in_minutes of at least 1 (how long to wait for a manual continue).")
    return {"actionOnTimeout": action, "waitTimeInMinutes": wait}


def merge_termination(current, option):
    if option is None:
        return current
    _check_minutes("original_task_set_termination.wait_time_in_minutes", option.get("wait_time_in_minutes"))
    return {
        "action": _pick(option.get("action"), current["action"]),
        "terminationWaitTimeInMinutes": _pick(option.get("wait_time_in_minutes"), current["terminationWaitTimeInMinutes"]),
    }


def merge_triggers(option):
    """SNS triggers from the triggers option (None keeps the current ones)."""
    if option is None:
        return None
    names = [trigger["name"] for trigger in option]
    duplicates = sorted(set(name for name in names if names.count(name) > 1))
    if duplicates:
        fail("triggers: trigger names must be unique, %s appears more than once." % ", ".join(duplicates))
    for index, trigger in enumerate(option):
        if ":sns:" not in trigger["target_arn"] or not trigger["target_arn"].startswith("arn:"):
            fail("triggers[%d].target_arn: %s is not an SNS topic ARN." % (index, trigger["target_arn"]))
        if not trigger["events"]:
            fail("triggers[%d].events: name at least one event for trigger %s." % (index, trigger["name"]))
    return canonical_triggers(
        [{"triggerName": trigger["name"], "triggerTargetArn": trigger["target_arn"], "triggerEvents": trigger["events"]} for trigger in option]
    )


def missing_to_create(params):
    return [option for option in REQUIRED_TO_CREATE if not params.get(option)]


def wanted_group(current, params, references):
    """The canonical group the user asks for: current laid over by what the options say.

    references resolves names (target groups, listeners, role) and checks that what is
    named exists; it only runs for options the user gave.
    """
    wanted = copy.deepcopy(current)
    if params.get("cluster") or params.get("service"):
        if not (params.get("cluster") and params.get("service")):
            fail("cluster and service go together: give both to change the ECS service of a deployment group.")
        wanted["ecsServices"] = [references.ecs_service(params["cluster"], params["service"])]
    if params.get("service_role"):
        wanted["serviceRoleArn"] = references.role_arn(params["service_role"])
    if params.get("deployment_config_name"):
        if params["deployment_config_name"] != current["deploymentConfigName"]:
            references.check_deployment_config(params["deployment_config_name"])
        wanted["deploymentConfigName"] = params["deployment_config_name"]
    wanted["deploymentStyle"] = dict(ECS_DEPLOYMENT_STYLE)

    pair = wanted["loadBalancerInfo"]["targetGroupPairInfoList"][0]
    if params.get("target_groups"):
        pair["targetGroups"] = [{"name": name} for name in references.target_group_names(params["target_groups"])]
    if params.get("production_listener") is not None:
        arn = references.listener_arn("production_listener", params["production_listener"])
        if arn is None:
            fail("production_listener: give its arn, or load_balancer and port.")
        pair["prodTrafficRoute"] = {"listenerArns": [arn]}
    if params.get("test_listener") is not None:
        arn = references.listener_arn("test_listener", params["test_listener"])
        pair.pop("testTrafficRoute", None)  # an empty test_listener removes it
        if arn is not None:
            if arn in pair["prodTrafficRoute"]["listenerArns"]:
                fail("test_listener is the production listener (%s): the test listener must be another listener." % arn)
            pair["testTrafficRoute"] = {"listenerArns": [arn]}
    if any(params.get(option) is not None for option in ("target_groups", "production_listener", "test_listener")):
        listeners = [("production_listener", arn) for arn in pair["prodTrafficRoute"]["listenerArns"]]
        listeners += [("test_listener", arn) for arn in (pair.get("testTrafficRoute") or {}).get("listenerArns", [])]
        references.check_listeners_serve_target_groups([group["name"] for group in pair["targetGroups"]], listeners)

    wanted["alarmConfiguration"] = merge_alarms(current["alarmConfiguration"], params.get("alarms"))
    if params.get("alarms") and params["alarms"].get("names"):
        references.check_alarms(params["alarms"]["names"])
    wanted["autoRollbackConfiguration"] = merge_auto_rollback(current["autoRollbackConfiguration"], params.get("auto_rollback"))
    blue_green = wanted["blueGreenDeploymentConfiguration"]
    blue_green["deploymentReadyOption"] = merge_deployment_ready(blue_green["deploymentReadyOption"], params.get("deployment_ready"))
    blue_green["terminateBlueInstancesOnDeploymentSuccess"] = merge_termination(
        blue_green["terminateBlueInstancesOnDeploymentSuccess"], params.get("original_task_set_termination")
    )
    triggers = merge_triggers(params.get("triggers"))
    if triggers is not None:
        wanted["triggerConfigurations"] = triggers
    return wanted


def changed_members(current, wanted):
    """Names of the managed members whose canonical values differ, in MANAGED_MEMBERS order."""
    return [member for member in MANAGED_MEMBERS if current.get(member) != wanted.get(member)]


def create_request(application_name, name, wanted, tags):
    request = {"applicationName": application_name, "deploymentGroupName": name}
    request.update(copy.deepcopy(wanted))
    if tags:
        request["tags"] = ansible_dict_to_boto3_tag_list(tags)
    return request


def update_request(application_name, name, wanted, members):
    """UpdateDeploymentGroup with only the changed members (AWS leaves the others as they are)."""
    request = {"applicationName": application_name, "currentDeploymentGroupName": name}
    for member in members:
        request[member] = copy.deepcopy(wanted[member])
    return request


# ---- AWS calls --------------------------------------------------------------------------------


# ---- results ----------------------------------------------------------------------------------


def describe_deployment_group(info, arn, tags):
    return described(info, "deployment_group_arn", arn, tags)


def _diff_view(canonical, tags):
    if canonical is None:
        return {}
    view = camel_dict_to_snake_dict(canonical)
    view["tags"] = dict(tags or {})
    return view


def _planned_info(application_name, name, existing, wanted):
    info = dict(existing or {"applicationName": application_name, "deploymentGroupName": name, "computePlatform": "ECS"})
    info.update(copy.deepcopy(wanted))
    return info


def ensure_deployment_group_present(module, client, references, arns):
    params = module.params
    application_name, name = params["application_name"], params["name"]
    check_name("application_name", application_name)
    check_name("name", name)
    arn = arns.deployment_group(application_name, name)
    existing = get_deployment_group(client, application_name, name)

    if existing is None:
        if get_application(client, application_name) is None:
            fail("application_name: CodeDeploy application %s does not exist; create it first with canary.ecs.codedeploy_application." % application_name)
        missing = missing_to_create(params)
        if missing:
            fail("Deployment group %s does not exist in application %s; to create it, also give: %s." % (name, application_name, ", ".join(missing)))
        wanted = wanted_group(canonical_group({}), params, references)
        if not module.check_mode:
            create_deployment_group(client, create_request(application_name, name, wanted, params["tags"]))
        info = (not module.check_mode and get_deployment_group(client, application_name, name)) or _planned_info(application_name, name, None, wanted)
        tags = params["tags"] or {}
        return dict(
            changed=True,
            deployment_group=describe_deployment_group(info, arn, tags),
            diff=diff_result({}, _diff_view(wanted, tags)),
        )

    if existing.get("computePlatform", "ECS") != "ECS":
        fail(
            "Deployment group %s of application %s is for the %s compute platform; this module manages ECS blue/green groups."
            % (name, application_name, existing.get("computePlatform"))
        )
    current = canonical_group(existing)
    wanted = wanted_group(current, params, references)
    members = changed_members(current, wanted)
    current_tags = list_tags(client, arn)
    if members and not module.check_mode:
        update_deployment_group(client, update_request(application_name, name, wanted, members))
    tags_changed, after_tags = ensure_tags(client, module.check_mode, arn, current_tags, params["tags"], params["purge_tags"])
    info = existing
    if members:
        info = (not module.check_mode and get_deployment_group(client, application_name, name)) or _planned_info(application_name, name, existing, wanted)
    return dict(
        changed=bool(members) or tags_changed,
        changed_settings=[_camel_to_snake(member) for member in members],
        deployment_group=describe_deployment_group(info, arn, after_tags),
        diff=diff_result(_diff_view(current, current_tags), _diff_view(wanted, after_tags)),
    )


def ensure_deployment_group_absent(module, client, arns):
    application_name, name = module.params["application_name"], module.params["name"]
    check_name("application_name", application_name)
    check_name("name", name)
    existing = get_deployment_group(client, application_name, name)
    if existing is None:
        return dict(changed=False, deployment_group={}, diff=diff_result({}, {}))
    arn = arns.deployment_group(application_name, name)
    current_tags = list_tags(client, arn)
    if not module.check_mode:
        delete_deployment_group(client, application_name, name)
    return dict(
        changed=True,
        deployment_group=describe_deployment_group(existing, arn, current_tags),
        diff=diff_result(_diff_view(canonical_group(existing), current_tags), {}),
    )


def serves(group, cluster, service):
    """Whether a deployment group deploys this ECS service (cluster and service by name or ARN)."""
    for ecs_service in group.get("ecsServices") or []:
        if short_name(ecs_service.get("clusterName")) == short_name(cluster) and short_name(ecs_service.get("serviceName")) == short_name(service):
            return True
    return False
