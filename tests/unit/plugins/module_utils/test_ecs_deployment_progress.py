# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The progress/result state machine: snapshots in, phases, timeline, progress lines and outcome out."""

import datetime

import pytest

from ansible_collections.canary.ecs.plugins.module_utils._release import observe, outcome, plan, progress

T0 = 1764136800.0  # 2025-11-26T06:00:00Z
CANARY = {"trafficRoutingConfig": {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 15}}}
GROUP = {"blueGreenDeploymentConfiguration": {"terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5}}}
ALARM = "Canary-5XX-Error-Alarm"


def info(status, **extra):
    base = {
        "deploymentId": "d-1",
        "status": status,
        "applicationName": "app",
        "deploymentGroupName": "dg",
        "createTime": datetime.datetime.fromtimestamp(T0, datetime.timezone.utc),
    }
    base.update(extra)
    return base


def target(green=None, events=None):
    sets = [{"taskSetLabel": "Blue", "trafficWeight": 100.0 - (green or 0), "identifer": "ecs-svc/1", "targetGroup": {"name": "tg-blue"}}]
    if green is not None:
        sets.append({"taskSetLabel": "Green", "trafficWeight": float(green), "identifer": "ecs-svc/2", "targetGroup": {"name": "tg-green"}})
    return {
        "ecsTarget": {
            "targetId": "c:s",
            "taskSetsInfo": sets,
            "lifecycleEvents": [{"lifecycleEventName": name, "status": status} for name, status in (events or [])],
        }
    }


def alarms(state, updated=None):
    return [{"AlarmName": ALARM, "StateValue": state, "StateUpdatedTimestamp": updated, "StateReason": "threshold crossed"}]


def snap(at, status, green=None, alarm="OK", events=None, alarm_updated=None, **extra):
    rollback = extra.pop("rollback_status", None)
    return observe.snapshot(
        info(status, **extra),
        target(green, events),
        alarms(alarm, alarm_updated),
        observed_at=T0 + at,
        rollback_info={"status": rollback} if rollback else None,
    )


def canary_release(tracker):
    """A canary that bakes 15 (1-second) minutes at 10%, goes to 100%, waits 5 minutes, succeeds."""
    seen = []
    for at, status, green, events in (
        (1, "Created", None, []),
        (2, "InProgress", 0, [("Install", "InProgress")]),
        (4, "InProgress", 10, [("Install", "Succeeded"), ("AllowTraffic", "InProgress")]),
        (10, "InProgress", 10, [("Install", "Succeeded"), ("AllowTraffic", "InProgress")]),
        (20, "InProgress", 100, [("AllowTraffic", "Succeeded")]),
        (26, "Succeeded", 100, [("AllowTraffic", "Succeeded")]),
    ):
        current = snap(at, status, green, events=events)
        tracker.observe(current)
        seen.append(current)
    return seen


def test_plan_of_a_canary_and_a_linear_config():
    canary = plan.plan(CANARY, GROUP, minute_seconds=1)
    assert [(s["share"], s["minutes"]) for s in canary["steps"]] == [(10.0, 15.0), (100.0, 0.0)]
    assert canary["termination_wait_minutes"] == 5.0 and canary["shift_minutes"] == 15.0
    linear = plan.plan({"trafficRoutingConfig": {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 30, "linearInterval": 2}}})
    assert [s["share"] for s in linear["steps"]] == [30.0, 60.0, 90.0, 100.0]
    assert linear["shift_minutes"] == 6.0 and linear["minute_seconds"] == 60.0
    assert plan.plan(None)["steps"] == [{"share": 100.0, "minutes": 0.0}]
    assert plan.describe_plan(canary) == "10% for 15 min -> 100%, original task set kept 5 min"


@pytest.mark.parametrize(
    "status, green, events, expected",
    [
        ("Created", None, [], "starting"),
        ("InProgress", 0, [("Install", "InProgress")], "installing replacement"),
        ("InProgress", 0, [("Install", "Succeeded"), ("AllowTestTraffic", "InProgress")], "test traffic"),
        ("InProgress", 10, [("AllowTraffic", "InProgress")], "canary"),
        ("InProgress", 100, [("AllowTraffic", "Succeeded"), ("AfterAllowTraffic", "InProgress")], "verifying"),
        ("InProgress", 100, [("AllowTraffic", "Succeeded")], "draining original"),
        ("Ready", 0, [], "waiting for approval"),
        ("Succeeded", 100, [], "succeeded"),
        ("Failed", None, [("AllowTraffic", "Failed")], "rolled back"),
        ("Failed", None, [("Install", "Failed")], "failed"),
    ],
)
def test_phases(status, green, events, expected):
    assert observe.phase(snap(1, status, green, events=events)) == expected


def test_traffic_share_is_the_green_weight_and_zero_after_a_failure():
    assert snap(1, "InProgress", 10)["traffic_share"] == 10.0
    assert snap(1, "InProgress")["traffic_share"] is None
    assert snap(1, "Failed")["traffic_share"] == 0.0
    assert snap(1, "Succeeded")["traffic_share"] == 100.0


def test_a_canary_release_gives_one_event_per_change_in_order():
    tracker = progress.Tracker(plan.plan(CANARY, GROUP, minute_seconds=1), "v2")
    canary_release(tracker)
    statuses = [e["status"] for e in tracker.timeline if e["kind"] == "status"]
    shares = [e["traffic_share"] for e in tracker.timeline if e["kind"] == "traffic"]
    assert statuses == ["Created", "InProgress", "Succeeded"]
    assert shares == [0.0, 10.0, 100.0]
    # times are when each change was first seen
    assert [e["at"] for e in tracker.timeline if e["kind"] == "traffic"] == [observe.iso(T0 + 2), observe.iso(T0 + 4), observe.iso(T0 + 20)]
    assert all("epoch" not in e for e in tracker.public_timeline())


def test_remaining_time_during_the_bake_and_the_termination_wait():
    tracker = progress.Tracker(plan.plan(CANARY, GROUP, minute_seconds=1), "v2")
    seen = canary_release(tracker)
    # seen at 10 s: 10% since 4 s, so 9 s of bake plus 5 s of termination wait are left
    assert plan.remaining(tracker.plan, seen[3], tracker.shifted_at) == pytest.approx(14.0)
    assert plan.remaining(tracker.plan, seen[4], tracker.shifted_at) == pytest.approx(5.0)
    assert plan.remaining(tracker.plan, seen[5], tracker.shifted_at) is None
    line = tracker.line(seen[3])
    assert line == "d-1 canary | 10%% on v2 | alarms: %s=OK | elapsed 10s, ~14s left" % ALARM


def test_success_outcome_and_result():
    tracker = progress.Tracker(None, "v2")
    last = canary_release(tracker)[-1]
    result, failed = outcome.finish({"task_definition_arn": "td:2", "previous_task_definition_arn": "td:1"}, tracker, last, "the release of v2")
    assert not failed
    assert result["outcome"]["succeeded"] and not result["outcome"]["rolled_back"]
    assert result["live_task_definition_arn"] == "td:2"
    assert result["msg"].startswith("The release of v2 succeeded")
    assert result["outcome"]["judge"] is None


def test_a_release_the_judge_could_not_clear_but_let_through_says_so():
    # not enough data at the end of the canary step with not_enough_data=proceed: an event, and the outcome names it
    waiting = {"verdict": "not enough data", "score": None, "failed": [], "waiting": ["error_rate"], "metrics": [], "confidence": 0.95}
    settled = dict(waiting, policy="not enough data at the end of the canary step: proceeding (not_enough_data=proceed)")
    tracker = progress.Tracker(None, "v2")
    for at, verdict in ((5, waiting), (8, waiting), (13, settled)):
        tracker.observe(dict(snap(at, "InProgress", 10, events=[("Install", "Succeeded"), ("AllowTraffic", "InProgress")]), judge=verdict))
    last = snap(26, "Succeeded", 100, events=[("AllowTraffic", "Succeeded")])
    tracker.observe(last)
    judged = [event for event in tracker.public_timeline() if event["kind"] == "judge"]
    assert [event["verdict"] for event in judged] == ["not enough data", "not enough data"] and "proceeding" in judged[-1]["message"]
    result, failed = outcome.finish({}, tracker, last, "the release of v2")
    assert not failed and result["outcome"]["succeeded"] and result["outcome"]["judge"]["policy"] == settled["policy"]
    assert result["msg"].endswith("The judge did not clear it: judge: not enough data, %s; ; at 95%% confidence." % settled["policy"]), result["msg"]


def rolled_back_release(tracker, alarm_updated=None):
    error = {"code": "ALARM_ACTIVE", "message": "One or more alarms have been activated: %s" % ALARM}
    rollback = {"rollbackDeploymentId": "d-2", "rollbackMessage": "rolled back by alarm"}
    tracker.observe(snap(1, "InProgress", 0, events=[("Install", "InProgress")]))
    tracker.observe(snap(3, "InProgress", 10, events=[("AllowTraffic", "InProgress")]))
    failed = dict(alarm="ALARM", alarm_updated=alarm_updated, events=[("AllowTraffic", "Failed")], errorInformation=error, rollbackInfo=rollback)
    tracker.observe(snap(8, "Failed", 0, rollback_status="InProgress", **failed))
    last = snap(10, "Failed", 0, rollback_status="Succeeded", **failed)
    tracker.observe(last)
    return last


def test_rollback_waits_for_the_rollback_deployment():
    tracker = progress.Tracker()
    error = {"code": "ALARM_ACTIVE", "message": "alarm"}
    during = snap(8, "Failed", 0, alarm="ALARM", errorInformation=error, rollbackInfo={"rollbackDeploymentId": "d-2"}, rollback_status="InProgress")
    assert not observe.is_terminal(during) and observe.phase(during) == "rolling back"
    assert observe.is_terminal(rolled_back_release(tracker))


def test_rollback_outcome_names_the_alarm_and_the_traffic_share_it_fired_at():
    tracker = progress.Tracker(None, "v3")
    last = rolled_back_release(tracker, alarm_updated=T0 + 6)
    result, failed = outcome.finish({"task_definition_arn": "td:3", "previous_task_definition_arn": "td:2"}, tracker, last, "the release of v3")
    assert failed
    ended = result["outcome"]
    assert ended["rolled_back"] and ended["alarm"] == ALARM and ended["alarm_traffic_share"] == 10.0
    assert ended["alarm_at"] == observe.iso(T0 + 6)
    assert "alarm %s went to ALARM at 10%% of traffic" % ALARM in result["msg"]
    assert "rollback deployment d-2 Succeeded" in result["msg"]
    assert result["live_task_definition_arn"] == "td:2"
    alarm_events = [e for e in result["timeline"] if e["kind"] == "alarm" and e["alarm_state"] == "ALARM"]
    assert alarm_events[0]["traffic_share"] == 10.0 and alarm_events[0]["at"] == observe.iso(T0 + 6)


def test_an_implausible_alarm_timestamp_falls_back_to_when_it_was_seen():
    tracker = progress.Tracker()
    rolled_back_release(tracker, alarm_updated=T0 + 99999)
    event = [e for e in tracker.timeline if e.get("alarm_state") == "ALARM"][0]
    assert event["at"] == observe.iso(T0 + 8) and event["traffic_share"] == 10.0


def test_fail_on_rollback_false_keeps_the_task_green_but_a_failure_without_rollback_still_fails():
    tracker = progress.Tracker()
    last = rolled_back_release(tracker)
    assert outcome.finish({}, tracker, last, fail_on_rollback=False)[1] is False
    broken = snap(3, "Failed", None, events=[("Install", "Failed")], errorInformation={"code": "ECS_UPDATE_ERROR", "message": "no capacity"})
    tracker2 = progress.Tracker()
    tracker2.observe(broken)
    result, failed = outcome.finish({}, tracker2, broken, fail_on_rollback=False)
    assert failed and "ECS_UPDATE_ERROR" in result["msg"] and "no capacity" in result["msg"]


def test_alarm_found_from_the_error_message_when_never_seen_in_alarm():
    tracker = progress.Tracker()
    tracker.observe(snap(3, "InProgress", 10, events=[("AllowTraffic", "InProgress")]))
    last = snap(
        9, "Stopped", 0, alarm="OK", events=[("AllowTraffic", "Failed")], errorInformation={"code": "ALARM_ACTIVE", "message": "Activated alarms: <%s>" % ALARM}
    )
    ended = outcome.outcome(tracker, last, "the release")
    assert ended["alarm"] == ALARM and ended["alarm_traffic_share"] == 10.0


def test_manual_stop_outcome():
    tracker = progress.Tracker()
    last = snap(5, "Stopped", 0, errorInformation={"code": "MANUAL_STOP", "message": "stopped by the user"})
    tracker.observe(last)
    assert "stopped on request" in outcome.outcome(tracker, last)["message"]


def test_a_release_nobody_approved_says_how_to_approve():
    tracker = progress.Tracker()
    tracker.observe(snap(2, "Ready", 0, events=[("AllowTestTraffic", "Succeeded")]))
    last = snap(8, "Stopped", 0, errorInformation={"code": "TIMEOUT", "message": "Traffic was not rerouted within the 5-minute wait"})
    tracker.observe(last)
    message = outcome.outcome(tracker, last, "the release of v2")["message"]
    assert message.startswith("The release of v2 failed: nobody approved it within the deployment group's ready wait")
    assert "state=continued" in message and "Traffic was not rerouted" in message


def test_a_ready_wait_that_ended_between_two_looks_is_still_named():
    # the wait was shorter than the gap between looks: no look saw Ready, CodeDeploy's message names the wait
    tracker = progress.Tracker()
    tracker.observe(snap(1, "InProgress", 0))
    message = "Traffic was not rerouted within the 6-minute wait (ContinueDeployment READY_WAIT was not called)."
    last = snap(8, "Stopped", 0, errorInformation={"code": "TIMEOUT", "message": message})
    tracker.observe(last)
    assert "nobody approved it within the deployment group's ready wait" in outcome.outcome(tracker, last)["message"]


def test_a_timeout_without_a_wait_for_approval_is_reported_as_codedeploy_said():
    tracker = progress.Tracker()
    last = snap(8, "Failed", 0, errorInformation={"code": "TIMEOUT", "message": "the task set did not stabilise"})
    tracker.observe(last)
    message = outcome.outcome(tracker, last)["message"]
    assert "CodeDeploy reported TIMEOUT" in message and "approved" not in message


def test_epoch_and_duration_helpers():
    assert observe.epoch(datetime.datetime(2025, 11, 26, 6, 0, 0)) == T0
    assert observe.epoch("2025-11-26T06:00:00Z") == T0
    assert observe.epoch(None) is None
    assert observe.duration(3723) == "1h02m03s" and observe.duration(65) == "1m05s" and observe.duration(7.4) == "7s"


def stopped_by_an_alarm_at_6(alarm_state_now, alarm_updated, events=None):
    """A tracker that saw the canary at 10%, and the stopped deployment whose alarm history says ALARM at T0+6."""
    tracker = progress.Tracker()
    tracker.observe(snap(3, "InProgress", 10, events=[("AllowTraffic", "InProgress")]))
    error = {"code": "ALARM_ACTIVE", "message": "Activated alarms: %s" % ALARM}
    last = observe.snapshot(
        info("Stopped", errorInformation=error),
        target(None, events),
        alarms(alarm_state_now, alarm_updated),
        observed_at=T0 + 9,
        alarm_transitions=[{"name": ALARM, "at": T0 + 6, "reason": "from OK to ALARM"}],
    )
    return tracker, last


def test_an_alarm_that_fired_and_cleared_between_polls_is_taken_from_its_history():
    tracker, last = stopped_by_an_alarm_at_6("OK", T0 + 7, [("AllowTraffic", "Failed")])
    events = tracker.observe(last)
    fired = [e for e in events if e.get("alarm_state") == "ALARM"]
    assert len(fired) == 1 and fired[0]["at"] == observe.iso(T0 + 6) and fired[0]["traffic_share"] == 10.0
    ended = outcome.outcome(tracker, last)
    assert ended["alarm"] == ALARM and ended["alarm_at"] == observe.iso(T0 + 6) and ended["alarm_traffic_share"] == 10.0
    # seen again on the next poll: not recorded twice, and the public timeline is in time order
    assert not [e for e in tracker.observe(dict(last, observed_at=T0 + 10)) if e.get("alarm_state") == "ALARM"]
    times = [e["at"] for e in tracker.public_timeline()]
    assert times == sorted(times)


def test_alarm_states_name_only_the_alarms_that_are_not_ok():
    assert progress.alarm_states({"a": "OK"}) == "a=OK"
    assert progress.alarm_states({"a": "OK", "b": "OK"}) == "all 2 OK"
    assert progress.alarm_states({"a": "OK", "b": "ALARM", "c": "INSUFFICIENT_DATA"}) == "b=ALARM, c=INSUFFICIENT_DATA, 1 OK"


def test_an_alarm_seen_in_alarm_and_in_its_history_in_the_same_poll_is_one_event():
    tracker, last = stopped_by_an_alarm_at_6("ALARM", T0 + 6)
    events = tracker.observe(last)
    assert len([e for e in events if e.get("alarm_state") == "ALARM"]) == 1
    assert [e["kind"] for e in events] == ["alarm", "status", "traffic"]


def test_planned_share_follows_the_steps_of_the_plan():
    canary = plan.plan(CANARY, GROUP, minute_seconds=1)
    assert plan.planned_share(canary, T0, T0 - 1) == 0.0
    assert plan.planned_share(canary, T0, T0 + 3) == 10.0
    assert plan.planned_share(canary, T0, T0 + 16) == 100.0
    linear = plan.plan(
        {"trafficRoutingConfig": {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 25, "linearInterval": 2}}}, minute_seconds=1
    )
    assert [plan.planned_share(linear, T0, T0 + t) for t in (0, 1.9, 2, 5, 7)] == [25.0, 25.0, 50.0, 75.0, 100.0]
    assert plan.planned_share(None, T0, T0) is None and plan.planned_share(canary, None, T0) is None


