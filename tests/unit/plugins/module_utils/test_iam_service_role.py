# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""IAM service roles: options checked first, only what differs changed, check mode, deletion order."""

from unittest.mock import MagicMock

import pytest

from ansible_collections.canary.ecs.plugins.module_utils._iam import role
from ansible_collections.canary.ecs.plugins.module_utils.common import AnsibleCanaryECSError
from ansible_collections.canary.ecs.tests.unit.plugins.module_utils.fakes import FakeModule, client_error, paginating

EXECUTION = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
CODEDEPLOY = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"
WRITES = (
    "create_role",
    "update_role",
    "update_assume_role_policy",
    "attach_role_policy",
    "detach_role_policy",
    "tag_role",
    "untag_role",
    "delete_role_policy",
    "remove_role_from_instance_profile",
    "delete_role",
)


def module(check_mode=False, **params):
    values = dict(
        name="exec",
        state="present",
        trusted_services=["ecs-tasks.amazonaws.com"],
        description=None,
        managed_policies=[],
        purge_managed_policies=True,
        tags=None,
        purge_tags=True,
    )
    values.update(params)
    return FakeModule(check_mode=check_mode, **values)


def client_with(existing=None, policies=(), tags=None, inline=(), profiles=()):
    client = paginating(MagicMock())
    if existing is None:
        client.get_role.side_effect = client_error("NoSuchEntity")
    else:
        client.get_role.return_value = {"Role": dict({"RoleName": "exec", "Arn": "arn:aws:iam::123456789012:role/exec", "Path": "/"}, **existing)}
    client.list_attached_role_policies.return_value = {"AttachedPolicies": [{"PolicyArn": arn} for arn in policies]}
    client.list_role_tags.return_value = {"Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]}
    client.list_role_policies.return_value = {"PolicyNames": list(inline)}
    client.list_instance_profiles_for_role.return_value = {"InstanceProfiles": [{"InstanceProfileName": name} for name in profiles]}
    return client


def writes(client):
    return [name for name, _args, _kwargs in client.mock_calls if name in WRITES]


@pytest.mark.parametrize(
    "params, option",
    [
        ({"name": "a b"}, "name must be"),
        ({"name": "x" * 65}, "name must be"),
        ({"trusted_services": []}, "trusted_services must name at least one"),
        ({"trusted_services": ["arn:aws:iam::123456789012:root"]}, "trusted_services must be AWS service principals"),
        ({"managed_policies": ["AmazonECSTaskExecutionRolePolicy"]}, "managed_policies must be IAM policy ARNs"),
        ({"description": "d" * 1001}, "description may be at most 1000"),
    ],
)
def test_a_bad_option_fails_before_any_call_naming_it(params, option):
    client = client_with()
    with pytest.raises(AnsibleCanaryECSError) as error:
        role.ensure_role_present(module(**params), client)
    assert str(error.value.message).startswith(option)
    assert client.mock_calls == []


def test_the_trust_policy_names_the_services_sorted():
    policy = role.trust_policy(["ecs-tasks.amazonaws.com", "codedeploy.amazonaws.com"])
    assert policy["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": ["codedeploy.amazonaws.com", "ecs-tasks.amazonaws.com"]}, "Action": "sts:AssumeRole"}
    ]
    assert role.trust_policy(["ecs-tasks.amazonaws.com"])["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}


def test_check_mode_creates_nothing_and_reports_the_role():
    client = client_with()
    result = role.ensure_role_present(module(check_mode=True, managed_policies=[EXECUTION], tags={"a": "1"}), client)
    assert result["changed"] and writes(client) == []
    assert result["role"]["managed_policies"] == [EXECUTION] and result["role"]["tags"] == {"a": "1"}


def test_create_attaches_the_policies_and_waits_for_the_role():
    client = client_with()
    client.get_role.side_effect = [client_error("NoSuchEntity"), {"Role": {"RoleName": "exec", "Arn": "arn:aws:iam::123456789012:role/exec"}}]
    result = role.ensure_role_present(module(managed_policies=[EXECUTION], tags={"a": "1"}), client)
    assert writes(client) == ["create_role", "attach_role_policy"]
    assert client.create_role.call_args.kwargs["Tags"] == [{"Key": "a", "Value": "1"}]
    client.get_waiter.assert_called_once_with("role_exists")
    assert result["role"]["arn"] == "arn:aws:iam::123456789012:role/exec"


def test_an_equal_role_is_left_alone_whatever_the_trust_policy_spelling():
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": ["ecs-tasks.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]}
    client = client_with({"AssumeRolePolicyDocument": trust, "Description": "d"}, policies=[EXECUTION], tags={"a": "1"})
    result = role.ensure_role_present(module(description="d", managed_policies=[EXECUTION], tags={"a": "1"}), client)
    assert not result["changed"] and writes(client) == []


def test_only_what_differs_is_changed():
    trust = role.trust_policy(["codedeploy.amazonaws.com"])
    client = client_with({"AssumeRolePolicyDocument": trust, "Description": "d"}, policies=[CODEDEPLOY], tags={"a": "1"})
    result = role.ensure_role_present(module(description="d", managed_policies=[EXECUTION], tags={"a": "1"}), client)
    assert result["changed"]
    assert writes(client) == ["update_assume_role_policy", "attach_role_policy", "detach_role_policy"]
    assert result["diff"]["before"]["managed_policies"] == [CODEDEPLOY]


def test_without_purge_policies_are_only_attached():
    client = client_with({"AssumeRolePolicyDocument": role.trust_policy(["ecs-tasks.amazonaws.com"])}, policies=[CODEDEPLOY])
    role.ensure_role_present(module(managed_policies=[EXECUTION], purge_managed_policies=False), client)
    assert writes(client) == ["attach_role_policy"]


def test_check_mode_on_an_existing_role_writes_nothing():
    client = client_with({"AssumeRolePolicyDocument": role.trust_policy(["codedeploy.amazonaws.com"])}, policies=[CODEDEPLOY], tags={"a": "1"})
    result = role.ensure_role_present(module(check_mode=True, description="new", managed_policies=[EXECUTION], tags={"b": "2"}), client)
    assert result["changed"] and writes(client) == []
    assert result["diff"]["after"]["managed_policies"] == [EXECUTION] and result["diff"]["after"]["tags"] == {"b": "2"}


def test_delete_removes_what_iam_requires_first():
    client = client_with({}, policies=[EXECUTION], inline=["inline"], profiles=["profile"])
    result = role.ensure_role_absent(module(state="absent"), client)
    assert result["changed"]
    assert writes(client) == ["detach_role_policy", "delete_role_policy", "remove_role_from_instance_profile", "delete_role"]


def test_delete_of_a_missing_role_and_check_mode_write_nothing():
    missing = client_with()
    assert role.ensure_role_absent(module(state="absent"), missing)["changed"] is False
    present = client_with({}, policies=[EXECUTION])
    result = role.ensure_role_absent(module(check_mode=True, state="absent"), present)
    assert result["changed"] and result["msg"].startswith("Would have deleted") and writes(present) == []


def test_info_lists_the_role_or_nothing():
    assert role.role_info(module(), client_with())["roles"] == []
    found = role.role_info(module(), client_with({"Description": "d"}, policies=[EXECUTION], tags={"a": "1"}))["roles"]
    assert [(item["role_name"], item["managed_policies"], item["tags"]) for item in found] == [("exec", [EXECUTION], {"a": "1"})]
