# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Metric math alarms: checked, created with their tags in one call, compared, brought in line, deleted.

amazon.aws.cloudwatch_metric_alarm writes a metric math alarm on every run (it compares
the camelCase request with the snake_case answer). Here the module's options become the
PutMetricAlarm request, the alarm CloudWatch describes becomes the same shape (defaults
filled, dimensions in a stable order), and the two are compared: a run writes only when
they differ.
"""

import re

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.canary.ecs.plugins.module_utils._cloudwatch import api
from ansible_collections.canary.ecs.plugins.module_utils.common import diff_result, fail
from ansible_collections.canary.ecs.plugins.module_utils.tags import reconcile_tags

# CloudWatch's rules (PutMetricAlarm, MetricDataQuery).
QUERY_ID = re.compile(r"^[a-z][a-zA-Z0-9_]{0,254}$")
STATISTIC = re.compile(r"^(SampleCount|Average|Sum|Minimum|Maximum|p(\d{1,2}(\.\d{1,2})?|100)|(tm|wm|tc|ts|pr)\(.+\))$")
MAX_QUERIES = 10
MAX_NAME = 255
PERIODS_BELOW_A_MINUTE = (10, 20, 30)


def check_params(params):
    """Every option checked before the first call, each error naming its option."""
    name = params["name"]
    if not name or len(name) > MAX_NAME or not name.strip():
        fail("name must be 1 to %d characters, got %r" % (MAX_NAME, name))
    if params["state"] == "absent":
        return
    for option in ("metrics", "comparison", "threshold", "evaluation_periods"):
        if params[option] is None or params[option] == []:
            fail("%s is required with state=present" % option)
    queries = params["metrics"]
    if len(queries) > MAX_QUERIES:
        fail("metrics has %d queries; an alarm takes at most %d" % (len(queries), MAX_QUERIES))
    ids = [query["id"] for query in queries]
    for index, query in enumerate(queries):
        _check_query(index, query)
    repeated = sorted(set(query_id for query_id in ids if ids.count(query_id) > 1))
    if repeated:
        fail("metrics[].id must be unique, %s is repeated" % ", ".join(repeated))
    returned = [query["id"] for query in queries if query["return_data"]]
    if len(returned) != 1:
        fail(
            "metrics needs exactly one query with return_data true (the series the alarm compares), got %d: %s" % (len(returned), ", ".join(returned) or "none")
        )
    periods = set(query["period"] for query in queries if query["metric"])
    if len(periods) > 1:
        fail("metrics[].period must be the same for every metric of an alarm, got %s" % ", ".join(str(period) for period in sorted(periods)))
    if params["evaluation_periods"] < 1:
        fail("evaluation_periods must be 1 or more, got %d" % params["evaluation_periods"])
    to_alarm = params["datapoints_to_alarm"]
    if to_alarm is not None and not 1 <= to_alarm <= params["evaluation_periods"]:
        fail("datapoints_to_alarm must be 1 to evaluation_periods (%d), got %d" % (params["evaluation_periods"], to_alarm))


def _check_query(index, query):
    where = "metrics[%d]" % index
    if not QUERY_ID.match(query["id"] or ""):
        fail("%s.id must start with a lowercase letter, then letters, digits or underscores, got %r" % (where, query["id"]))
    where = "%s (%s)" % (where, query["id"])
    if bool(query["expression"]) == bool(query["metric"]):
        fail("%s needs either expression or metric, not %s" % (where, "both" if query["expression"] else "neither"))
    if query["metric"]:
        metric = query["metric"]
        for key in ("namespace", "metric_name"):
            if not metric.get(key):
                fail("%s.metric.%s is required" % (where, key))
        if not STATISTIC.match(query["stat"] or ""):
            fail("%s.stat must be SampleCount, Average, Sum, Minimum, Maximum or a percentile such as p99, got %r" % (where, query["stat"]))
        period = query["period"]
        if period not in PERIODS_BELOW_A_MINUTE and (period < 60 or period % 60):
            fail("%s.period must be 10, 20, 30 or a multiple of 60 seconds, got %d" % (where, period))


def desired_request(params):
    """The PutMetricAlarm request the options ask for, in the comparable shape."""
    request = {
        "AlarmName": params["name"],
        "AlarmDescription": params["description"] or "",
        "ActionsEnabled": True,
        "Metrics": [_query_request(query) for query in params["metrics"]],
        "ComparisonOperator": params["comparison"],
        "Threshold": float(params["threshold"]),
        "EvaluationPeriods": params["evaluation_periods"],
        "DatapointsToAlarm": params["datapoints_to_alarm"] or params["evaluation_periods"],
        "TreatMissingData": params["treat_missing_data"],
    }
    return request


def _query_request(query):
    found = {"Id": query["id"], "ReturnData": bool(query["return_data"])}
    if query["label"]:
        found["Label"] = query["label"]
    if query["expression"]:
        found["Expression"] = query["expression"]
        return found
    metric = query["metric"]
    dimensions = metric.get("dimensions") or {}
    found["MetricStat"] = {
        "Metric": {
            "Namespace": metric["namespace"],
            "MetricName": metric["metric_name"],
            "Dimensions": [{"Name": str(key), "Value": str(value)} for key, value in sorted(dimensions.items())],
        },
        "Period": query["period"],
        "Stat": query["stat"],
    }
    return found


def current_request(alarm):
    """A described alarm in the request's shape: defaults filled, dimensions sorted, read-only fields left out."""
    if not alarm:
        return {}
    queries = []
    for query in alarm.get("Metrics") or []:
        found = {"Id": query["Id"], "ReturnData": query.get("ReturnData", True)}
        if query.get("Label"):
            found["Label"] = query["Label"]
        if query.get("Expression"):
            found["Expression"] = query["Expression"]
        if query.get("MetricStat"):
            stat = query["MetricStat"]
            metric = stat.get("Metric") or {}
            found["MetricStat"] = {
                "Metric": {
                    "Namespace": metric.get("Namespace"),
                    "MetricName": metric.get("MetricName"),
                    "Dimensions": sorted(({"Name": d["Name"], "Value": d["Value"]} for d in metric.get("Dimensions") or []), key=lambda d: d["Name"]),
                },
                "Period": stat.get("Period"),
                "Stat": stat.get("Stat"),
            }
        queries.append(found)
    return {
        "AlarmName": alarm["AlarmName"],
        "AlarmDescription": alarm.get("AlarmDescription") or "",
        "ActionsEnabled": alarm.get("ActionsEnabled", True),
        "Metrics": queries,
        "ComparisonOperator": alarm.get("ComparisonOperator"),
        "Threshold": float(alarm["Threshold"]) if alarm.get("Threshold") is not None else None,
        "EvaluationPeriods": alarm.get("EvaluationPeriods"),
        "DatapointsToAlarm": alarm.get("DatapointsToAlarm") or alarm.get("EvaluationPeriods"),
        "TreatMissingData": alarm.get("TreatMissingData") or "missing",
    }


