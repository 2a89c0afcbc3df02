# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What one look at a deployment sees, as a plain dict (a snapshot), and what it means.

Pure functions over the raw AWS answers (api layers below return them unchanged): the
deployment, its ECS target (task sets, traffic weights, lifecycle events) and the alarms.
No AWS calls here; the backends make them, the tracker and the outcome read snapshots.
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
        task_sets.append(
            {
                "label": task_set.get("taskSetLabel"),
                "identifier": task_set.get("identifer") or task_set.get("identifier"),
                "status": task_set.get("status"),
                "traffic_weight": task_set.get("trafficWeight"),
                "desired_count": task_set.get("desiredCount"),
                "running_count": task_set.get("runningCount"),
                "pending_count": task_set.get("pendingCount"),
                "target_group": (task_set.get("targetGroup") or {}).get("name"),
            }
        )
    events = []
    for event in ecs.get("lifecycleEvents") or []:
        events.append(
            {
                "name": event.get("lifecycleEventName"),
                "status": event.get("status"),
                "start_time": epoch(event.get("startTime")),
                "end_time": epoch(event.get("endTime")),
            }
        )
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
    return bool(
        snap.get("rollback_deployment_id")
        or snap.get("rollback_message")
        or snap.get("error_code") in ("ALARM_ACTIVE", "MANUAL_STOP")
        or any(e["name"] == "AllowTraffic" and e["status"] in ("Succeeded", "Failed", "InProgress") for e in snap.get("lifecycle_events") or [])
    )
