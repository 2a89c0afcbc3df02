# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""When to look next at a release: by its plan, not every poll_interval forever.

Once CodeDeploy's AllowTraffic event has begun, the deployment config says when the next
change is due: the end of each traffic step, then the end of the original task set's
termination wait (counted from the first look that saw 100%). Between two of those a look
only learns that nothing changed, so the watch sleeps towards the next one and looks right
after it is due; a change that is late (CodeDeploy's own pace) is looked for often at first,
then less, back to poll_interval. Nothing is due while the replacement installs, waits for
approval or is Created: those phases are looked at every poll_interval, as before.

What a long sleep could miss is what CodeDeploy does on its own: a stop by an alarm or by
someone. No sleep is longer than QUIET_LOOKS poll intervals, so such a stop is seen that
much later at most (CodeDeploy has already rolled back by then: it watches the alarms
itself). With the judge on, the canary step is looked at every poll_interval: each look is
a judgement.
"""

NEAR = 2.0  # seconds between looks while a due change is awaited: its end is seen this soon
AFTER = 0.5  # a look this long after a change is due, so that it finds the change made
QUIET_LOOKS = 4  # the longest sleep, in poll intervals
GLANCED = ("status", "target_id", "target_status", "task_sets", "lifecycle_events", "traffic_share", "observed_at")  # what a glance updates


def due_times(tracker):
    """When the plan makes the next changes: [(earliest, latest)] epoch times in order; [] before the shift began.

    Each step's end from the shift's start (CodeDeploy's AllowTraffic start time), then the
    deployment's end: the termination wait after the shift to 100%. A look sees a shift only
    after it came: between the look before and the first look that saw it, so the end is known
    within that window.
    """
    the_plan, started = tracker.plan, tracker.shift_started
    if not the_plan or started is None:
        return []
    minute = the_plan["minute_seconds"]
    times, passed = [], 0.0
    for step in the_plan["steps"]:
        if not step["minutes"]:
            break
        passed += step["minutes"]
        times.append((started + passed * minute,) * 2)
    earliest = latest = started + passed * minute
    if tracker.shifted_at.get(100.0) is not None:
        latest = max(earliest, tracker.shifted_at[100.0])
        earliest = min(latest, max(earliest, tracker.seen_before.get(100.0) or earliest))
    wait = the_plan["termination_wait_minutes"] * minute
    times.append((earliest + wait, latest + wait))
    return times


def _awaited(tracker, snap, due):
    """The (earliest, latest) moments of a change that was due by now and that this snapshot does not show yet, or None."""
    now, share = snap["observed_at"], snap.get("traffic_share") or 0.0
    steps = [step["share"] for step in tracker.plan["steps"] if step["minutes"]]
    for index, window in enumerate(due):
        if window[0] > now:
            return None
        # a step's end is made once the share is past it; the last due time is the deployment's end
        if index >= len(steps) or share <= steps[index]:
            return window
    return None


def _in_the_plan(tracker, snap):
    """(due times, the awaited change or None) of a deployment in progress past the shift's start; ([], None) otherwise."""
    if snap is None or snap.get("status") != "InProgress" or snap.get("observed_at") is None:
        return [], None
    due = due_times(tracker)
    return due, (_awaited(tracker, snap, due) if due else None)


def _judging(snap, judged):
    """In the canary step with the judge on: each look there is one of the judge's."""
    return judged and (snap.get("traffic_share") or 0.0) < 100


def next_look(tracker, snap, poll_interval, judged=False):
    """Seconds to sleep before the next look at this deployment, `tracker` having observed `snap`."""
    poll_interval = float(poll_interval)
    due, awaited = _in_the_plan(tracker, snap)
    if not due:
        return poll_interval
    now, shortest = snap["observed_at"], min(NEAR, poll_interval)
    longest = poll_interval if _judging(snap, judged) else QUIET_LOOKS * poll_interval
    if awaited is not None:
        # due: often until the latest it could have come, then half as often as it is late, at most poll_interval
        late = now - awaited[1]
        return shortest if late <= 0 else max(shortest, min(poll_interval, late / 2.0))
    ahead = min(window[0] for window in due if window[0] > now) - now
    return max(shortest, min(ahead + AFTER, longest))


def paced(tracker, poll_interval, judged=False):
    """The watch loop's interval for a release followed by `tracker`: snapshot -> seconds (next_look)."""

    def interval(snap):
        return next_look(tracker, snap, poll_interval, judged)

    return interval


def may_glance(tracker, snap, judged=False):
    """Whether the next look may be a glance (the target alone, one call): between the plan's changes.

    Not before the shift began (fast fail reads the tasks while installing), not while a change is due
    and not seen (a full look tells how it went), not in the canary step when judged (each look is a
    judgement), and not once the deployment is anything but in progress."""
    due, awaited = _in_the_plan(tracker, snap)
    return bool(due) and awaited is None and not _judging(snap, judged)


class Looks(object):
    """The watch loop's look: a glance between the plan's changes, a full look otherwise.

    `full()` returns a snapshot; `glance()` a partial one (glance: true) while the target is in
    progress, or a full one (or None, then a full look is made) once it is not. A glance updates
    the last full look: its deployment status, alarms and rollback are still the last full look's
    (a change of theirs shows on the target too), and it carries no judgement.
    """

    def __init__(self, tracker, full, glance, judged=False, first=None):
        self._tracker, self._full, self._glance, self._judged = tracker, full, glance, judged
        self._last_full = first  # a full look already made (the start's)
        self.glances = 0

    def __call__(self):
        if self._last_full is not None and may_glance(self._tracker, self._tracker.last, self._judged):
            seen = self._glance()
            if seen is not None and seen.get("glance"):
                self.glances += 1
                snap = dict((key, value) for key, value in self._last_full.items() if key not in ("judge", "startup"))
                snap.update((key, seen[key]) for key in GLANCED if key in seen)
                return snap
            if seen is not None:
                self._last_full = seen
                return seen
        self._last_full = self._full()
        return self._last_full
