"""The ECS/ELBv2/IAM prerequisites of a CodeDeploy ECS blue/green deployment group, built in the sandbox.

    stack = make_ecs_stack(aws, "t1")
    aws("codedeploy").create_deployment_group(**stack.deployment_group_args("app", "dg"))

`aws` is the tests' conftest fixture (aws("ecs") is a boto3 client bound to the sandbox). Every
resource name starts with `prefix`, so several stacks can live side by side in one test.
The service uses the CODE_DEPLOY deployment controller and serves from the blue target
group behind the production listener; the test listener forwards to the blue group too,
as it does before a first deployment on AWS.
"""

import dataclasses
import json

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from .awsclients import DUMMY_CREDENTIALS, USER_AGENT_MARK
from .guard import assert_loopback

CODEDEPLOY_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
CODEDEPLOY_ECS_POLICY = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"
CONTAINER_NAME = "web"
CONTAINER_PORT = 80

# ARNs of CodeDeploy resources in moto's account and the default region, for read-backs.
APP_ARN = "arn:aws:codedeploy:us-east-1:123456789012:application:{}"
GROUP_ARN = "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:{}/{}"


@dataclasses.dataclass
class EcsStack:
    prefix: str
    vpc_id: str
    subnet_ids: list
    security_group_id: str
    load_balancer_arn: str
    blue_target_group: str  # names, as CodeDeploy's targetGroupPairInfoList wants them
    green_target_group: str
    blue_target_group_arn: str
    green_target_group_arn: str
    prod_listener_arn: str
    test_listener_arn: str
    role_name: str
    role_arn: str
    cluster: str
    service: str
    task_definition_arn: str

    def ecs_services(self):
        return [{"serviceName": self.service, "clusterName": self.cluster}]

    def load_balancer_info(self, with_test_listener=True):
        pair = {
            "targetGroups": [{"name": self.blue_target_group}, {"name": self.green_target_group}],
            "prodTrafficRoute": {"listenerArns": [self.prod_listener_arn]},
        }
        if with_test_listener:
            pair["testTrafficRoute"] = {"listenerArns": [self.test_listener_arn]}
        return {"targetGroupPairInfoList": [pair]}

    def deployment_group_args(self, application, group, **overrides):
        """Keyword arguments of a valid create_deployment_group call for this stack."""
        args = {
            "applicationName": application,
            "deploymentGroupName": group,
            "serviceRoleArn": self.role_arn,
            "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            "ecsServices": self.ecs_services(),
            "loadBalancerInfo": self.load_balancer_info(),
            "blueGreenDeploymentConfiguration": {
                "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
                "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
            },
        }
        args.update(overrides)
        return args


def make_ecs_stack(aws, prefix, cidr="10.0.0.0/16", cluster=None, service=None, role_name=None, environment=None, repository="canary-app"):
    """Create a VPC, an ALB with production (80) and test (8080) listeners, two ip target groups,
    a CodeDeploy service role, and an ECS cluster with a Fargate service under the CODE_DEPLOY
    controller, running <repository>:v1 (with `environment`: SANDBOX_* variables). Names start
    with `prefix` unless given. Returns an EcsStack of names and ARNs."""
    vpc_id, subnet_ids, security_group_id = _network(aws("ec2"), cidr)
    elbv2 = aws("elbv2")
    blue_name, green_name = f"{prefix}-blue", f"{prefix}-green"
    blue_arn = _target_group(elbv2, blue_name, vpc_id)
    green_arn = _target_group(elbv2, green_name, vpc_id)
    load_balancer_arn = elbv2.create_load_balancer(
        Name=f"{prefix}-alb",
        Subnets=subnet_ids,
        SecurityGroups=[security_group_id],
        Scheme="internet-facing",
        Type="application",
    )["LoadBalancers"][0]["LoadBalancerArn"]
    prod_listener_arn = _listener(elbv2, load_balancer_arn, 80, blue_arn)
    test_listener_arn = _listener(elbv2, load_balancer_arn, 8080, blue_arn)
    role_name = role_name or f"{prefix}-codedeploy"
    role_arn = _codedeploy_role(aws("iam"), role_name)
    cluster, service = cluster or f"{prefix}-cluster", service or f"{prefix}-service"
    task_definition_arn = _service(aws("ecs"), cluster, service, f"{prefix}-app", blue_arn, subnet_ids, security_group_id, environment, repository)
    return EcsStack(
        prefix=prefix,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        security_group_id=security_group_id,
        load_balancer_arn=load_balancer_arn,
        blue_target_group=blue_name,
        green_target_group=green_name,
        blue_target_group_arn=blue_arn,
        green_target_group_arn=green_arn,
        prod_listener_arn=prod_listener_arn,
        test_listener_arn=test_listener_arn,
        role_name=role_name,
        role_arn=role_arn,
        cluster=cluster,
        service=service,
        task_definition_arn=task_definition_arn,
    )


class SharedStack:
    """One stack reused by many tests, for tests that change only CodeDeploy state.

    A sandbox reset costs seconds (moto rebuilds its EC2 backend), so a module can build
    its stack once: get() returns it, rebuilding it only when a reset by another test
    (pytest-xdist interleaves modules) has removed it. Pair it with clear_codedeploy()
    instead of the resetting `aws` fixture.
    """

    def __init__(self, prefix, cidr="10.0.0.0/16"):
        self.prefix = prefix
        self.cidr = cidr
        self._stack = None

    def get(self, clients):
        if self._stack is None or not _service_exists(clients("ecs"), self._stack.cluster, self._stack.service):
            self._stack = make_ecs_stack(clients, self.prefix, cidr=self.cidr)
        return self._stack


