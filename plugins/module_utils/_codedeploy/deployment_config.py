# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Custom ECS deployment configs (traffic routing): build, compare, create, delete.

AWS never changes a deployment config after it is created, and refuses to delete one
that a deployment group uses: both cases fail here with what to do instead.
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import is_ansible_aws_error_code

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.api import ECS, create_deployment_config, deployment_groups, get_deployment_config
from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.api import delete_deployment_config as _delete
from ansible_collections.canary.ecs.plugins.module_utils.common import check_name, diff_result, fail

# AWS reserves this prefix for its predefined deployment configs.
PREDEFINED_CONFIG_PREFIX = "CodeDeployDefault."
# Module choice -> (AWS TrafficRoutingType, name of its settings member, settings key prefix)
ROUTING_TYPES = {
    "canary": ("TimeBasedCanary", "timeBasedCanary", "canary"),
    "linear": ("TimeBasedLinear", "timeBasedLinear", "linear"),
    "all_at_once": ("AllAtOnce", None, None),
}
# Percentages CodeDeploy accepts: 1 to 99 for both (a canary shifts the rest in its second
# step; a linear step of 100 is all at once, which has its own traffic_routing).
PERCENTAGE_RANGE = {"canary": (1, 99), "linear": (1, 99)}
MAX_INTERVAL_MINUTES = 2880  # CodeDeploy waits at most two days between traffic shifts


def is_predefined(name):
    return name.startswith(PREDEFINED_CONFIG_PREFIX)


def validate_routing(kind, percentage, interval):
    """Messages about a routing definition that cannot work (empty when it is fine)."""
    if kind == "all_at_once":
        given = [option for option, value in (("percentage", percentage), ("interval", interval)) if value is not None]
        if given:
            return ["traffic_routing=all_at_once shifts all traffic in one step: remove %s." % " and ".join(given)]
        return []
    errors = []
    low, high = PERCENTAGE_RANGE[kind]
    if percentage is None or not low <= percentage <= high:
        errors.append("percentage must be between %d and %d for traffic_routing=%s, got %s." % (low, high, kind, percentage))
    if percentage == 100 and kind == "linear":
        errors[-1] += " A linear step of 100 is traffic_routing=all_at_once."
    if interval is None or not 1 <= interval <= MAX_INTERVAL_MINUTES:
        errors.append("interval must be 1 to %d minutes for traffic_routing=%s, got %s." % (MAX_INTERVAL_MINUTES, kind, interval))
    return errors


def routing_request(kind, percentage, interval):
    """The trafficRoutingConfig member of CreateDeploymentConfig."""
    routing_type, member, prefix = ROUTING_TYPES[kind]
    request = {"type": routing_type}
    if member:
        request[member] = {prefix + "Percentage": percentage, prefix + "Interval": interval}
    return request


def canonical_routing(routing):
    """A traffic routing config with only the members that matter for its type (for comparison)."""
    routing = routing or {"type": "AllAtOnce"}
    for _kind, (routing_type, member, _prefix) in ROUTING_TYPES.items():
        if routing.get("type") == routing_type:
            result = {"type": routing_type}
            if member:
                result[member] = dict(routing.get(member) or {})
            return result
    return dict(routing)


def describe_routing(routing):
    """'canary: 10% first, the rest after 5 minutes' -- for messages."""
    routing = canonical_routing(routing)
    if routing["type"] == "TimeBasedCanary":
        settings = routing["timeBasedCanary"]
        return "canary: %s%% first, the rest after %s minutes" % (settings.get("canaryPercentage"), settings.get("canaryInterval"))
    if routing["type"] == "TimeBasedLinear":
        settings = routing["timeBasedLinear"]
        return "linear: %s%% more every %s minutes" % (settings.get("linearPercentage"), settings.get("linearInterval"))
    if routing["type"] == "AllAtOnce":
        return "all at once"
    return routing["type"]


def find_groups_using(client, config_name):
    """'application/group' names of every deployment group whose config is config_name."""
    return sorted(
        "%s/%s" % (group["applicationName"], group["deploymentGroupName"])
        for group in deployment_groups(client)
        if group.get("deploymentConfigName") == config_name
    )


