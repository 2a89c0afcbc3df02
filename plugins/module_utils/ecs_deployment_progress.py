# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Following a deployment: snapshots, phases, the timeline, progress lines and the outcome.

Pure functions and one small state machine, no AWS calls, so the module (waiting in one
run) and the action plugin (polling across many short module runs) tell the same story.

A snapshot is what one poll sees: the deployment (get_deployment), its ECS target
(batch_get_deployment_targets: task sets, traffic weights, lifecycle events) and the
group's alarms (describe_alarms). `Tracker.observe()` turns successive snapshots into
timeline events; `outcome()` says how the release ended and why.
"""

import calendar
import datetime

TERMINAL = ("Succeeded", "Failed", "Stopped")
IN_FLIGHT = ("Created", "Queued", "InProgress", "Baking", "Ready")
ORIGINAL, REPLACEMENT = "Blue", "Green"

_INSTALL_EVENTS = ("BeforeInstall", "Install", "AfterInstall")
_TEST_TRAFFIC_EVENTS = ("AllowTestTraffic", "AfterAllowTestTraffic")


# ---------------------------------------------------------------------------- time

def epoch(value):
    """Epoch seconds from a datetime (boto3), a number or an ISO string; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return calendar.timegm(value.timetuple()) + value.microsecond / 1e6
        return value.timestamp()
    text = str(value).replace("Z", "+00:00")
    try:
        return datetime.datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def iso(seconds):
    if seconds is None:
        return None
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


