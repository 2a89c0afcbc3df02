# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How a release ended, in a module result: succeeded, or rolled back and why."""

from ansible_collections.canary.ecs.plugins.module_utils._release.judge import FAIL, MARGINAL, NOT_ENOUGH_DATA, describe
from ansible_collections.canary.ecs.plugins.module_utils._release.observe import TERMINAL, iso, phase, rolled_back
from ansible_collections.canary.ecs.plugins.module_utils._release.startup import describe as describe_startup


def alarms_named_in(message, known):
    """Alarm names that CodeDeploy's error message mentions (it lists the activated ones)."""
    if not message:
        return []
    return [name for name in sorted(known) if name in message]


def _unsettled(tracker):
    """The open verdict a release went through with: settled by not_enough_data=proceed, or still open
    when the canary step ended before the judge's last look of it (nothing could settle it then)."""
    if tracker.judge_settled:
        return tracker.judge_settled
    last = tracker.judge_last
    if last and last["verdict"] in (NOT_ENOUGH_DATA, MARGINAL) and not last.get("policy"):
        return dict(last, policy="%s when the canary step ended, before the judge's last look of it: not settled" % last["verdict"])
    return None


def outcome(tracker, snap, release=None):
    """How the release ended: {succeeded, rolled_back, status, alarm, alarm_traffic_share, message}."""
    status = snap.get("status")
    release = release or "the release"
    result = {
        "status": status,
        "succeeded": status == "Succeeded",
        "rolled_back": rolled_back(snap),
        "alarm": None,
        "alarm_traffic_share": None,
        "alarm_at": None,
        "judge": None,
        "startup": None,
        "message": None,
    }
    if status == "Succeeded":
        result["message"] = "%s succeeded: deployment %s shifted all traffic to the new task set." % (release.capitalize(), snap.get("deployment_id"))
        if tracker.judge_failed:
            # the judge's stop came after CodeDeploy had finished (looks far apart, a short termination wait):
            # the new version is live though the judge found it worse, and nobody should read that as a success
            result["judge"] = tracker.judge_failed
            result["message"] = (
                "%s went through though the judge found the canary worse than its baseline: deployment %s had succeeded "
                "before the judge's stop could reach it, and all traffic is on the new version (%s). To go back, release "
                "the previous task definition again (previous_task_definition_arn); to judge in time, lengthen the canary "
                "step or the deployment group's termination wait, or shorten poll_interval."
            ) % (release.capitalize(), snap.get("deployment_id"), describe(tracker.judge_failed))
            return result
        unsettled = _unsettled(tracker)
        if unsettled:
            # nobody should read "succeeded" as "judged good" when the judge could not tell
            result["judge"] = unsettled
            result["message"] += " The judge did not clear it: %s." % describe(unsettled)
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
    judged = tracker.judge_failed
    if tracker.startup_failed:
        result["startup"] = tracker.startup_failed
        cause = "the new version's tasks did not all run within fast_fail_minutes (%g): %s" % (
            tracker.startup_failed["limit_minutes"],
            describe_startup(tracker.startup_failed),
        )
    elif judged:
        result["judge"] = judged
        cause = "%s at %g%% of traffic on the new version (%s)" % (
            "the judge could not clear the canary by the end of its step" if judged.get("policy") else "the judge found the canary worse than its baseline",
            judged.get("traffic_share") or 0,
            describe(judged),
        )
    elif fired:
        result.update(alarm=fired["name"], alarm_traffic_share=fired["traffic_share"], alarm_at=iso(fired.get("at")))
        share = fired["traffic_share"] or 0
        # ECS's service deployments carry no stage times: a fast alarm may end a canary no look saw
        moved = not share and any(
            event["name"] == "AllowTraffic" and event.get("status") in ("InProgress", "Succeeded", "Failed") for event in snap.get("lifecycle_events") or []
        )
        cause = "alarm %s went to ALARM %s%s" % (
            fired["name"],
            "after production traffic began to move to the new version (no look saw its share)" if moved else "at %g%% of traffic on the new version" % share,
            " (%s)" % iso(fired["at"]) if fired.get("at") else "",
        )
    elif snap.get("error_code") == "MANUAL_STOP":
        cause = "it was stopped on request"
    elif snap.get("error_code") == "TIMEOUT" and (
        # seen waiting, or (a wait shorter than the looks between) CodeDeploy's message names the ready wait
        any(event.get("status") == "Ready" for event in tracker.timeline) or "READY_WAIT" in (snap.get("error_message") or "")
    ):
        cause = (
            "nobody approved it within the deployment group's ready wait (approve a waiting release with "
            "state=continued or playbooks/promote.yml, or lengthen deployment_ready.wait_time_in_minutes)"
        )
    else:
        cause = "CodeDeploy reported %s" % (snap.get("error_code") or status)
    if result["rolled_back"]:
        where = "traffic is back on the original task set"
        if snap.get("rollback_deployment_id"):
            where += " (rollback deployment %s %s)" % (snap["rollback_deployment_id"], snap.get("rollback_status") or "started")
        result["message"] = "%s was rolled back: %s; %s. Deployment %s is %s: %s" % (release.capitalize(), cause, where, snap.get("deployment_id"), status, why)
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
        target_groups=tracker.target_groups(),
        msg=ended["message"],
    )
    if ended["succeeded"]:
        live = result.get("task_definition_arn")
    else:
        live = result.get("previous_task_definition_arn")
    if live:
        result["live_task_definition_arn"] = live
    failed = not ended["succeeded"] and (fail_on_rollback or not ended["rolled_back"])
    if ended["succeeded"] and (ended["judge"] or {}).get("verdict") == FAIL:
        failed = True  # live, but judged worse: the play must not go on as if it were fine
    return result, failed


def timeout_message(deployment_id, wait_timeout, snap):
    status = (snap or {}).get("status", "unknown")
    where = phase(snap) if snap else "unknown"
    return (
        "Gave up waiting for deployment %s after %ss (wait_timeout); it is still %s (%s). It goes on without us: run the play "
        "again to attach to it, or stop it (state=stopped)." % (deployment_id, wait_timeout, status, where)
    )
