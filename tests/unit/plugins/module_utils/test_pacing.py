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


def follow(config, poll_interval=15, judged=False, paced=True, stopped_at=None, calls=None):
    """Watch a simulated deployment to its end: (looks, seconds between its end and the look that saw it).
    `calls` (a dict) counts full looks and glances."""
    the_plan, look_at, ended = deployment(config, stopped_at)
    clock = {"now": START}
    tracker = progress.Tracker(the_plan)
    count, calls = [], calls if calls is not None else {}

    def full():
        count.append(clock["now"])
        calls["full"] = calls.get("full", 0) + 1
        return look_at(clock["now"])

    def glance():
        calls["glance"] = calls.get("glance", 0) + 1
        snap = look_at(clock["now"])
        if snap["status"] != "InProgress":
            return None
        count.append(clock["now"])
        return dict(snap, glance=True, alarms="a glance reads no alarms")

    def sleep(seconds):
        clock["now"] += seconds

    if paced:
        interval, look = pacing.paced(tracker, poll_interval, judged), pacing.Looks(tracker, full, glance, judged)
    else:
        interval, look = poll_interval, full
    snap = watch(look, observe.is_terminal, 7200, interval, first=look(), on_look=tracker.observe, clock=lambda: clock["now"], sleep=sleep)
    assert snap["status"] == ("Stopped" if stopped_at else "Succeeded")
    return len(count), count[-1] - ended


@pytest.mark.parametrize("config", [CANARY, LINEAR], ids=["canary", "linear"])
def test_looks_by_the_plan_are_fewer_and_see_the_end_within_two_seconds(config):
    fixed_looks, fixed_delay = follow(config, paced=False)
    looks, delay = follow(config)
    assert 0 <= delay <= pacing.NEAR and delay < fixed_delay + pacing.NEAR
    assert looks * 2 < fixed_looks


def test_the_canary_seed_at_aws_timing_takes_about_thirty_looks_most_of_them_glances():
    calls = {}
    looks, delay = follow(CANARY, calls=calls)
    # 8 while installing (2 min at 15 s), a look a minute in the 15-minute bake and the 5-minute wait, a few at each change
    assert looks <= 40 and delay <= pacing.NEAR, (looks, delay)
    # full looks while installing and at each change; glances (one call) in the bake and the termination wait
    assert calls["glance"] >= 18 and calls["full"] <= 16, calls
    # with the judge on, the canary step's looks are all full ones
    judged = {}
    follow(CANARY, judged=True, calls=judged)
    assert judged["full"] > 60 and judged["glance"] <= 8, judged


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


def test_a_glance_updates_the_last_full_look_and_carries_no_judgement():
    the_plan, look_at, _ended = deployment(CANARY)
    tracker = progress.Tracker(the_plan)
    full_look = dict(look_at(START + INSTALL + 60), alarms={"web-5xx": {"state": "OK"}}, rollback_status=None)
    glanced = {"deployment_id": "d-1", "glance": True, "status": "InProgress", "traffic_share": 10.0, "observed_at": START + INSTALL + 120}
    tracker.observe(full_look)
    full_look["judge"] = {"verdict": "pass", "metrics": []}  # that look's judgement
    looks = pacing.Looks(tracker, lambda: full_look, lambda: dict(glanced, alarms={}), first=full_look)
    snap = looks()
    assert snap["observed_at"] == START + INSTALL + 120 and snap["alarms"] == {"web-5xx": {"state": "OK"}}
    assert "glance" not in snap and "judge" not in snap and looks.glances == 1
    # the target no longer in progress: the glance says so (None), and a full look follows
    ended = dict(look_at(START + INSTALL + 2000))
    looks = pacing.Looks(tracker, lambda: ended, lambda: None, first=full_look)
    assert looks() is ended and looks.glances == 0
    # a glance that fell back to a full look itself (the module's look=glance) is the new full look
    looks = pacing.Looks(tracker, lambda: full_look, lambda: ended, first=full_look)
    assert looks() is ended


def test_no_glance_before_the_shift_nor_while_a_change_is_awaited():
    the_plan, look_at, _ended = deployment(CANARY)
    tracker = progress.Tracker(the_plan)
    installing = look_at(START + 30)
    tracker.observe(installing)
    assert not pacing.may_glance(tracker, installing)
    baking = look_at(START + INSTALL + 300)
    tracker.observe(baking)
    assert pacing.may_glance(tracker, baking) and not pacing.may_glance(tracker, baking, judged=True)
    due = START + INSTALL + 15 * 60
    late = dict(baking, observed_at=due + 1)
    assert not pacing.may_glance(tracker, late)
    assert not pacing.may_glance(tracker, dict(baking, status="Ready"))
