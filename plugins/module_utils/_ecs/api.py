# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Every ECS cluster and service call of the resource modules, one function each, returning AWS's own dicts.

Every call retries ECS's throttling codes (the client comes from common.Clients); errors
become AnsibleCanaryECSError saying what was being done. The calls of a release are in
_release/api.py. Nothing here knows about modules or results.
"""

import time
from functools import partial

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
