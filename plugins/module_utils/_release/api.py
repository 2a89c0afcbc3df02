# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ECS, CloudWatch and ECR calls of a release, one function each, returning AWS's own dicts.

Every call retries its service's throttling codes (the clients come from common.Clients);
errors become AnsibleCanaryECSError saying what was being done. CodeDeploy's calls are in
_codedeploy/api.py. Nothing here knows about snapshots, progress or results.
"""

import datetime
import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.canary.ecs.plugins.module_utils.common import CloudWatchErrorHandler, ECRErrorHandler, ECSErrorHandler, ELBv2ErrorHandler, fail

# DescribeAlarms takes at most 100 names per call, DescribeTasks 100 tasks.
BATCH_ALARMS = 100
BATCH_TASKS = 100


# ---------------------------------------------------------------------------- ECS


@ECSErrorHandler.common_error_handler("describe the ECS service")
def describe_service(ecs, cluster, service):
    response = ecs.describe_services(aws_retry=True, cluster=cluster, services=[service])
    for found in response.get("services", []):
        if found.get("status") == "ACTIVE":
            return found
    fail("ECS service '%s' was not found in cluster '%s' (or it is not ACTIVE). Check cluster and service, and the region." % (service, cluster))


def live_task_definition_arn(service):
    """The task definition serving production: the PRIMARY task set's under CODE_DEPLOY, else the service's."""
    for task_set in service.get("taskSets") or []:
        if task_set.get("status") == "PRIMARY" and task_set.get("taskDefinition"):
            return task_set["taskDefinition"]
    return service.get("taskDefinition")


def in_motion(service):
    """Whether a release was moving when `service` was read: more than one task set (CODE_DEPLOY) or deployment (ECS)."""
    return len(service.get("taskSets") or []) > 1 or len(service.get("deployments") or []) > 1


@ECSErrorHandler.common_error_handler("read the stopped tasks of the ECS service")
def stopped_tasks(ecs, cluster, service):
    """The service's recently stopped tasks (ECS keeps them about an hour): one ListTasks page, one DescribeTasks."""
    arns = ecs.list_tasks(aws_retry=True, cluster=cluster, serviceName=service, desiredStatus="STOPPED", maxResults=BATCH_TASKS).get("taskArns") or []
    if not arns:
        return []
    return ecs.describe_tasks(aws_retry=True, cluster=cluster, tasks=arns).get("tasks") or []


@ECSErrorHandler.common_error_handler("describe the ECS task definition")
def describe_task_definition(ecs, arn):
    response = ecs.describe_task_definition(aws_retry=True, taskDefinition=arn, include=["TAGS"])
    return response["taskDefinition"], response.get("tags") or []


@ECSErrorHandler.common_error_handler("register the new ECS task definition revision")
def register_task_definition(ecs, params, tags):
    request = dict(params)
    if tags:
        request["tags"] = tags
    return ecs.register_task_definition(aws_retry=True, **request)["taskDefinition"]


@ECSErrorHandler.common_error_handler("list the revisions of the task definition family")
def newest_revisions(ecs, family, count):
    """ARNs of the family's `count` newest ACTIVE revisions, newest first (one call)."""
    response = ecs.list_task_definitions(aws_retry=True, familyPrefix=family, status="ACTIVE", sort="DESC", maxResults=count)
    return [arn for arn in response.get("taskDefinitionArns", []) if arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family]


@ECSErrorHandler.common_error_handler("deregister the task definition revision")
def deregister_task_definition(ecs, arn):
    ecs.deregister_task_definition(aws_retry=True, taskDefinition=arn)


# ---------------------------------------------------------------------------- CloudWatch / ECR


