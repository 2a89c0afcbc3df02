# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The judge's look at a release in its canary step: the canary against the baseline beside it.

At each look while part (not all) of the traffic is on the new version, it reads every judged
metric of both sides since the traffic shift began (one DescribeTargetGroups and one
GetMetricData call): the target groups' requests and 5xx (the error rate, critical), their
per-minute latency percentile, and the user's own metrics. judge.py gives each a verdict and
combines them into a score; "fail" stops the deployment with rollback at once. At the last
look of the canary step (one look before its end, or, when the end came between two looks,
the first looks after it, judging the step's own window), a verdict still short of data (or
marginal) is settled by the not_enough_data policy: roll back, or proceed. The verdict goes into the snapshot
(snap["judge"]), from there into the timeline, the progress lines and the outcome.

Every look tests again on more data. The data grow by one minute at a time (the metrics'
period), so a canary step of N minutes makes at most N different tests however often it is
looked at, and each tests at (1 - confidence) / N: over the whole step the chance of rolling
back a canary as good as its baseline stays below 1 - confidence per metric (Bonferroni).
"""

import datetime
import math
import re

from ansible_collections.canary.ecs.plugins.module_utils._release import api, judge
from ansible_collections.canary.ecs.plugins.module_utils._release.observe import ORIGINAL, REPLACEMENT
from ansible_collections.canary.ecs.plugins.module_utils._release.watch import Gaps
from ansible_collections.canary.ecs.plugins.module_utils.common import fail

LOOKS = 10
LOOK_SECONDS = 3  # what one look itself takes (a module run, its calls): the next look comes this much later than the interval
ROLLBACK, PROCEED = "rollback", "proceed"
ALB = "AWS/ApplicationELB"
STATISTIC = re.compile(r"^(SampleCount|Average|Sum|Minimum|Maximum|p(\d{1,2}(\.\d{1,2})?|100))$")
METRIC_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
BUILT_IN = ("error_rate", "latency")
DEFAULTS = {
    "enabled": False,
    "confidence": 0.95,
    "error_margin": 0.0,
    "min_requests": 50,
    "latency": True,
    "latency_statistic": "p50",
    "latency_margin": 0.0,
    "min_periods": 6,
    "metrics": [],
    "pass_score": 95.0,
    "marginal_score": 75.0,
    "not_enough_data": ROLLBACK,
}
METRIC_DEFAULTS = {"statistic": "Average", "worse_when": judge.HIGHER, "margin": 0.0, "critical": False}


def settings(options):
    """The judge option with its defaults, checked (each error naming the option)."""
    found = dict(DEFAULTS)
    found.update((key, value) for key, value in (options or {}).items() if value is not None)
    if not 0.5 <= found["confidence"] < 1:
        fail("judge.confidence must be at least 0.5 and below 1 (0.95 is 95%%), got %s" % found["confidence"])
    if not 0 <= found["error_margin"] < 1:
        fail("judge.error_margin must be 0 or more and below 1 (0.01 is one percentage point), got %s" % found["error_margin"])
    if not 0 <= found["latency_margin"] < 1:
        fail("judge.latency_margin must be 0 or more and below 1 (0.1 lets the canary be 10%% slower), got %s" % found["latency_margin"])
    if found["min_requests"] < 1:
        fail("judge.min_requests must be 1 or more, got %s" % found["min_requests"])
    if found["min_periods"] < 3:
        fail("judge.min_periods must be 3 or more (minutes with data on each side), got %s" % found["min_periods"])
    if not (found["latency_statistic"].startswith("p") and STATISTIC.match(found["latency_statistic"])):
        fail("judge.latency_statistic must be a percentile such as p50, p90 or p99, got %r" % found["latency_statistic"])
    if not 0 < found["marginal_score"] <= found["pass_score"] <= 100:
        fail(
            "judge.pass_score and judge.marginal_score must satisfy 0 < marginal_score <= pass_score <= 100 (Kayenta's 75 and 95), got %s and %s"
            % (found["pass_score"], found["marginal_score"])
        )
    if found["not_enough_data"] not in (ROLLBACK, PROCEED):
        fail("judge.not_enough_data must be rollback or proceed, got %r" % found["not_enough_data"])
    found["metrics"] = [_metric_settings(index, metric, found["metrics"][:index]) for index, metric in enumerate(found["metrics"] or [])]
    return found


def _metric_settings(index, given, earlier):
    """One business metric of judge.metrics, with its defaults, checked."""
    where = "judge.metrics[%d]" % index
    if not isinstance(given, dict):
        fail("%s must be a dictionary (name, namespace, metric_name, canary_dimensions, baseline_dimensions, ...), got %r" % (where, given))
    metric = dict(METRIC_DEFAULTS)
    metric.update((key, value) for key, value in given.items() if value is not None)
    name = metric.get("name")
    if not isinstance(name, str) or not METRIC_NAME.match(name) or name in BUILT_IN:
        fail("%s.name must be 1 to 64 letters, digits, '_', '.' or '-', other than %s, got %r" % (where, " and ".join(BUILT_IN), name))
    where = "%s (%s)" % (where, name)
    if name in [other["name"] for other in earlier]:
        fail("%s: another entry of judge.metrics has the same name; give each metric its own" % where)
    for key in ("namespace", "metric_name"):
        if not isinstance(metric.get(key), str) or not metric[key].strip():
            fail("%s.%s is required: the CloudWatch %s of the metric" % (where, key, key.replace("_", " ")))
    for side in ("canary", "baseline"):
        key = "%s_dimensions" % side
        dimensions = metric.get(key)
        if not isinstance(dimensions, dict) or not dimensions:
            fail(
                "%s.%s is required: the dimensions (name: value) that select the %s's data points, e.g. {Version: v2}; "
                "without both sides the judge has nothing to compare" % (where, key, side)
            )
        metric[key] = [{"Name": str(dim), "Value": str(value)} for dim, value in sorted(dimensions.items())]
    if metric["canary_dimensions"] == metric["baseline_dimensions"]:
        fail("%s: canary_dimensions and baseline_dimensions are the same, so both sides would read the same data points" % where)
    if not STATISTIC.match(str(metric["statistic"])):
        fail("%s.statistic must be SampleCount, Average, Sum, Minimum, Maximum or a percentile such as p99, got %r" % (where, metric["statistic"]))
    if metric["worse_when"] not in (judge.HIGHER, judge.LOWER):
        fail("%s.worse_when must be higher or lower (a conversion rate is worse when lower), got %r" % (where, metric["worse_when"]))
    if not 0 <= metric["margin"] < 1:
        fail("%s.margin must be 0 or more and below 1 (0.05 lets the canary be 5%% worse), got %s" % (where, metric["margin"]))
    unknown = sorted(set(metric) - set(METRIC_DEFAULTS) - set(("name", "namespace", "metric_name", "canary_dimensions", "baseline_dimensions")))
    if unknown:
        fail("%s: unknown setting(s) %s" % (where, ", ".join(unknown)))
    return metric


def check_metrics_exist(cloudwatch, options):
    """Before a release: each business metric's baseline must already be in CloudWatch (the baseline runs)."""
    for index, metric in enumerate(options["metrics"] if options["enabled"] else []):
        if not api.metric_exists(cloudwatch, metric["namespace"], metric["metric_name"], metric["baseline_dimensions"]):
            fail(
                "judge.metrics[%d] (%s): CloudWatch has no metric %s/%s with the baseline_dimensions %s, so the judge would never see "
                "the baseline. Check namespace, metric_name and baseline_dimensions against `aws cloudwatch list-metrics`."
                % (index, metric["name"], metric["namespace"], metric["metric_name"], _dimensions_text(metric["baseline_dimensions"]))
            )


