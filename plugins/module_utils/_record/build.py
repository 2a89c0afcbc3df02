# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The release record: what a change-management reviewer asks of one release, as a plain dict.

Pure functions, no AWS calls, no files. from_release() makes the record of one run (a start, an
attach, an approval, a stop) out of canary.ecs.ecs_deployment's result and the task's arguments;
merge() folds the runs of one deployment into one record (each run saw part of the timeline);
views() derives what a reviewer reads first (phases, alarms, verdicts, traffic) from the timeline.
The writer (store.py) adds who ran each run (STS) and the metrics; secret values never get in:
secret_environment is recorded by name, and scrub() masks any value that slipped through.
"""

import copy

from ansible_collections.canary.ecs.plugins.module_utils._release import taskdef
from ansible_collections.canary.ecs.plugins.module_utils._release.observe import ORIGINAL, REPLACEMENT, TERMINAL, iso

SCHEMA = "canary.ecs/release-record/1"
BACKEND = "codedeploy"
MASK = "********"
# What each run of ecs_deployment did, by its state and result
STARTED, ATTACHED, FOLLOWED, APPROVED, STOPPED = "started", "attached", "followed", "approved", "stopped"
_EVENT_FIELDS = ("kind", "at", "message", "traffic_share", "between_looks", "status", "alarm", "alarm_state", "verdict", "stopped_count", "failed")


def run_action(args, result):
    """What this run of the release was: started, attached, followed, approved or stopped."""
    state = args.get("state") or "deployed"
    if state == "continued":
        return APPROVED
    if state == "stopped":
        return STOPPED
    if result.get("attached"):
        return ATTACHED
    if args.get("deployment_id"):
        return FOLLOWED
    return STARTED


def _event(event):
    return dict((key, event[key]) for key in _EVENT_FIELDS if event.get(key) is not None)


def _target_groups(result):
    """What the run saw of the new and old versions' target groups: the tracker's, else the last look's task sets."""
    groups = dict((task_set.get("label"), task_set.get("target_group")) for task_set in (result.get("observation") or {}).get("task_sets") or [])
    seen = result.get("target_groups") or {}
    found = {"new": seen.get("new") or groups.get(REPLACEMENT), "old": seen.get("old") or groups.get(ORIGINAL)}
    return found if any(found.values()) else None


def _outcome(result):
    found = result.get("outcome")
    if not found:
        return None
    outcome = dict(found)
    if outcome.get("rolled_back") or outcome.get("status") in ("Failed", "Stopped"):
        outcome["rollback_reason"] = outcome.get("message")
    return outcome


def from_release(args, result, at, change_ref=None):
    """The record of one run of ecs_deployment: args are the task's, result is what it returned, at when the run
    began (ISO; a run that writes its record twice, at its start and at its end, is one run)."""
    observation = result.get("observation") or {}
    secret_names = sorted((args.get("secret_environment") or {}).keys())
    action = run_action(args, result)
    record = {
        "schema": SCHEMA,
        "deployment_id": result.get("deployment_id"),
        "backend": BACKEND,
        "service": {
            "cluster": args.get("cluster"),
            "service": args.get("service"),
            "application_name": result.get("application_name") or args.get("application_name"),
            "deployment_group_name": result.get("deployment_group_name") or args.get("deployment_group_name"),
        },
        "change": {"change_ref": change_ref, "description": args.get("description") or observation.get("description")},
        "release": {
            "container": result.get("container"),
            "image": result.get("image"),
            "image_tag": result.get("version"),
            "image_digest": result.get("image_digest") or (taskdef.split_image(result["image"])[2] if result.get("image") else None),
            "image_scan": result.get("image_scan"),
            "task_definition_before": result.get("previous_task_definition_arn"),
            "task_definition_after": result.get("task_definition_arn"),
            "deployment_config_name": result.get("deployment_config_name"),
            "environment": dict((name, str(value)) for name, value in sorted((args.get("environment") or {}).items())),
            "secret_environment_names": secret_names,
        },
        "target_groups": _target_groups(result),
        "created": iso(observation.get("create_time")),
        "ended": iso(observation.get("complete_time")) if result.get("status") in TERMINAL else None,
        "status": result.get("status"),
        "live_task_definition": result.get("live_task_definition_arn"),
        "runs": [{"action": action, "at": at, "by": None, "failed": bool(result.get("failed")), "message": result.get("msg")}],
        "approvals": [{"at": at, "by": None, "wait_type": result.get("wait_type") or args.get("wait_type")}] if action == APPROVED else [],
        "timeline": [_event(event) for event in result.get("timeline") or []],
        "outcome": _outcome(result),
    }
    return scrub(record, (args.get("secret_environment") or {}).values())


