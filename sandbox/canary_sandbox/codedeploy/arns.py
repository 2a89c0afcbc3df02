"""CodeDeploy resource ARNs: how AWS spells them, and reading one back.

arn:aws:codedeploy:REGION:ACCOUNT:application:NAME
arn:aws:codedeploy:REGION:ACCOUNT:deploymentgroup:APPLICATION/GROUP
arn:aws:codedeploy:REGION:ACCOUNT:deploymentconfig:NAME
"""

import collections

from .. import ACCOUNT_ID
from ..router import AwsError

APPLICATION = "application"
DEPLOYMENT_GROUP = "deploymentgroup"
DEPLOYMENT_CONFIG = "deploymentconfig"

ResourceArn = collections.namedtuple("ResourceArn", "kind region account application group name")


def application_arn(region, application):
    return f"arn:aws:codedeploy:{region}:{ACCOUNT_ID}:{APPLICATION}:{application}"


def deployment_group_arn(region, application, group):
    return f"arn:aws:codedeploy:{region}:{ACCOUNT_ID}:{DEPLOYMENT_GROUP}:{application}/{group}"


def deployment_config_arn(region, name):
    return f"arn:aws:codedeploy:{region}:{ACCOUNT_ID}:{DEPLOYMENT_CONFIG}:{name}"


def parse(arn, region):
    """Read a CodeDeploy ARN sent to `region`.

    InvalidArnException when it is no CodeDeploy ARN of this account and region,
    ArnNotSupportedException when it names a resource kind that has no tags.
    """
    parts = arn.split(":", 6)
    if len(parts) != 7 or parts[0] != "arn" or parts[1] != "aws" or parts[2] != "codedeploy":
        raise AwsError(
            "InvalidArnException",
            f"{arn!r} is not a CodeDeploy ARN: expected arn:aws:codedeploy:REGION:ACCOUNT:application:NAME or ...:deploymentgroup:APPLICATION/GROUP.",
        )
    _, _, _, arn_region, account, kind, resource = parts
    if arn_region != region:
        raise AwsError("InvalidArnException", f"The ARN {arn} names region {arn_region!r} but the request was sent to region {region!r}.")
    if account != ACCOUNT_ID:
        raise AwsError("InvalidArnException", f"The ARN {arn} names account {account!r}; this account is {ACCOUNT_ID}.")
    if kind == APPLICATION and resource:
        return ResourceArn(kind, region, account, resource, None, resource)
    if kind == DEPLOYMENT_GROUP:
        application, _, group = resource.partition("/")
        if application and group:
            return ResourceArn(kind, region, account, application, group, resource)
        raise AwsError("InvalidArnException", f"The deployment group ARN {arn} must end in deploymentgroup:APPLICATION/GROUP.")
    if kind == DEPLOYMENT_CONFIG:
        raise AwsError("ArnNotSupportedException", f"Deployment configurations have no tags: {arn} is not supported here.")
    raise AwsError("ArnNotSupportedException", f"The ARN {arn} names a {kind!r} resource; only applications and deployment groups have tags.")