def describe_alarm(alarm, tags):
    """The module's view: snake_case, tags as a dict (keys unchanged)."""
    if not alarm:
        return {}
    view = camel_dict_to_snake_dict(dict((key, value) for key, value in alarm.items() if key not in ("StateReasonData",)))
    view["tags"] = dict(tags or {})
    return view


def _diff_view(request, tags):
    return dict(camel_dict_to_snake_dict(request), tags=dict(tags or {})) if request else {}


def ensure_present(module, client):
    params = module.params
    check_params(params)
    wanted = desired_request(params)
    existing = api.describe_metric_alarm(client, params["name"])
    if existing is None:
        if not module.check_mode:
            # with its tags in the same call: an interrupted run leaves an alarm that says whose it is
            api.put_metric_alarm(client, wanted, params["tags"])
            created = api.describe_metric_alarm(client, params["name"]) or {}
            tags = api.list_tags(client, created["AlarmArn"]) if created.get("AlarmArn") else dict(params["tags"] or {})
        else:
            created, tags = dict(wanted, StateValue="INSUFFICIENT_DATA"), dict(params["tags"] or {})
        return dict(changed=True, alarm=describe_alarm(created, tags), diff=diff_result({}, _diff_view(wanted, tags)))

    current = current_request(existing)
    current_tags = api.list_tags(client, existing["AlarmArn"])
    changed = current != wanted
    if changed and not module.check_mode:
        api.put_metric_alarm(client, wanted)
    tags_changed, after_tags = reconcile_tags(
        module.check_mode,
        current_tags,
        params["tags"],
        params["purge_tags"],
        lambda to_set, to_remove: api.apply_tags(client, existing["AlarmArn"], to_set, to_remove),
        read=lambda: api.list_tags(client, existing["AlarmArn"]),
    )
    after = existing
    if changed:
        after = dict(existing, **wanted) if module.check_mode else api.describe_metric_alarm(client, params["name"]) or existing
    return dict(
        changed=changed or tags_changed,
        alarm=describe_alarm(after, after_tags),
        diff=diff_result(_diff_view(current, current_tags), _diff_view(wanted if changed else current, after_tags)),
    )


def ensure_absent(module, client):
    check_params(module.params)
    name = module.params["name"]
    existing = api.describe_metric_alarm(client, name)
    if existing is None:
        return dict(changed=False, alarm={}, diff=diff_result({}, {}))
    tags = api.list_tags(client, existing["AlarmArn"])
    if not module.check_mode:
        api.delete_alarm(client, name)
    return dict(
        changed=True,
        msg="%s CloudWatch alarm %s" % ("Would have deleted" if module.check_mode else "Deleted", name),
        alarm=describe_alarm(existing, tags),
        diff=diff_result(_diff_view(current_request(existing), tags), {}),
    )