def scrub(value, secrets):
    """value with every secret string masked, wherever it is (a message quoting the task definition)."""
    secrets = [str(secret) for secret in secrets if secret is not None and str(secret) != ""]
    if not secrets:
        return value
    if isinstance(value, dict):
        return dict((key, scrub(item, secrets)) for key, item in value.items())
    if isinstance(value, list):
        return [scrub(item, secrets) for item in value]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
    return value


def _keyed(items, key):
    """Each item once, by key: the last written of the same key (a run written at its start and again
    at its end), in the place of the first."""
    found, order = {}, []
    for item in items:
        identity = key(item)
        if identity not in found:
            order.append(identity)
        found[identity] = item
    return [found[identity] for identity in order]


def _fill(old, new):
    """new over old, field by field (nested one level), a None in new keeping old's value."""
    merged = copy.deepcopy(old)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _fill(merged[key], value)
        elif value is not None and value != [] and value != {}:
            merged[key] = copy.deepcopy(value)
        else:
            merged.setdefault(key, copy.deepcopy(value))
    return merged


def merge(old, new):
    """One record of a deployment from the record so far and a new run's: the runs, approvals and timeline
    events of both (each once, in time order), the newest of everything else; the first creation time."""
    if not old:
        return new
    merged = _fill(old, dict((key, value) for key, value in new.items() if key not in ("runs", "approvals", "timeline", "created")))
    merged["created"] = old.get("created") or new.get("created")
    merged["runs"] = _keyed(
        sorted((old.get("runs") or []) + (new.get("runs") or []), key=lambda run: run.get("at") or ""), lambda run: (run["action"], run["at"])
    )
    merged["approvals"] = _keyed(
        sorted((old.get("approvals") or []) + (new.get("approvals") or []), key=lambda item: item.get("at") or ""), lambda item: (item["at"], item.get("by"))
    )
    merged["timeline"] = _keyed(
        sorted((old.get("timeline") or []) + (new.get("timeline") or []), key=lambda event: event.get("at") or ""),
        lambda event: (event.get("kind"), event.get("at"), event.get("message")),
    )
    return merged


def views(record):
    """What a reviewer reads first, from the timeline: who started and approved it, the phases, every alarm
    transition and judge verdict, the traffic steps."""
    timeline = record.get("timeline") or []
    started = [run for run in record.get("runs") or [] if run["action"] == STARTED]
    return {
        "started_by": started[0]["by"] if started else None,
        "started_at": started[0]["at"] if started else None,
        "approved_by": [item["by"] for item in record.get("approvals") or []],
        "phases": [dict(at=event["at"], status=event.get("status")) for event in timeline if event["kind"] == "status"],
        "alarms": [
            dict(at=event["at"], alarm=event.get("alarm"), state=event.get("alarm_state"), traffic_share=event.get("traffic_share"))
            for event in timeline
            if event["kind"] == "alarm"
        ],
        "verdicts": [
            dict(at=event["at"], verdict=event.get("verdict"), traffic_share=event.get("traffic_share"), message=event["message"])
            for event in timeline
            if event["kind"] == "judge"
        ],
        "traffic": [dict(at=event["at"], traffic_share=event.get("traffic_share")) for event in timeline if event["kind"] == "traffic"],
    }


def summary(record):
    """One line of a listing: service, deployment, image, change, outcome, who and when."""
    seen = views(record)
    outcome = record.get("outcome") or {}
    return {
        "deployment_id": record.get("deployment_id"),
        "service": (record.get("service") or {}).get("service"),
        "cluster": (record.get("service") or {}).get("cluster"),
        "image": (record.get("release") or {}).get("image"),
        "change_ref": (record.get("change") or {}).get("change_ref"),
        "status": record.get("status"),
        "succeeded": outcome.get("succeeded"),
        "rolled_back": outcome.get("rolled_back"),
        "started_by": seen["started_by"],
        "approved_by": seen["approved_by"],
        "created": record.get("created"),
        "ended": record.get("ended"),
    }
