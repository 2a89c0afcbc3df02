# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The AWS calls of a release (ECS, CodeDeploy, CloudWatch, ECR), each retried with jittered backoff.

One function per call or per paginated listing; errors become AnsibleCodeDeployError
with a message that says what was being done. Polling a deployment costs three calls:
get_deployment, batch_get_deployment_targets and describe_alarms.
"""

import datetime
import json
import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.canary.ecs.plugins.module_utils.codedeploy_common import CodeDeployErrorHandler, aws_retry_decorator, fail
from ansible_collections.canary.ecs.plugins.module_utils.ecs_deployment_progress import IN_FLIGHT, snapshot

_MAX_PAGES = 100  # bounds every pagination loop
_BATCH = 25  # batch_get_deployments / batch_get_deployment_groups take up to 25 / 100 names


class Clients(object):
    """The module's clients, created on first use (a poll never builds an ECS or ECR client)."""

    def __init__(self, module):
        self._module = module
        self._cache = {}

    def __call__(self, service, region=None):
        key = (service, region)
        if key not in self._cache:
            extra = {"region": region} if region else {}
            self._cache[key] = self._module.client(service, retry_decorator=aws_retry_decorator(), **extra)
        return self._cache[key]


# ---------------------------------------------------------------------------- ECS

@CodeDeployErrorHandler.common_error_handler("describe the ECS service")
def describe_service(ecs, cluster, service):
    response = ecs.describe_services(aws_retry=True, cluster=cluster, services=[service])
    for found in response.get("services", []):
        if found.get("status") == "ACTIVE":
            return found
    fail("ECS service '%s' was not found in cluster '%s' (or it is not ACTIVE). Check cluster and service, and the region."
         % (service, cluster))


def live_task_definition_arn(service):
    """The task definition serving production: the PRIMARY task set's under CODE_DEPLOY, else the service's."""
    for task_set in service.get("taskSets") or []:
        if task_set.get("status") == "PRIMARY" and task_set.get("taskDefinition"):
            return task_set["taskDefinition"]
    return service.get("taskDefinition")


@CodeDeployErrorHandler.common_error_handler("describe the ECS task definition")
def describe_task_definition(ecs, arn):
    response = ecs.describe_task_definition(aws_retry=True, taskDefinition=arn, include=["TAGS"])
    return response["taskDefinition"], response.get("tags") or []


@CodeDeployErrorHandler.common_error_handler("register the new ECS task definition revision")
def register_task_definition(ecs, params, tags):
    request = dict(params)
    if tags:
        request["tags"] = tags
    return ecs.register_task_definition(aws_retry=True, **request)["taskDefinition"]


@CodeDeployErrorHandler.common_error_handler("deregister the task definition revision")
def deregister_task_definition(ecs, arn):
    ecs.deregister_task_definition(aws_retry=True, taskDefinition=arn)


# ---------------------------------------------------------------------------- CodeDeploy: groups

@CodeDeployErrorHandler.list_error_handler("get the CodeDeploy deployment group")
def get_deployment_group(codedeploy, application_name, group_name):
    return codedeploy.get_deployment_group(aws_retry=True, applicationName=application_name, deploymentGroupName=group_name)["deploymentGroupInfo"]


def _paged(call, key, **request):
    items = []
    for _page in range(_MAX_PAGES):
        response = call(aws_retry=True, **request)
        items.extend(response.get(key, []))
        if not response.get("nextToken"):
            break
        request["nextToken"] = response["nextToken"]
    return items


