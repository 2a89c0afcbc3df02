# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ECS services that a release owns after their creation: created (with tags) once, scaled, deleted.

After creation a release owns the service's task definition (and, under CODE_DEPLOY, its
task sets, load balancers and network through CodeDeploy). So an existing service is
compared only in what stays the operator's: the desired count, the health check grace
period, the tags and, under ECS's own deployments, the strategy and its settings
(deploymentConfiguration, which starts no deployment when changed). The deployment controller is never switched here: a difference is
refused before anything changes.
"""

import re

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.canary.ecs.plugins.module_utils._ecs import api
from ansible_collections.canary.ecs.plugins.module_utils._ecs.cluster import check_name, reconcile_ecs_tags
from ansible_collections.canary.ecs.plugins.module_utils.common import diff_result, fail

_TARGET_GROUP_ARN = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]+$")
_TASK_DEFINITION = re.compile(r"^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/)?[A-Za-z0-9_-]{1,255}(:\d+)?$")
MAX_GRACE_PERIOD = 2147483647

NATIVE_STRATEGIES = ("BLUE_GREEN", "LINEAR", "CANARY")
PAUSE_STAGES = (
    "PRE_SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
)
MAX_BAKE_MINUTES = 1440
MAX_HOOK_MINUTES = 20160
_RULE_ARN = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener(-rule)?/app/")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/")

# What an existing service is compared in (option -> the service's field and UpdateService's parameter).
_UPDATABLE = (("desired_count", "desiredCount"), ("health_check_grace_period_seconds", "healthCheckGracePeriodSeconds"))


def check_params(params):
    """Every option checked before the first call, each error naming its option."""
    check_name("name", params["name"], "service")
    if not params["cluster"]:
        fail("cluster must name the ECS cluster of the service")
    if params["state"] == "absent":
        if params["wait_timeout"] < 0:
            fail("wait_timeout must be 0 or more seconds, got %d" % params["wait_timeout"])
        return
    task_definition = params["task_definition"]
    if task_definition is not None and not _TASK_DEFINITION.match(task_definition):
        fail("task_definition must be a task definition ARN, family:revision or family, got %r" % task_definition)
    if params["desired_count"] is not None and params["desired_count"] < 0:
        fail("desired_count must be 0 or more, got %d" % params["desired_count"])
    grace = params["health_check_grace_period_seconds"]
    if grace is not None and not 0 <= grace <= MAX_GRACE_PERIOD:
        fail("health_check_grace_period_seconds must be 0 to %d, got %d" % (MAX_GRACE_PERIOD, grace))
    for index, balancer in enumerate(params["load_balancers"] or []):
        where = "load_balancers[%d]" % index
        if not _TARGET_GROUP_ARN.match(balancer["target_group_arn"] or ""):
            fail(
                "%s.target_group_arn must be an ELBv2 target group ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID), got %r"
                % (where, balancer["target_group_arn"])
            )
        if not 1 <= balancer["container_port"] <= 65535:
            fail("%s.container_port must be 1 to 65535, got %d" % (where, balancer["container_port"]))
    network = params["network_configuration"]
    if network is not None:
        bad = [subnet for subnet in network["subnets"] or [] if not str(subnet).startswith("subnet-")]
        if not network["subnets"] or bad:
            fail("network_configuration.subnets must name one or more subnet IDs (subnet-...), got %s" % (", ".join(map(repr, bad)) or "none"))
        bad = [group for group in network["security_groups"] or [] if not str(group).startswith("sg-")]
        if bad:
            fail("network_configuration.security_groups must be security group IDs (sg-...), got %s" % ", ".join(map(repr, bad)))
    _check_strategy(params)
    if params["deployment_controller"] == "CODE_DEPLOY" and len(params["load_balancers"] or []) > 1:
        fail("load_balancers may name one target group under deployment_controller=CODE_DEPLOY (CodeDeploy owns the second one of the pair)")


def _in_range(option, value, low, high, step=None):
    if value is None:
        return
    if not low <= value <= high:
        fail("%s must be %s to %s, got %s" % (option, low, high, value))
    if step and abs(round(value / step) * step - value) > 1e-9:
        fail("%s must be a multiple of %s, got %s" % (option, step, value))


def _check_strategy(params):
    """The ECS deployment strategy's settings, as ECS takes them (each error naming its option)."""
    strategy = params.get("deployment_strategy")
    if strategy is None:
        for option in ("canary", "linear", "bake_minutes", "deployment_alarms", "pause_hooks"):
            if params.get(option) not in (None, []):
                fail("%s needs deployment_strategy (BLUE_GREEN, LINEAR or CANARY)" % option)
        return
    if params["deployment_controller"] != "ECS":
        fail("deployment_strategy is ECS's own: it needs deployment_controller=ECS (got %s)" % params["deployment_controller"])
    if params.get("canary") and strategy != "CANARY":
        fail("canary is only valid with deployment_strategy=CANARY (got %s)" % strategy)
    if params.get("linear") and strategy != "LINEAR":
        fail("linear is only valid with deployment_strategy=LINEAR (got %s)" % strategy)
    canary, linear = params.get("canary") or {}, params.get("linear") or {}
    _in_range("canary.percent", canary.get("percent"), 0.1, 100.0, step=0.1)
    _in_range("canary.bake_minutes", canary.get("bake_minutes"), 0, MAX_BAKE_MINUTES)
    _in_range("linear.step_percent", linear.get("step_percent"), 3.0, 100.0, step=0.1)
    _in_range("linear.step_bake_minutes", linear.get("step_bake_minutes"), 0, MAX_BAKE_MINUTES)
    _in_range("bake_minutes", params.get("bake_minutes"), 0, MAX_BAKE_MINUTES)
    alarms = params.get("deployment_alarms") or {}
    if alarms and not alarms.get("names"):
        fail("deployment_alarms.names must name at least one CloudWatch alarm")
    for index, hook in enumerate(params.get("pause_hooks") or []):
        if not hook["stages"]:
            fail("pause_hooks[%d].stages must name at least one lifecycle stage" % index)
        _in_range("pause_hooks[%d].timeout_minutes" % index, hook["timeout_minutes"], 1, MAX_HOOK_MINUTES)
    if strategy in NATIVE_STRATEGIES:
        if not params["load_balancers"]:
            fail("deployment_strategy=%s needs load_balancers with alternate_target_group_arn, production_listener_rule_arn and role_arn" % strategy)
        for index, balancer in enumerate(params["load_balancers"]):
            where = "load_balancers[%d]" % index
            for option in ("alternate_target_group_arn", "production_listener_rule_arn", "role_arn"):
                if not balancer.get(option):
                    fail("%s.%s is required with deployment_strategy=%s" % (where, option, strategy))
            if not _TARGET_GROUP_ARN.match(balancer["alternate_target_group_arn"]):
                fail("%s.alternate_target_group_arn must be an ELBv2 target group ARN, got %r" % (where, balancer["alternate_target_group_arn"]))
            if balancer["alternate_target_group_arn"] == balancer["target_group_arn"]:
                fail("%s.alternate_target_group_arn must differ from target_group_arn" % where)
            for option in ("production_listener_rule_arn", "test_listener_rule_arn"):
                if balancer.get(option) and not _RULE_ARN.match(balancer[option]):
                    fail(
                        "%s.%s must be an ALB listener rule ARN (arn:aws:elasticloadbalancing:...:listener-rule/app/...), got %r"
                        % (where, option, balancer[option])
                    )
            if not _ROLE_ARN.match(balancer["role_arn"]):
                fail("%s.role_arn must be an IAM role ARN, got %r" % (where, balancer["role_arn"]))


