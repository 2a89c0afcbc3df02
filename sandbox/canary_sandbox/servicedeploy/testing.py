"""A stack for ECS's own blue/green deployments, built through boto3 (sandbox and e2e tests).

stack = native_stack(aws, "bg", strategy="CANARY", canaryConfiguration={"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5})
arn = start(aws, stack, "v2")       # registers app:v2, UpdateService, the service deployment's ARN
wait_for_deployment(aws("ecs"), arn, {"SUCCESSFUL"})
"""

import dataclasses
import json

from ..engine.testing import target_5xx_alarms, wait_for
from ..stack import CONTAINER_NAME, CONTAINER_PORT, _network, _target_group, register_version

ECS_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@dataclasses.dataclass
class NativeStack:
    prefix: str
    cluster: str
    service: str
    family: str
    blue_target_group_arn: str
    green_target_group_arn: str
    prod_listener_arn: str
    test_listener_arn: str
    prod_rule_arn: str
    test_rule_arn: str
    role_arn: str
    load_balancer_name: str
    load_balancer_arn: str
    task_definition_arn: str


def forward(blue_arn, green_arn, blue=100, green=0):
    return [
        {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": blue_arn, "Weight": blue}, {"TargetGroupArn": green_arn, "Weight": green}]}}
    ]


def _listener_with_rule(elbv2, load_balancer_arn, port, blue_arn, green_arn):
    listener = elbv2.create_listener(
        LoadBalancerArn=load_balancer_arn,
        Protocol="HTTP",
        Port=port,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain", "MessageBody": "no rule"}}],
    )["Listeners"][0]["ListenerArn"]
    rule = elbv2.create_rule(
        ListenerArn=listener, Priority=1, Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}], Actions=forward(blue_arn, green_arn)
    )["Rules"][0]["RuleArn"]
    return listener, rule


def native_stack(
    aws, prefix, strategy="CANARY", alarms=None, hooks=None, bake_minutes=1, desired_count=2, cidr="10.0.0.0/16", environment=None, **strategy_settings
):
    """A load balancer with weighted rules, two target groups, the ECS infrastructure role and an
    ECS-controlled service with `strategy` (and its settings: canaryConfiguration=..., linearConfiguration=...);
    alarms=True: the seed's 5xx alarms on both target groups (`<prefix>-5xx-blue`/`-green`) roll it back."""
    ec2, elbv2, ecs, iam = aws("ec2"), aws("elbv2"), aws("ecs"), aws("iam")
    vpc_id, subnet_ids, security_group_id = _network(ec2, cidr)
    blue = _target_group(elbv2, f"{prefix}-blue", vpc_id)
    green = _target_group(elbv2, f"{prefix}-green", vpc_id)
    name = f"{prefix}-alb"
    balancer = elbv2.create_load_balancer(Name=name, Subnets=subnet_ids, SecurityGroups=[security_group_id], Scheme="internet-facing", Type="application")
    balancer_arn = balancer["LoadBalancers"][0]["LoadBalancerArn"]
    prod_listener, prod_rule = _listener_with_rule(elbv2, balancer_arn, 80, blue, green)
    test_listener, test_rule = _listener_with_rule(elbv2, balancer_arn, 8080, blue, green)
    role_arn = iam.create_role(RoleName=f"{prefix}-ecs-infrastructure", AssumeRolePolicyDocument=json.dumps(ECS_TRUST_POLICY))["Role"]["Arn"]
    cluster, service, family = f"{prefix}-cluster", f"{prefix}-service", f"{prefix}-app"
    ecs.create_cluster(clusterName=cluster)
    task_definition = register_version(ecs, family, "v1", environment)
    configuration = {"strategy": strategy, "bakeTimeInMinutes": bake_minutes, **strategy_settings}
    if alarms:  # the seed's 5xx alarm on each target group, with rollback
        names = target_5xx_alarms(aws("cloudwatch"), prefix, balancer_arn, blue, green)
        configuration["alarms"] = {"alarmNames": names, "enable": True, "rollback": True}
    if hooks:
        configuration["lifecycleHooks"] = hooks
    ecs.create_service(
        cluster=cluster,
        serviceName=service,
        taskDefinition=task_definition,
        desiredCount=desired_count,
        launchType="FARGATE",
        deploymentController={"type": "ECS"},
        deploymentConfiguration=configuration,
        loadBalancers=[
            {
                "targetGroupArn": blue,
                "containerName": CONTAINER_NAME,
                "containerPort": CONTAINER_PORT,
                "advancedConfiguration": {
                    "alternateTargetGroupArn": green,
                    "productionListenerRule": prod_rule,
                    "testListenerRule": test_rule,
                    "roleArn": role_arn,
                },
            }
        ],
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnet_ids, "securityGroups": [security_group_id], "assignPublicIp": "DISABLED"}},
    )
    return NativeStack(
        prefix, cluster, service, family, blue, green, prod_listener, test_listener, prod_rule, test_rule, role_arn, name, balancer_arn, task_definition
    )


def start(aws, stack, version, environment=None):
    """Register <family> running canary-app:<version> and update the service to it: the new service deployment's ARN."""
    ecs = aws("ecs")
    task_definition = register_version(ecs, stack.family, version, environment)
    ecs.update_service(cluster=stack.cluster, service=stack.service, taskDefinition=task_definition)
    return in_flight(ecs, stack)["serviceDeploymentArn"]


def in_flight(ecs, stack):
    found = ecs.list_service_deployments(
        cluster=stack.cluster, service=stack.service, status=["PENDING", "IN_PROGRESS", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS"]
    )
    return found["serviceDeployments"][0] if found["serviceDeployments"] else None


def describe(ecs, arn):
    return ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]


def wait_for_deployment(ecs, arn, statuses, timeout=60.0, stage=None):
    """The ServiceDeployment once its status is one of `statuses` (and its lifecycleStage is `stage`, if given)."""

    def reached():
        found = describe(ecs, arn)
        return found if found["status"] in statuses and (stage is None or found.get("lifecycleStage") == stage) else None

    return wait_for(reached, timeout, what=f"service deployment {arn} to reach {sorted(statuses)} {stage or ''}")


def rule_weights(elbv2, rule_arn):
    """{target group ARN: weight} of a rule's forward action."""
    actions = elbv2.describe_rules(RuleArns=[rule_arn])["Rules"][0]["Actions"]
    forward_action = next(action for action in actions if action["Type"] == "forward")
    return {group["TargetGroupArn"]: group["Weight"] for group in forward_action["ForwardConfig"]["TargetGroups"]}