@CodeDeployErrorHandler.common_error_handler("find the CodeDeploy deployment group of the ECS service")
def groups_of_service(codedeploy, cluster, service, application_name=None):
    """Every deployment group (of one application, or of all ECS applications) that deploys cluster/service."""
    if application_name:
        applications = [application_name]
    else:
        names = _paged(codedeploy.list_applications, "applications")
        applications = []
        for start in range(0, len(names), 100):
            infos = codedeploy.batch_get_applications(aws_retry=True, applicationNames=names[start:start + 100])["applicationsInfo"]
            applications.extend(info["applicationName"] for info in infos if info.get("computePlatform") == "ECS")
    found = []
    for application in applications:
        group_names = _paged(codedeploy.list_deployment_groups, "deploymentGroups", applicationName=application)
        for start in range(0, len(group_names), 100):
            response = codedeploy.batch_get_deployment_groups(
                aws_retry=True, applicationName=application, deploymentGroupNames=group_names[start:start + 100])
            for group in response.get("deploymentGroupsInfo", []):
                if serves(group, cluster, service):
                    found.append(group)
    return found


def serves(group, cluster, service):
    """Whether a deployment group deploys this ECS service (cluster and service by name or ARN)."""
    for ecs_service in group.get("ecsServices") or []:
        if _name(ecs_service.get("clusterName")) == _name(cluster) and _name(ecs_service.get("serviceName")) == _name(service):
            return True
    return False


def _name(value):
    return (value or "").rsplit("/", 1)[-1]


# ---------------------------------------------------------------------------- CodeDeploy: deployments

@CodeDeployErrorHandler.common_error_handler("list the deployments of the CodeDeploy deployment group")
def deployments_of_group(codedeploy, application_name, group_name, statuses=None, limit=None):
    """DeploymentInfos of a group, newest first (CodeDeploy lists newest first); at most `limit`."""
    request = {"applicationName": application_name, "deploymentGroupName": group_name}
    if statuses:
        request["includeOnlyStatuses"] = list(statuses)
    ids = []
    for _page in range(_MAX_PAGES):
        response = codedeploy.list_deployments(aws_retry=True, **request)
        ids.extend(response.get("deployments", []))
        if not response.get("nextToken") or (limit and len(ids) >= limit):
            break
        request["nextToken"] = response["nextToken"]
    if limit:
        ids = ids[:limit]
    infos = []
    for start in range(0, len(ids), _BATCH):
        infos.extend(codedeploy.batch_get_deployments(aws_retry=True, deploymentIds=ids[start:start + _BATCH])["deploymentsInfo"])
    infos.sort(key=lambda info: info.get("createTime") or 0, reverse=True)
    return infos


def in_flight(codedeploy, application_name, group_name):
    return deployments_of_group(codedeploy, application_name, group_name, statuses=IN_FLIGHT)


@CodeDeployErrorHandler.common_error_handler("get the CodeDeploy deployment")
def get_deployment(codedeploy, deployment_id):
    return codedeploy.get_deployment(aws_retry=True, deploymentId=deployment_id)["deploymentInfo"]


@CodeDeployErrorHandler.common_error_handler("start the CodeDeploy deployment")
def create_deployment(codedeploy, application_name, group_name, revision, config_name=None, description=None):
    request = {"applicationName": application_name, "deploymentGroupName": group_name, "revision": revision}
    if config_name:
        request["deploymentConfigName"] = config_name
    if description:
        request["description"] = description
    return codedeploy.create_deployment(aws_retry=True, **request)["deploymentId"]


@CodeDeployErrorHandler.common_error_handler("stop the CodeDeploy deployment")
def stop_deployment(codedeploy, deployment_id, rollback):
    """True when stopping started, False when the deployment had already ended on its own."""
    try:
        codedeploy.stop_deployment(aws_retry=True, deploymentId=deployment_id, autoRollbackEnabled=bool(rollback))
    except is_boto3_error_code("DeploymentAlreadyCompletedException"):
        return False
    return True


@CodeDeployErrorHandler.common_error_handler("continue the CodeDeploy deployment")
def continue_deployment(codedeploy, deployment_id, wait_type):
    """True when continued, False when the deployment ended or stopped waiting meanwhile."""
    try:
        codedeploy.continue_deployment(aws_retry=True, deploymentId=deployment_id, deploymentWaitType=wait_type)
    except is_boto3_error_code(["DeploymentAlreadyCompletedException", "DeploymentIsNotInReadyStateException"]):
        return False
    return True


