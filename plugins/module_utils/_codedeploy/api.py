# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Every CodeDeploy call of the collection, one function each, returning AWS's own dicts.

Listings use botocore's paginators (no page limit of our own, no nextToken loops); every
call retries CodeDeploy's throttling codes (common.retry_decorator); batch reads take the
most names AWS allows per call. The walk over "every deployment group of every ECS
application" is written once: `deployment_groups()`.

Nothing here knows about modules, results or presentation; the layers above do.
"""

from functools import partial

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list, boto3_tag_list_to_ansible_dict

from ansible_collections.canary.ecs.plugins.module_utils.common import CodeDeployErrorHandler, paginate, retry_decorator
from ansible_collections.canary.ecs.plugins.module_utils.tags import apply_tag_changes

ECS = "ECS"
# BatchGetApplications / BatchGetDeploymentGroups take 100 names per call, BatchGetDeployments 25.
BATCH_APPLICATIONS = 100
BATCH_GROUPS = 100
BATCH_DEPLOYMENTS = 25
# ListTagsForResource has no paginator; a resource has at most 50 tags, so a few pages is plenty.
_MAX_TAG_PAGES = 20

_retry = retry_decorator("codedeploy")


_paginate = _retry(paginate)


def _batch_get(call, names_key, names, size, found_key, **request):
    """Every item a Batch* read finds for `names`, in as few calls as AWS allows (`size` names each)."""
    names = list(names)
    found = []
    for start in range(0, len(names), size):
        response = call(aws_retry=True, **dict(request, **{names_key: names[start : start + size]}))
        found.extend(response.get(found_key, []))
    return found


def _getter(operation, name_key, result_key, what):
    """get_<resource>(client, name): AWS's dict of the named resource, None when it does not exist."""

    @CodeDeployErrorHandler.list_error_handler(what)
    def get(client, name):
        return getattr(client, operation)(aws_retry=True, **{name_key: name})[result_key]

    return get


def _lister(operation, key, what):
    """list_<resource>_names(client): every name of a paginated listing."""

    @CodeDeployErrorHandler.common_error_handler(what)
    def list_names(client):
        return _paginate(client, operation, key)

    return list_names


# ---------------------------------------------------------------------------- applications

get_application = _getter("get_application", "applicationName", "application", "get the CodeDeploy application")
list_application_names = _lister("list_applications", "applications", "list the CodeDeploy applications")


@CodeDeployErrorHandler.common_error_handler("describe the CodeDeploy applications")
def batch_get_applications(client, names):
    return _batch_get(client.batch_get_applications, "applicationNames", names, BATCH_APPLICATIONS, "applicationsInfo")


@CodeDeployErrorHandler.common_error_handler("create the CodeDeploy application")
def create_application(client, name, tags):
    request = {"applicationName": name, "computePlatform": ECS}
    if tags:
        request["tags"] = ansible_dict_to_boto3_tag_list(tags)
    return client.create_application(aws_retry=True, **request)["applicationId"]


@CodeDeployErrorHandler.deletion_error_handler("delete the CodeDeploy application")
def delete_application(client, name):
    client.delete_application(aws_retry=True, applicationName=name)
    return True


# ---------------------------------------------------------------------------- deployment groups


@CodeDeployErrorHandler.list_error_handler("list the deployment groups of a CodeDeploy application", [])
def list_deployment_group_names(client, application_name):
    return _paginate(client, "list_deployment_groups", "deploymentGroups", applicationName=application_name)


@CodeDeployErrorHandler.list_error_handler("get the CodeDeploy deployment group")
def get_deployment_group(client, application_name, name):
    return client.get_deployment_group(aws_retry=True, applicationName=application_name, deploymentGroupName=name)["deploymentGroupInfo"]


@CodeDeployErrorHandler.common_error_handler("describe the CodeDeploy deployment groups")
def batch_get_deployment_groups(client, application_name, names):
    return _batch_get(client.batch_get_deployment_groups, "deploymentGroupNames", names, BATCH_GROUPS, "deploymentGroupsInfo", applicationName=application_name)


def deployment_groups(client, application_names=None):
    """Every deployment group of the named applications (default: every ECS application), batched.

    The one walk behind "which groups deploy this service" and "which groups use this config":
    one listing per application and one batch read per 100 groups.
    """
    if application_names is None:
        names = list_application_names(client)
        application_names = [app["applicationName"] for app in batch_get_applications(client, names) if app.get("computePlatform") == ECS]
    for application_name in application_names:
        group_names = list_deployment_group_names(client, application_name)
        if group_names:
            yield from batch_get_deployment_groups(client, application_name, group_names)


# CodeDeploy answers InvalidRoleException while a role created moments ago is not yet
# assumable (IAM is eventually consistent); the role itself was checked to exist first.
_ROLE_PROPAGATION_RETRY = AWSRetry.jittered_backoff(retries=8, delay=3, max_delay=15, catch_extra_error_codes=["InvalidRoleException"])


@CodeDeployErrorHandler.common_error_handler("create the CodeDeploy deployment group")
@_ROLE_PROPAGATION_RETRY
def create_deployment_group(client, request):
    return client.create_deployment_group(aws_retry=True, **request)["deploymentGroupId"]


@CodeDeployErrorHandler.common_error_handler("update the CodeDeploy deployment group")
@_ROLE_PROPAGATION_RETRY
def update_deployment_group(client, request):
    client.update_deployment_group(aws_retry=True, **request)


