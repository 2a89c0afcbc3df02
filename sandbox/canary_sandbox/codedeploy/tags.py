"""Tags on CodeDeploy applications and deployment groups: TagResource, UntagResource,
ListTagsForResource. Tags given at create time land in the same place (store.tags by
ARN); renames carry them over, deletes drop them.
"""

from ..router import AwsError
from . import applications, arns, deployment_groups, validation
from .service import operation


def _existing_resource_arn(ctx, arn):
    """The canonical ARN of an existing application or deployment group, or AWS's error."""
    if not arn:
        raise AwsError("ResourceArnRequiredException", "A ResourceArn is required: the ARN of a CodeDeploy application or deployment group.")
    resource = arns.parse(arn, ctx.region)
    if resource.kind == arns.APPLICATION:
        applications.find(ctx.store, resource.application)
        return arns.application_arn(ctx.region, resource.application)
    deployment_groups.find(ctx.store, resource.application, resource.group)
    return arns.deployment_group_arn(ctx.region, resource.application, resource.group)


@operation("TagResource")
def tag_resource(ctx, params):
    arn = _existing_resource_arn(ctx, params.get("ResourceArn"))
    if not params.get("Tags"):
        raise AwsError("TagRequiredException", "Tags is empty: give at least one {Key, Value} to add.")
    tags = validation.tags(params["Tags"])
    merged = dict(ctx.store.tags_of(arn), **tags)
    if len(merged) > validation.TAGS_MAX:
        raise AwsError("InvalidTagsToAddException", f"{arn} would have {len(merged)} tags; a resource can have at most {validation.TAGS_MAX}.")
    ctx.store.tag(arn, tags)
    return {}


@operation("UntagResource")
def untag_resource(ctx, params):
    arn = _existing_resource_arn(ctx, params.get("ResourceArn"))
    keys = params.get("TagKeys")
    if not keys:
        raise AwsError("TagRequiredException", "TagKeys is empty: give at least one tag key to remove.")
    ctx.store.untag(arn, keys)
    return {}


@operation("ListTagsForResource")
def list_tags_for_resource(ctx, params):
    arn = _existing_resource_arn(ctx, params.get("ResourceArn"))
    # a resource has at most 50 tags, so one page always holds them all
    return {"Tags": [{"Key": key, "Value": value} for key, value in ctx.store.tags_of(arn).items()]}
