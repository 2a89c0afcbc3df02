"""Fault injection: the next N client requests for an operation fail with an AWS error, in each protocol."""

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from canary_sandbox.awsclients import DUMMY_CREDENTIALS
from canary_sandbox.faults import FaultError, _admin_call, clear_faults, inject_fault, injected_faults
from canary_sandbox.guard import assert_loopback


def plain_client(sandbox, service):
    """A client as the code under test has one: no sandbox mark in its user agent, no retries."""
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    return boto3.session.Session(region_name="us-east-1", **DUMMY_CREDENTIALS).client(service, endpoint_url=assert_loopback(sandbox.endpoint), config=config)


def admin(sandbox, method, body=None):
    return _admin_call(sandbox.endpoint, method, body)


def code_of(call):
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def faults(aws, sandbox):
    yield lambda **spec: admin(sandbox, "POST", spec)
    admin(sandbox, "DELETE")


def test_json_service_fails_count_times_then_answers(sandbox, faults):
    codedeploy = plain_client(sandbox, "codedeploy")
    status, body = faults(operation="ListApplications", service="codedeploy", error="ThrottlingException", count=2)
    assert status == 201 and body["fault"]["remaining"] == 2
    assert code_of(codedeploy.list_applications) == ("ThrottlingException", 400)
    assert code_of(codedeploy.list_applications) == ("ThrottlingException", 400)
    assert codedeploy.list_applications()["applications"] == []
    (listed,) = admin(sandbox, "GET")[1]["faults"]
    assert (listed["hits"], listed["remaining"]) == (2, 0)


@pytest.mark.parametrize(
    "service, operation, call, error, status",
    [
        ("elasticloadbalancing", "DescribeLoadBalancers", lambda c: c("elbv2").describe_load_balancers(), "Throttling", 400),
        ("ec2", "DescribeVpcs", lambda c: c("ec2").describe_vpcs(), "RequestLimitExceeded", 503),
        ("monitoring", "DescribeAlarms", lambda c: c("cloudwatch").describe_alarms(), "Throttling", 400),
        ("ecs", "ListClusters", lambda c: c("ecs").list_clusters(), "ServerException", 500),
        ("iam", "ListRoles", lambda c: c("iam").list_roles(), "AccessDenied", 403),
    ],
)
def test_every_protocol_carries_the_error_code(sandbox, faults, service, operation, call, error, status):
    faults(operation=operation, service=service, error=error, status=status, message="not now")
    assert code_of(lambda: call(lambda name: plain_client(sandbox, name))) == (error, status)
    call(lambda name: plain_client(sandbox, name))  # the next one is answered


def test_service_narrows_an_operation_name_two_services_share(sandbox, faults):
    faults(operation="ListTagsForResource", service="ecs", error="ThrottlingException")
    codedeploy = plain_client(sandbox, "codedeploy")
    with pytest.raises(ClientError) as caught:  # not the fault: CodeDeploy's own answer for an unknown ARN
        codedeploy.list_tags_for_resource(ResourceArn="arn:aws:codedeploy:us-east-1:123456789012:application:none")
    assert caught.value.response["Error"]["Code"] != "ThrottlingException"
    assert admin(sandbox, "GET")[1]["faults"][0]["hits"] == 0


def test_the_sandbox_and_test_clients_are_never_faulted(sandbox, aws, faults):
    faults(operation="ListClusters", error="ThrottlingException", count=5)
    assert aws("ecs").list_clusters()["clusterArns"] == []  # canary_sandbox.awsclients: passed through
    assert admin(sandbox, "GET")[1]["faults"][0]["hits"] == 0
    assert code_of(plain_client(sandbox, "ecs").list_clusters)[0] == "ThrottlingException"


@pytest.mark.parametrize(
    "spec, field",
    [
        ({"error": "ThrottlingException"}, "operation"),
        ({"operation": "GetDeployment", "count": 0}, "count"),
        ({"operation": "GetDeployment", "status": 200}, "status"),
        ({"operation": "GetDeployment", "eror": "X"}, "unknown fault fields ['eror']"),
        ({"operation": "GetDeployment", "lost": "yes"}, "lost"),
        ({"operation": "*", "rate": 0}, "rate"),
        ({"operation": "*", "rate": 1.5}, "rate"),
        ({"operation": "*", "rate": 0.5, "seed": "x"}, "seed"),
    ],
)
def test_a_bad_fault_is_refused_naming_the_field(sandbox, faults, spec, field):
    status, body = faults(**spec)
    assert status == 400 and field in body["message"], body
    assert admin(sandbox, "GET")[1]["faults"] == []


