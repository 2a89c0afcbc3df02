"""Checks that what a deployment group names exists: the IAM role, the ECS service, the
target groups and the listeners.

Like CodeDeploy itself, these ask the other services through their public APIs (boto3
against the sandbox), never moto's internals. Each failure is the error AWS answers
CreateDeploymentGroup/UpdateDeploymentGroup with.
"""

import json
import re
from urllib.parse import unquote

from botocore.exceptions import ClientError

from .. import ACCOUNT_ID
from ..router import AwsError

ROLE_ARN = re.compile(r"^arn:aws:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$")
CODEDEPLOY_PRINCIPALS = ("codedeploy.amazonaws.com",)


def role_name(arn):
    """The role name of an IAM role ARN, or InvalidRoleException for anything else."""
    match = ROLE_ARN.match(arn or "")
    if not match:
        raise AwsError("InvalidRoleException", f"The service role {arn!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME).")
    return match.group(2)


def check_role(ctx, arn):
    """The role exists in this account and trusts codedeploy.amazonaws.com to assume it."""
    name = role_name(arn)
    if ROLE_ARN.match(arn).group(1) != ACCOUNT_ID:
        raise AwsError("InvalidRoleException", f"CodeDeploy cannot assume {arn}: it belongs to another account than {ACCOUNT_ID}.")
    try:
        role = ctx.client("iam").get_role(RoleName=name)["Role"]
    except ClientError as error:
        raise AwsError("InvalidRoleException", f"CodeDeploy cannot assume the service role {arn}: {_reason(error)}.") from None
    if not _trusts_codedeploy(role.get("AssumeRolePolicyDocument")):
        raise AwsError(
            "InvalidRoleException",
            f"CodeDeploy cannot assume the service role {arn}: its trust policy does not allow "
            "the principal codedeploy.amazonaws.com the action sts:AssumeRole.",
        )


def _trusts_codedeploy(document):
    if isinstance(document, str):  # IAM sends it URL-encoded JSON; boto3 usually decodes it already
        document = json.loads(unquote(document))
    statements = (document or {}).get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") == "Allow" and _allows_assume_role(statement.get("Action")) and _names_codedeploy(statement.get("Principal")):
            return True
    return False


def _allows_assume_role(action):
    actions = action if isinstance(action, list) else [action]
    return any(item in ("sts:AssumeRole", "sts:*", "*") for item in actions)


def _names_codedeploy(principal):
    if principal == "*":
        return True
    services = (principal or {}).get("Service", []) if isinstance(principal, dict) else []
    services = services if isinstance(services, list) else [services]
    return any(service in CODEDEPLOY_PRINCIPALS or re.match(r"^codedeploy\.[a-z0-9-]+\.amazonaws\.com$", service) for service in services)


def check_ecs_service(ctx, service):
    """The service exists, is ACTIVE and lets CodeDeploy control its deployments."""
    cluster, name = service["clusterName"], service["serviceName"]
    label = f"ECS service {name} in cluster {cluster}"
    try:
        found = ctx.client("ecs").describe_services(cluster=cluster, services=[name])
    except ClientError as error:
        raise AwsError("InvalidECSServiceException", f"The {label} cannot be used: {_reason(error)}.") from None
    services = found.get("services") or []
    if not services:
        raise AwsError("InvalidECSServiceException", f"The {label} does not exist. Create it with deploymentController CODE_DEPLOY first.")
    status = services[0].get("status")
    if status != "ACTIVE":
        raise AwsError("InvalidECSServiceException", f"The {label} is {status}, not ACTIVE.")
    controller = (services[0].get("deploymentController") or {}).get("type", "ECS")
    if controller != "CODE_DEPLOY":
        raise AwsError(
            "InvalidECSServiceException",
            f"The {label} uses the {controller} deployment controller; "
            "a CodeDeploy deployment group needs a service created with deploymentController CODE_DEPLOY.",
        )


def _usable(describe, what, **request):
    """An ELBv2 describe call that must find `what`; its error becomes CodeDeploy's InvalidTargetGroupPairException."""
    try:
        describe(**request)
    except ClientError as error:
        raise AwsError("InvalidTargetGroupPairException", f"The {what} cannot be used: {_reason(error)}.") from None


def check_target_groups(ctx, names):
    """Every target group name exists in ELBv2 (in this region)."""
    elbv2 = ctx.client("elbv2")
    for name in names:
        _usable(elbv2.describe_target_groups, f"target group {name}", Names=[name])


def check_listeners(ctx, listener_arns, route):
    """Every listener ARN of a traffic route ("production"/"test") exists in ELBv2."""
    elbv2 = ctx.client("elbv2")
    for arn in listener_arns:
        _usable(elbv2.describe_listeners, f"{route} listener {arn}", ListenerArns=[arn])


def _reason(error):
    details = error.response.get("Error", {})
    return f"{details.get('Code', 'error')} ({details.get('Message', '').rstrip('.')})"
