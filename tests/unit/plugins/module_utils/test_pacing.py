# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Polling by the plan, on a fake clock at AWS's timing: fewer looks, the end seen at once, a stop seen soon."""

import pytest

from ansible_collections.canary.ecs.plugins.module_utils._release import observe, pacing, progress
from ansible_collections.canary.ecs.plugins.module_utils._release.plan import plan
from ansible_collections.canary.ecs.plugins.module_utils._release.watch import watch

CANARY = {"trafficRoutingConfig": {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 15}}}
LINEAR = {"trafficRoutingConfig": {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 25, "linearInterval": 2}}}
GROUP = {"blueGreenDeploymentConfiguration": {"terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5}}}
START, INSTALL, LAG = 1000.0, 120.0, 2.0  # CodeDeploy installs for 2 minutes, and makes each shift 2 s after it is due


def deployment(config, stopped_at=None):
    """A simulated CodeDeploy deployment: look(now) -> its snapshot, and the moment it ended."""
    the_plan = plan(config, GROUP, 60)
    shift = START + INSTALL
    changes, at = [], shift + LAG
    for step in the_plan["steps"]:
        changes.append((at, step["share"]))
        at += step["minutes"] * 60
    ended = changes[-1][0] + the_plan["termination_wait_minutes"] * 60 + LAG
    if stopped_at is not None:
        ended = stopped_at

    def look(now):
        snap = {"deployment_id": "d-1", "observed_at": now, "task_sets": [], "alarms": {}, "lifecycle_events": []}
        if now >= shift:
            snap["lifecycle_events"] = [{"name": "AllowTraffic", "status": "InProgress", "start_time": shift}]
        if now >= ended:
            snap.update(status="Stopped" if stopped_at else "Succeeded", traffic_share=0.0 if stopped_at else 100.0)
            return snap
        snap.update(status="InProgress", traffic_share=max([share for moment, share in changes if moment <= now] or [0.0]))
        return snap

    return the_plan, look, ended


def follow(config, poll_interval=15, judged=False, paced=True, stopped_at=None):
    """Watch a simulated deployment to its end: (looks, seconds between its end and the look that saw it)."""
    the_plan, look_at, ended = deployment(config, stopped_at)
    clock = {"now": START}
    tracker = progress.Tracker(the_plan)
    count = []

    def look():
        count.append(clock["now"])
        return look_at(clock["now"])

    def sleep(seconds):
        clock["now"] += seconds

    interval = (lambda seen: pacing.next_look(tracker, seen, poll_interval, judged)) if paced else poll_interval
    snap = watch(look, observe.is_terminal, 7200, interval, first=look(), on_look=tracker.observe, clock=lambda: clock["now"], sleep=sleep)
    assert snap["status"] == ("Stopped" if stopped_at else "Succeeded")
    return len(count), count[-1] - ended


@pytest.mark.parametrize("config", [CANARY, LINEAR], ids=["canary", "linear"])
def test_looks_by_the_plan_are_fewer_and_see_the_end_within_two_seconds(config):
    fixed_looks, fixed_delay = follow(config, paced=False)
    looks, delay = follow(config)
    assert 0 <= delay <= pacing.NEAR and delay < fixed_delay + pacing.NEAR
    assert looks * 2 < fixed_looks


def test_the_canary_seed_at_aws_timing_takes_about_thirty_looks():
    looks, delay = follow(CANARY)
    # 8 while installing (2 min at 15 s), a look a minute in the 15-minute bake and the 5-minute wait, a few at each change
    assert looks <= 40 and delay <= pacing.NEAR, (looks, delay)


def test_a_stop_in_the_bake_is_seen_within_the_quiet_limit():
    stopped = START + INSTALL + 7 * 60 + 13
    _looks, delay = follow(CANARY, stopped_at=stopped)
    assert 0 <= delay <= pacing.QUIET_LOOKS * 15


def test_the_judge_gets_a_look_every_poll_interval_in_the_canary_step():
    the_plan, look_at, _ended = deployment(CANARY)
    tracker = progress.Tracker(the_plan)
    snap = look_at(START + INSTALL + 300)
    tracker.observe(snap)
    assert pacing.next_look(tracker, snap, 15, judged=True) == 15
    assert pacing.next_look(tracker, snap, 15, judged=False) == pacing.QUIET_LOOKS * 15


def test_a_change_that_is_late_is_looked_for_often_then_less():
    the_plan, look_at, _ended = deployment(CANARY)
    tracker = progress.Tracker(the_plan)
    due = START + INSTALL + 15 * 60
    tracker.observe(look_at(due - 1))
    # CodeDeploy has not shifted to 100% yet: a look every NEAR seconds, then half as often as it is late
    late = dict(look_at(due - 1), observed_at=due + 1)
    assert pacing.next_look(tracker, late, 15) == pacing.NEAR
    later = dict(late, observed_at=due + 20)
    assert pacing.next_look(tracker, later, 15) == 10
    assert pacing.next_look(tracker, dict(late, observed_at=due + 600), 15) == 15


@pytest.mark.parametrize("status", ["Created", "Queued", "Ready"])
def test_phases_without_a_plan_are_looked_at_every_poll_interval(status):
    the_plan, look_at, _ended = deployment(CANARY)
    tracker = progress.Tracker(the_plan)
    snap = dict(look_at(START + INSTALL + 60), status=status)
    tracker.observe(snap)
    assert pacing.next_look(tracker, snap, 15) == 15
    # while installing (AllowTraffic not begun) nothing is due either
    installing = look_at(START + 30)
    assert pacing.next_look(progress.Tracker(the_plan), installing, 15) == 15
    # no plan known (following a deployment by its id): the poll interval
    assert pacing.next_look(progress.Tracker(), look_at(START + INSTALL + 60), 15) == 15
