# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The CloudWatch alarm calls of the alarm modules, one function each, returning AWS's own dicts.

Every call retries CloudWatch's throttling codes (the client comes from common.Clients);
errors become AnsibleCanaryECSError saying what was being done.
"""

from functools import partial

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list, boto3_tag_list_to_ansible_dict

from ansible_collections.canary.ecs.plugins.module_utils.common import CloudWatchErrorHandler
from ansible_collections.canary.ecs.plugins.module_utils.tags import apply_tag_changes


@CloudWatchErrorHandler.list_error_handler("describe the CloudWatch alarm")
def describe_metric_alarm(cloudwatch, name):
    """The metric alarm of this name, None when there is none."""
    found = cloudwatch.describe_alarms(aws_retry=True, AlarmNames=[name], AlarmTypes=["MetricAlarm"]).get("MetricAlarms") or []
    return found[0] if found else None


@CloudWatchErrorHandler.common_error_handler("create or update the CloudWatch alarm")
def put_metric_alarm(cloudwatch, request, tags=None):
    """PutMetricAlarm with the whole configuration; tags only when creating (PutMetricAlarm ignores them on an update)."""
    if tags:
        request = dict(request, Tags=ansible_dict_to_boto3_tag_list(tags))
    cloudwatch.put_metric_alarm(aws_retry=True, **request)


@CloudWatchErrorHandler.deletion_error_handler("delete the CloudWatch alarm")
def delete_alarm(cloudwatch, name):
    cloudwatch.delete_alarms(aws_retry=True, AlarmNames=[name])
    return True


@CloudWatchErrorHandler.list_error_handler("read the tags of the CloudWatch alarm", {})
def list_tags(cloudwatch, arn):
    return boto3_tag_list_to_ansible_dict(cloudwatch.list_tags_for_resource(aws_retry=True, ResourceARN=arn).get("Tags") or [])


@CloudWatchErrorHandler.common_error_handler("update the tags of the CloudWatch alarm")
def apply_tags(cloudwatch, arn, to_set, to_remove):
    apply_tag_changes(
        to_set,
        to_remove,
        partial(cloudwatch.untag_resource, aws_retry=True, ResourceARN=arn),
        partial(cloudwatch.tag_resource, aws_retry=True, ResourceARN=arn),
    )


DESCRIBE_NAMES = 100  # DescribeAlarms takes at most 100 AlarmNames (and answers at most 100 a page)


@CloudWatchErrorHandler.list_error_handler("describe the CloudWatch alarms", {})
def describe_alarm_arns(cloudwatch, names):
    """{name: ARN} of the metric and composite alarms of these names that exist: one call a hundred names."""
    arns = {}
    for start in range(0, len(names), DESCRIBE_NAMES):
        request = dict(AlarmNames=list(names[start : start + DESCRIBE_NAMES]), AlarmTypes=["MetricAlarm", "CompositeAlarm"], MaxRecords=DESCRIBE_NAMES)
        while True:
            page = cloudwatch.describe_alarms(aws_retry=True, **request)
            for alarm in (page.get("MetricAlarms") or []) + (page.get("CompositeAlarms") or []):
                arns[alarm["AlarmName"]] = alarm["AlarmArn"]
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
    return arns
