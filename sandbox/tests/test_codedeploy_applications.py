"""CodeDeploy applications through boto3: every write is read back from the sandbox."""

import datetime

import pytest

from canary_sandbox.stack import APP_ARN, GROUP_ARN, SharedStack, error_of, unvalidated_client

# a fresh sandbox for the module (conftest.empty_sandbox); each test clears CodeDeploy (conftest.codedeploy)
pytestmark = pytest.mark.usefixtures("empty_sandbox")

SHARED = SharedStack("app")


def test_create_and_get_ecs_application(codedeploy):
    before = datetime.datetime.now(datetime.timezone.utc)
    application_id = codedeploy.create_application(applicationName="shop", computePlatform="ECS")["applicationId"]
    info = codedeploy.get_application(applicationName="shop")["application"]
    assert info["applicationId"] == application_id
    assert info["applicationName"] == "shop"
    assert info["computePlatform"] == "ECS"
    assert info["linkedToGitHub"] is False
    assert before - datetime.timedelta(seconds=5) <= info["createTime"] <= datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=5)


@pytest.mark.parametrize("platform,expected", [(None, "Server"), ("Server", "Server"), ("Lambda", "Lambda")])
def test_other_compute_platforms_are_recorded(codedeploy, platform, expected):
    args = {"computePlatform": platform} if platform else {}
    codedeploy.create_application(applicationName="other", **args)
    assert codedeploy.get_application(applicationName="other")["application"]["computePlatform"] == expected


def test_duplicate_name_is_refused_and_keeps_the_first(codedeploy):
    first = codedeploy.create_application(applicationName="shop", computePlatform="ECS")["applicationId"]
    assert error_of(codedeploy.create_application, applicationName="shop", computePlatform="ECS") == "ApplicationAlreadyExistsException"
    assert codedeploy.get_application(applicationName="shop")["application"]["applicationId"] == first


@pytest.mark.parametrize("name", ["a" * 101, "has space", "slash/name", "star*"])
def test_invalid_names_create_nothing(codedeploy, name):
    assert error_of(codedeploy.create_application, applicationName=name, computePlatform="ECS") == "InvalidApplicationNameException"
    assert codedeploy.list_applications()["applications"] == []


def test_longest_valid_name(codedeploy):
    name = "a" * 100
    codedeploy.create_application(applicationName=name, computePlatform="ECS")
    assert codedeploy.get_application(applicationName=name)["application"]["applicationName"] == name


def test_invalid_compute_platform(codedeploy):
    assert error_of(codedeploy.create_application, applicationName="shop", computePlatform="EKS") == "InvalidComputePlatformException"
    assert codedeploy.list_applications()["applications"] == []


def test_name_required(sandbox, codedeploy):
    raw = unvalidated_client(sandbox, "codedeploy")
    assert error_of(raw.create_application, applicationName="") == "ApplicationNameRequiredException"
    assert error_of(raw.get_application, applicationName="") == "ApplicationNameRequiredException"
    assert error_of(codedeploy.update_application, newApplicationName="x") == "ApplicationNameRequiredException"


def test_get_missing(codedeploy):
    assert error_of(codedeploy.get_application, applicationName="nope") == "ApplicationDoesNotExistException"


def test_batch_get(codedeploy):
    for name in ("a1", "a2", "a3"):
        codedeploy.create_application(applicationName=name, computePlatform="ECS")
    infos = codedeploy.batch_get_applications(applicationNames=["a3", "a1"])["applicationsInfo"]
    assert [info["applicationName"] for info in infos] == ["a3", "a1"]
    assert all(info["computePlatform"] == "ECS" and info["applicationId"] for info in infos)


def test_batch_get_errors(codedeploy):
    codedeploy.create_application(applicationName="a1", computePlatform="ECS")
    assert error_of(codedeploy.batch_get_applications, applicationNames=["a1", "missing"]) == "ApplicationDoesNotExistException"
    assert error_of(codedeploy.batch_get_applications, applicationNames=[f"a{i}" for i in range(101)]) == "BatchLimitExceededException"
    assert error_of(codedeploy.batch_get_applications, applicationNames=[]) == "ApplicationNameRequiredException"
    assert error_of(codedeploy.batch_get_applications, applicationNames=["bad name"]) == "InvalidApplicationNameException"