def duration(seconds):
    """'1h02m03s', '4m05s', '12s' for people."""
    if seconds is None:
        return "?"
    seconds = int(round(max(0, seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return "%dh%02dm%02ds" % (hours, minutes, secs)
    if minutes:
        return "%dm%02ds" % (minutes, secs)
    return "%ds" % secs


# ---------------------------------------------------------------------------- snapshots

def deployment_summary(info):
    """The fields of a DeploymentInfo that following a release needs, with epoch times."""
    rollback = info.get("rollbackInfo") or {}
    error = info.get("errorInformation") or {}
    return {
        "deployment_id": info.get("deploymentId"),
        "status": info.get("status"),
        "application_name": info.get("applicationName"),
        "deployment_group_name": info.get("deploymentGroupName"),
        "deployment_config_name": info.get("deploymentConfigName"),
        "description": info.get("description"),
        "creator": info.get("creator"),
        "create_time": epoch(info.get("createTime")),
        "start_time": epoch(info.get("startTime")),
        "complete_time": epoch(info.get("completeTime")),
        "error_code": error.get("code"),
        "error_message": error.get("message"),
        "rollback_deployment_id": rollback.get("rollbackDeploymentId"),
        "rollback_triggering_deployment_id": rollback.get("rollbackTriggeringDeploymentId"),
        "rollback_message": rollback.get("rollbackMessage"),
    }


def target_summary(target):
    """Task sets (label, weight, counts) and lifecycle events of one ECS deployment target."""
    ecs = (target or {}).get("ecsTarget") or {}
    task_sets = []
    for task_set in ecs.get("taskSetsInfo") or []:
        task_sets.append({
            "label": task_set.get("taskSetLabel"),
            "identifier": task_set.get("identifer") or task_set.get("identifier"),
            "status": task_set.get("status"),
            "traffic_weight": task_set.get("trafficWeight"),
            "desired_count": task_set.get("desiredCount"),
            "running_count": task_set.get("runningCount"),
            "pending_count": task_set.get("pendingCount"),
            "target_group": (task_set.get("targetGroup") or {}).get("name"),
        })
    events = []
    for event in ecs.get("lifecycleEvents") or []:
        events.append({
            "name": event.get("lifecycleEventName"),
            "status": event.get("status"),
            "start_time": epoch(event.get("startTime")),
            "end_time": epoch(event.get("endTime")),
        })
    return {"target_id": ecs.get("targetId"), "target_status": ecs.get("status"), "task_sets": task_sets, "lifecycle_events": events}


def alarm_summary(alarms):
    """{name: {state, updated, reason}} from describe_alarms' MetricAlarms (+ CompositeAlarms)."""
    states = {}
    for alarm in alarms:
        states[alarm["AlarmName"]] = {
            "state": alarm.get("StateValue"),
            "updated": epoch(alarm.get("StateUpdatedTimestamp")),
            "reason": alarm.get("StateReason"),
        }
    return states


def snapshot(deployment_info, target=None, alarms=None, observed_at=None, rollback_info=None, alarm_transitions=None):
    """One poll's view.

    `rollback_info` is the DeploymentInfo of the rollback deployment, when there is one;
    `alarm_transitions` ([{name, at, reason}]) when the alarms fired, from their history.
    """
    snap = deployment_summary(deployment_info)
    snap["alarm_transitions"] = [{"name": t["name"], "at": epoch(t.get("at")), "reason": t.get("reason")} for t in alarm_transitions or []]
    snap.update(target_summary(target))
    snap["alarms"] = alarm_summary(alarms or [])
    snap["observed_at"] = observed_at
    snap["traffic_share"] = replacement_share(snap)
    snap["rollback_status"] = (rollback_info or {}).get("status")
    return snap


def replacement_share(snap):
    """Percent of production traffic on the replacement (green) task set; None when not known.

    Once a deployment ended without succeeding, the green task set is gone or drained:
    report 0 rather than the last weight some targets still carry.
    """
    for task_set in snap.get("task_sets") or []:
        if task_set.get("label") == REPLACEMENT and task_set.get("traffic_weight") is not None:
            return float(task_set["traffic_weight"])
    if snap.get("status") == "Succeeded":
        return 100.0
    if snap.get("status") in ("Failed", "Stopped"):
        return 0.0
    return None


def is_terminal(snap):
    """Done: the deployment ended, and so did its rollback deployment, if any."""
    if snap.get("status") not in TERMINAL:
        return False
    if snap.get("rollback_deployment_id") and snap.get("rollback_status") not in TERMINAL:
        return False
    return True


# ---------------------------------------------------------------------------- phases

def _event(snap, names, status):
    return [e for e in snap.get("lifecycle_events") or [] if e["name"] in names and e["status"] == status]


def phase(snap):
    """A short, stable name for where the deployment is."""
    status = snap.get("status")
    share = snap.get("traffic_share")
    if status in ("Created", "Queued"):
        return "starting"
    if status == "Ready":
        return "waiting for approval"
    if status == "Succeeded":
        return "succeeded"
    if status in ("Failed", "Stopped"):
        if snap.get("rollback_deployment_id") and snap.get("rollback_status") not in TERMINAL:
            return "rolling back"
        return "rolled back" if rolled_back(snap) else status.lower()
    traffic_started = _event(snap, ("AllowTraffic",), "InProgress") or _event(snap, ("AllowTraffic",), "Succeeded")
    if _event(snap, _INSTALL_EVENTS, "InProgress") or (share in (None, 0.0) and not traffic_started):
        if _event(snap, _TEST_TRAFFIC_EVENTS, "InProgress"):
            return "test traffic"
        return "installing replacement"
    if share is not None and 0 < share < 100:
        return "canary"
    if share is not None and share >= 100:
        if _event(snap, ("AfterAllowTraffic",), "InProgress"):
            return "verifying"
        return "draining original"
    return "shifting traffic"


def rolled_back(snap):
    """Whether traffic went back to the original task set (rather than the release just failing to start)."""
    if snap.get("status") not in ("Failed", "Stopped"):
        return False
    return bool(snap.get("rollback_deployment_id") or snap.get("rollback_message") or snap.get("error_code") in ("ALARM_ACTIVE", "MANUAL_STOP")
                or any(e["name"] == "AllowTraffic" and e["status"] in ("Succeeded", "Failed", "InProgress") for e in snap.get("lifecycle_events") or []))


# ---------------------------------------------------------------------------- plan / remaining

def plan(deployment_config=None, deployment_group=None, minute_seconds=60):
    """How long shifting and the original task set's termination wait last, from the config and group.

    `minute_seconds` turns CodeDeploy minutes into real seconds (60 against AWS).
    """
    routing = (deployment_config or {}).get("trafficRoutingConfig") or {}
    kind = routing.get("type") or "AllAtOnce"
    steps = []  # (share after the step, minutes before the next step)
    if kind == "TimeBasedCanary":
        canary = routing.get("timeBasedCanary") or {}
        steps = [(float(canary.get("canaryPercentage", 0)), float(canary.get("canaryInterval", 0))), (100.0, 0.0)]
    elif kind == "TimeBasedLinear":
        linear = routing.get("timeBasedLinear") or {}
        percent = float(linear.get("linearPercentage") or 100)
        interval = float(linear.get("linearInterval", 0))
        share = 0.0
        while share < 100:
            share = min(100.0, share + percent)
            steps.append((share, interval if share < 100 else 0.0))
    else:
        steps = [(100.0, 0.0)]
    blue_green = (deployment_group or {}).get("blueGreenDeploymentConfiguration") or {}
    termination = (blue_green.get("terminateBlueInstancesOnDeploymentSuccess") or {})
    ready = blue_green.get("deploymentReadyOption") or {}
    return {
        "type": kind,
        "steps": [{"share": share, "minutes": minutes} for share, minutes in steps],
        "shift_minutes": sum(minutes for _share, minutes in steps),
        "termination_wait_minutes": float(termination.get("terminationWaitTimeInMinutes", 0) or 0),
        "wait_for_approval": ready.get("actionOnTimeout") == "STOP_DEPLOYMENT",
        "minute_seconds": float(minute_seconds or 60),
    }


def planned_share(the_plan, shift_started, when):
    """The share the plan gives the replacement at `when`, the shift having started at `shift_started`; None if unknown."""
    if not the_plan or shift_started is None or when is None:
        return None
    if when < shift_started:
        return 0.0
    elapsed = (when - shift_started) / the_plan["minute_seconds"]
    passed = 0.0
    for step in the_plan["steps"]:
        if not step["minutes"] or elapsed < passed + step["minutes"]:
            return step["share"]
        passed += step["minutes"]
    return 100.0


def describe_plan(the_plan):
    if not the_plan:
        return ""
    parts = []
    for step in the_plan["steps"]:
        if step["minutes"]:
            parts.append("%g%% for %g min" % (step["share"], step["minutes"]))
        else:
            parts.append("%g%%" % step["share"])
    text = " -> ".join(parts)
    if the_plan.get("termination_wait_minutes"):
        text += ", original task set kept %g min" % the_plan["termination_wait_minutes"]
    return text


def remaining(the_plan, snap, shifted_at):
    """Real seconds left until the deployment should end, or None when it cannot be told.

    `shifted_at` maps each traffic share to the time it was first observed.
    """
    if not the_plan or snap.get("status") not in ("InProgress", "Created", "Queued", "Baking"):
        return None
    minute = the_plan["minute_seconds"]
    now = snap.get("observed_at")
    share = snap.get("traffic_share") or 0.0
    termination = the_plan["termination_wait_minutes"] * minute
    if share >= 100:
        started = shifted_at.get(100.0)
        return max(0.0, termination - (now - started)) if started is not None and now is not None else termination
    left = termination
    current_seen = False
    for step in the_plan["steps"]:
        if step["share"] <= share and share > 0:
            if step["share"] == share:
                current_seen = True
                started = shifted_at.get(share)
                elapsed = (now - started) if started is not None and now is not None else 0.0
                left += max(0.0, step["minutes"] * minute - elapsed)
            continue
        if current_seen or share == 0:
            left += step["minutes"] * minute
    return left


# ---------------------------------------------------------------------------- tracker

class Tracker(object):
    """Folds snapshots into a timeline of status changes, traffic shifts and alarm states."""

    def __init__(self, the_plan=None, label=None):
        self.plan = the_plan
        self.label = label  # e.g. the new image tag, for messages
        self.timeline = []
        self.shifted_at = {}  # share -> when first observed
        self.max_share = 0.0
        self.last = None
        self.alarm_fired = None  # first alarm seen in ALARM: {name, at, traffic_share, reason}
        self.shift_started = None  # when CodeDeploy's AllowTraffic event began

    def observe(self, snap):
        """Record what changed since the last snapshot; returns the new timeline events."""
        previous = self.last or {}
        now = snap.get("observed_at")
        events = []
        if snap.get("status") != previous.get("status"):
            events.append(self._event("status", now, "deployment %s is %s" % (snap.get("deployment_id"), snap.get("status")), snap,
                                      status=snap.get("status")))
        if snap.get("rollback_status") and snap.get("rollback_status") != previous.get("rollback_status"):
            events.append(self._event("rollback", now, "rollback deployment %s is %s" % (snap.get("rollback_deployment_id"), snap["rollback_status"]),
                                      snap, status=snap["rollback_status"]))
        for event in snap.get("lifecycle_events") or []:
            if event["name"] == "AllowTraffic" and event.get("start_time"):
                self.shift_started = event["start_time"]
        share = snap.get("traffic_share")
        if share is not None and share != previous.get("traffic_share"):
            self.shifted_at.setdefault(share, now)
            if not rolled_back(snap) and snap.get("status") not in ("Failed", "Stopped"):
                self.max_share = max(self.max_share, share)
            events.append(self._event("traffic", now, "%g%% of production traffic on the replacement task set" % share, snap,
                                      traffic_share=share))
        events.extend(self._alarm_events(snap, previous.get("alarms") or {}, now))
        events.extend(self._fired_between_polls(snap, events))
        events.sort(key=lambda event: event["epoch"] or 0)
        self.timeline.extend(events)
        self.last = snap
        return events

    def _alarm_events(self, snap, previous_alarms, now):
        events = []
        for name in sorted(snap.get("alarms") or {}):
            alarm = snap["alarms"][name]
            before = previous_alarms.get(name, {}).get("state")
            if alarm.get("state") == before:
                continue
            at = alarm.get("updated") if self._plausible(alarm.get("updated"), now) else now
            extra = {"alarm": name, "alarm_state": alarm.get("state")}
            if alarm.get("state") == "ALARM":
                extra["traffic_share"] = self.share_at(at)
                if self.alarm_fired is None:
                    self.alarm_fired = {"name": name, "at": at, "traffic_share": extra["traffic_share"], "reason": alarm.get("reason")}
            events.append(self._event("alarm", at, "alarm %s is %s" % (name, alarm.get("state")), snap, **extra))
        return events

    def _fired_between_polls(self, snap, pending):
        """ALARM transitions from the alarms' history that no poll saw (the alarm fired and cleared in between)."""
        events = []
        for transition in snap.get("alarm_transitions") or []:
            seen = [e for e in self.timeline + pending + events if e["kind"] == "alarm" and e.get("alarm") == transition["name"]
                    and e.get("alarm_state") == "ALARM" and abs((e["epoch"] or 0) - (transition["at"] or 0)) < 120]
            if seen or transition["at"] is None:
                continue
            share = self.share_at(transition["at"])
            events.append(self._event("alarm", transition["at"], "alarm %s went to ALARM" % transition["name"], snap,
                                      alarm=transition["name"], alarm_state="ALARM", traffic_share=share))
            if self.alarm_fired is None or transition["at"] < self.alarm_fired["at"]:
                self.alarm_fired = {"name": transition["name"], "at": transition["at"], "traffic_share": share, "reason": transition["reason"]}
        return events

    def _plausible(self, when, now):
        """An alarm's own timestamp is used when it falls inside what this tracker has watched."""
        if when is None or now is None:
            return False
        first = self.timeline[0]["epoch"] if self.timeline else now
        return first - 120 <= when <= now + 1

    def share_at(self, when):
        """The replacement's traffic share at a moment.

        From the plan when the traffic shift's start is known (polls can miss a short canary
        entirely), else from the timeline (the highest share seen if unknown).
        """
        planned = planned_share(self.plan, self.shift_started, when)
        if planned is not None:
            return planned
        share = None
        for event in self.timeline:
            if event["kind"] == "traffic" and event["epoch"] <= (when or 0):
                share = event.get("traffic_share")
        if share is None or (share == 0 and self.max_share):
            return self.max_share
        return share

    @staticmethod
    def _event(kind, when, message, snap, **extra):
        event = {"kind": kind, "at": iso(when), "epoch": when, "message": message, "deployment_id": snap.get("deployment_id")}
        event.update(extra)
        return event

    # ------------------------------------------------------------------ reporting

    def progress(self, snap):
        """The progress dict returned with every result and printed by the action plugin."""
        now = snap.get("observed_at")
        created = snap.get("create_time")
        return {
            "phase": phase(snap),
            "status": snap.get("status"),
            "traffic_share": snap.get("traffic_share"),
            "alarms": dict((name, alarm.get("state")) for name, alarm in sorted((snap.get("alarms") or {}).items())),
            "elapsed_seconds": round(now - created, 1) if now is not None and created is not None else None,
            "remaining_seconds": _round(remaining(self.plan, snap, self.shifted_at)),
        }

    def line(self, snap):
        """One progress line: 'd-X canary | 10% on v2 | alarms: A=OK | elapsed 7s, ~8s left'."""
        info = self.progress(snap)
        parts = ["%s %s" % (snap.get("deployment_id"), info["phase"])]
        if info["traffic_share"] is not None:
            parts.append("%g%% on %s" % (info["traffic_share"], self.label or "the new version"))
        if info["alarms"]:
            parts.append("alarms: " + alarm_states(info["alarms"]))
        timing = "elapsed %s" % duration(info["elapsed_seconds"])
        if info["remaining_seconds"] is not None:
            timing += ", ~%s left" % duration(info["remaining_seconds"])
        parts.append(timing)
        return " | ".join(parts)

    def public_timeline(self):
        """The timeline as returned to users: no internal epoch key."""
        ordered = sorted(self.timeline, key=lambda event: event["epoch"] or 0)
        return [dict((k, v) for k, v in event.items() if k != "epoch") for event in ordered]


def alarm_states(states):
    """'all 4 OK', or the alarms that are not OK by name: 'app-5xx=ALARM, 3 OK'."""
    ok = [name for name, state in states.items() if state == "OK"]
    if len(ok) == len(states):
        return "all %d OK" % len(ok) if len(ok) > 1 else "%s=OK" % ok[0]
    named = ", ".join("%s=%s" % (name, state) for name, state in sorted(states.items()) if state != "OK")
    return named + (", %d OK" % len(ok) if ok else "")


def _round(value):
    return None if value is None else round(value, 1)


# ---------------------------------------------------------------------------- outcome

def alarms_named_in(message, known):
    """Alarm names that CodeDeploy's error message mentions (it lists the activated ones)."""
    if not message:
        return []
    return [name for name in sorted(known) if name in message]


def outcome(tracker, snap, release=None):
    """How the release ended: {succeeded, rolled_back, status, alarm, alarm_traffic_share, message}."""
    status = snap.get("status")
    release = release or "the release"
    result = {"status": status, "succeeded": status == "Succeeded", "rolled_back": rolled_back(snap),
              "alarm": None, "alarm_traffic_share": None, "alarm_at": None, "message": None}
    if status == "Succeeded":
        result["message"] = "%s succeeded: deployment %s shifted all traffic to the new task set." % (release.capitalize(), snap.get("deployment_id"))
        return result
    if status not in TERMINAL:
        result["message"] = "%s is %s (deployment %s, %s)." % (release.capitalize(), status, snap.get("deployment_id"), phase(snap))
        return result
    fired = tracker.alarm_fired
    if fired is None:
        named = alarms_named_in(snap.get("error_message"), (snap.get("alarms") or {}).keys())
        in_alarm = [name for name, alarm in sorted((snap.get("alarms") or {}).items()) if alarm.get("state") == "ALARM"]
        name = (named or in_alarm or [None])[0]
        if name:
            fired = {"name": name, "at": (snap["alarms"].get(name) or {}).get("updated"), "traffic_share": tracker.max_share}
    why = snap.get("error_message") or snap.get("rollback_message") or "no reason given"
    if fired:
        result.update(alarm=fired["name"], alarm_traffic_share=fired["traffic_share"], alarm_at=iso(fired.get("at")))
        cause = "alarm %s went to ALARM at %g%% of traffic on the new version%s" % (
            fired["name"], fired["traffic_share"] or 0, " (%s)" % iso(fired["at"]) if fired.get("at") else "")
    elif snap.get("error_code") == "MANUAL_STOP":
        cause = "it was stopped on request"
    elif snap.get("error_code") == "TIMEOUT" and any(event.get("status") == "Ready" for event in tracker.timeline):
        cause = ("nobody approved it within the deployment group's ready wait (approve a waiting release with "
                 "state=continued or playbooks/promote.yml, or lengthen deployment_ready.wait_time_in_minutes)")
    else:
        cause = "CodeDeploy reported %s" % (snap.get("error_code") or status)
    if result["rolled_back"]:
        where = "traffic is back on the original task set"
        if snap.get("rollback_deployment_id"):
            where += " (rollback deployment %s %s)" % (snap["rollback_deployment_id"], snap.get("rollback_status") or "started")
        result["message"] = "%s was rolled back: %s; %s. Deployment %s is %s: %s" % (
            release.capitalize(), cause, where, snap.get("deployment_id"), status, why)
    else:
        result["message"] = "%s failed: %s. Deployment %s is %s: %s" % (release.capitalize(), cause, snap.get("deployment_id"), status, why)
    return result


def finish(result, tracker, snap, release=None, fail_on_rollback=True):
    """Complete a module result once a deployment ended; returns (result, failed).

    The live task definition follows from the outcome: the released revision when it
    succeeded, the previous one otherwise (a rollback keeps or restores it).
    """
    ended = outcome(tracker, snap, release)
    result.update(
        deployment_id=snap.get("deployment_id"),
        status=snap.get("status"),
        phase=phase(snap),
        progress=tracker.progress(snap),
        timeline=tracker.public_timeline(),
        outcome=ended,
        observation=snap,
        msg=ended["message"],
    )
    if ended["succeeded"]:
        live = result.get("task_definition_arn")
    else:
        live = result.get("previous_task_definition_arn")
    if live:
        result["live_task_definition_arn"] = live
    failed = not ended["succeeded"] and (fail_on_rollback or not ended["rolled_back"])
    return result, failed


def timeout_message(deployment_id, wait_timeout, snap):
    status = (snap or {}).get("status", "unknown")
    where = phase(snap) if snap else "unknown"
    return ("Gave up waiting for deployment %s after %ss (wait_timeout); it is still %s (%s). It goes on without us: run the play "
            "again to attach to it, or stop it (state=stopped)." % (deployment_id, wait_timeout, status, where))