def deployment_configuration(params):
    """ECS's DeploymentConfiguration from the options; None without deployment_strategy."""
    strategy = params.get("deployment_strategy")
    if strategy is None:
        return None
    config = {"strategy": strategy}
    if strategy in NATIVE_STRATEGIES:
        config["bakeTimeInMinutes"] = params["bake_minutes"] if params.get("bake_minutes") is not None else 0
    canary, linear = params.get("canary") or {}, params.get("linear") or {}
    if strategy == "CANARY":
        config["canaryConfiguration"] = {
            "canaryPercent": float(canary.get("percent") if canary.get("percent") is not None else 5.0),
            "canaryBakeTimeInMinutes": canary.get("bake_minutes") if canary.get("bake_minutes") is not None else 10,
        }
    if strategy == "LINEAR":
        config["linearConfiguration"] = {
            "stepPercent": float(linear.get("step_percent") if linear.get("step_percent") is not None else 10.0),
            "stepBakeTimeInMinutes": linear.get("step_bake_minutes") if linear.get("step_bake_minutes") is not None else 6,
        }
    alarms = params.get("deployment_alarms")
    if alarms:
        config["alarms"] = {"alarmNames": list(alarms["names"]), "enable": True, "rollback": bool(alarms["rollback"])}
    hooks = params.get("pause_hooks") or []
    if hooks:
        config["lifecycleHooks"] = [
            {
                "targetType": "PAUSE",
                "lifecycleStages": list(hook["stages"]),
                "timeoutConfiguration": {"timeoutInMinutes": hook["timeout_minutes"], "action": hook["timeout_action"]},
            }
            for hook in hooks
        ]
    return config