def _dimensions_text(dimensions):
    return ", ".join("%s=%s" % (item["Name"], item["Value"]) for item in dimensions)


def _target_groups(snap):
    groups = dict((task_set.get("label"), task_set.get("target_group")) for task_set in snap.get("task_sets") or [])
    return groups.get(REPLACEMENT), groups.get(ORIGINAL)


def _shift_started(snap):
    for event in snap.get("lifecycle_events") or []:
        if event.get("name") == "AllowTraffic" and event.get("start_time"):
            return event["start_time"]
    return None


def alb_dimensions(group):
    """The ALB metric dimensions of a target group (its load balancer's first)."""
    balancers = group.get("LoadBalancerArns") or []
    if not balancers:
        return None
    return [
        {"Name": "TargetGroup", "Value": group["TargetGroupArn"].split(":")[-1]},
        {"Name": "LoadBalancer", "Value": balancers[0].split(":loadbalancer/")[-1]},
    ]


def _series(options, dimensions):
    """Every series the judge reads in one GetMetricData: {(metric, side, field): (namespace, name, dimensions, statistic)}."""
    series = {}
    for side in ("canary", "baseline"):
        series[("error_rate", side, "requests")] = (ALB, "RequestCount", dimensions[side], "Sum")
        series[("error_rate", side, "errors")] = (ALB, "HTTPCode_Target_5XX_Count", dimensions[side], "Sum")
        if options["latency"]:
            series[("latency", side, "values")] = (ALB, "TargetResponseTime", dimensions[side], options["latency_statistic"])
        for metric in options["metrics"]:
            series[(metric["name"], side, "values")] = (metric["namespace"], metric["metric_name"], metric["%s_dimensions" % side], metric["statistic"])
    return series


def verdicts(options, data, confidence):
    """Each judged metric's verdict from what GetMetricData returned (see _series)."""
    total = dict((key, int(sum(values))) for key, values in data.items() if key[0] == "error_rate")
    found = [
        judge.error_rate_verdict(
            total[("error_rate", "canary", "errors")],
            total[("error_rate", "canary", "requests")],
            total[("error_rate", "baseline", "errors")],
            total[("error_rate", "baseline", "requests")],
            margin=options["error_margin"],
            confidence=confidence,
            min_requests=options["min_requests"],
        )
    ]
    found[0]["critical"] = True
    series = [("latency", judge.HIGHER, options["latency_margin"], False)] if options["latency"] else []
    series += [(metric["name"], metric["worse_when"], metric["margin"], metric["critical"]) for metric in options["metrics"]]
    for name, worse_when, margin, critical in series:
        verdict = judge.series_verdict(
            name, data[(name, "canary", "values")], data[(name, "baseline", "values")], worse_when, margin, confidence, options["min_periods"]
        )
        verdict["critical"] = critical
        found.append(verdict)
    return found


