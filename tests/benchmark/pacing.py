#!/usr/bin/env python3
"""`make benchmark` (its last table): looks and API calls of one release at AWS's own timing.

A sandbox minute of 60 s would make a benchmark last 20 minutes a release, so this one runs the
collection's own watch loop (watch.py, progress.py, pacing.py) on a simulated clock against a
simulated CodeDeploy deployment at AWS's timing: 2 minutes of install, each traffic shift 2 s
after the plan makes it due, the original task set's termination wait, the end 2 s after it.
It counts looks and API calls (four a look from the action plugin: GetDeployment,
GetDeploymentGroup for its alarms, GetDeploymentTarget, DescribeAlarms), and how long after
the deployment ended a look saw it, for:

    fixed 15 s    every look poll_interval (15 s) apart: this collection before polling by the plan
    by the plan   pacing.next_look: sleeps towards the next change the plan makes due, every look full
    glances       the same, a glance (GetDeploymentTarget, one call) between the plan's changes
    judged        with the judge on: a full look every poll_interval in the canary step, glances after
    AWS CLI       `aws deploy wait deployment-successful`: GetDeployment every 15 s (one call)

and, for a deployment stopped by an alarm 7 min 13 s into the bake, how long after the stop a
look saw it. Pure computation, no AWS and no network. Prints Markdown tables (docs/releasing.md).
"""

import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "build", "collections"))

from ansible_collections.canary.ecs.plugins.module_utils._release import observe, pacing, progress  # noqa: E402
from ansible_collections.canary.ecs.plugins.module_utils._release.plan import plan  # noqa: E402
from ansible_collections.canary.ecs.plugins.module_utils._release.watch import watch  # noqa: E402

POLL = 15
CALLS_A_LOOK = 4
START, INSTALL, LAG = 0.0, 120.0, 2.0
GROUP = {"blueGreenDeploymentConfiguration": {"terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5}}}
CONFIGS = [
    ("ECSCanary10Percent15Minutes (the seed)", {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 15}}),
    ("ECSLinear10PercentEvery1Minutes", {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 1}}),
    ("ECSAllAtOnce", {"type": "AllAtOnce"}),
]
STOPPED_AFTER = 7 * 60 + 13  # seconds into the bake an alarm stops the deployment


def deployment(routing, stop_after=None):
    """A simulated deployment: (plan, look(now) -> snapshot, the moment it ends)."""
    the_plan = plan({"trafficRoutingConfig": routing}, GROUP, 60)
    shift = START + INSTALL
    changes, at = [], shift + LAG
    for step in the_plan["steps"]:
        changes.append((at, step["share"]))
        at += step["minutes"] * 60
    stopped = None if stop_after is None else shift + stop_after
    ended = stopped if stopped is not None else changes[-1][0] + the_plan["termination_wait_minutes"] * 60 + LAG

    def look(now):
        snap = {"deployment_id": "d-1", "observed_at": now, "task_sets": [], "alarms": {}, "lifecycle_events": []}
        if now >= shift:
            snap["lifecycle_events"] = [{"name": "AllowTraffic", "status": "InProgress", "start_time": shift}]
        if now >= ended:
            snap.update(status="Stopped" if stopped is not None else "Succeeded", traffic_share=0.0 if stopped is not None else 100.0)
        else:
            snap.update(status="InProgress", traffic_share=max([share for moment, share in changes if moment <= now] or [0.0]))
        return snap

    return the_plan, look, ended


def follow(routing, how, stop_after=None, poll=POLL):
    """(looks, API calls, seconds from the end to the look that saw it) of one way of waiting, looking every `poll`
    seconds where a way looks at a fixed pace (poll_interval)."""
    the_plan, look_at, ended = deployment(routing, stop_after)
    clock = {"now": START}
    tracker = progress.Tracker(the_plan)
    moments, calls = [], [0]

    def full():
        moments.append(clock["now"])
        calls[0] += 1 if how == "cli" else CALLS_A_LOOK
        return look_at(clock["now"])

    def glance():
        # GetDeploymentTarget: the target while in progress, else a full look
        calls[0] += 1
        snap = look_at(clock["now"])
        if snap["status"] != "InProgress":
            return None
        moments.append(clock["now"])
        seen = dict((key, snap[key]) for key in ("deployment_id", "status", "traffic_share", "task_sets", "lifecycle_events", "observed_at"))
        return dict(seen, glance=True)

    def sleep(seconds):
        clock["now"] += seconds

    if how in ("fixed", "cli"):
        interval, look = poll, full
    else:
        interval = pacing.paced(tracker, poll, how == "judged")
        look = pacing.Looks(tracker, full, glance if how != "paced" else lambda: None, how == "judged")
    watch(look, observe.is_terminal, 7200, interval, first=look(), on_look=tracker.observe, clock=lambda: clock["now"], sleep=sleep)
    return len(moments), calls[0], moments[-1] - ended


def main():
    ways = [
        ("fixed", "fixed 15 s"),
        ("paced", "by the plan, full looks"),
        ("glanced", "by the plan, glances between changes"),
        ("judged", "judged, glances after the canary step"),
        ("cli", "AWS CLI waiter"),
    ]
    print("One release at AWS's timing (2 min install, poll_interval 15 s, termination wait 5 min), simulated clock:")
    print()
    print("| deployment config | way | looks | API calls | end seen after |")
    print("|---|---|---:|---:|---:|")
    for name, routing in CONFIGS:
        for how, label in ways:
            looks, calls, delay = follow(routing, how)
            print("| %s | %s | %d | %d | %.1f s |" % (name, label, looks, calls, delay))
    print()
    print("The seed's release by the plan with glances, at a slower poll_interval (the pace before the shift, and a")
    print("quarter of the longest sleep between changes):")
    print()
    print("| poll_interval | looks | API calls | end seen after | a stop at %d min %d s seen after |" % divmod(STOPPED_AFTER, 60))
    print("|---:|---:|---:|---:|---:|")
    for poll in (15, 30, 60):
        looks, calls, delay = follow(CONFIGS[0][1], "glanced", poll=poll)
        _looks, _calls, stop_delay = follow(CONFIGS[0][1], "glanced", STOPPED_AFTER, poll=poll)
        print("| %d s | %d | %d | %.1f s | %.1f s |" % (poll, looks, calls, delay, stop_delay))
    print()
    print("A deployment stopped by an alarm %d min %d s into the seed's bake (CodeDeploy rolls back on its own):" % divmod(STOPPED_AFTER, 60))
    print()
    print("| way | looks | API calls | stop seen after |")
    print("|---|---:|---:|---:|")
    for how, label in ways:
        looks, calls, delay = follow(CONFIGS[0][1], how, STOPPED_AFTER)
        print("| %s | %d | %d | %.1f s |" % (label, looks, calls, delay))


if __name__ == "__main__":
    main()
