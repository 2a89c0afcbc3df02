# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""cloudwatch_math_alarm: the options as a request, a described alarm in the same shape, the checks."""

import pytest

from ansible_collections.canary.ecs.plugins.module_utils._cloudwatch import math_alarm
from ansible_collections.canary.ecs.plugins.module_utils.common import AnsibleCanaryECSError

DIMENSIONS = {"TargetGroup": "targetgroup/green/0123456789abcdef", "LoadBalancer": "app/alb/fedcba9876543210"}


def query(query_id, expression=None, metric_name=None, return_data=False, **extra):
    found = {"id": query_id, "expression": expression, "metric": None, "stat": "Sum", "period": 60, "return_data": return_data, "label": None}
    if metric_name:
        found["metric"] = {"namespace": "AWS/ApplicationELB", "metric_name": metric_name, "dimensions": dict(DIMENSIONS)}
    found.update(extra)
    return found


def params(**extra):
    found = {
        "name": "rate",
        "state": "present",
        "description": None,
        "metrics": [
            query("rate", "100 * errors / requests", return_data=True),
            query("requests", metric_name="RequestCount"),
            query("errors", metric_name="HTTPCode_Target_5XX_Count"),
        ],
        "comparison": "GreaterThanThreshold",
        "threshold": 5,
        "evaluation_periods": 3,
        "datapoints_to_alarm": None,
        "treat_missing_data": "notBreaching",
        "tags": None,
        "purge_tags": True,
    }
    found.update(extra)
    return found


def described(request):
    """What CloudWatch answers for an alarm put with `request`: dimensions in its own order, extra read-only fields."""
    alarm = dict(request, AlarmArn="arn:aws:cloudwatch:us-east-1:123456789012:alarm:rate", StateValue="OK", AlarmConfigurationUpdatedTimestamp="x")
    alarm["Metrics"] = []
    for item in request["Metrics"]:
        item = dict(item)
        if "MetricStat" in item:
            stat = dict(item["MetricStat"])
            stat["Metric"] = dict(stat["Metric"], Dimensions=list(reversed(stat["Metric"]["Dimensions"])))
            item["MetricStat"] = stat
        alarm["Metrics"].append(item)
    return alarm


def test_a_described_alarm_compares_equal_to_the_options_that_made_it():
    request = math_alarm.desired_request(params())
    assert request["DatapointsToAlarm"] == 3 and request["Metrics"][1]["MetricStat"]["Metric"]["Dimensions"][0]["Name"] == "LoadBalancer"
    assert math_alarm.current_request(described(request)) == request


def test_a_changed_expression_threshold_or_m_of_n_differs():
    request = math_alarm.desired_request(params())
    current = math_alarm.current_request(described(request))
    for changed in (
        params(threshold=2),
        params(datapoints_to_alarm=2),
        params(metrics=[query("rate", "100 * errors / requests - 1", return_data=True)] + params()["metrics"][1:]),
    ):
        assert math_alarm.desired_request(changed) != current


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": ""}, "name must be"),
        ({"metrics": []}, "metrics is required"),
        ({"threshold": None}, "threshold is required"),
        ({"metrics": [query("Rate", "1", return_data=True)]}, "metrics[0].id"),
        ({"metrics": [query("rate", "1")]}, "exactly one query with return_data"),
        ({"metrics": [query("rate", "1", return_data=True), query("m1")]}, "metrics[1] (m1) needs either expression or metric, not neither"),
        ({"metrics": [query("rate", "1", return_data=True, metric_name="RequestCount")]}, "not both"),
        ({"metrics": [query("rate", "m1", return_data=True), query("m1", metric_name="RequestCount", stat="Median")]}, "metrics[1] (m1).stat"),
        ({"metrics": [query("rate", "m1", return_data=True), query("m1", metric_name="RequestCount", period=90)]}, "metrics[1] (m1).period"),
        ({"metrics": [query("rate", "m1 + m2", return_data=True), query("m1", metric_name="A"), query("m2", metric_name="B", period=120)]}, "metrics[].period"),
        ({"evaluation_periods": 0}, "evaluation_periods must be 1 or more"),
        ({"datapoints_to_alarm": 4}, "datapoints_to_alarm must be 1 to evaluation_periods (3)"),
    ],
)
def test_bad_options_fail_naming_them(changes, message):
    with pytest.raises(AnsibleCanaryECSError) as error:
        math_alarm.check_params(params(**changes))
    assert message in error.value.message
