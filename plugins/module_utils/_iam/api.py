# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Every IAM role call of the collection, one function each, returning AWS's own dicts.

Listings use botocore's paginators; every call retries IAM's throttling codes
(common.retry_decorator). Nothing here knows about modules or results.
"""

import json
from functools import partial

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list, boto3_tag_list_to_ansible_dict

from ansible_collections.canary.ecs.plugins.module_utils.common import IAMErrorHandler, paginate, retry_decorator
from ansible_collections.canary.ecs.plugins.module_utils.tags import apply_tag_changes

_retry = retry_decorator("iam")


_paginate = _retry(paginate)


@IAMErrorHandler.list_error_handler("get the IAM role")
def get_role(client, name):
    return client.get_role(aws_retry=True, RoleName=name)["Role"]


@IAMErrorHandler.common_error_handler("create the IAM role")
def create_role(client, name, trust_policy, description, tags):
    request = {"RoleName": name, "AssumeRolePolicyDocument": json.dumps(trust_policy)}
    if description is not None:
        request["Description"] = description
    if tags:
        request["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    role = client.create_role(aws_retry=True, **request)["Role"]
    # IAM is eventually consistent: the next call (attach a policy, tag) may not see the role yet.
    client.get_waiter("role_exists").wait(RoleName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    return role


@IAMErrorHandler.common_error_handler("update the description of the IAM role")
def update_description(client, name, description):
    client.update_role(aws_retry=True, RoleName=name, Description=description)


@IAMErrorHandler.common_error_handler("update the trust policy of the IAM role")
def update_trust_policy(client, name, trust_policy):
    client.update_assume_role_policy(aws_retry=True, RoleName=name, PolicyDocument=json.dumps(trust_policy))


# What IAM keeps attached to a role, each listed and removed the same way:
# kind -> (listing, its result key, the field naming an item (None: items are names), removal, its parameter).
_ATTACHMENTS = {
    "managed policies": ("list_attached_role_policies", "AttachedPolicies", "PolicyArn", "detach_role_policy", "PolicyArn"),
    "inline policies": ("list_role_policies", "PolicyNames", None, "delete_role_policy", "PolicyName"),
    "instance profiles": (
        "list_instance_profiles_for_role",
        "InstanceProfiles",
        "InstanceProfileName",
        "remove_role_from_instance_profile",
        "InstanceProfileName",
    ),
}
MANAGED_POLICIES, INLINE_POLICIES, INSTANCE_PROFILES = _ATTACHMENTS


def list_attached(client, name, kind):
    """The ARNs or names of the role's managed policies, inline policies or instance profiles."""
    listing, key, field, _removal, _parameter = _ATTACHMENTS[kind]

    @IAMErrorHandler.list_error_handler("list the %s of the IAM role" % kind, [])
    def read():
        items = _paginate(client, listing, key, RoleName=name)
        return [item[field] for item in items] if field else items

    return read()


def remove_attached(client, name, kind, item):
    """Detach a managed policy, delete an inline policy, or take the role out of an instance profile."""
    _listing, _key, _field, removal, parameter = _ATTACHMENTS[kind]

    @IAMErrorHandler.deletion_error_handler("remove one of the %s of the IAM role" % kind)
    def remove():
        getattr(client, removal)(aws_retry=True, RoleName=name, **{parameter: item})
        return True

    return remove()


@IAMErrorHandler.common_error_handler("attach a managed policy to the IAM role")
def attach_policy(client, name, arn):
    client.attach_role_policy(aws_retry=True, RoleName=name, PolicyArn=arn)


@IAMErrorHandler.list_error_handler("list the tags of the IAM role", {})
def list_tags(client, name):
    return boto3_tag_list_to_ansible_dict(_paginate(client, "list_role_tags", "Tags", RoleName=name))


@IAMErrorHandler.common_error_handler("tag the IAM role")
def apply_tags(client, name, to_set, to_remove):
    apply_tag_changes(to_set, to_remove, partial(client.untag_role, aws_retry=True, RoleName=name), partial(client.tag_role, aws_retry=True, RoleName=name))


@IAMErrorHandler.deletion_error_handler("delete the IAM role")
def delete_role(client, name):
    client.delete_role(aws_retry=True, RoleName=name)
    return True
