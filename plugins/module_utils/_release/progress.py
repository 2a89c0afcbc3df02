# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Following a deployment for people: a Tracker folds snapshots into a timeline and progress lines.

No AWS calls, so the module (waiting in one run) and the action plugin (looking across many
short module runs) tell the same story.
"""

from ansible_collections.canary.ecs.plugins.module_utils._release.judge import FAIL, PASS, describe
from ansible_collections.canary.ecs.plugins.module_utils._release.observe import ORIGINAL, REPLACEMENT, duration, iso, phase, rolled_back
from ansible_collections.canary.ecs.plugins.module_utils._release.plan import planned_share, remaining
from ansible_collections.canary.ecs.plugins.module_utils._release.startup import describe as describe_startup


def _allow_traffic_ended(snap):
    """When CodeDeploy's AllowTraffic event of this deployment ended (the shift stopped there), or None."""
    for event in snap.get("lifecycle_events") or []:
        if event["name"] == "AllowTraffic" and event.get("end_time"):
            return event["end_time"]
    return None


class Tracker(object):
    """Folds snapshots into a timeline of status changes, traffic shifts and alarm states."""

    def __init__(self, the_plan=None, label=None):
        self.plan = the_plan
        self.label = label  # e.g. the new image tag, for messages
        self.timeline = []
        self.shifted_at = {}  # share -> when first observed
        self.seen_before = {}  # share -> the last look before the one that first saw it (the shift came between)
        self.max_share = 0.0
        self.last = None
        self.alarm_fired = None  # first alarm seen in ALARM: {name, at, traffic_share, reason}
        self.shift_started = None  # when CodeDeploy's AllowTraffic event began
        self.judge_failed = None  # the judge's failed verdict, with the traffic share and moment it came at
        self.judge_settled = None  # the judge's open verdict that not_enough_data=proceed let through
        self.judge_last = None  # the judge's latest verdict, with the traffic share and moment it came at
        self.startup_failed = None  # fast fail's finding when the replacement's tasks did not run in time
        self.groups = {}  # task set label (Blue, Green) -> its target group, as first seen (a finished release's task sets are gone)

    def observe(self, snap):
        """Record what changed since the last snapshot; returns the new timeline events."""
        previous = self.last or {}
        now = snap.get("observed_at")
        events = []
        for task_set in snap.get("task_sets") or []:
            if task_set.get("label") and task_set.get("target_group"):
                self.groups.setdefault(task_set["label"], task_set["target_group"])
        if snap.get("status") != previous.get("status"):
            events.append(self._event("status", now, "deployment %s is %s" % (snap.get("deployment_id"), snap.get("status")), snap, status=snap.get("status")))
        if snap.get("rollback_status") and snap.get("rollback_status") != previous.get("rollback_status"):
            events.append(
                self._event(
                    "rollback",
                    now,
                    "rollback deployment %s is %s" % (snap.get("rollback_deployment_id"), snap["rollback_status"]),
                    snap,
                    status=snap["rollback_status"],
                )
            )
        for event in snap.get("lifecycle_events") or []:
            if event["name"] == "AllowTraffic" and event.get("start_time"):
                self.shift_started = event["start_time"]
        share = snap.get("traffic_share")
        if share != previous.get("traffic_share") or snap.get("status") != previous.get("status"):
            # steps no look saw: a forward shift past them, or a stop after them (both looks may have seen 0%)
            events.extend(self._steps_between_looks(previous.get("traffic_share"), share, snap))
        if share is not None and share != previous.get("traffic_share"):
            self.shifted_at.setdefault(share, now)
            self.seen_before.setdefault(share, previous.get("observed_at"))
            if not rolled_back(snap) and snap.get("status") not in ("Failed", "Stopped"):
                self.max_share = max(self.max_share, share)
            events.append(self._event("traffic", now, "%g%% of production traffic on the replacement task set" % share, snap, traffic_share=share))
        events.extend(self._alarm_events(snap, previous.get("alarms") or {}, now))
        events.extend(self._judge_events(snap, previous.get("judge") or {}, now))
        events.extend(self._startup_events(snap, previous.get("startup") or {}, now))
        events.extend(self._fired_between_polls(snap, events))
        events.sort(key=lambda event: event["epoch"] or 0)
        self.timeline.extend(events)
        self.last = snap
        return events

    def _steps_between_looks(self, before, share, snap):
        """The plan's traffic steps a forward shift passed between two looks (a loaded controller, a short step),
        each at the moment the plan puts it after CodeDeploy's AllowTraffic began, marked between_looks.

        A deployment stopped or failed since the last look took the steps due before its AllowTraffic event
        ended (the traffic went back then); none when that end is not known."""
        if not self.plan or self.shift_started is None:
            return []
        until = None
        if rolled_back(snap) or snap.get("status") in ("Failed", "Stopped"):
            until = _allow_traffic_ended(snap)
            if until is None:
                return []
        events, at = [], self.shift_started
        for step in self.plan.get("steps") or []:
            taken = at < until if until is not None else step["share"] < (share or 0)
            if (before or 0) < step["share"] and taken and step["share"] not in self.shifted_at:
                self.shifted_at[step["share"]] = at
                self.max_share = max(self.max_share, step["share"])
                message = "%g%% of production traffic on the replacement task set (between two looks, by the plan)" % step["share"]
                events.append(self._event("traffic", at, message, snap, traffic_share=step["share"], between_looks=True))
            at += (step.get("minutes") or 0) * self.plan.get("minute_seconds", 60)
        return events

    def target_groups(self):
        """{new, old}: the target groups of the replacement and the original task sets, as seen."""
        return {"new": self.groups.get(REPLACEMENT), "old": self.groups.get(ORIGINAL)}

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

    def _judge_events(self, snap, previous, now):
        """A line when the judge's verdict changes (and the one that stops the release)."""
        verdict = snap.get("judge")
        if verdict:
            self.judge_last = dict(verdict, traffic_share=snap.get("traffic_share"), at=iso(now))
        if not verdict or (verdict.get("verdict"), verdict.get("policy")) == (previous.get("verdict"), previous.get("policy")):
            return []
        if verdict["verdict"] == FAIL and self.judge_failed is None:
            self.judge_failed = self.judge_last
        elif verdict.get("policy") and self.judge_settled is None:
            self.judge_settled = self.judge_last
        elif verdict["verdict"] == PASS:
            self.judge_settled = None  # a look after the settled one cleared it after all
        return [self._event("judge", now, describe(verdict), snap, verdict=verdict["verdict"], traffic_share=snap.get("traffic_share"))]

    def _startup_events(self, snap, previous, now):
        """A line when the replacement's tasks stop for a new reason (or in greater number), and when fast fail acts."""
        found = snap.get("startup")
        if not found:
            return []
        if found["failed"] and self.startup_failed is None:
            self.startup_failed = dict(found, traffic_share=snap.get("traffic_share"), at=iso(now))
        seen = (previous.get("stopped_count"), previous.get("failed"), previous.get("running_count"))
        if (found["stopped_count"], found["failed"], found["running_count"]) == seen:
            return []
        message = describe_startup(found)
        if found["failed"]:
            message = "fast fail: %s; stopping with rollback" % message
        return [self._event("startup", now, message, snap, stopped_count=found["stopped_count"], failed=found["failed"])]

    def _fired_between_polls(self, snap, pending):
        """ALARM transitions from the alarms' history that no poll saw (the alarm fired and cleared in between)."""
        events = []
        for transition in snap.get("alarm_transitions") or []:
            seen = [
                e
                for e in self.timeline + pending + events
                if e["kind"] == "alarm"
                and e.get("alarm") == transition["name"]
                and e.get("alarm_state") == "ALARM"
                and abs((e["epoch"] or 0) - (transition["at"] or 0)) < 120
            ]
            if seen or transition["at"] is None:
                continue
            share = self.share_at(transition["at"])
            events.append(
                self._event(
                    "alarm",
                    transition["at"],
                    "alarm %s went to ALARM" % transition["name"],
                    snap,
                    alarm=transition["name"],
                    alarm_state="ALARM",
                    traffic_share=share,
                )
            )
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
        if snap.get("startup"):
            parts.append("%d/%d tasks running" % (snap["startup"]["running_count"], snap["startup"]["desired_count"]))
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
