"""CodeDeploy deployments of the ECS compute platform: the API and the deployment records.

A deployment record is the AWS DeploymentInfo dict plus internal keys starting with "_"
(never returned): the normalised AppSpec, the one ECS target, the engine's timeline and
which wait the deployment is in. The engine (canary_sandbox.engine.extension) moves records
through their lifecycle with the helpers below, holding the CodeDeploy lock.
"""

import copy
import time

from .. import ACCOUNT_ID
from ..router import AwsError
from . import applications, appspec, deployment_configs, deployment_groups, validation
from .service import operation

ACTIVE_STATUSES = ("Created", "Queued", "InProgress", "Baking", "Ready")
DONE_STATUSES = ("Succeeded", "Failed", "Stopped")
ALL_STATUSES = ACTIVE_STATUSES + DONE_STATUSES
# The ECS lifecycle, in order; hooks are the events an AppSpec may attach a Lambda to.
LIFECYCLE_EVENTS = (
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
)
DESCRIPTION_MAX = 512  # AWS's limit on a deployment description
BATCH_MAX = 25
PAGE_SIZE = 100
STOP_PENDING_MESSAGE = "Stopping Pending. Stopping to schedule commands in the deployment instances"
# Deployment target status per deployment status (a stopped target reads as Failed).
TARGET_STATUS = {
    "Created": "Pending",
    "Queued": "Pending",
    "InProgress": "InProgress",
    "Baking": "InProgress",
    "Ready": "Ready",
    "Succeeded": "Succeeded",
    "Failed": "Failed",
    "Stopped": "Failed",
}


def now():
    return time.time()


# --- lookups -----------------------------------------------------------------------------


def _required(params, key, exception, what):
    value = params.get(key)
    if not value:
        raise AwsError(exception, f"{what} is required.")
    return value


def deployment(store, deployment_id):
    if not deployment_id:
        raise AwsError("DeploymentIdRequiredException", "A deployment ID is required.")
    record = store.deployments.get(deployment_id)
    if record is None:
        raise AwsError("DeploymentDoesNotExistException", f"The deployment {deployment_id} could not be found.")
    return record


def deployment_config(store, name):
    """A DeploymentConfigInfo (predefined or custom) through the control plane's lookup."""
    config = deployment_configs.lookup(store, name)
    if config.get("computePlatform", "ECS") != "ECS":
        raise AwsError(
            "InvalidDeploymentConfigNameException",
            f"Deployment config {name} is for the {config['computePlatform']} compute platform; an ECS deployment needs an ECS config.",
        )
    return config


def active_deployment(store, application_name, group_name):
    for record in store.deployments.values():
        if (record["applicationName"], record["deploymentGroupName"]) == (application_name, group_name) and record["status"] in ACTIVE_STATUSES:
            return record
    return None


def engine_of(ctx):
    try:
        return ctx.sandbox.extension("engine")
    except KeyError:
        return None  # a sandbox without the engine keeps deployments Created, like moto


# --- record shapes -------------------------------------------------------------------------


def service_arn(region, cluster, service):
    return f"arn:aws:ecs:{region}:{ACCOUNT_ID}:service/{cluster}/{service}"


def new_target(region, deployment_id, group):
    services = group.get("ecsServices") or [{}]
    cluster, service = services[0].get("clusterName", ""), services[0].get("serviceName", "")
    return {
        "deploymentId": deployment_id,
        "targetId": f"{cluster}:{service}",
        "targetArn": service_arn(region, cluster, service),
        "lastUpdatedAt": now(),
        "lifecycleEvents": [{"lifecycleEventName": name, "status": "Pending"} for name in LIFECYCLE_EVENTS],
        "status": "Pending",
        "taskSetsInfo": [],
    }


