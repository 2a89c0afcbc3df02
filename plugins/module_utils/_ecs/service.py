# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ECS services that a release owns after their creation: created (with tags) once, scaled, deleted.

After creation a release owns the service's task definition (and, under CODE_DEPLOY, its
task sets, load balancers and network through CodeDeploy). So an existing service is
compared only in what stays the operator's: the desired count, the health check grace
period and the tags. The deployment controller is never switched here: a difference is
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
    if params["deployment_controller"] == "CODE_DEPLOY" and len(params["load_balancers"] or []) > 1:
        fail("load_balancers may name one target group under deployment_controller=CODE_DEPLOY (CodeDeploy owns the second one of the pair)")


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
        request["loadBalancers"] = [
            {"targetGroupArn": b["target_group_arn"], "containerName": b["container_name"], "containerPort": b["container_port"]}
            for b in params["load_balancers"]
        ]
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


_DIFF_KEYS = ("service_name", "task_definition", "desired_count", "health_check_grace_period_seconds", "deployment_controller", "tags")


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