@CodeDeployErrorHandler.deletion_error_handler("delete the CodeDeploy deployment group")
def delete_deployment_group(client, application_name, name):
    client.delete_deployment_group(aws_retry=True, applicationName=application_name, deploymentGroupName=name)
    return True


# ---------------------------------------------------------------------------- deployment configs

get_deployment_config = _getter("get_deployment_config", "deploymentConfigName", "deploymentConfigInfo", "get the CodeDeploy deployment config")
list_deployment_config_names = _lister("list_deployment_configs", "deploymentConfigsList", "list the CodeDeploy deployment configs")


@CodeDeployErrorHandler.common_error_handler("create the CodeDeploy deployment config")
def create_deployment_config(client, name, routing):
    request = {"deploymentConfigName": name, "computePlatform": ECS, "trafficRoutingConfig": routing}
    return client.create_deployment_config(aws_retry=True, **request)["deploymentConfigId"]


@CodeDeployErrorHandler.common_error_handler("delete the CodeDeploy deployment config")
def delete_deployment_config(client, name):
    client.delete_deployment_config(aws_retry=True, deploymentConfigName=name)


# ---------------------------------------------------------------------------- tags


@CodeDeployErrorHandler.list_error_handler("list the tags of a CodeDeploy resource", {})
def list_tags(client, arn):
    tags = []
    request = {"ResourceArn": arn}
    for _page in range(_MAX_TAG_PAGES):
        response = client.list_tags_for_resource(aws_retry=True, **request)
        tags.extend(response.get("Tags", []))
        if not response.get("NextToken"):
            break
        request["NextToken"] = response["NextToken"]
    return boto3_tag_list_to_ansible_dict(tags)


@CodeDeployErrorHandler.common_error_handler("update the tags of a CodeDeploy resource")
def apply_tags(client, arn, to_set, to_remove):
    apply_tag_changes(
        to_set, to_remove, partial(client.untag_resource, aws_retry=True, ResourceArn=arn), partial(client.tag_resource, aws_retry=True, ResourceArn=arn)
    )


# ---------------------------------------------------------------------------- deployments


@CodeDeployErrorHandler.common_error_handler("list the deployments of the CodeDeploy deployment group")
def list_deployment_ids(client, application_name, group_name, statuses=None, limit=None):
    """Deployment ids of a group, newest first (as CodeDeploy lists them); at most `limit`."""
    request = {"applicationName": application_name, "deploymentGroupName": group_name}
    if statuses:
        request["includeOnlyStatuses"] = list(statuses)
    if limit:
        request["PaginationConfig"] = {"MaxItems": limit}
    return _paginate(client, "list_deployments", "deployments", **request)[:limit]


@CodeDeployErrorHandler.common_error_handler("describe the CodeDeploy deployments")
def batch_get_deployments(client, ids):
    return _batch_get(client.batch_get_deployments, "deploymentIds", ids, BATCH_DEPLOYMENTS, "deploymentsInfo")


@CodeDeployErrorHandler.common_error_handler("get the CodeDeploy deployment")
def get_deployment(client, deployment_id):
    return client.get_deployment(aws_retry=True, deploymentId=deployment_id)["deploymentInfo"]


@CodeDeployErrorHandler.common_error_handler("start the CodeDeploy deployment")
def create_deployment(client, application_name, group_name, revision, config_name=None, description=None, alarm_override=None):
    request = {"applicationName": application_name, "deploymentGroupName": group_name, "revision": revision}
    if config_name:
        request["deploymentConfigName"] = config_name
    if description:
        request["description"] = description
    if alarm_override is not None:
        request["overrideAlarmConfiguration"] = alarm_override
    return client.create_deployment(aws_retry=True, **request)["deploymentId"]


@CodeDeployErrorHandler.common_error_handler("stop the CodeDeploy deployment")
def stop_deployment(client, deployment_id, rollback):
    """True when stopping started, False when the deployment had already ended on its own."""
    try:
        client.stop_deployment(aws_retry=True, deploymentId=deployment_id, autoRollbackEnabled=bool(rollback))
    except is_boto3_error_code("DeploymentAlreadyCompletedException"):
        return False
    return True


@CodeDeployErrorHandler.common_error_handler("continue the CodeDeploy deployment")
def continue_deployment(client, deployment_id, wait_type):
    """True when continued, False when the deployment ended or stopped waiting meanwhile."""
    try:
        client.continue_deployment(aws_retry=True, deploymentId=deployment_id, deploymentWaitType=wait_type)
    except is_boto3_error_code(["DeploymentAlreadyCompletedException", "DeploymentIsNotInReadyStateException"]):
        return False
    return True


@CodeDeployErrorHandler.list_error_handler("read the deployment's ECS target")
def get_deployment_target(client, deployment_id, target_id):
    """The deployment's ECS target: ECS target ids are 'cluster:service', so no listing call is needed.
    None while CodeDeploy has not started the deployment yet (Created, Queued): it has no target then."""
    try:
        targets = client.batch_get_deployment_targets(aws_retry=True, deploymentId=deployment_id, targetIds=[target_id])
    except is_boto3_error_code("DeploymentNotStartedException"):
        return None
    found = targets.get("deploymentTargets") or []
    return found[0] if found else None
