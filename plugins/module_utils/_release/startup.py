# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fast fail: a replacement whose tasks never become healthy is rolled back in minutes, not an hour.

While the deployment installs the replacement task set (CodeDeploy's Install event), each look
compares the task set's running count with its desired count, free from the look's own
deployment target. Once Install has lasted a minute with tasks missing, it also reads the
service's stopped tasks (one ListTasks, one DescribeTasks) and keeps those of this release (its
task set, or its revision since the deployment began), to say why: the container's exit code,
CannotPullContainerError, failed ELB health checks. When Install has lasted fast_fail_minutes
with tasks still missing, the deployment is stopped with rollback (CodeDeploy itself would
wait up to 60 minutes). The finding goes into the snapshot (snap["startup"]), from there into
the timeline, the progress lines and the outcome.
"""

from ansible_collections.canary.ecs.plugins.module_utils._release import api
from ansible_collections.canary.ecs.plugins.module_utils._release.observe import REPLACEMENT, duration, epoch
from ansible_collections.canary.ecs.plugins.module_utils.common import fail

DEFAULT_MINUTES = 10
LIMIT_MINUTES = 60  # CodeDeploy fails a replacement that is not steady within the hour on its own
SLACK_SECONDS = 60  # clocks differ: a task of this revision created this long before the deployment still counts


def settings(minutes):
    """fast_fail_minutes with its default, checked: 0 turns fast fail off."""
    if minutes is None:
        return float(DEFAULT_MINUTES)
    if not 0 <= minutes <= LIMIT_MINUTES:
        fail(
            "fast_fail_minutes must be between 0 (off) and %d (CodeDeploy fails a replacement that is not steady within the hour "
            "on its own); got %s." % (LIMIT_MINUTES, minutes)
        )
    return float(minutes)


def installing_since(snap):
    """When the Install event began, while it is in progress; else None."""
    for event in snap.get("lifecycle_events") or []:
        if event.get("name") == "Install" and event.get("status") == "InProgress":
            return event.get("start_time")
    return None


def replacement(snap):
    for task_set in snap.get("task_sets") or []:
        if task_set.get("label") == REPLACEMENT:
            return task_set
    return None


def reason_of(task):
    """Why a task stopped, as specific as ECS says: the container's own reason, or its exit code."""
    text = task.get("stoppedReason") or task.get("stopCode") or "stopped"
    for container in task.get("containers") or []:
        if container.get("reason"):
            return container["reason"]
        if container.get("exitCode") not in (None, 0):
            text += " (container %s exit code %s)" % (container.get("name"), container["exitCode"])
    return text


def of_this_release(tasks, task_set_id, revision, since):
    """The stopped tasks this release started: its task set's, or its revision's since the deployment began."""
    found = []
    for task in tasks:
        created = epoch(task.get("createdAt"))
        mine = task.get("startedBy") == task_set_id or (
            revision and task.get("taskDefinitionArn") == revision and (since is None or created is None or created >= since - SLACK_SECONDS)
        )
        if mine:
            found.append(task)
    return found


def summary(task_set, tasks, waited, limit, minutes):
    """{running_count, desired_count, stopped_count, reasons [{reason, count}], waited_seconds, limit_seconds, limit_minutes, failed}."""
    counts = {}
    for task in tasks:
        reason = reason_of(task)
        counts[reason] = counts.get(reason, 0) + 1
    reasons = [{"reason": reason, "count": count} for reason, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    return {
        "running_count": task_set.get("running_count") or 0,
        "desired_count": task_set.get("desired_count") or 0,
        "stopped_count": len(tasks),
        "reasons": reasons,
        "waited_seconds": round(waited, 1),
        "limit_seconds": round(limit, 1),
        "limit_minutes": minutes,
        "failed": False,
    }


def describe(info):
    """'0 of 2 replacement tasks running after 3m00s; 4 stopped: Essential container in task exited (...) x4'."""
    text = "%d of %d replacement tasks running after %s" % (info["running_count"], info["desired_count"], duration(info["waited_seconds"]))
    if info["stopped_count"]:
        text += "; %d stopped: %s" % (info["stopped_count"], ", ".join("%s x%d" % (item["reason"], item["count"]) for item in info["reasons"]))
    else:
        text += "; none stopped yet"
    return text


def look(clients, backend, minutes, snap, minute_seconds):
    """Watch the replacement's tasks during Install; stop the deployment with rollback once they are too late."""
    started, task_set, now = installing_since(snap), replacement(snap), snap.get("observed_at")
    if not minutes or snap.get("status") != "InProgress" or started is None or task_set is None or now is None:
        return snap
    desired, running = task_set.get("desired_count"), task_set.get("running_count") or 0
    if desired and running >= desired:
        return snap
    waited, limit = now - started, minutes * minute_seconds
    tasks = []
    if waited >= min(limit, minute_seconds) and ":" in (snap.get("target_id") or ""):
        # a healthy task takes a minute or so to start and pass its health check: no calls before
        cluster, service = snap["target_id"].split(":", 1)
        tasks = of_this_release(api.stopped_tasks(clients("ecs"), cluster, service), task_set.get("identifier"), snap.get("revision"), snap.get("create_time"))
    info = summary(task_set, tasks, waited, limit, minutes)
    snap["startup"] = info
    if waited >= limit:
        info["failed"] = True
        info["stopped"] = backend.stop(snap["deployment_id"], True)
    return snap