def _in_use_message(name, users):
    # users can be empty when AWS refused the delete but the groups changed again since.
    used_by = "deployment groups %s" % ", ".join(users) if users else "a deployment group (none was found when looking again)"
    return (
        "Deployment config %s is used by %s; AWS refuses to delete a config in use. "
        "Point those groups at another config (deployment_config_name of canary.ecs.codedeploy_deployment_group) "
        "or delete them, then delete the config." % (name, used_by)
    )


def delete_deployment_config(client, name):
    """Delete a config; when it turned out to be in use, say by which groups."""
    try:
        _delete(client, name)
    except is_ansible_aws_error_code("DeploymentConfigInUseException"):
        # A group started using it since we looked.
        fail(_in_use_message(name, find_groups_using(client, name)))


def describe_deployment_config(config):
    """The module's view of a deployment config (snake_case)."""
    return camel_dict_to_snake_dict(config)


def _diff_view(config):
    if not config:
        return {}
    return {
        "deployment_config_name": config["deploymentConfigName"],
        "compute_platform": config.get("computePlatform"),
        "traffic_routing_config": camel_dict_to_snake_dict(canonical_routing(config.get("trafficRoutingConfig"))),
    }


def ensure_deployment_config_present(module, client):
    name = module.params["name"]
    kind, percentage, interval = module.params["traffic_routing"], module.params["percentage"], module.params["interval"]
    check_name("name", name)
    errors = validate_routing(kind, percentage, interval)
    if errors:
        fail("Deployment config %s: %s" % (name, " ".join(errors)))
    wanted = canonical_routing(routing_request(kind, percentage, interval))
    existing = get_deployment_config(client, name)

    if existing is not None:
        same_platform = existing.get("computePlatform", ECS) == ECS
        if same_platform and canonical_routing(existing.get("trafficRoutingConfig")) == wanted:
            return dict(changed=False, deployment_config=describe_deployment_config(existing), diff=diff_result(_diff_view(existing), _diff_view(existing)))
        if is_predefined(name):
            fail(
                "%s is a deployment config predefined by AWS (%s); it is read-only. Use its name as it is, or create a config under "
                "a name that does not start with %s." % (name, describe_routing(existing.get("trafficRoutingConfig")), PREDEFINED_CONFIG_PREFIX)
            )
        fail(
            "Deployment config %s already exists as %s (compute platform %s) and AWS never changes a deployment config. "
            "To get %s, create it under a new name and point the deployment groups at it, or delete %s first (state=absent) "
            "once no deployment group uses it."
            % (name, describe_routing(existing.get("trafficRoutingConfig")), existing.get("computePlatform"), describe_routing(wanted), name)
        )
    if is_predefined(name):
        fail("Deployment config names starting with %s are reserved by AWS (%s does not exist): choose another name." % (PREDEFINED_CONFIG_PREFIX, name))

    planned = {"deploymentConfigName": name, "computePlatform": ECS, "trafficRoutingConfig": wanted}
    if not module.check_mode:
        planned["deploymentConfigId"] = create_deployment_config(client, name, wanted)
        planned = get_deployment_config(client, name) or planned
    return dict(changed=True, deployment_config=describe_deployment_config(planned), diff=diff_result({}, _diff_view(planned)))


def ensure_deployment_config_absent(module, client):
    name = module.params["name"]
    check_name("name", name)
    if is_predefined(name):
        fail("%s is a deployment config predefined by AWS; it cannot be deleted." % name)
    existing = get_deployment_config(client, name)
    if existing is None:
        return dict(changed=False, deployment_config={}, diff=diff_result({}, {}))
    # Checked first so that check mode tells the truth about a config in use.
    users = find_groups_using(client, name)
    if users:
        fail(_in_use_message(name, users))
    if not module.check_mode:
        delete_deployment_config(client, name)
    return dict(changed=True, deployment_config=describe_deployment_config(existing), diff=diff_result(_diff_view(existing), {}))
