# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Tags of CodeDeploy applications and deployment groups (by ARN, with purge_tags)."""

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list, boto3_tag_list_to_ansible_dict

from ansible_collections.canary.ecs.plugins.module_utils.codedeploy_common import CodeDeployErrorHandler
from ansible_collections.canary.ecs.plugins.module_utils.tags import reconcile_tags

# ListTagsForResource pages; a resource has at most 50 tags, so a few pages is plenty.
_MAX_TAG_PAGES = 20


@CodeDeployErrorHandler.list_error_handler("list the tags of a CodeDeploy resource", {})
def list_tags(client, arn):
    tags = []
    request = {"ResourceArn": arn}
    for _page in range(_MAX_TAG_PAGES):
        response = client.list_tags_for_resource(aws_retry=True, **request)
        tags.extend(response.get("Tags", []))
        if not response.get("NextToken"):
            break
        request["NextToken"] = response["NextToken"]
    return boto3_tag_list_to_ansible_dict(tags)


def tags_request(tags):
    """The 'tags' member of CreateApplication / CreateDeploymentGroup (Key/Value pairs)."""
    return ansible_dict_to_boto3_tag_list(tags or {})


@CodeDeployErrorHandler.common_error_handler("update the tags of a CodeDeploy resource")
def apply_tags(client, arn, to_set, to_remove):
    if to_remove:
        client.untag_resource(aws_retry=True, ResourceArn=arn, TagKeys=list(to_remove))
    if to_set:
        client.tag_resource(aws_retry=True, ResourceArn=arn, Tags=ansible_dict_to_boto3_tag_list(to_set))


def ensure_tags(client, check_mode, arn, current, desired, purge):
    """Make the resource's tags match; returns (changed, the tags it has afterwards)."""
    return reconcile_tags(check_mode, current, desired, purge, lambda to_set, to_remove: apply_tags(client, arn, to_set, to_remove))