@CloudWatchErrorHandler.common_error_handler("describe the CloudWatch alarms")
def describe_alarms(cloudwatch, names):
    """MetricAlarms and CompositeAlarms with these names, in one call (100 names at most per call)."""
    alarms = []
    names = list(names or [])
    for start in range(0, len(names), BATCH_ALARMS):
        response = cloudwatch.describe_alarms(aws_retry=True, AlarmNames=names[start : start + BATCH_ALARMS], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        alarms.extend(response.get("MetricAlarms", []))
        alarms.extend(response.get("CompositeAlarms", []))
    return alarms


@CloudWatchErrorHandler.common_error_handler("read the alarm history")
def alarm_transitions(cloudwatch, names, since):
    """When each alarm went to ALARM since `since` (a datetime): [{name, at (datetime), reason}], oldest first.

    A fast alarm can fire and clear between two polls; its history still tells when it fired.
    """
    found = []
    for name in names:
        response = cloudwatch.describe_alarm_history(
            aws_retry=True,
            AlarmName=name,
            HistoryItemType="StateUpdate",
            StartDate=since,
            EndDate=datetime.datetime.now(datetime.timezone.utc),
            ScanBy="TimestampAscending",
        )
        for item in response.get("AlarmHistoryItems", []):
            if _went_to_alarm(item):
                found.append({"name": name, "at": item.get("Timestamp"), "reason": item.get("HistorySummary")})
    return found


def _went_to_alarm(item):
    try:
        return json.loads(item.get("HistoryData") or "{}").get("newState", {}).get("stateValue") == "ALARM"
    except ValueError:
        return (item.get("HistorySummary") or "").endswith("to ALARM")


@ELBv2ErrorHandler.common_error_handler("describe the target groups")
def describe_target_groups(elbv2, names):
    return elbv2.describe_target_groups(aws_retry=True, Names=list(names))["TargetGroups"]


@ELBv2ErrorHandler.common_error_handler("read the production listener")
def live_target_groups(elbv2, listener_arns):
    """The TargetGroup dimensions (targetgroup/name/id) the listeners forward to with a weight above 0."""
    if not listener_arns:
        return []
    live = []
    for listener in elbv2.describe_listeners(aws_retry=True, ListenerArns=list(listener_arns))["Listeners"]:
        live.extend(arn.split(":")[-1] for arn, weight in forward_weights(listener).items() if weight > 0)
    return sorted(set(live))


def forward_weights(listener):
    """{target group ARN: weight} of a described listener's default forward action(s) (a plain forward weighs 1)."""
    weights = {}
    for action in listener.get("DefaultActions") or []:
        if action.get("Type") != "forward":
            continue
        for item in (action.get("ForwardConfig") or {}).get("TargetGroups") or [{"TargetGroupArn": action.get("TargetGroupArn"), "Weight": 1}]:
            if item.get("TargetGroupArn"):
                weights[item["TargetGroupArn"]] = weights.get(item["TargetGroupArn"], 0) + int(item.get("Weight", 1))
    return weights


def metric_data(cloudwatch, series, start, end, period=60):
    """{key: (namespace, metric name, [dimensions], statistic)} -> {key: [per-period values, oldest first]},
    in one GetMetricData call (a period without data has no value), every page."""
    return dict((key, [value for _at, value in points]) for key, points in metric_points(cloudwatch, series, start, end, period).items())


@CloudWatchErrorHandler.common_error_handler("read the metrics")
def metric_points(cloudwatch, series, start, end, period=60):
    """As metric_data, with each value's period: {key: [(epoch of the period's start, value), oldest first]}."""
    keys = sorted(series)
    queries = []
    for index, key in enumerate(keys):
        namespace, name, dimensions, statistic = series[key]
        metric = {"Namespace": namespace, "MetricName": name, "Dimensions": dimensions}
        queries.append({"Id": "m%d" % index, "MetricStat": {"Metric": metric, "Period": period, "Stat": statistic}, "ReturnData": True})
    found = dict((key, []) for key in keys)
    request = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end, "ScanBy": "TimestampAscending"}
    while True:
        response = cloudwatch.get_metric_data(aws_retry=True, **request)
        for item in response.get("MetricDataResults", []):
            values = item.get("Values") or []
            stamps = [stamp.timestamp() if hasattr(stamp, "timestamp") else float(stamp) for stamp in item.get("Timestamps") or []]
            found[keys[int(item["Id"][1:])]].extend((stamps[index] if index < len(stamps) else None, value) for index, value in enumerate(values))
        if not response.get("NextToken"):
            return found
        request["NextToken"] = response["NextToken"]


@CloudWatchErrorHandler.common_error_handler("look the judge's metrics up")
def metric_exists(cloudwatch, namespace, name, dimensions):
    """Whether CloudWatch has this metric with exactly these dimensions (one ListMetrics call, first page)."""
    filters = [{"Name": item["Name"], "Value": item["Value"]} for item in dimensions]
    response = cloudwatch.list_metrics(aws_retry=True, Namespace=namespace, MetricName=name, Dimensions=filters)
    wanted = set((item["Name"], item["Value"]) for item in dimensions)
    return any(set((item["Name"], item["Value"]) for item in metric.get("Dimensions") or []) == wanted for metric in response.get("Metrics", []))


@ECRErrorHandler.common_error_handler("look up the image in ECR")
def ecr_image(ecr, registry_id, repository, tag=None, digest=None):
    """The ECR image detail, or None when the repository or image does not exist."""
    image_id = {"imageDigest": digest} if digest else {"imageTag": tag or "latest"}
    try:
        response = ecr.describe_images(aws_retry=True, registryId=registry_id, repositoryName=repository, imageIds=[image_id])
    except is_boto3_error_code(["ImageNotFoundException", "RepositoryNotFoundException"]):
        return None
    details = response.get("imageDetails") or []
    return details[0] if details else None
