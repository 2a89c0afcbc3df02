# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Every IAM role call of the collection, one function each, returning AWS's own dicts.

Listings use botocore's paginators; every call retries IAM's throttling codes
(common.retry_decorator). Nothing here knows about modules or results.
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list, boto3_tag_list_to_ansible_dict

from ansible_collections.canary.ecs.plugins.module_utils.common import IAMErrorHandler, paginate, retry_decorator

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


@IAMErrorHandler.list_error_handler("list the managed policies of the IAM role", [])
def list_attached_policy_arns(client, name):
    return [policy["PolicyArn"] for policy in _paginate(client, "list_attached_role_policies", "AttachedPolicies", RoleName=name)]


@IAMErrorHandler.common_error_handler("attach a managed policy to the IAM role")
def attach_policy(client, name, arn):
    client.attach_role_policy(aws_retry=True, RoleName=name, PolicyArn=arn)


@IAMErrorHandler.deletion_error_handler("detach a managed policy from the IAM role")
def detach_policy(client, name, arn):
    client.detach_role_policy(aws_retry=True, RoleName=name, PolicyArn=arn)
    return True


@IAMErrorHandler.list_error_handler("list the inline policies of the IAM role", [])
def list_inline_policy_names(client, name):
    return _paginate(client, "list_role_policies", "PolicyNames", RoleName=name)


@IAMErrorHandler.deletion_error_handler("delete an inline policy of the IAM role")
def delete_inline_policy(client, name, policy_name):
    client.delete_role_policy(aws_retry=True, RoleName=name, PolicyName=policy_name)
    return True


@IAMErrorHandler.list_error_handler("list the instance profiles of the IAM role", [])
def list_instance_profile_names(client, name):
    return [profile["InstanceProfileName"] for profile in _paginate(client, "list_instance_profiles_for_role", "InstanceProfiles", RoleName=name)]


@IAMErrorHandler.deletion_error_handler("remove the IAM role from an instance profile")
def remove_from_instance_profile(client, name, profile_name):
    client.remove_role_from_instance_profile(aws_retry=True, RoleName=name, InstanceProfileName=profile_name)
    return True


@IAMErrorHandler.list_error_handler("list the tags of the IAM role", {})
def list_tags(client, name):
    return boto3_tag_list_to_ansible_dict(_paginate(client, "list_role_tags", "Tags", RoleName=name))


@IAMErrorHandler.common_error_handler("tag the IAM role")
def apply_tags(client, name, to_set, to_remove):
    if to_remove:
        client.untag_role(aws_retry=True, RoleName=name, TagKeys=list(to_remove))
    if to_set:
        client.tag_role(aws_retry=True, RoleName=name, Tags=ansible_dict_to_boto3_tag_list(to_set))


@IAMErrorHandler.deletion_error_handler("delete the IAM role")
def delete_role(client, name):
    client.delete_role(aws_retry=True, RoleName=name)
    return True