def test_an_alarm_during_a_canary_no_poll_saw_is_placed_by_the_plan():
    tracker = progress.Tracker(plan.plan(CANARY, GROUP, minute_seconds=1))
    tracker.observe(snap(1, "InProgress", 0, events=[("Install", "InProgress")]))
    error = {"code": "ALARM_ACTIVE", "message": "Activated alarms: %s" % ALARM}
    last = observe.snapshot(
        info("Stopped", errorInformation=error),
        {"ecsTarget": {"lifecycleEvents": [{"lifecycleEventName": "AllowTraffic", "status": "Failed", "startTime": T0 + 2, "endTime": T0 + 6}]}},
        alarms("OK", T0 + 7),
        observed_at=T0 + 9,
        alarm_transitions=[{"name": ALARM, "at": T0 + 5, "reason": "from OK to ALARM"}],
    )
    tracker.observe(last)
    assert outcome.outcome(tracker, last)["alarm_traffic_share"] == 10.0


def test_a_canary_step_that_passed_between_two_looks_is_in_the_timeline_by_the_plan():
    # a loaded controller: the look before the shift saw 0%, the next one 100% (the 15 s bake went by between them)
    tracker = progress.Tracker(plan.plan(CANARY, GROUP, minute_seconds=1), "v2")
    began = datetime.datetime.fromtimestamp(T0 + 3, datetime.timezone.utc)
    shifting = target(0, [("Install", "Succeeded"), ("AllowTraffic", "InProgress")])
    shifting["ecsTarget"]["lifecycleEvents"][1]["startTime"] = began
    tracker.observe(observe.snapshot(info("InProgress"), shifting, alarms("OK"), observed_at=T0 + 2))
    done = target(100, [("Install", "Succeeded"), ("AllowTraffic", "Succeeded")])
    done["ecsTarget"]["lifecycleEvents"][1]["startTime"] = began
    tracker.observe(observe.snapshot(info("InProgress"), done, alarms("OK"), observed_at=T0 + 25))
    traffic = [event for event in tracker.timeline if event["kind"] == "traffic"]
    assert [(event["traffic_share"], event["epoch"], event.get("between_looks")) for event in traffic] == [
        (0.0, T0 + 2, None),
        (10.0, T0 + 3, True),
        (100.0, T0 + 25, None),
    ]
    assert "between two looks" in traffic[1]["message"] and tracker.max_share == 100.0
    # the share at a moment in the bake is the canary's, as the plan has it
    assert tracker.share_at(T0 + 10) == 10.0