def utc(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)


def canary_step_minutes(backend, snap, minute_seconds):
    """Minutes the deployment config keeps part of the traffic on the new version; None when unknown or all at once."""
    the_plan = backend.plan(None, snap.get("deployment_config_name"), minute_seconds) if snap.get("deployment_config_name") else None
    partial = [step["minutes"] for step in (the_plan or {}).get("steps", []) if step["share"] < 100]
    return sum(partial) if partial else None


def tests_in_step(minutes):
    """How many different tests the looks of a canary step make: one per minute of data (CloudWatch's
    period), however often they look; LOOKS when the step's length is unknown."""
    return max(1, int(math.ceil(minutes))) if minutes else LOOKS


def _one_look(timing):
    """Real seconds from one look to the next: the poll interval and what the look itself takes, or the
    longest gap between two looks seen so far in this run when that is more (a loaded controller, slow
    answers): a last look estimated too short would come after the step ended, too late to settle it."""
    return max(timing.poll_interval + LOOK_SECONDS, timing.longest_gap)


def look(clients, backend, options, snap, timing):
    """Judge the canary of this snapshot when there is one; stop the deployment on a failed verdict.

    Judged: each look while part of the traffic is on the new version, and the looks within two
    looks after the canary step ended (still in progress), which judge the step once more so that a
    step that ended between two looks still gets its final verdict.
    """
    share = snap.get("traffic_share")
    if not options["enabled"] or snap.get("status") != "InProgress" or not share:
        return snap
    canary, baseline = _target_groups(snap)
    started, now = _shift_started(snap), snap.get("observed_at")
    timing.looked(now)
    if not canary or not baseline or canary == baseline or started is None or now is None:
        return snap
    minutes = canary_step_minutes(backend, snap, timing.minute_seconds)
    ends = None if minutes is None else started + minutes * timing.minute_seconds
    if share >= 100 and (ends is None or now > ends + 2 * _one_look(timing)):
        return snap
    groups = dict((group["TargetGroupName"], group) for group in api.describe_target_groups(clients("elbv2"), [canary, baseline]))
    dimensions = {"canary": alb_dimensions(groups.get(canary) or {}), "baseline": alb_dimensions(groups.get(baseline) or {})}
    if None in dimensions.values():
        return snap
    # the whole minute the shift began in, up to the minute the look (or the canary step) ends
    start, end = timing.metric_time(started), timing.metric_time(min(now, ends or now)) + 60
    data = api.metric_data(clients("cloudwatch"), _series(options, dimensions), utc(start - start % 60), utc(end))
    per_look = 1 - (1 - options["confidence"]) / tests_in_step(minutes)
    verdict = judge.combine(verdicts(options, data, per_look), options["pass_score"], options["marginal_score"], critical=("error_rate",))
    verdict.update(confidence=options["confidence"], confidence_per_look=per_look, canary_target_group=canary, baseline_target_group=baseline)
    # settled within two looks of the end: a look that comes later than the longest gap seen still finds it settled
    if verdict["verdict"] in (judge.NOT_ENOUGH_DATA, judge.MARGINAL) and ends is not None and now + 2 * _one_look(timing) >= ends:
        _settle(options, verdict)
    snap["judge"] = verdict
    if verdict["verdict"] == judge.FAIL:
        verdict["stopped"] = backend.stop(snap["deployment_id"], True)
    return snap


def _settle(options, verdict):
    """At the last looks of the canary step, the not_enough_data policy decides an open verdict."""
    what = "not enough data" if verdict["verdict"] == judge.NOT_ENOUGH_DATA else "a marginal score"
    if verdict["verdict"] == judge.MARGINAL or options["not_enough_data"] == ROLLBACK:
        # a marginal score at the end is under pass_score: Kayenta fails such a canary too
        verdict.update(verdict=judge.FAIL, policy="%s at the end of the canary step: rolled back (not_enough_data=%s)" % (what, options["not_enough_data"]))
    else:
        verdict["policy"] = "%s at the end of the canary step: proceeding (not_enough_data=proceed)" % what


class Timing(object):
    """What a look needs to know of time: the metrics' clock, the sandbox minute, the poll interval."""

    def __init__(self, metric_time, minute_seconds, poll_interval):
        self.metric_time = metric_time
        self.minute_seconds = minute_seconds
        self.poll_interval = poll_interval
        self._gaps = Gaps()

    @property
    def longest_gap(self):
        return self._gaps.longest

    def looked(self, now):
        """Note a judged look's moment, to know how far apart looks really come."""
        self._gaps.looked(now)
