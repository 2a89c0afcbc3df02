"""ECS service deployments and revisions: checks, traffic steps and AWS shapes (no threads).

What AWS documents for ECS's own BLUE_GREEN, LINEAR and CANARY strategies (botocore's ECS
model is the contract): canaryPercent 0.1-100.0 in steps of 0.1 (default 5.0),
canaryBakeTimeInMinutes 0-1440 (default 10), stepPercent 3.0-100.0 (default 10.0),
stepBakeTimeInMinutes 0-1440 (default 6, not after 100%), bakeTimeInMinutes 0-1440 after
the full shift, lifecycle hooks PAUSE (no target) or AWS_LAMBDA (a function and a role) at
the documented stages with a timeout of 1-20160 minutes (default 1440, action ROLLBACK), and
per load balancer an advancedConfiguration naming the alternate target group, the
production listener rule (and optionally the test one) and the role ECS uses to move them.
"""

import math
import time
import uuid

from ..engine.aws import forward_weights
from ..router import AwsError

NATIVE = ("BLUE_GREEN", "LINEAR", "CANARY")
STRATEGIES = ("ROLLING",) + NATIVE
IN_FLIGHT = ("PENDING", "IN_PROGRESS", "STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")
STATUSES = IN_FLIGHT + ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")
HOOK_STAGES = (
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
)
MAX_BAKE_MINUTES = 1440
MAX_HOOK_MINUTES = 20160
DEFAULT_HOOK_MINUTES = 1440
DEFAULT_CANARY = {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 10}
DEFAULT_LINEAR = {"stepPercent": 10.0, "stepBakeTimeInMinutes": 6}


def invalid(message):
    return AwsError("InvalidParameterException", message)


def now():
    return time.time()


def new_id():
    return uuid.uuid4().hex[:22]


# --- checks -------------------------------------------------------------------------------------


def _number(config, key, low, high, where, integer=False, step=None):
    value = config.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and float(value) != int(value)):
        raise invalid(f"{where}.{key} must be a {'whole ' if integer else ''}number from {low} to {high}; got {value!r}.")
    if not low <= value <= high:
        raise invalid(f"{where}.{key} must be from {low} to {high}; got {value}.")
    if step and abs(round(value / step) * step - value) > 1e-9:
        raise invalid(f"{where}.{key} must be a multiple of {step}; got {value}.")


def check_configuration(config):
    """InvalidParameterException naming the field, for a DeploymentConfiguration AWS refuses."""
    config = config or {}
    strategy = config.get("strategy", "ROLLING")
    if strategy not in STRATEGIES:
        raise invalid(f"deploymentConfiguration.strategy must be one of {', '.join(STRATEGIES)}; got {strategy!r}.")
    _number(config, "bakeTimeInMinutes", 0, MAX_BAKE_MINUTES, "deploymentConfiguration", integer=True)
    canary = config.get("canaryConfiguration")
    linear = config.get("linearConfiguration")
    if canary is not None:
        if strategy != "CANARY":
            raise invalid(f"deploymentConfiguration.canaryConfiguration is only valid with strategy CANARY (strategy is {strategy}).")
        _number(canary, "canaryPercent", 0.1, 100.0, "deploymentConfiguration.canaryConfiguration", step=0.1)
        _number(canary, "canaryBakeTimeInMinutes", 0, MAX_BAKE_MINUTES, "deploymentConfiguration.canaryConfiguration", integer=True)
    if linear is not None:
        if strategy != "LINEAR":
            raise invalid(f"deploymentConfiguration.linearConfiguration is only valid with strategy LINEAR (strategy is {strategy}).")
        _number(linear, "stepPercent", 3.0, 100.0, "deploymentConfiguration.linearConfiguration", step=0.1)
        _number(linear, "stepBakeTimeInMinutes", 0, MAX_BAKE_MINUTES, "deploymentConfiguration.linearConfiguration", integer=True)
    for index, hook in enumerate(config.get("lifecycleHooks") or ()):
        where = f"deploymentConfiguration.lifecycleHooks[{index}]"
        kind = hook.get("targetType", "AWS_LAMBDA")
        if kind not in ("AWS_LAMBDA", "PAUSE"):
            raise invalid(f"{where}.targetType must be AWS_LAMBDA or PAUSE; got {kind!r}.")
        if kind == "AWS_LAMBDA" and not (hook.get("hookTargetArn") and hook.get("roleArn")):
            raise invalid(f"{where}: an AWS_LAMBDA hook needs hookTargetArn (the function) and roleArn.")
        if kind == "PAUSE" and hook.get("hookTargetArn"):
            raise invalid(f"{where}.hookTargetArn is not applicable to a PAUSE hook.")
        stages = hook.get("lifecycleStages") or []
        if not stages or any(stage not in HOOK_STAGES for stage in stages):
            raise invalid(f"{where}.lifecycleStages must name one or more of {', '.join(HOOK_STAGES)}; got {stages}.")
        timeout = hook.get("timeoutConfiguration") or {}
        _number(timeout, "timeoutInMinutes", 1, MAX_HOOK_MINUTES, f"{where}.timeoutConfiguration", integer=True)
        if timeout.get("action", "ROLLBACK") not in ("CONTINUE", "ROLLBACK"):
            raise invalid(f"{where}.timeoutConfiguration.action must be CONTINUE or ROLLBACK; got {timeout.get('action')!r}.")
    return strategy


