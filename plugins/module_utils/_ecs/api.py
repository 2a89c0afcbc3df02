# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Every ECS cluster, service and service-deployment call, one function each, returning AWS's own dicts.

Every call retries ECS's throttling codes (the client comes from common.Clients); errors
become AnsibleCanaryECSError saying what was being done. The service deployments (ECS's own
blue/green, linear and canary releases) serve _release/ecs.py; the other calls of a release
are in _release/api.py. Nothing here knows about modules or results.
"""

import time
from functools import partial

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list, boto3_tag_list_to_ansible_dict

from ansible_collections.canary.ecs.plugins.module_utils.common import ECSErrorHandler, fail
from ansible_collections.canary.ecs.plugins.module_utils.tags import apply_tag_changes


def ecs_tags(tags):
    """{key: value} -> ECS's [{key, value}]."""
    return ansible_dict_to_boto3_tag_list(tags or {}, tag_name_key_name="key", tag_value_key_name="value")


def tag_dict(tag_list):
    """ECS's [{key, value}] (the key is missing when some implementations have none) -> {key: value}."""
    return boto3_tag_list_to_ansible_dict(tag_list or [], tag_name_key_name="key", tag_value_key_name="value")


# ---------------------------------------------------------------------------- clusters


@ECSErrorHandler.list_error_handler("describe the ECS cluster")
def describe_cluster(ecs, name):
    """The ACTIVE (or PROVISIONING) cluster with its tags, None when it does not exist or is INACTIVE."""
    found = ecs.describe_clusters(aws_retry=True, clusters=[name], include=["TAGS"]).get("clusters") or []
    found = [cluster for cluster in found if cluster.get("status") != "INACTIVE"]
    return found[0] if found else None


@ECSErrorHandler.common_error_handler("create the ECS cluster")
def create_cluster(ecs, name, capacity_providers, strategy, tags):
    request = {"clusterName": name}
    if capacity_providers:
        request["capacityProviders"] = capacity_providers
    if strategy:
        request["defaultCapacityProviderStrategy"] = strategy
    if tags:
        # In the same call: a run interrupted after it leaves a cluster that already says whose it is.
        request["tags"] = ecs_tags(tags)
    return ecs.create_cluster(aws_retry=True, **request)["cluster"]


@ECSErrorHandler.common_error_handler("set the capacity providers of the ECS cluster")
def put_capacity_providers(ecs, name, capacity_providers, strategy):
    return ecs.put_cluster_capacity_providers(aws_retry=True, cluster=name, capacityProviders=capacity_providers, defaultCapacityProviderStrategy=strategy)[
        "cluster"
    ]


@ECSErrorHandler.deletion_error_handler("delete the ECS cluster")
def delete_cluster(ecs, name):
    return ecs.delete_cluster(aws_retry=True, cluster=name)["cluster"]


# ---------------------------------------------------------------------------- services


@ECSErrorHandler.list_error_handler("describe the ECS service")
def describe_service(ecs, cluster, name):
    """The service with its tags, None when it (or its cluster) does not exist or it is INACTIVE."""
    found = ecs.describe_services(aws_retry=True, cluster=cluster, services=[name], include=["TAGS"]).get("services") or []
    found = [service for service in found if service.get("status") != "INACTIVE"]
    return found[0] if found else None


@ECSErrorHandler.common_error_handler("create the ECS service")
def create_service(ecs, request):
    return ecs.create_service(aws_retry=True, **request)["service"]


@ECSErrorHandler.common_error_handler("update the ECS service")
def update_service(ecs, cluster, name, changes):
    return ecs.update_service(aws_retry=True, cluster=cluster, service=name, **changes)["service"]


@ECSErrorHandler.deletion_error_handler("delete the ECS service")
def delete_service(ecs, cluster, name, force):
    return ecs.delete_service(aws_retry=True, cluster=cluster, service=name, force=force)["service"]