def _compared_configuration(config):
    """The part of a described DeploymentConfiguration the module compares (what deployment_configuration() sets)."""
    keys = ("strategy", "bakeTimeInMinutes", "canaryConfiguration", "linearConfiguration", "alarms", "lifecycleHooks")
    found = dict((key, (config or {}).get(key)) for key in keys if (config or {}).get(key) not in (None, []))
    for hook in found.get("lifecycleHooks") or []:
        hook.pop("hookDetails", None)
    return found


def _load_balancer(balancer):
    found = {"targetGroupArn": balancer["target_group_arn"], "containerName": balancer["container_name"], "containerPort": balancer["container_port"]}
    if balancer.get("alternate_target_group_arn"):
        advanced = {"alternateTargetGroupArn": balancer["alternate_target_group_arn"], "roleArn": balancer["role_arn"]}
        advanced["productionListenerRule"] = balancer["production_listener_rule_arn"]
        if balancer.get("test_listener_rule_arn"):
            advanced["testListenerRule"] = balancer["test_listener_rule_arn"]
        found["advancedConfiguration"] = advanced
    return found


def create_request(params):
    """CreateService's request from the options."""
    request = {
        "cluster": params["cluster"],
        "serviceName": params["name"],
        "taskDefinition": params["task_definition"],
        "desiredCount": params["desired_count"] if params["desired_count"] is not None else 1,
        "launchType": params["launch_type"],
        "deploymentController": {"type": params["deployment_controller"]},
        "propagateTags": params["propagate_tags"],
        "schedulingStrategy": "REPLICA",
    }
    if params["load_balancers"]:
        request["loadBalancers"] = [_load_balancer(balancer) for balancer in params["load_balancers"]]
    configuration = deployment_configuration(params)
    if configuration is not None:
        request["deploymentConfiguration"] = configuration
    network = params["network_configuration"]
    if network is not None:
        vpc = {"subnets": list(network["subnets"]), "assignPublicIp": "ENABLED" if network["assign_public_ip"] else "DISABLED"}
        if network["security_groups"]:
            vpc["securityGroups"] = list(network["security_groups"])
        request["networkConfiguration"] = {"awsvpcConfiguration": vpc}
    if params["health_check_grace_period_seconds"] is not None:
        request["healthCheckGracePeriodSeconds"] = params["health_check_grace_period_seconds"]
    if params["tags"]:
        # In the same call: a run interrupted after it leaves a service that already says whose it is.
        request["tags"] = api.ecs_tags(params["tags"])
    return request