def route_actions(elbv2, arn):
    """The actions of a listener rule (or of a listener's default), None when it does not exist."""
    try:
        if ":listener-rule/" in arn:
            found = elbv2.describe_rules(RuleArns=[arn])["Rules"]
            return found[0]["Actions"] if found else None
        found = elbv2.describe_listeners(ListenerArns=[arn])["Listeners"]
        return found[0]["DefaultActions"] if found else None
    except Exception as error:  # RuleNotFound, ListenerNotFound, ValidationError for a malformed ARN
        if "NotFound" in type(error).__name__ or "NotFound" in str(error) or "ValidationError" in str(error):
            return None
        raise


def check_load_balancers(elbv2, iam, balancers, strategy):
    """InvalidParameterException for a load balancer a native strategy cannot shift traffic with."""
    if strategy not in NATIVE:
        return
    if not balancers:
        raise invalid(f"The {strategy} deployment strategy needs a load balancer with an advancedConfiguration (loadBalancers is empty).")
    for index, balancer in enumerate(balancers):
        where = f"loadBalancers[{index}]"
        advanced = balancer.get("advancedConfiguration")
        if not advanced:
            raise invalid(f"{where}.advancedConfiguration is required with the {strategy} deployment strategy.")
        for key in ("alternateTargetGroupArn", "productionListenerRule", "roleArn"):
            if not advanced.get(key):
                raise invalid(f"{where}.advancedConfiguration.{key} is required with the {strategy} deployment strategy.")
        primary, alternate = balancer.get("targetGroupArn"), advanced["alternateTargetGroupArn"]
        if alternate == primary:
            raise invalid(f"{where}.advancedConfiguration.alternateTargetGroupArn must differ from targetGroupArn ({primary}).")
        try:
            elbv2.describe_target_groups(TargetGroupArns=[alternate])
        except Exception:
            raise invalid(f"{where}.advancedConfiguration.alternateTargetGroupArn: target group {alternate} does not exist.") from None
        for key in ("productionListenerRule", "testListenerRule"):
            arn = advanced.get(key)
            if not arn:
                continue
            actions = route_actions(elbv2, arn)
            if actions is None:
                raise invalid(f"{where}.advancedConfiguration.{key}: listener rule {arn} does not exist.")
            forwards = forward_weights(actions)
            if primary not in forwards or alternate not in forwards:
                raise invalid(
                    f"{where}.advancedConfiguration.{key}: listener rule {arn} must forward to both target groups "
                    f"{primary} and {alternate} (with weights); it forwards to {', '.join(sorted(forwards)) or 'none'}."
                )
        role = advanced["roleArn"]
        try:
            iam.get_role(RoleName=role.rsplit("/", 1)[-1])
        except Exception:
            raise invalid(f"{where}.advancedConfiguration.roleArn: role {role} does not exist.") from None


