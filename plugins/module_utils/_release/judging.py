# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The judge's look at a release in its canary step: the canary's target group against the baseline's.

At each look while part (not all) of the traffic is on the new version, it reads both
target groups' metrics since the traffic shift began (one DescribeTargetGroups and one
GetMetricData call), asks judge.py for a verdict, and on "fail" stops the deployment with
rollback at once. The verdict goes into the snapshot (snap["judge"]), from there into the
timeline, the progress lines and the outcome.

Every look tests again on more data, so each look tests at (1 - confidence) / LOOKS: over
up to LOOKS looks the chance of rolling back a canary as good as its baseline stays below
1 - confidence (Bonferroni).
"""

import datetime

from ansible_collections.canary.ecs.plugins.module_utils._release import api, judge
from ansible_collections.canary.ecs.plugins.module_utils._release.observe import ORIGINAL, REPLACEMENT
from ansible_collections.canary.ecs.plugins.module_utils.common import fail

LOOKS = 10
DEFAULTS = {"enabled": False, "confidence": 0.95, "error_margin": 0.0, "min_requests": 50}


def settings(options):
    """The judge option with its defaults, checked (each error naming the option)."""
    found = dict(DEFAULTS)
    found.update((key, value) for key, value in (options or {}).items() if value is not None)
    if not 0.5 <= found["confidence"] < 1:
        fail("judge.confidence must be at least 0.5 and below 1 (0.95 is 95%%), got %s" % found["confidence"])
    if not 0 <= found["error_margin"] < 1:
        fail("judge.error_margin must be 0 or more and below 1 (0.01 is one percentage point), got %s" % found["error_margin"])
    if found["min_requests"] < 1:
        fail("judge.min_requests must be 1 or more, got %s" % found["min_requests"])
    return found


def _in_canary_step(snap):
    share = snap.get("traffic_share")
    return snap.get("status") == "InProgress" and share is not None and 0 < share < 100


def _target_groups(snap):
    groups = dict((task_set.get("label"), task_set.get("target_group")) for task_set in snap.get("task_sets") or [])
    return groups.get(REPLACEMENT), groups.get(ORIGINAL)


def _shift_started(snap):
    for event in snap.get("lifecycle_events") or []:
        if event.get("name") == "AllowTraffic" and event.get("start_time"):
            return event["start_time"]
    return None


def _dimensions(group):
    """The ALB metric dimensions of a target group (its load balancer's first)."""
    balancers = group.get("LoadBalancerArns") or []
    if not balancers:
        return None
    return [
        {"Name": "TargetGroup", "Value": group["TargetGroupArn"].split(":")[-1]},
        {"Name": "LoadBalancer", "Value": balancers[0].split(":loadbalancer/")[-1]},
    ]


def _utc(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)


def look(clients, backend, options, snap, metric_time):
    """Judge the canary of this snapshot when there is one; stop the deployment on a failed verdict."""
    if not options["enabled"] or not _in_canary_step(snap):
        return snap
    canary, baseline = _target_groups(snap)
    started, now = _shift_started(snap), snap.get("observed_at")
    if not canary or not baseline or canary == baseline or started is None or now is None:
        return snap
    groups = dict((group["TargetGroupName"], group) for group in api.describe_target_groups(clients("elbv2"), [canary, baseline]))
    dimensions = {"canary": _dimensions(groups.get(canary) or {}), "baseline": _dimensions(groups.get(baseline) or {})}
    if None in dimensions.values():
        return snap
    # the whole minute the shift began in, up to the minute now ends (a period without traffic has no datapoint)
    start, end = metric_time(started), metric_time(now) + 60
    data = api.target_group_metrics(clients("cloudwatch"), dimensions, _utc(start - start % 60), _utc(end))
    per_look = 1 - (1 - options["confidence"]) / LOOKS
    verdict = judge.error_rate_verdict(
        int(sum(data["canary"]["errors"])),
        int(sum(data["canary"]["requests"])),
        int(sum(data["baseline"]["errors"])),
        int(sum(data["baseline"]["requests"])),
        margin=options["error_margin"],
        confidence=per_look,
        min_requests=options["min_requests"],
    )
    verdict.update(confidence=options["confidence"], confidence_per_look=per_look, canary_target_group=canary, baseline_target_group=baseline)
    snap["judge"] = verdict
    if verdict["verdict"] == judge.FAIL:
        verdict["stopped"] = backend.stop(snap["deployment_id"], True)
    return snap


class Judged(object):
    """A backend whose looks are judged: every other method is the backend's own."""

    def __init__(self, backend, options, metric_time):
        self._backend = backend
        self._options = options
        self._metric_time = metric_time

    def __getattr__(self, name):
        return getattr(self._backend, name)

    def look(self, *args, **kwargs):
        return look(self._backend.clients, self._backend, self._options, self._backend.look(*args, **kwargs), self._metric_time)
