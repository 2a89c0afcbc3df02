"""Tags on CodeDeploy applications and deployment groups through boto3, read back after every write."""

import pytest

from canary_sandbox.stack import APP_ARN, GROUP_ARN, SharedStack, clear_codedeploy, error_of, unvalidated_client

# a fresh sandbox for the module (conftest.empty_sandbox); each test clears CodeDeploy (conftest.codedeploy)
pytestmark = pytest.mark.usefixtures("empty_sandbox")

SHARED = SharedStack("tag")


@pytest.fixture
def codedeploy(sandbox, empty_sandbox):
    client = sandbox.clients("codedeploy")
    clear_codedeploy(client)
    client.create_application(applicationName="shop", computePlatform="ECS")
    return client


@pytest.fixture
def group_arn(sandbox, codedeploy):
    stack = SHARED.get(sandbox.clients)
    codedeploy.create_deployment_group(**stack.deployment_group_args("shop", "web"))
    return GROUP_ARN.format("shop", "web")


def tags_of(codedeploy, arn):
    return {tag["Key"]: tag["Value"] for tag in codedeploy.list_tags_for_resource(ResourceArn=arn)["Tags"]}


def test_tag_overwrite_and_untag_an_application(codedeploy):
    arn = APP_ARN.format("shop")
    assert tags_of(codedeploy, arn) == {}
    codedeploy.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "payments"}, {"Key": "env", "Value": "dev"}])
    assert tags_of(codedeploy, arn) == {"team": "payments", "env": "dev"}
    codedeploy.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    assert tags_of(codedeploy, arn) == {"team": "payments", "env": "prod"}
    codedeploy.untag_resource(ResourceArn=arn, TagKeys=["team", "not-there"])
    assert tags_of(codedeploy, arn) == {"env": "prod"}


def test_tag_a_deployment_group(codedeploy, group_arn):
    codedeploy.tag_resource(ResourceArn=group_arn, Tags=[{"Key": "tier", "Value": "web"}])
    assert tags_of(codedeploy, group_arn) == {"tier": "web"}
    assert tags_of(codedeploy, APP_ARN.format("shop")) == {}  # the application keeps its own tags
    codedeploy.untag_resource(ResourceArn=group_arn, TagKeys=["tier"])
    assert tags_of(codedeploy, group_arn) == {}


def test_tags_given_at_create_time(sandbox, codedeploy):
    stack = SHARED.get(sandbox.clients)
    codedeploy.create_application(applicationName="tagged", computePlatform="ECS", tags=[{"Key": "a", "Value": "1"}])
    codedeploy.create_deployment_group(**stack.deployment_group_args("tagged", "dg", tags=[{"Key": "b", "Value": "2"}, {"Key": "empty", "Value": ""}]))
    assert tags_of(codedeploy, APP_ARN.format("tagged")) == {"a": "1"}
    assert tags_of(codedeploy, GROUP_ARN.format("tagged", "dg")) == {"b": "2", "empty": ""}


def test_renames_keep_tags_and_deletes_drop_them(codedeploy, group_arn):
    codedeploy.tag_resource(ResourceArn=APP_ARN.format("shop"), Tags=[{"Key": "a", "Value": "1"}])
    codedeploy.tag_resource(ResourceArn=group_arn, Tags=[{"Key": "g", "Value": "1"}])
    codedeploy.update_application(applicationName="shop", newApplicationName="store")
    codedeploy.update_deployment_group(applicationName="store", currentDeploymentGroupName="web", newDeploymentGroupName="frontend")
    assert tags_of(codedeploy, APP_ARN.format("store")) == {"a": "1"}
    assert tags_of(codedeploy, GROUP_ARN.format("store", "frontend")) == {"g": "1"}
    codedeploy.delete_application(applicationName="store")
    codedeploy.create_application(applicationName="store", computePlatform="ECS")
    assert tags_of(codedeploy, APP_ARN.format("store")) == {}