def wait_service_gone(ecs, cluster, name, timeout, delay=5, clock=time.time, sleep=time.sleep):
    """Until the service is INACTIVE or gone (its tasks drained); each look retried like every call."""
    deadline = clock() + timeout
    while describe_service(ecs, cluster, name) is not None:
        if clock() >= deadline:
            fail(
                "ECS service %s in cluster %s was deleted but is still draining after %d s (wait_timeout): its tasks are stopping; "
                "run again later, or raise wait_timeout." % (name, cluster, timeout)
            )
        sleep(delay)


# ---------------------------------------------------------------------------- tags


@ECSErrorHandler.common_error_handler("read the tags of the ECS resource")
def list_tags(ecs, arn):
    return tag_dict(ecs.list_tags_for_resource(aws_retry=True, resourceArn=arn).get("tags"))


@ECSErrorHandler.common_error_handler("update the tags of the ECS resource")
def apply_tags(ecs, arn, to_set, to_remove):
    untag, tag = partial(ecs.untag_resource, aws_retry=True, resourceArn=arn), partial(ecs.tag_resource, aws_retry=True, resourceArn=arn)
    apply_tag_changes(to_set, to_remove, untag, tag, ecs=True)


# ---------------------------------------------------------------------------- service deployments (ECS's own releases)

SERVICE_DEPLOYMENTS_PER_DESCRIBE = 20


@ECSErrorHandler.common_error_handler("list the service deployments of the ECS service")
def list_service_deployments(ecs, cluster, service, statuses=None, limit=None):
    """ServiceDeploymentBrief dicts, newest first (ECS's order), at most `limit` (all pages without one)."""
    request = {"cluster": cluster, "service": service}
    if statuses:
        request["status"] = list(statuses)
    found = []
    while True:
        if limit:
            request["maxResults"] = min(100, limit - len(found))
        page = ecs.list_service_deployments(aws_retry=True, **request)
        found.extend(page.get("serviceDeployments") or [])
        if not page.get("nextToken") or (limit and len(found) >= limit):
            return found
        request["nextToken"] = page["nextToken"]


@ECSErrorHandler.common_error_handler("describe the service deployments")
def describe_service_deployments(ecs, arns):
    """ServiceDeployment dicts of these ARNs (20 per call), in the order asked; missing ones left out."""
    return _described(ecs.describe_service_deployments, "serviceDeploymentArns", "serviceDeployments", "serviceDeploymentArn", arns)


@ECSErrorHandler.common_error_handler("describe the service revisions")
def describe_service_revisions(ecs, arns):
    return _described(ecs.describe_service_revisions, "serviceRevisionArns", "serviceRevisions", "serviceRevisionArn", arns)


def _described(call, asked, answered, key, arns):
    found = {}
    arns = list(arns)
    for start in range(0, len(arns), SERVICE_DEPLOYMENTS_PER_DESCRIBE):
        page = call(aws_retry=True, **{asked: arns[start : start + SERVICE_DEPLOYMENTS_PER_DESCRIBE]})
        for item in page.get(answered) or []:
            found[item[key]] = item
    return [found[arn] for arn in arns if arn in found]


@ECSErrorHandler.common_error_handler("start a service deployment (UpdateService with the new task definition)")
def update_task_definition(ecs, cluster, service, task_definition_arn):
    return ecs.update_service(aws_retry=True, cluster=cluster, service=service, taskDefinition=task_definition_arn)["service"]


@ECSErrorHandler.common_error_handler("stop the service deployment")
def stop_service_deployment(ecs, arn):
    """True once ECS took the stop (with rollback); False when the deployment had already ended (ConflictException)."""
    try:
        ecs.stop_service_deployment(aws_retry=True, serviceDeploymentArn=arn, stopType="ROLLBACK")
    except is_boto3_error_code("ConflictException"):
        return False
    return True


@ECSErrorHandler.common_error_handler("continue the service deployment")
def continue_service_deployment(ecs, arn, hook_id, action="CONTINUE"):
    ecs.continue_service_deployment(aws_retry=True, serviceDeploymentArn=arn, hookId=hook_id, action=action)