def test_list_pages_through_every_application(codedeploy):
    names = sorted(f"app-{index:03d}" for index in range(105))
    for name in names:
        codedeploy.create_application(applicationName=name, computePlatform="ECS")
    first = codedeploy.list_applications()
    assert first["applications"] == names[:100]
    second = codedeploy.list_applications(nextToken=first["nextToken"])
    assert second["applications"] == names[100:]
    assert "nextToken" not in second
    paged = [name for page in codedeploy.get_paginator("list_applications").paginate() for name in page["applications"]]
    assert paged == names


def test_list_with_a_foreign_token(codedeploy):
    assert error_of(codedeploy.list_applications, nextToken="not-a-token") == "InvalidNextTokenException"


def test_rename_moves_groups_and_tags(sandbox, codedeploy):
    stack = SHARED.get(sandbox.clients)
    application_id = codedeploy.create_application(applicationName="old", computePlatform="ECS", tags=[{"Key": "team", "Value": "a"}])["applicationId"]
    group_id = codedeploy.create_deployment_group(**stack.deployment_group_args("old", "dg", tags=[{"Key": "tier", "Value": "web"}]))["deploymentGroupId"]

    codedeploy.update_application(applicationName="old", newApplicationName="new")

    assert error_of(codedeploy.get_application, applicationName="old") == "ApplicationDoesNotExistException"
    assert codedeploy.get_application(applicationName="new")["application"]["applicationId"] == application_id
    group = codedeploy.get_deployment_group(applicationName="new", deploymentGroupName="dg")["deploymentGroupInfo"]
    assert (group["applicationName"], group["deploymentGroupId"]) == ("new", group_id)
    assert codedeploy.list_deployment_groups(applicationName="new")["deploymentGroups"] == ["dg"]
    assert codedeploy.list_tags_for_resource(ResourceArn=APP_ARN.format("new"))["Tags"] == [{"Key": "team", "Value": "a"}]
    assert codedeploy.list_tags_for_resource(ResourceArn=GROUP_ARN.format("new", "dg"))["Tags"] == [{"Key": "tier", "Value": "web"}]
    assert error_of(codedeploy.list_tags_for_resource, ResourceArn=APP_ARN.format("old")) == "ApplicationDoesNotExistException"


def test_rename_errors_change_nothing(codedeploy):
    codedeploy.create_application(applicationName="one", computePlatform="ECS")
    codedeploy.create_application(applicationName="two", computePlatform="ECS")
    assert error_of(codedeploy.update_application, applicationName="one", newApplicationName="two") == "ApplicationAlreadyExistsException"
    assert error_of(codedeploy.update_application, applicationName="missing", newApplicationName="three") == "ApplicationDoesNotExistException"
    assert error_of(codedeploy.update_application, applicationName="one", newApplicationName="bad name") == "InvalidApplicationNameException"
    assert codedeploy.list_applications()["applications"] == ["one", "two"]


def test_rename_to_same_name_is_a_no_op(codedeploy):
    application_id = codedeploy.create_application(applicationName="one", computePlatform="ECS")["applicationId"]
    codedeploy.update_application(applicationName="one", newApplicationName="one")
    assert codedeploy.get_application(applicationName="one")["application"]["applicationId"] == application_id


def test_delete_removes_groups_tags_and_frees_the_service(sandbox, codedeploy):
    stack = SHARED.get(sandbox.clients)
    codedeploy.create_application(applicationName="shop", computePlatform="ECS", tags=[{"Key": "k", "Value": "v"}])
    codedeploy.create_deployment_group(**stack.deployment_group_args("shop", "dg"))

    codedeploy.delete_application(applicationName="shop")

    assert error_of(codedeploy.get_application, applicationName="shop") == "ApplicationDoesNotExistException"
    assert codedeploy.list_applications()["applications"] == []
    codedeploy.create_application(applicationName="shop", computePlatform="ECS")
    assert codedeploy.list_deployment_groups(applicationName="shop")["deploymentGroups"] == []
    assert codedeploy.list_tags_for_resource(ResourceArn=APP_ARN.format("shop"))["Tags"] == []
    # the ECS service belongs to no group any more
    codedeploy.create_deployment_group(**stack.deployment_group_args("shop", "again"))
    assert codedeploy.list_deployment_groups(applicationName="shop")["deploymentGroups"] == ["again"]


def test_delete_missing_application_succeeds(codedeploy):
    codedeploy.delete_application(applicationName="never-was")
    assert error_of(codedeploy.delete_application, applicationName="bad name") == "InvalidApplicationNameException"
