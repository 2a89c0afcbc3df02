# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Applications and their tags: what is sent, what is reported, check mode."""

import pytest

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy import application as app
from ansible_collections.canary.ecs.plugins.module_utils.common import AnsibleCanaryECSError
from ansible_collections.canary.ecs.plugins.module_utils.tags import plan_tags
from ansible_collections.canary.ecs.tests.unit.plugins.module_utils.fakes import FakeArns, FakeModule, client_error, codedeploy_mock, write_calls

ARN = "arn:aws:codedeploy:us-east-1:123456789012:application:web"
APP = {"applicationId": "a-1", "applicationName": "web", "computePlatform": "ECS", "linkedToGitHub": False}


def module(check_mode=False, **params):
    values = dict(name="web", state="present", tags=None, purge_tags=True)
    values.update(params)
    return FakeModule(check_mode=check_mode, **values)


def client_with(application=None, tags=None):
    client = codedeploy_mock()
    if application is None:
        client.get_application.side_effect = client_error("ApplicationDoesNotExistException")
    else:
        client.get_application.return_value = {"application": application}
    client.list_tags_for_resource.return_value = {"Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]}
    return client


@pytest.mark.parametrize(
    "current, desired, purge, expected",
    [
        ({"a": "1"}, None, True, ({}, [], {"a": "1"})),
        ({"a": "1", "b": "2"}, {"a": "1"}, True, ({}, ["b"], {"a": "1"})),
        ({"a": "1", "b": "2"}, {"a": "3"}, False, ({"a": "3"}, [], {"a": "3", "b": "2"})),
        ({"aws:x": "1"}, {}, True, ({}, [], {"aws:x": "1"})),
    ],
)
def test_plan_tags(current, desired, purge, expected):
    assert plan_tags(current, desired, purge) == expected


def test_create_is_ecs_with_tags():
    client = client_with(None)
    client.create_application.return_value = {"applicationId": "a-1"}
    result = app.ensure_application_present(module(tags={"team": "x"}), client, FakeArns())
    assert result["changed"] is True
    assert client.create_application.call_args.kwargs == {
        "aws_retry": True,
        "applicationName": "web",
        "computePlatform": "ECS",
        "tags": [{"Key": "team", "Value": "x"}],
    }
    assert result["application"]["application_arn"] == ARN
    assert result["application"]["tags"] == {"team": "x"}


def test_check_mode_creates_nothing():
    client = client_with(None)
    result = app.ensure_application_present(module(check_mode=True), client, FakeArns())
    assert result["changed"] is True
    assert write_calls(client) == []


def test_existing_application_without_tag_changes_is_unchanged():
    client = client_with(APP, tags={"team": "x"})
    result = app.ensure_application_present(module(tags={"team": "x"}), client, FakeArns())
    assert result["changed"] is False
    assert write_calls(client) == []
    assert result["application"]["tags"] == {"team": "x"}


def test_tags_with_keys_kept_as_given():
    client = client_with(APP, tags={"CostCenter": "1"})
    result = app.ensure_application_present(module(tags={"CostCenter": "2"}), client, FakeArns())
    assert result["changed"] is True
    assert result["application"]["tags"] == {"CostCenter": "2"}
    assert result["diff"] == {
        "before": {"application_name": "web", "compute_platform": "ECS", "tags": {"CostCenter": "1"}},
        "after": {"application_name": "web", "compute_platform": "ECS", "tags": {"CostCenter": "2"}},
    }


def test_an_application_of_another_platform_is_not_touched():
    client = client_with(dict(APP, computePlatform="Server"))
    with pytest.raises(AnsibleCanaryECSError) as error:
        app.ensure_application_present(module(tags={"a": "b"}), client, FakeArns())
    assert "compute platform Server" in error.value.message
    assert write_calls(client) == []


def test_delete_says_which_groups_went():
    client = client_with(APP)
    client.list_deployment_groups.return_value = {"deploymentGroups": ["b", "a"]}
    result = app.ensure_application_absent(module(state="absent"), client, FakeArns())
    assert result["changed"] is True
    assert result["deleted_deployment_groups"] == ["a", "b"]
    assert result["msg"] == "Deleted CodeDeploy application web and its deployment groups: a, b"
    assert write_calls(client) == ["delete_application"]


def test_delete_in_check_mode_says_what_would_go():
    client = client_with(APP)
    client.list_deployment_groups.return_value = {"deploymentGroups": []}
    result = app.ensure_application_absent(module(check_mode=True, state="absent"), client, FakeArns())
    assert result["msg"] == "Would have deleted CodeDeploy application web"
    assert write_calls(client) == []


def test_delete_again_is_a_no_op():
    client = client_with(None)
    result = app.ensure_application_absent(module(state="absent"), client, FakeArns())
    assert result["changed"] is False
    assert write_calls(client) == []
