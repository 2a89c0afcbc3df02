#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cloudwatch_math_alarm
short_description: Create, update or delete a CloudWatch metric math alarm, idempotently
version_added: 0.3.0
description:
  - Manages a CloudWatch alarm on a metric math expression, such as the rate comparison that rolls back a canary
    whose 5xx rate is above its baseline's (C(IF(canary_requests >= 20, ...))).
  - Compares the alarm CloudWatch describes with the options and writes only what differs, so a second run changes
    nothing (M(amazon.aws.cloudwatch_metric_alarm) writes a metric math alarm on every run).
  - Tags are given in the PutMetricAlarm call that creates the alarm, so an interrupted run cannot leave an untagged
    alarm; later runs add and remove tags with O(purge_tags).
  - Every option is checked before the first call; an error names the option.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  name:
    description: Name of the alarm.
    type: str
    required: true
    aliases: [alarm_name]
  state:
    description: Whether the alarm should exist.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Description of the alarm.
    type: str
  metrics:
    description:
      - The queries of the alarm, at most 10. Exactly one has O(metrics[].return_data=true); its series is compared
        with O(threshold).
      - Required with O(state=present).
    type: list
    elements: dict
    suboptions:
      id:
        description: Query id, starting with a lowercase letter; expressions name other queries by it.
        type: str
        required: true
      expression:
        description: A metric math expression over other queries' ids. Give this or O(metrics[].metric).
        type: str
      metric:
        description: The metric this query reads. Give this or O(metrics[].expression).
        type: dict
        suboptions:
          namespace:
            description: The metric's namespace, for example C(AWS/ApplicationELB).
            type: str
            required: true
          metric_name:
            description: The metric's name, for example C(RequestCount).
            type: str
            required: true
          dimensions:
            description: The metric's dimensions, name to value.
            type: dict
      stat:
        description: The statistic of O(metrics[].metric), such as C(Sum), C(Average) or C(p99).
        type: str
        default: Sum
      period:
        description: Seconds per datapoint of O(metrics[].metric); 10, 20, 30 or a multiple of 60, the same for every metric.
        type: int
        default: 60
      return_data:
        description: Whether this query is the one the alarm compares with O(threshold).
        type: bool
        default: false
      label:
        description: A label for the query.
        type: str
  comparison:
    description: How the returned series is compared with O(threshold). Required with O(state=present).
    type: str
    choices: [GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold]
  threshold:
    description: The value the returned series is compared with. Required with O(state=present).
    type: float
  evaluation_periods:
    description: How many recent periods are evaluated. Required with O(state=present).
    type: int
  datapoints_to_alarm:
    description: How many of O(evaluation_periods) must breach for ALARM (M of N); defaults to all of them.
    type: int
  treat_missing_data:
    description: How periods without a datapoint count.
    type: str
    choices: [breaching, notBreaching, ignore, missing]
    default: missing
  tags:
    description: Tags of the alarm. Leave unset to keep the tags it has.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not in O(tags) (when O(tags) is given).
    type: bool
    default: true
notes:
  - Supports check mode and diff mode.
  - Alarm actions (SNS, Auto Scaling) are not managed; CodeDeploy and ECS read the alarm's state themselves.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Roll back a canary whose 5xx rate is 5 points above its baseline's, once it has 20 requests a minute
  canary.ecs.cloudwatch_math_alarm:
    name: checkout-5XX-Rate-Above-Baseline-green
    description: canary (green) 5xx rate minus the baseline's (blue), in points
    metrics:
      - id: rate
        expression: >-
          IF(canary_requests >= 20, 100 * FILL(canary_errors, 0) / canary_requests
          - 100 * FILL(baseline_errors, 0) / FILL(baseline_requests, 1), 0)
        return_data: true
      - id: canary_requests
        metric:
          namespace: AWS/ApplicationELB
          metric_name: RequestCount
          dimensions: {TargetGroup: targetgroup/checkout-green/0123456789abcdef, LoadBalancer: app/checkout/fedcba9876543210}
      - id: canary_errors
        metric:
          namespace: AWS/ApplicationELB
          metric_name: HTTPCode_Target_5XX_Count
          dimensions: {TargetGroup: targetgroup/checkout-green/0123456789abcdef, LoadBalancer: app/checkout/fedcba9876543210}
      - id: baseline_requests
        metric:
          namespace: AWS/ApplicationELB
          metric_name: RequestCount
          dimensions: {TargetGroup: targetgroup/checkout-blue/0a1b2c3d4e5f6a7b, LoadBalancer: app/checkout/fedcba9876543210}
      - id: baseline_errors
        metric:
          namespace: AWS/ApplicationELB
          metric_name: HTTPCode_Target_5XX_Count
          dimensions: {TargetGroup: targetgroup/checkout-blue/0a1b2c3d4e5f6a7b, LoadBalancer: app/checkout/fedcba9876543210}
    comparison: GreaterThanThreshold
    threshold: 5
    evaluation_periods: 3
    datapoints_to_alarm: 2
    treat_missing_data: notBreaching
    tags:
      canary-ecs:stack: checkout

- name: Remove it
  canary.ecs.cloudwatch_math_alarm:
    name: checkout-5XX-Rate-Above-Baseline-green
    state: absent
"""

RETURN = r"""
alarm:
  description: The alarm as CloudWatch describes it after the run, in snake_case, with its tags (empty when absent).
  returned: always
  type: dict
  contains:
    alarm_name:
      description: Name of the alarm.
      type: str
      sample: checkout-5XX-Rate-Above-Baseline-green
    alarm_arn:
      description: ARN of the alarm (not in check mode for an alarm that would be created).
      type: str
      sample: arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-5XX-Rate-Above-Baseline-green
    metrics:
      description: The alarm's queries.
      type: list
      elements: dict
    state_value:
      description: The alarm's state, C(OK), C(ALARM) or C(INSUFFICIENT_DATA).
      type: str
      sample: INSUFFICIENT_DATA
    tags:
      description: The alarm's tags (keys as given, not converted to snake_case).
      type: dict
      sample: {"canary-ecs:stack": "checkout"}
msg:
  description: What was deleted.
  returned: when O(state=absent) and the alarm existed
  type: str
  sample: Deleted CloudWatch alarm checkout-5XX-Rate-Above-Baseline-green
"""

from ansible_collections.canary.ecs.plugins.module_utils._cloudwatch.math_alarm import ensure_absent, ensure_present
from ansible_collections.canary.ecs.plugins.module_utils.modules import resource_options, run_resource_module


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["alarm_name"]),
        description=dict(type="str"),
        metrics=dict(
            type="list",
            elements="dict",
            options=dict(
                id=dict(type="str", required=True),
                expression=dict(type="str"),
                metric=dict(
                    type="dict",
                    options=dict(
                        namespace=dict(type="str", required=True),
                        metric_name=dict(type="str", required=True),
                        dimensions=dict(type="dict"),
                    ),
                ),
                stat=dict(type="str", default="Sum"),
                period=dict(type="int", default=60),
                return_data=dict(type="bool", default=False),
                label=dict(type="str"),
            ),
        ),
        comparison=dict(type="str", choices=["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"]),
        threshold=dict(type="float"),
        evaluation_periods=dict(type="int"),
        datapoints_to_alarm=dict(type="int"),
        treat_missing_data=dict(type="str", default="missing", choices=["breaching", "notBreaching", "ignore", "missing"]),
    )
    argument_spec.update(resource_options())
    run_resource_module(argument_spec, ensure_present, ensure_absent, "cloudwatch")


if __name__ == "__main__":
    main()