def new_record(store, group, deployment_id, config_name, revision, spec, creator="user", description=None, auto_rollback=None):
    """A deployment record in status Created."""
    record = {
        "applicationName": group["applicationName"],
        "deploymentGroupName": group["deploymentGroupName"],
        "deploymentConfigName": config_name,
        "deploymentId": deployment_id,
        "revision": revision,
        "status": "Created",
        "createTime": now(),
        "creator": creator,
        "ignoreApplicationStopFailures": False,
        "autoRollbackConfiguration": auto_rollback or group.get("autoRollbackConfiguration") or {"enabled": False, "events": []},
        "updateOutdatedInstancesOnly": False,
        "deploymentStyle": group.get("deploymentStyle") or {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "blueGreenDeploymentConfiguration": group.get("blueGreenDeploymentConfiguration") or {},
        "loadBalancerInfo": group.get("loadBalancerInfo") or {},
        "instanceTerminationWaitTimeStarted": False,
        "deploymentStatusMessages": [],
        "computePlatform": "ECS",
        "_region": store.region,
        "_spec": spec,
        "_target": new_target(store.region, deployment_id, group),
        "_timeline": [],
        "_waiting": None,
    }
    if description:
        record["description"] = description
    previous = (group.get("lastSuccessfulDeployment") or {}).get("deploymentId")
    if previous in store.deployments:
        record["previousRevision"] = store.deployments[previous]["revision"]
    return record


def public(record):
    """The DeploymentInfo AWS returns: no internal keys, plus the overview counts."""
    # a deep copy: the response is serialised after the lock is released, while the engine keeps writing
    info = copy.deepcopy({key: value for key, value in record.items() if not key.startswith("_")})
    overview = {key: 0 for key in ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready")}
    overview[record["_target"]["status"]] = overview.get(record["_target"]["status"], 0) + 1
    info["deploymentOverview"] = overview
    return info


def public_target(record):
    return {"deploymentTargetType": "ECSTarget", "ecsTarget": copy.deepcopy(record["_target"])}


# --- state changes (used by the engine, under the CodeDeploy lock) ---------------------------


def note_in_group(store, record):
    """Keep the group's lastAttemptedDeployment / lastSuccessfulDeployment in step with a record."""
    group = store.deployment_groups.get((record["applicationName"], record["deploymentGroupName"]))
    if group is None:
        return
    summary = {"deploymentId": record["deploymentId"], "status": record["status"], "createTime": record["createTime"]}
    if "completeTime" in record:
        summary["endTime"] = record["completeTime"]
    attempted = group.get("lastAttemptedDeployment") or {}
    if attempted.get("deploymentId") in (None, record["deploymentId"]) or attempted.get("createTime", 0) <= record["createTime"]:
        group["lastAttemptedDeployment"] = summary
    if record["status"] == "Succeeded":
        group["lastSuccessfulDeployment"] = dict(summary)
        group["targetRevision"] = record["revision"]


def set_status(store, record, status, error=None):
    """Move a record (and its target) to a status; completion stamps completeTime."""
    record["status"] = status
    if status == "InProgress" and "startTime" not in record:
        record["startTime"] = now()
    if status in DONE_STATUSES:
        record["completeTime"] = now()
        record["_waiting"] = None
    if error is not None:
        record["errorInformation"] = {"code": error[0], "message": error[1]}
    record["_target"]["status"] = TARGET_STATUS[status]
    record["_target"]["lastUpdatedAt"] = now()
    note_in_group(store, record)


def set_event(record, name, status):
    """Lifecycle event status; InProgress stamps startTime, an end status stamps endTime."""
    for event in record["_target"]["lifecycleEvents"]:
        if event["lifecycleEventName"] != name:
            continue
        event["status"] = status
        if status == "InProgress":
            event["startTime"] = now()
        elif status in ("Succeeded", "Failed", "Skipped"):
            event.setdefault("startTime", now())
            event["endTime"] = now()
    record["_target"]["lastUpdatedAt"] = now()


def close_events(record, failed_status="Failed"):
    """On a stop or failure: the event in progress ends with failed_status, the ones not reached are Skipped."""
    for event in record["_target"]["lifecycleEvents"]:
        if event["status"] == "InProgress":
            set_event(record, event["lifecycleEventName"], failed_status)
        elif event["status"] == "Pending":
            set_event(record, event["lifecycleEventName"], "Skipped")


def timeline(record, event, **detail):
    entry = {"at": now(), "event": event}
    entry.update(detail)
    record["_timeline"].append(entry)


def new_rollback(store, triggering, reason):
    """The deployment AWS creates to roll back `triggering`, linked both ways through rollbackInfo."""
    group = store.deployment_groups.get((triggering["applicationName"], triggering["deploymentGroupName"])) or {
        "applicationName": triggering["applicationName"],
        "deploymentGroupName": triggering["deploymentGroupName"],
        "ecsServices": [],
        "loadBalancerInfo": triggering["loadBalancerInfo"],
    }
    rollback_id = store.next_id("d-")
    revision = triggering.get("previousRevision") or triggering["revision"]
    record = new_record(
        store,
        group,
        rollback_id,
        triggering["deploymentConfigName"],
        revision,
        triggering["_spec"],
        creator="codeDeployRollback",
        auto_rollback={"enabled": False, "events": []},
    )
    record["rollbackInfo"] = {
        "rollbackTriggeringDeploymentId": triggering["deploymentId"],
        "rollbackMessage": f"Rollback of deployment {triggering['deploymentId']}: {reason}",
    }
    triggering["rollbackInfo"] = {
        "rollbackDeploymentId": rollback_id,
        "rollbackMessage": f"Deployment {rollback_id} rolled back this deployment: {reason}",
    }
    store.deployments[rollback_id] = record
    set_status(store, record, "InProgress")
    return record


# --- the API ---------------------------------------------------------------------------------


def _validate_create(ctx, params):
    store = ctx.store
    application_name = _required(params, "applicationName", "ApplicationNameRequiredException", "The application name")
    group_name = _required(params, "deploymentGroupName", "DeploymentGroupNameRequiredException", "The deployment group name")
    group = deployment_groups.find(store, application_name, group_name)
    if group.get("computePlatform", "ECS") != "ECS":
        raise AwsError(
            "InvalidComputePlatformException",
            f"Deployment group {group_name} is for {group['computePlatform']}; the sandbox deploys the ECS compute platform only.",
        )
    description = params.get("description")
    if description and len(description) > DESCRIPTION_MAX:
        raise AwsError("DescriptionTooLongException", f"The description is too long: {len(description)} characters, at most {DESCRIPTION_MAX}.")
    config_name = params.get("deploymentConfigName") or group.get("deploymentConfigName") or "CodeDeployDefault.ECSAllAtOnce"
    deployment_config(store, config_name)
    busy = active_deployment(store, application_name, group_name)
    if busy is not None:
        raise AwsError("DeploymentLimitExceededException", f"The Deployment Group '{group_name}' already has an active Deployment '{busy['deploymentId']}'")
    revision = params.get("revision")
    content, sha256 = appspec.revision_content(revision)
    appspec.check_sha256(content, sha256)
    spec = appspec.read(content)
    spec["taskDefinition"] = appspec.check_against_task_definition(spec, ctx.client("ecs"))
    return group, config_name, revision, spec


@operation("CreateDeployment")
def create_deployment(ctx, params):
    group, config_name, revision, spec = _validate_create(ctx, params)
    deployment_id = ctx.store.next_id("d-")
    record = new_record(
        ctx.store,
        group,
        deployment_id,
        config_name,
        revision,
        spec,
        description=params.get("description"),
        auto_rollback=params.get("autoRollbackConfiguration"),
    )
    if params.get("overrideAlarmConfiguration") is not None:
        record["overrideAlarmConfiguration"] = params["overrideAlarmConfiguration"]
    ctx.store.deployments[deployment_id] = record
    note_in_group(ctx.store, record)
    engine = engine_of(ctx)
    if engine is not None:
        engine.launch(ctx.region, deployment_id)
    return {"deploymentId": deployment_id}


@operation("GetDeployment")
def get_deployment(ctx, params):
    return {"deploymentInfo": public(deployment(ctx.store, params.get("deploymentId")))}


@operation("BatchGetDeployments")
def batch_get_deployments(ctx, params):
    ids = params.get("deploymentIds") or []
    if len(ids) > BATCH_MAX:
        raise AwsError("BatchLimitExceededException", f"At most {BATCH_MAX} deployment IDs per call; {len(ids)} were given.")
    return {"deploymentsInfo": [public(ctx.store.deployments[i]) for i in ids if i in ctx.store.deployments]}


def _matches(record, params):
    statuses = params.get("includeOnlyStatuses")
    if statuses and record["status"] not in statuses:
        return False
    window = params.get("createTimeRange") or {}
    if window.get("start") is not None and record["createTime"] < float(window["start"]):
        return False
    if window.get("end") is not None and record["createTime"] > float(window["end"]):
        return False
    if params.get("applicationName") and record["applicationName"] != params["applicationName"]:
        return False
    if params.get("deploymentGroupName") and record["deploymentGroupName"] != params["deploymentGroupName"]:
        return False
    return True


def _page(items, token):
    """One page of items and the next token (the offset, as AWS's tokens are opaque)."""
    try:
        start = int(token or 0)
    except ValueError:
        raise AwsError("InvalidNextTokenException", "The next token is not valid: pass the nextToken of the previous call.") from None
    if start < 0 or start > len(items):
        raise AwsError("InvalidNextTokenException", "The next token is not valid: pass the nextToken of the previous call.")
    end = start + PAGE_SIZE
    return items[start:end], (str(end) if end < len(items) else None)


@operation("ListDeployments")
def list_deployments(ctx, params):
    if params.get("applicationName"):
        applications.find(ctx.store, params["applicationName"])
        if not params.get("deploymentGroupName"):
            raise AwsError("DeploymentGroupNameRequiredException", "The deployment group name is required when the application name is given.")
        deployment_groups.find(ctx.store, params["applicationName"], params["deploymentGroupName"])
    elif params.get("deploymentGroupName"):
        raise AwsError("ApplicationNameRequiredException", "The application name is required when the deployment group name is given.")
    for status in params.get("includeOnlyStatuses") or []:
        if status not in ALL_STATUSES:
            raise AwsError("InvalidDeploymentStatusException", f"{status} is not a deployment status; use one of {', '.join(ALL_STATUSES)}.")
    window = params.get("createTimeRange") or {}
    if window.get("start") is not None and window.get("end") is not None and float(window["start"]) > float(window["end"]):
        raise AwsError("InvalidTimeRangeException", "createTimeRange.start is after createTimeRange.end.")
    records = sorted((r for r in ctx.store.deployments.values() if _matches(r, params)), key=lambda r: r["createTime"], reverse=True)
    return validation.listed("deployments", _page([r["deploymentId"] for r in records], params.get("nextToken")))


@operation("StopDeployment")
def stop_deployment(ctx, params):
    record = deployment(ctx.store, params.get("deploymentId"))
    if record["status"] in DONE_STATUSES:
        raise AwsError("DeploymentAlreadyCompletedException", f"The deployment {record['deploymentId']} has already completed.")
    rollback = params.get("autoRollbackEnabled")
    engine = engine_of(ctx)
    if engine is not None and engine.stop_deployment(ctx.region, record["deploymentId"], rollback):
        return {"status": "Pending", "statusMessage": STOP_PENDING_MESSAGE}
    # Nothing runs it (no engine): it stops at once, having changed nothing.
    close_events(record, "Skipped")
    set_status(ctx.store, record, "Stopped", ("MANUAL_STOP", "The deployment was stopped by the user."))
    return {"status": "Succeeded", "statusMessage": "The deployment was stopped."}


@operation("ContinueDeployment")
def continue_deployment(ctx, params):
    record = deployment(ctx.store, params.get("deploymentId"))
    wait_type = params.get("deploymentWaitType") or "READY_WAIT"
    if wait_type not in ("READY_WAIT", "TERMINATION_WAIT"):
        raise AwsError("InvalidDeploymentWaitTypeException", f"{wait_type} is not a wait type; use READY_WAIT or TERMINATION_WAIT.")
    if record["status"] in DONE_STATUSES:
        raise AwsError("DeploymentAlreadyCompletedException", f"The deployment {record['deploymentId']} has already completed.")
    if record["_waiting"] != wait_type:  # the model's one error for "not waiting for this", whichever wait it is
        waiting_for = "in the Ready state" if wait_type == "READY_WAIT" else "waiting to terminate the original task set"
        raise AwsError("DeploymentIsNotInReadyStateException", f"The deployment {record['deploymentId']} is not {waiting_for} (it is {record['status']}).")
    engine_of(ctx).continue_deployment(ctx.region, record["deploymentId"], wait_type)
    return {}


def _target_ids(record, filters):
    target = record["_target"]
    statuses = (filters or {}).get("TargetStatus")
    if statuses and target["status"] not in statuses:
        return []
    return [target["targetId"]]


def _started(store, deployment_id):
    record = deployment(store, deployment_id)
    if record["status"] == "Created":
        raise AwsError("DeploymentNotStartedException", f"The deployment {deployment_id} has not started yet.")
    return record


@operation("ListDeploymentTargets")
def list_deployment_targets(ctx, params):
    record = _started(ctx.store, params.get("deploymentId"))
    return validation.listed("targetIds", _page(_target_ids(record, params.get("targetFilters")), params.get("nextToken")))


def _target(record, target_id):
    if not target_id:
        raise AwsError("DeploymentTargetIdRequiredException", "A deployment target ID is required.")
    if target_id != record["_target"]["targetId"]:
        raise AwsError(
            "DeploymentTargetDoesNotExistException",
            f"The target {target_id} is not part of deployment {record['deploymentId']} (its target is {record['_target']['targetId']}).",
        )
    return public_target(record)


@operation("BatchGetDeploymentTargets")
def batch_get_deployment_targets(ctx, params):
    record = _started(ctx.store, params.get("deploymentId"))
    ids = params.get("targetIds") or []
    if not ids:
        raise AwsError("DeploymentTargetIdRequiredException", "At least one deployment target ID is required.")
    if len(ids) > BATCH_MAX:
        raise AwsError("DeploymentTargetListSizeExceededException", f"At most {BATCH_MAX} target IDs per call; {len(ids)} were given.")
    return {"deploymentTargets": [_target(record, target_id) for target_id in ids]}


@operation("GetDeploymentTarget")
def get_deployment_target(ctx, params):
    record = _started(ctx.store, params.get("deploymentId"))
    return {"deploymentTarget": _target(record, params.get("targetId"))}