@CodeDeployErrorHandler.list_error_handler("read the deployment's ECS target")
def get_target(codedeploy, deployment_id, target_id):
    """The deployment's ECS target: ECS target ids are 'cluster:service', so no listing call is needed."""
    targets = codedeploy.batch_get_deployment_targets(aws_retry=True, deploymentId=deployment_id, targetIds=[target_id])
    found = targets.get("deploymentTargets") or []
    return found[0] if found else None


# ---------------------------------------------------------------------------- CloudWatch / ECR

@CodeDeployErrorHandler.common_error_handler("describe the deployment group's CloudWatch alarms")
def describe_alarms(cloudwatch, names):
    """MetricAlarms and CompositeAlarms with these names, in one call (100 names at most per call)."""
    alarms = []
    names = list(names or [])
    for start in range(0, len(names), 100):
        response = cloudwatch.describe_alarms(aws_retry=True, AlarmNames=names[start:start + 100],
                                              AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        alarms.extend(response.get("MetricAlarms", []))
        alarms.extend(response.get("CompositeAlarms", []))
    return alarms


@CodeDeployErrorHandler.common_error_handler("read the alarm history")
def alarm_transitions(cloudwatch, names, since):
    """When each alarm went to ALARM since `since` (a datetime): [{name, at (datetime), reason}], oldest first.

    A fast alarm can fire and clear between two polls; its history still tells when it fired.
    """
    found = []
    for name in names:
        response = cloudwatch.describe_alarm_history(aws_retry=True, AlarmName=name, HistoryItemType="StateUpdate", StartDate=since,
                                                     EndDate=datetime.datetime.now(datetime.timezone.utc), ScanBy="TimestampAscending")
        for item in response.get("AlarmHistoryItems", []):
            if _went_to_alarm(item):
                found.append({"name": name, "at": item.get("Timestamp"), "reason": item.get("HistorySummary")})
    return found


def _went_to_alarm(item):
    try:
        return json.loads(item.get("HistoryData") or "{}").get("newState", {}).get("stateValue") == "ALARM"
    except ValueError:
        return (item.get("HistorySummary") or "").endswith("to ALARM")


@CodeDeployErrorHandler.common_error_handler("look up the image in ECR")
def ecr_image(ecr, registry_id, repository, tag=None, digest=None):
    """The ECR image detail, or None when the repository or image does not exist."""
    image_id = {"imageDigest": digest} if digest else {"imageTag": tag or "latest"}
    try:
        response = ecr.describe_images(aws_retry=True, registryId=registry_id, repositoryName=repository, imageIds=[image_id])
    except is_boto3_error_code(["ImageNotFoundException", "RepositoryNotFoundException"]):
        return None
    details = response.get("imageDetails") or []
    return details[0] if details else None


# ---------------------------------------------------------------------------- polling

def poll(clients, deployment_id, target_id, alarm_names):
    """One look at a deployment: three calls (plus one for a rollback deployment once it exists)."""
    codedeploy = clients("codedeploy")
    info = get_deployment(codedeploy, deployment_id)
    target = get_target(codedeploy, deployment_id, target_id) if target_id else None
    alarms = describe_alarms(clients("cloudwatch"), alarm_names) if alarm_names else []
    rollback_info = None
    transitions = None
    rollback_id = (info.get("rollbackInfo") or {}).get("rollbackDeploymentId")
    if info.get("status") in ("Failed", "Stopped"):
        if rollback_id:
            rollback_info = get_deployment(codedeploy, rollback_id)
        if (info.get("errorInformation") or {}).get("code") == "ALARM_ACTIVE" and alarm_names and info.get("createTime"):
            transitions = alarm_transitions(clients("cloudwatch"), alarm_names, info["createTime"])
    return snapshot(info, target, alarms, observed_at=time.time(), rollback_info=rollback_info, alarm_transitions=transitions)