# --- traffic ------------------------------------------------------------------------------------


def traffic_steps(config):
    """[(green percent, sandbox minutes to wait after it)], the last one 100 with no wait."""
    strategy = (config or {}).get("strategy", "ROLLING")
    if strategy == "CANARY":
        canary = dict(DEFAULT_CANARY, **(config.get("canaryConfiguration") or {}))
        percent = float(canary["canaryPercent"])
        return [(percent, int(canary["canaryBakeTimeInMinutes"])), (100.0, 0)] if percent < 100 else [(100.0, 0)]
    if strategy == "LINEAR":
        linear = dict(DEFAULT_LINEAR, **(config.get("linearConfiguration") or {}))
        step, wait = float(linear["stepPercent"]), int(linear["stepBakeTimeInMinutes"])
        shares = [round(step * index, 1) for index in range(1, int(math.ceil(100.0 / step - 1e-9)))]
        return [(share, wait) for share in shares if share < 100] + [(100.0, 0)]
    return [(100.0, 0)]


def rule_weights(green_percent):
    """(blue, green) ALB weights for a green share; tenths of a percent need weights out of 1000 (max 999 each)."""
    green = max(0.0, min(100.0, float(green_percent)))
    if green in (0.0, 100.0) or green == int(green):
        return int(round(100 - green)), int(round(green))
    return int(round((100 - green) * 10)), int(round(green * 10))


# --- ARNs and shapes ----------------------------------------------------------------------------


def service_parts(service_arn):
    """(region, account, cluster, service) of a long-format service ARN."""
    head, _, path = service_arn.partition(":service/")
    parts = head.split(":")
    cluster, _, name = path.partition("/")
    return parts[3], parts[4], cluster, name


def deployment_arn(service_arn, deployment_id):
    region, account, cluster, name = service_parts(service_arn)
    return f"arn:aws:ecs:{region}:{account}:service-deployment/{cluster}/{name}/{deployment_id}"


def revision_arn(service_arn, revision_id):
    region, account, cluster, name = service_parts(service_arn)
    return f"arn:aws:ecs:{region}:{account}:service-revision/{cluster}/{name}/{revision_id}"


def revision_summary(revision_arn_, requested=0, running=0, production=0.0, test=0.0):
    return {
        "arn": revision_arn_,
        "requestedTaskCount": requested,
        "runningTaskCount": running,
        "pendingTaskCount": max(0, requested - running),
        "requestedTestTrafficWeight": float(test),
        "requestedProductionTrafficWeight": float(production),
    }


PUBLIC_DEPLOYMENT_KEYS = (
    "serviceDeploymentArn",
    "serviceArn",
    "clusterArn",
    "createdAt",
    "startedAt",
    "finishedAt",
    "stoppedAt",
    "updatedAt",
    "sourceServiceRevisions",
    "targetServiceRevision",
    "status",
    "statusReason",
    "lifecycleStage",
    "lifecycleHookDetails",
    "deploymentConfiguration",
    "rollback",
    "deploymentCircuitBreaker",
    "alarms",
)
BRIEF_KEYS = ("serviceDeploymentArn", "serviceArn", "clusterArn", "startedAt", "createdAt", "finishedAt", "status", "statusReason")


def public(record, keys=PUBLIC_DEPLOYMENT_KEYS):
    """What AWS answers of a record: its public keys that have a value."""
    return {key: record[key] for key in keys if record.get(key) is not None}


def brief(record):
    answer = public(record, BRIEF_KEYS)
    answer["targetServiceRevisionArn"] = record["targetServiceRevision"]["arn"]
    return answer