def describe_service(service, tags=None):
    """The module's view: snake_case without the event log, tags as a dict (keys unchanged)."""
    if not service:
        return {}
    view = camel_dict_to_snake_dict(dict((key, value) for key, value in service.items() if key not in ("tags", "events")))
    view["tags"] = dict(api.tag_dict(service.get("tags")) if tags is None else tags)
    return view


_DIFF_KEYS = (
    "service_name",
    "task_definition",
    "desired_count",
    "health_check_grace_period_seconds",
    "deployment_controller",
    "deployment_configuration",
    "tags",
)


def _diff_view(service, tags=None):
    view = describe_service(service, tags)
    return dict((key, view.get(key)) for key in _DIFF_KEYS) if view else {}


def ensure_service_present(module, client):
    params = module.params
    check_params(params)
    cluster, name = params["cluster"], params["name"]
    existing = api.describe_service(client, cluster, name)

    if existing is None:
        if not params["task_definition"]:
            fail("task_definition is required to create ECS service %s in cluster %s" % (name, cluster))
        request = create_request(params)
        if module.check_mode:
            service = dict((key, value) for key, value in request.items() if key not in ("cluster",))
            service.update(status="ACTIVE", clusterArn=cluster)
        else:
            if api.describe_cluster(client, cluster) is None:
                fail("ECS cluster %s does not exist: create it first (canary.ecs.ecs_cluster), then service %s in it." % (cluster, name))
            service = api.create_service(client, request)
        tags = params["tags"] or {}
        return dict(changed=True, service=describe_service(service, tags), diff=diff_result({}, _diff_view(service, tags)))

    controller = (existing.get("deploymentController") or {}).get("type") or "ECS"
    if controller != params["deployment_controller"]:
        fail(
            "ECS service %s in cluster %s has the deployment controller %s, not %s: this module does not switch controllers. "
            "Give deployment_controller=%s, or delete the service and create it again."
            % (name, cluster, controller, params["deployment_controller"], controller)
        )
    current_tags = api.tag_dict(existing.get("tags"))
    changes = dict((field, params[option]) for option, field in _UPDATABLE if params[option] is not None and params[option] != existing.get(field))
    configuration = deployment_configuration(params)
    if configuration is not None and configuration != _compared_configuration(existing.get("deploymentConfiguration")):
        # the strategy and its settings stay the operator's: changing them starts no deployment
        changes["deploymentConfiguration"] = configuration
    after = dict(existing)
    after.update(changes)
    if changes and not module.check_mode:
        after = api.update_service(client, cluster, name, changes)
    tags_changed, after_tags = reconcile_ecs_tags(module, client, existing["serviceArn"], current_tags)
    return dict(
        changed=bool(changes) or tags_changed,
        service=describe_service(after, after_tags),
        diff=diff_result(_diff_view(existing, current_tags), _diff_view(after, after_tags)),
    )


def ensure_service_absent(module, client):
    """Delete the service (its task sets go with it) and, with wait, until it is INACTIVE."""
    params = module.params
    check_params(params)
    cluster, name = params["cluster"], params["name"]
    existing = api.describe_service(client, cluster, name)
    if existing is None:
        return dict(changed=False, service={}, diff=diff_result({}, {}))
    if not params["force_deletion"] and existing.get("desiredCount"):
        fail(
            "ECS service %s in cluster %s still wants %d task(s): give force_deletion=true, or scale it to 0 first (desired_count=0)."
            % (name, cluster, existing["desiredCount"])
        )
    if not module.check_mode:
        api.delete_service(client, cluster, name, params["force_deletion"])
        if params["wait"]:
            api.wait_service_gone(client, cluster, name, params["wait_timeout"])
    return dict(
        changed=True,
        msg="%s ECS service %s in cluster %s" % ("Would have deleted" if module.check_mode else "Deleted", name, cluster),
        service=describe_service(existing),
        diff=diff_result(_diff_view(existing), {}),
    )