@pytest.mark.parametrize(
    "arn,code",
    [
        ("not-an-arn", "InvalidArnException"),
        ("arn:aws:s3:::bucket", "InvalidArnException"),
        ("arn:aws:codedeploy:eu-west-1:123456789012:application:shop", "InvalidArnException"),
        ("arn:aws:codedeploy:us-east-1:210987654321:application:shop", "InvalidArnException"),
        ("arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:shop", "InvalidArnException"),
        ("arn:aws:codedeploy:us-east-1:123456789012:deploymentconfig:CodeDeployDefault.ECSAllAtOnce", "ArnNotSupportedException"),
        ("arn:aws:codedeploy:us-east-1:123456789012:instance:i-1", "ArnNotSupportedException"),
        ("arn:aws:codedeploy:us-east-1:123456789012:application:ghost", "ApplicationDoesNotExistException"),
        ("arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:shop/ghost", "DeploymentGroupDoesNotExistException"),
        ("arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:ghost/web", "ApplicationDoesNotExistException"),
    ],
    ids=lambda value: value.rsplit(":", 2)[-2] + ":" + value.rsplit(":", 1)[-1] if value.startswith("arn:aws:codedeploy") else value,
)
def test_bad_arns(codedeploy, arn, code):
    assert error_of(codedeploy.tag_resource, ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}]) == code
    assert error_of(codedeploy.untag_resource, ResourceArn=arn, TagKeys=["k"]) == code
    assert error_of(codedeploy.list_tags_for_resource, ResourceArn=arn) == code


def test_arn_required(sandbox, codedeploy):
    raw = unvalidated_client(sandbox, "codedeploy")
    assert error_of(raw.tag_resource, ResourceArn="", Tags=[{"Key": "k", "Value": "v"}]) == "ResourceArnRequiredException"
    assert error_of(raw.untag_resource, ResourceArn="", TagKeys=["k"]) == "ResourceArnRequiredException"
    assert error_of(raw.list_tags_for_resource, ResourceArn="") == "ResourceArnRequiredException"


def test_tags_required(codedeploy):
    arn = APP_ARN.format("shop")
    assert error_of(codedeploy.tag_resource, ResourceArn=arn, Tags=[]) == "TagRequiredException"
    assert error_of(codedeploy.untag_resource, ResourceArn=arn, TagKeys=[]) == "TagRequiredException"


@pytest.mark.parametrize(
    "tags",
    [
        [{"Key": "aws:reserved", "Value": "x"}],
        [{"Key": "k" * 129, "Value": "x"}],
        [{"Key": "long", "Value": "v" * 257}],
        [{"Key": "", "Value": "x"}],
        [{"Key": f"k{i}", "Value": "v"} for i in range(51)],
    ],
    ids=["aws-prefix", "long-key", "long-value", "empty-key", "51-tags"],
)
def test_invalid_tags_change_nothing(sandbox, codedeploy, tags):
    arn = APP_ARN.format("shop")
    codedeploy.tag_resource(ResourceArn=arn, Tags=[{"Key": "keep", "Value": "me"}])
    assert error_of(unvalidated_client(sandbox, "codedeploy").tag_resource, ResourceArn=arn, Tags=tags) == "InvalidTagsToAddException"
    assert tags_of(codedeploy, arn) == {"keep": "me"}


def test_fifty_tags_is_the_limit_across_calls(codedeploy):
    arn = APP_ARN.format("shop")
    codedeploy.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert error_of(codedeploy.tag_resource, ResourceArn=arn, Tags=[{"Key": "one-more", "Value": "v"}]) == "InvalidTagsToAddException"
    assert len(tags_of(codedeploy, arn)) == 50
    codedeploy.tag_resource(ResourceArn=arn, Tags=[{"Key": "k0", "Value": "changed"}])  # overwriting is not adding
    assert tags_of(codedeploy, arn)["k0"] == "changed"


def test_invalid_tags_at_create_time_create_nothing(codedeploy):
    assert (
        error_of(codedeploy.create_application, applicationName="bad-tags", computePlatform="ECS", tags=[{"Key": "aws:x", "Value": "y"}])
        == "InvalidTagsToAddException"
    )
    assert error_of(codedeploy.get_application, applicationName="bad-tags") == "ApplicationDoesNotExistException"
