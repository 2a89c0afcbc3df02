"""Tasks that failed to start, as ECS reports them: STOPPED tasks with AWS's stop codes and reasons.

The data plane runs no server for a container with SANDBOX_START_FAILURE; each attempt
ECS would make ends here as a task in moto's ECS store, so ListTasks (desiredStatus
STOPPED, serviceName or startedBy the task set's id) and DescribeTasks answer them as AWS
does: lastStatus and desiredStatus STOPPED, stopCode, stoppedReason, the container's
exitCode or reason. At most KEEP stopped tasks per task set are kept (AWS shows them for
about an hour).
"""

import datetime
import logging
import threading
import types

from .. import ACCOUNT_ID

LOG = logging.getLogger("canary_sandbox.dataplane.extension")

KEEP = 20
# (stopCode, the task's stoppedReason, the container's reason) per SANDBOX_START_FAILURE, as ECS words them
REASONS = {
    "crash": ("EssentialContainerExited", "Essential container in task exited", None),
    "health-check": ("ServiceSchedulerInitiated", "Task failed ELB health checks in (target-group {target_group_arn})", None),
    "image-pull": (
        "TaskFailedToStart",
        "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref {image}: {image}: not found",
        "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref {image}: {image}: not found",
    ),
}

_lock = threading.Lock()
_kept = {}  # (region, task set id) -> [task ARN, ...] oldest first


def _parts(service_arn):
    """(region, cluster name, service name) of arn:aws:ecs:<region>:<account>:service/<cluster>/<service>."""
    fields = service_arn.split(":")
    path = fields[5].split("/")
    return fields[3], path[1], path[2]


def record(spec, attempts=1, now=None):
    """Add `attempts` stopped tasks for a spec whose tasks cannot start; returns their ARNs."""
    from moto.ecs import models as ecs_models

    region, cluster_name, service_name = _parts(spec.service_arn)
    backend = ecs_models.ecs_backends[ACCOUNT_ID][region]
    cluster = backend.clusters.get(cluster_name)
    if cluster is None:
        return []
    try:
        definition = backend.describe_task_definition(spec.task_definition_arn)
    except Exception:  # deregistered meanwhile: nothing to report it against
        return []
    container = next((item for item in definition.container_definitions if item.get("name") == spec.container_name), definition.container_definitions[0])
    stop_code, reason, container_reason = REASONS[spec.start_failure]
    words = {"target_group_arn": spec.target_group_arn, "image": spec.image}
    at = now or datetime.datetime.now(datetime.timezone.utc)
    arns = []
    for _ in range(max(1, attempts)):
        # no network mode: a task that never ran needs no interface (moto would make one per attempt)
        shim = types.SimpleNamespace(arn=definition.arn, network_mode=None, container_definitions=[container])
        task = ecs_models.Task(
            cluster, shim, None, None, backend, group=f"service:{service_name}", launch_type="FARGATE", started_by=spec.task_set_id, platform_version="1.4.0"
        )
        task.last_status = "STOPPED"
        task.desired_status = "STOPPED"
        task.stop_code = stop_code
        task.stopped_reason = reason.format(**words)
        task.created_at = task.stopping_at = task.stopped_at = task.execution_stopped_at = at
        if spec.start_failure != "image-pull":
            task.started_at = at
        for item in task.containers:
            item.last_status = "STOPPED"
            item.health_status = "UNKNOWN"
            item.exitCode = spec.exit_code if spec.start_failure == "crash" else None
            item.reason = container_reason.format(**words) if container_reason else None
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        arns.append(task.task_arn)
    _forget_old(backend, cluster.name, (region, spec.task_set_id), arns)
    LOG.info("%d task(s) of %s (%s) stopped: %s", len(arns), spec.task_set_id, spec.version, reason.format(**words))
    return arns


def _forget_old(backend, cluster_name, key, arns):
    with _lock:
        kept = _kept.setdefault(key, [])
        kept.extend(arns)
        old, _kept[key] = kept[:-KEEP], kept[-KEEP:]
    tasks = backend.tasks.get(cluster_name) or {}
    for arn in old:
        tasks.pop(arn, None)


def clear():
    with _lock:
        _kept.clear()
