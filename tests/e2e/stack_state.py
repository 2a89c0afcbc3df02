"""What a provisioned stack owns, read back through the sandbox's AWS APIs, and timing helpers
for the provision test modules (test_provision.py, test_provision_stacks.py)."""

import os
import time

TAG = "canary-ecs:stack"
AWSCALLS = os.path.join(os.path.dirname(__file__), "awscalls")


class StackState:
    """The stack's resources, read back through the AWS APIs of the sandbox."""

    def __init__(self, clients, name):
        self.clients = clients
        self.name = name

    def load_balancer(self):
        elb = self.clients("elbv2")
        found = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] == f"{self.name}-alb"]
        return found[0] if found else None

    def listeners(self):
        lb = self.load_balancer()
        if not lb:
            return {}
        listeners = self.clients("elbv2").describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
        return {listener["Port"]: listener for listener in listeners}

    def target_groups(self):
        elb = self.clients("elbv2")
        names = (f"{self.name}-app-tg-blue", f"{self.name}-app-tg-green")
        return {tg["TargetGroupName"]: tg for tg in elb.describe_target_groups()["TargetGroups"] if tg["TargetGroupName"] in names}

    def service(self):
        ecs = self.clients("ecs")
        try:
            services = ecs.describe_services(cluster=f"{self.name}-cluster", services=[f"{self.name}-canary-app-service"], include=["TAGS"])["services"]
        except ecs.exceptions.ClusterNotFoundException:
            return None
        active = [service for service in services if service["status"] == "ACTIVE"]
        return active[0] if active else None

    def revisions(self):
        ecs = self.clients("ecs")
        return ecs.list_task_definitions(familyPrefix=f"{self.name}-app", status="ACTIVE")["taskDefinitionArns"]

    def alarms(self):
        cloudwatch = self.clients("cloudwatch")
        return {alarm["AlarmName"]: alarm for alarm in cloudwatch.describe_alarms(AlarmNamePrefix=f"{self.name}-")["MetricAlarms"]}

    def deployment_group(self):
        codedeploy = self.clients("codedeploy")
        try:
            return codedeploy.get_deployment_group(applicationName=f"{self.name}-canary-app", deploymentGroupName=f"{self.name}-canary-app-dg")[
                "deploymentGroupInfo"
            ]
        except codedeploy.exceptions.ClientError:
            return None

    def owned(self):
        """Every resource that still carries the stack's tag, as (kind, id) pairs."""
        ec2, logs, iam = self.clients("ec2"), self.clients("logs"), self.clients("iam")
        tag_filter = [{"Name": f"tag:{TAG}", "Values": [self.name]}]
        left = [("vpc", vpc["VpcId"]) for vpc in ec2.describe_vpcs(Filters=tag_filter)["Vpcs"]]
        left += [("subnet", subnet["SubnetId"]) for subnet in ec2.describe_subnets(Filters=tag_filter)["Subnets"]]
        left += [("security group", group["GroupId"]) for group in ec2.describe_security_groups(Filters=tag_filter)["SecurityGroups"]]
        left += [("internet gateway", igw["InternetGatewayId"]) for igw in ec2.describe_internet_gateways(Filters=tag_filter)["InternetGateways"]]
        left += [("route table", table["RouteTableId"]) for table in ec2.describe_route_tables(Filters=tag_filter)["RouteTables"]]
        if self.load_balancer():
            left.append(("load balancer", f"{self.name}-alb"))
        left += [("target group", name) for name in self.target_groups()]
        left += [("alarm", name) for name in self.alarms()]
        if self.service():
            left.append(("service", self.service()["serviceName"]))
        left += [("task definition", arn) for arn in self.revisions()]
        clusters = self.clients("ecs").describe_clusters(clusters=[f"{self.name}-cluster"])["clusters"]
        left += [("cluster", c["clusterName"]) for c in clusters if c.get("status") == "ACTIVE"]
        groups = logs.describe_log_groups(logGroupNamePrefix=f"/ecs/{self.name}-app")["logGroups"]
        left += [("log group", group["logGroupName"]) for group in groups]
        for role in (f"{self.name}-ecs-task-execution", f"{self.name}-codedeploy-ecs"):
            try:
                iam.get_role(RoleName=role)
                left.append(("role", role))
            except iam.exceptions.NoSuchEntityException:
                pass
        if self.deployment_group():
            left.append(("deployment group", f"{self.name}-canary-app-dg"))
        applications = self.clients("codedeploy").list_applications()["applications"]
        left += [("application", app) for app in applications if app == f"{self.name}-canary-app"]
        return left


def forwarded(listener):
    """{target group name: weight} of a listener's default forward action."""
    action = listener["DefaultActions"][0]
    groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or [{"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}]
    return {group["TargetGroupArn"].split("/")[-2]: group.get("Weight", 1) for group in groups}


def register_image(ecs, current, image):
    """A revision of the described task definition `current` whose first container runs `image` (a release by hand)."""
    container = dict(current["containerDefinitions"][0], image=image)
    return ecs.register_task_definition(
        family=current["family"],
        containerDefinitions=[container],
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu=current["cpu"],
        memory=current["memory"],
        executionRoleArn=current["executionRoleArn"],
    )["taskDefinition"]["taskDefinitionArn"]


def timed(sandbox_env, run_playbook, name, extra_vars, tmp_path):
    """(run, seconds, AWS API calls) of one playbook run; the calls are counted at the client
    (awscalls/sitecustomize.py), since the sandbox's log also holds its own background work."""
    log = tmp_path / f"{name}-calls.log"
    env = {"PYTHONPATH": AWSCALLS, "CANARY_AWS_CALL_LOG": str(log)}
    start = time.monotonic()
    run = run_playbook(name, extra_vars=extra_vars, env=env)
    seconds = time.monotonic() - start
    calls = len(log.read_text(encoding="utf-8").splitlines()) if log.exists() else 0
    return run, seconds, calls