def _service_exists(ecs, cluster, service):
    try:
        services = ecs.describe_services(cluster=cluster, services=[service])["services"]
    except ClientError:
        return False
    return bool(services) and services[0].get("status") == "ACTIVE"


def clear_codedeploy(codedeploy):
    """Delete every CodeDeploy application (with its groups) and custom deployment config."""
    for page in codedeploy.get_paginator("list_applications").paginate():
        for name in page["applications"]:
            codedeploy.delete_application(applicationName=name)
    for page in codedeploy.get_paginator("list_deployment_configs").paginate():
        for name in page["deploymentConfigsList"]:
            if not name.startswith("CodeDeployDefault."):
                codedeploy.delete_deployment_config(deploymentConfigName=name)


def _network(ec2, cidr):
    vpc_id = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    # task sets with a scale need DNS hostnames in moto (notes/local-aws.md)
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    base = cidr.split("/")[0].rsplit(".", 2)[0]  # "10.0"
    zones = [zone["ZoneName"] for zone in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnet_ids = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"{base}.{index}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for index, zone in enumerate(zones, start=1)
    ]
    security_group_id = ec2.create_security_group(GroupName=f"sg-{vpc_id}", Description="canary sandbox stack", VpcId=vpc_id)["GroupId"]
    return vpc_id, subnet_ids, security_group_id


def _target_group(elbv2, name, vpc_id):
    return elbv2.create_target_group(
        Name=name,
        Protocol="HTTP",
        Port=CONTAINER_PORT,
        VpcId=vpc_id,
        TargetType="ip",
        HealthCheckPath="/",
    )["TargetGroups"][0]["TargetGroupArn"]


def _listener(elbv2, load_balancer_arn, port, target_group_arn):
    return elbv2.create_listener(
        LoadBalancerArn=load_balancer_arn,
        Protocol="HTTP",
        Port=port,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group_arn}],
    )["Listeners"][0]["ListenerArn"]


def _codedeploy_role(iam, name):
    role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(CODEDEPLOY_TRUST_POLICY))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=CODEDEPLOY_ECS_POLICY)
    return role_arn


def _service(ecs, cluster, service, family, target_group_arn, subnet_ids, security_group_id, environment=None, repository="canary-app"):
    ecs.create_cluster(clusterName=cluster)
    task_definition_arn = register_version(ecs, family, "v1", environment, repository)
    ecs.create_service(
        cluster=cluster,
        serviceName=service,
        taskDefinition=task_definition_arn,
        desiredCount=2,
        launchType="FARGATE",
        deploymentController={"type": "CODE_DEPLOY"},
        loadBalancers=[{"targetGroupArn": target_group_arn, "containerName": CONTAINER_NAME, "containerPort": CONTAINER_PORT}],
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnet_ids, "securityGroups": [security_group_id], "assignPublicIp": "DISABLED"}},
    )
    return task_definition_arn


def error_of(call, *args, **kwargs):
    """The AWS error code a boto3 call fails with (AssertionError if it succeeds)."""
    try:
        call(*args, **kwargs)
    except ClientError as error:
        return error.response["Error"]["Code"]
    raise AssertionError(f"{getattr(call, '__name__', call)} succeeded; an AWS error was expected")


def unvalidated_client(sandbox, service, region="us-east-1"):
    """A client that sends what botocore would refuse (empty required strings), to reach the
    service's own checks such as ResourceArnRequiredException."""
    config = Config(parameter_validation=False, retries={"total_max_attempts": 1, "mode": "standard"}, user_agent_extra=USER_AGENT_MARK)
    return boto3.session.Session(region_name=region, **DUMMY_CREDENTIALS).client(service, endpoint_url=assert_loopback(sandbox.endpoint), config=config)


def register_version(ecs, family, version, environment=None, repository="canary-app"):
    """A revision of the app's task definition whose container runs <repository>:<version> (with `environment`)."""
    container = {
        "name": CONTAINER_NAME,
        "image": f"{repository}:{version}",
        "essential": True,
        # container-level memory: moto's create_task_set with a scale needs it (notes/local-aws.md)
        "memory": 512,
        "portMappings": [{"containerPort": CONTAINER_PORT, "protocol": "tcp"}],
    }
    if environment:
        container["environment"] = [{"name": name, "value": str(value)} for name, value in environment.items()]
    return ecs.register_task_definition(
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512", containerDefinitions=[container]
    )["taskDefinition"]["taskDefinitionArn"]


def create_task_set(ecs, stack, target_group_arn, task_definition_arn):
    """A task set of the stack's service behind `target_group_arn`, at 100% scale (as CodeDeploy creates them)."""
    return ecs.create_task_set(
        cluster=stack.cluster,
        service=stack.service,
        taskDefinition=task_definition_arn,
        launchType="FARGATE",
        loadBalancers=[{"targetGroupArn": target_group_arn, "containerName": CONTAINER_NAME, "containerPort": CONTAINER_PORT}],
        networkConfiguration={"awsvpcConfiguration": {"subnets": stack.subnet_ids, "securityGroups": [stack.security_group_id]}},
        scale={"value": 100, "unit": "PERCENT"},
    )["taskSet"]


def put_5xx_alarm(cloudwatch, name, dimensions=None, evaluation_periods=2, operator="GreaterThanOrEqualToThreshold", **extra):
    """The seed's alarm: ALB target 5xx, Sum per minute, 5 or more for `evaluation_periods` periods."""
    request = dict(
        AlarmName=name,
        Namespace="AWS/ApplicationELB",
        MetricName="HTTPCode_Target_5XX_Count",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=evaluation_periods,
        Threshold=5,
        ComparisonOperator=operator,
        **extra,
    )
    if dimensions:
        request["Dimensions"] = dimensions
    cloudwatch.put_metric_alarm(**request)