def test_the_helpers_inject_list_and_clear(sandbox, aws):
    added = inject_fault(sandbox.endpoint, operation="ListClusters", error="ThrottlingException", count=2)
    assert (added["remaining"], added["hits"], added["service"]) == (2, 0, None)
    assert code_of(plain_client(sandbox, "ecs").list_clusters)[0] == "ThrottlingException"
    assert [(f["operation"], f["hits"], f["remaining"]) for f in injected_faults(sandbox.endpoint)] == [("ListClusters", 1, 1)]
    with pytest.raises(FaultError, match="count"):
        inject_fault(sandbox.endpoint, operation="ListClusters", count=-1)
    clear_faults(sandbox.endpoint)
    assert injected_faults(sandbox.endpoint) == []


def test_reset_and_delete_forget_faults(sandbox, faults):
    faults(operation="ListClusters", error="ThrottlingException", count=3)
    sandbox.reset()
    assert admin(sandbox, "GET")[1]["faults"] == []
    faults(operation="ListClusters", error="ThrottlingException", count=3)
    assert admin(sandbox, "DELETE") == (200, {"faults": []})
    assert plain_client(sandbox, "ecs").list_clusters()["clusterArns"] == []


def test_a_lost_answer_carries_the_request_out_and_answers_the_error(sandbox, faults):
    """JSON protocol (an extension's operation): the application is created, the caller only sees the error."""
    codedeploy = plain_client(sandbox, "codedeploy")
    faults(operation="CreateApplication", service="codedeploy", error="InternalFailure", status=500, lost=True)
    assert code_of(lambda: codedeploy.create_application(applicationName="lost-answer", computePlatform="ECS")) == ("InternalFailure", 500)
    assert codedeploy.get_application(applicationName="lost-answer")["application"]["computePlatform"] == "ECS"
    # a retry meets what the first call left, as against AWS
    assert code_of(lambda: codedeploy.create_application(applicationName="lost-answer", computePlatform="ECS")) == (
        "ApplicationAlreadyExistsException",
        400,
    )


def test_a_lost_answer_of_a_moto_operation_registers_once(sandbox, faults):
    """Query-free JSON protocol answered by moto: RegisterTaskDefinition happens, its answer is lost."""
    ecs = plain_client(sandbox, "ecs")
    faults(operation="RegisterTaskDefinition", service="ecs", error="ServerException", status=500, lost=True)
    container = {"name": "app", "image": "canary-app:v1", "memory": 128}
    assert code_of(lambda: ecs.register_task_definition(family="lost-answer", containerDefinitions=[container])) == ("ServerException", 500)
    assert len(ecs.list_task_definitions(familyPrefix="lost-answer")["taskDefinitionArns"]) == 1
    registered = ecs.register_task_definition(family="lost-answer", containerDefinitions=[container])["taskDefinition"]
    assert registered["revision"] == 2  # the retry registers again: the leftover a release must clean up


def failures_at_rate(sandbox, faults, seed, calls=200):
    faults(operation="*", service="ecs", error="ThrottlingException", rate=0.25, seed=seed, count=1000)
    ecs = plain_client(sandbox, "ecs")
    pattern = []
    for _ in range(calls):
        try:
            ecs.list_clusters()
            pattern.append(False)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ThrottlingException"
            pattern.append(True)
    admin(sandbox, "DELETE")
    return pattern


def test_a_rate_fails_a_seeded_share_of_every_operation(sandbox, faults):
    first = failures_at_rate(sandbox, faults, seed=7)
    # 25% of 200: binomial 3-sigma is about 18 requests either way
    assert 50 - 19 <= sum(first) <= 50 + 19, sum(first)
    assert failures_at_rate(sandbox, faults, seed=7) == first  # the same seed, the same requests fail
    assert failures_at_rate(sandbox, faults, seed=8) != first
    # "*" of one service leaves the others alone
    faults(operation="*", service="ecs", error="ThrottlingException", rate=1.0, count=5)
    assert plain_client(sandbox, "codedeploy").list_applications()["applications"] == []