def _stopped_after_a_look_at_0(green, ended=None):
    """A tracker that saw 0% as the 10% canary's AllowTraffic began at T0+3, then the deployment Stopped
    (at `green` % on the replacement, its AllowTraffic ended at `ended` when known)."""
    tracker = progress.Tracker(plan.plan(CANARY, GROUP, minute_seconds=1), "v2")
    began = datetime.datetime.fromtimestamp(T0 + 3, datetime.timezone.utc)
    shifting = target(0, [("AllowTraffic", "InProgress")])
    shifting["ecsTarget"]["lifecycleEvents"][0]["startTime"] = began
    tracker.observe(observe.snapshot(info("InProgress"), shifting, alarms("OK"), observed_at=T0 + 2))
    stopped = target(green, [("AllowTraffic", "Failed")])
    stopped["ecsTarget"]["lifecycleEvents"][0]["startTime"] = began
    if ended is not None:
        stopped["ecsTarget"]["lifecycleEvents"][0]["endTime"] = datetime.datetime.fromtimestamp(ended, datetime.timezone.utc)
    tracker.observe(observe.snapshot(info("Stopped", rollbackInfo={"rollbackDeploymentId": "d-2"}), stopped, alarms("ALARM"), observed_at=T0 + 25))
    return tracker


def test_a_rollback_infers_no_step_it_did_not_take():
    # when the shift stopped is not known, no step is put in
    tracker = _stopped_after_a_look_at_0(100)
    assert not [event for event in tracker.timeline if event.get("between_looks")]


def test_a_rollback_between_two_looks_keeps_the_steps_it_took_before_the_shift_ended():
    # both looks saw 0%: CodeDeploy stopped the shift at T0+8 (an alarm)
    tracker = _stopped_after_a_look_at_0(0, ended=T0 + 8)
    inferred = [(event["traffic_share"], event["epoch"]) for event in tracker.timeline if event.get("between_looks")]
    # the canary's 10% (due at T0+3, before the end), not the 100% the plan had for T0+18
    assert inferred == [(10.0, T0 + 3)]
    assert tracker.max_share == 10.0 and tracker.share_at(T0 + 5) == 10.0
