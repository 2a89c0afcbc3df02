"""provision.yml and cleanup.yml end to end, against a sandbox process.

One stack (its own prefix, so other e2e tests' stacks never mix with it) goes through:
bad inputs (fail before any write, naming the variable), a fresh provision (every resource
read back), a re-run (no task changed), a simulated completed release (green live, a new
task definition revision) and a re-run (nothing moves), cleanup (nothing the stack owned
is left) and cleanup again (no-op). Another prefix checks that cleanup leaves alone what
merely has the stack's names. Everything is asserted on state read back with boto3.
"""

import json
import os
import time

import pytest
import yaml

from canary_sandbox.stack import put_5xx_alarm

STACK = "e2eprov"
FOREIGN = "e2eforeign"
TAG = "canary-ecs:stack"


# --------------------------------------------------------------------------- helpers


class StackState:
    """The stack's resources, read back through the AWS APIs of the sandbox."""

    def __init__(self, clients, name=STACK):
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


AWSCALLS = os.path.join(os.path.dirname(__file__), "awscalls")


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


@pytest.fixture(scope="module")
def stack_vars():
    return {"stack_name": STACK, "stack_vpc_cidr": "10.71.0.0/16", "stack_subnet_cidrs": ["10.71.0.0/24", "10.71.1.0/24"]}


@pytest.fixture(scope="module")
def state(sandbox_env):
    return StackState(sandbox_env.clients)


@pytest.fixture(scope="module")
def figures():
    """Timings and request counts, printed at the end of the module (pytest -s shows them)."""
    collected = {}
    yield collected
    for name, (seconds, calls) in collected.items():
        print(f"\n{name}: {seconds:.1f} s, {calls} AWS API calls")


# --------------------------------------------------------------------------- bad inputs

BAD_INPUTS = [
    ({"stack_name": "x" * 30}, "stack_name"),
    ({"stack_name": "9lives"}, "stack_name"),
    ({"stack_listener_port": "eighty"}, "stack_listener_port"),
    ({"stack_test_listener_port": 80}, "stack_test_listener_port"),
    ({"stack_cpu": "300"}, "stack_cpu"),
    ({"stack_memory": "100"}, "stack_memory"),
    ({"stack_image": "Not An Image"}, "stack_image"),
    ({"stack_deployment_config": "NoSuchConfig"}, "stack_deployment_config"),
    ({"stack_subnet_cidrs": ["10.71.0.0/24"]}, "stack_subnet_cidrs"),
    ({"stack_create_network": False}, "stack_existing_vpc_id"),
    ({"stack_rollback_events": ["WHEN_I_SAY_SO"]}, "stack_rollback_events"),
    ({"stack_environment": ["not", "a", "dict"]}, "stack_environment"),
    ({"stack_5xx_threshold": 0}, "stack_5xx_threshold"),
    ({"stack_log_retention_days": 13}, "stack_log_retention_days"),
    ({"stack_ready_wait_minutes": "soon"}, "stack_ready_wait_minutes"),
    ({"stack_ready_wait_minutes": 2881}, "stack_ready_wait_minutes"),
    # values only AWS would refuse, after some resources existed: checked first
    ({"stack_deployment_config": "CodeDeployDefault.ECSCanary50Percent1Minutes"}, "stack_deployment_config"),
    ({"stack_custom_deployment_configs": [{"name": "c", "traffic_routing": "canary", "percentage": 0, "interval": 5}]}, "stack_custom_deployment_configs"),
    ({"stack_custom_deployment_configs": [{"name": "c", "traffic_routing": "linear", "percentage": 100, "interval": 1}]}, "stack_custom_deployment_configs"),
    ({"stack_custom_deployment_configs": [{"name": "c", "traffic_routing": "canary", "percentage": 10, "interval": -1}]}, "stack_custom_deployment_configs"),
    ({"stack_extra_alarm_names": ["no-such-alarm"]}, "stack_extra_alarm_names"),
    ({"stack_tags": {"k" * 129: "v"}}, "stack_tags"),
    ({"stack_subnet_cidrs": ["10.72.0.0/24", "10.71.1.0/24"]}, "stack_subnet_cidrs"),
    ({"stack_subnet_cidrs": ["10.71.0.0/24", "10.71.0.0/25"]}, "stack_subnet_cidrs"),
    ({"aws_region": "us-east-9"}, "aws_region"),
]


@pytest.mark.parametrize("override,variable", BAD_INPUTS, ids=[variable for _, variable in BAD_INPUTS])
def test_bad_input_fails_naming_the_variable_before_any_write(override, variable, run_playbook, stack_vars, state):
    run = run_playbook("provision.yml", extra_vars=dict(stack_vars, **override), expect_failure=True)
    failed = [task for task in run.tasks if task["result"].get("failed") and not task["result"].get("skipped")]
    messages = " ".join(str(task["result"].get("msg", "")) for task in failed) + run.stdout + run.stderr
    assert variable in messages, f"the failure does not name {variable}: {messages[-2000:]}"
    # no task that writes ran: every task before the failure was a check
    assert not run.changed_tasks
    assert state.owned() == []


# --------------------------------------------------------------------------- the life of a stack


def test_check_mode_on_a_fresh_account_lists_what_it_would_create(run_playbook, stack_vars, state):
    """--check --diff before anything exists: no id is known yet, and nothing may fail or be made."""
    run = run_playbook("provision.yml", "--diff", check=True, extra_vars=stack_vars)
    would = [str(task["result"].get("msg")) for task in run.tasks if task["task"] == "What the run would create" and task["result"].get("changed")]
    assert any(f"VPC {STACK}-vpc" in message for message in would), would
    assert any(f"load balancer {STACK}-alb" in message and f"target group {STACK}-app-tg-blue" in message for message in would), would
    assert any(f"service {STACK}-canary-app-service" in message for message in would), would
    assert any(f"deployment group {STACK}-canary-app / {STACK}-canary-app-dg" in message for message in would), would
    # the resources that need no other id are compared as usual
    assert run.task("VPC")["changed"] and run.task("Cluster")["changed"] and run.task("CodeDeploy application")["changed"]
    assert "nothing was changed" in " ".join(run.task("What a real run would do")["msg"])
    assert state.owned() == []


def test_provision_creates_every_resource(run_playbook, stack_vars, state, sandbox_env, figures, tmp_path):
    run, seconds, calls = timed(sandbox_env, run_playbook, "provision.yml", stack_vars, tmp_path)
    figures["fresh provision"] = (seconds, calls)

    tgs = state.target_groups()
    assert set(tgs) == {f"{STACK}-app-tg-blue", f"{STACK}-app-tg-green"}
    for tg in tgs.values():
        assert tg["TargetType"] == "ip" and tg["Port"] == 80 and tg["HealthCheckPath"] == "/"
    listeners = state.listeners()
    assert set(listeners) == {80, 8080}
    assert forwarded(listeners[80]) == {f"{STACK}-app-tg-blue": 1}
    assert forwarded(listeners[8080]) == {f"{STACK}-app-tg-blue": 1}

    alarms = state.alarms()
    assert set(alarms) == {
        f"{STACK}-Canary-5XX-Error-Alarm-blue",
        f"{STACK}-Canary-5XX-Error-Alarm-green",
        f"{STACK}-Canary-Latency-p99-Alarm-blue",
        f"{STACK}-Canary-Latency-p99-Alarm-green",
    }
    seed = alarms[f"{STACK}-Canary-5XX-Error-Alarm-green"]
    assert (seed["MetricName"], seed["Statistic"], seed["Period"], seed["EvaluationPeriods"], seed["Threshold"], seed["ComparisonOperator"]) == (
        "HTTPCode_Target_5XX_Count",
        "Sum",
        60,
        2,
        5.0,
        "GreaterThanOrEqualToThreshold",
    )
    dimensions = {d["Name"]: d["Value"] for d in seed["Dimensions"]}
    assert dimensions["TargetGroup"] == tgs[f"{STACK}-app-tg-green"]["TargetGroupArn"].split(":")[-1]

    service = state.service()
    assert service["deploymentController"]["type"] == "CODE_DEPLOY"
    assert service["launchType"] == "FARGATE" and service["desiredCount"] == 2
    assert service["loadBalancers"][0]["targetGroupArn"] == tgs[f"{STACK}-app-tg-blue"]["TargetGroupArn"]
    assert {t["key"]: t["value"] for t in service["tags"]}[TAG] == STACK
    taskdef = state.clients("ecs").describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    assert taskdef["containerDefinitions"][0]["image"] == "public.ecr.aws/nginx/nginx:v1"
    assert (taskdef["cpu"], taskdef["memory"], taskdef["networkMode"]) == ("256", "512", "awsvpc")

    group = state.deployment_group()
    assert group["deploymentConfigName"] == "CodeDeployDefault.ECSCanary10Percent15Minutes"
    assert group["ecsServices"] == [{"serviceName": f"{STACK}-canary-app-service", "clusterName": f"{STACK}-cluster"}]
    assert sorted(a["name"] for a in group["alarmConfiguration"]["alarms"]) == sorted(alarms)
    assert group["alarmConfiguration"]["enabled"] is True
    assert group["autoRollbackConfiguration"]["enabled"] is True
    assert set(group["autoRollbackConfiguration"]["events"]) == {"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"}
    pair = group["loadBalancerInfo"]["targetGroupPairInfoList"][0]
    assert [tg["name"] for tg in pair["targetGroups"]] == [f"{STACK}-app-tg-blue", f"{STACK}-app-tg-green"]
    assert pair["prodTrafficRoute"]["listenerArns"] == [listeners[80]["ListenerArn"]]
    assert pair["testTrafficRoute"]["listenerArns"] == [listeners[8080]["ListenerArn"]]
    # no approval wait by default: traffic moves as soon as the new task set is ready
    assert group["blueGreenDeploymentConfiguration"]["deploymentReadyOption"] == {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0}

    summary = " ".join(map(str, run.task("What to do next")["msg"]))
    assert f"{STACK}-canary-app-dg" in summary and "deploy.yml -e image_tag=v2" in summary and "URL: http://" in summary


def test_provision_again_changes_nothing(run_playbook, stack_vars, state, sandbox_env, figures, tmp_path):
    revisions = state.revisions()
    run, seconds, calls = timed(sandbox_env, run_playbook, "provision.yml", stack_vars, tmp_path)
    figures["provision re-run"] = (seconds, calls)
    assert run.changed_tasks == []
    assert state.revisions() == revisions


def test_check_mode_on_the_stack_previews_a_change_without_making_it(run_playbook, stack_vars, state):
    unchanged = run_playbook("provision.yml", "--diff", check=True, extra_vars=stack_vars)
    assert unchanged.changed_tasks == []

    change = {"stack_deployment_config": "CodeDeployDefault.ECSLinear10PercentEvery1Minutes", "stack_5xx_threshold": 9}
    run = run_playbook("provision.yml", "--diff", check=True, extra_vars=dict(stack_vars, **change))
    group_task = run.task("Deployment group (blue/green, alarms, automatic rollback)")
    assert group_task["changed"] and "CodeDeployDefault.ECSLinear10PercentEvery1Minutes" in json.dumps(group_task.get("diff"))
    assert run.task("Alarms on each target group")["changed"]
    assert set(run.changed_tasks) == {"Deployment group (blue/green, alarms, automatic rollback)", "Alarms on each target group"}
    # read back: the preview changed nothing
    assert state.deployment_group()["deploymentConfigName"] == "CodeDeployDefault.ECSCanary10Percent15Minutes"
    assert {alarm["Threshold"] for name, alarm in state.alarms().items() if "5XX" in name} == {5.0}


def as_command_line(values):
    """-e key=value for each, as a user types them: every value arrives as a string."""
    args = []
    for key, value in values.items():
        args += ["-e", "%s=%s" % (key, str(value).lower() if isinstance(value, bool) else value)]
    return args


def test_numbers_and_switches_given_with_e_key_value_are_accepted(run_playbook, stack_vars, state):
    """Every number and switch of vars/stack.yml given as -e key=value (a string) is checked, cast and idempotent."""
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "playbooks", "vars", "stack.yml"), encoding="utf-8") as handle:
        defaults = yaml.safe_load(handle)
    typed = {key: value for key, value in defaults.items() if isinstance(value, (bool, int, float))}
    assert {"stack_listener_port", "stack_desired_count", "stack_ready_wait_minutes", "stack_latency_threshold", "stack_create_network"} <= set(typed)
    group_task = "canary.ecs.codedeploy : Deployment group (blue/green, alarms, automatic rollback)"
    run = run_playbook("provision.yml", *as_command_line(dict(typed, stack_ready_wait_minutes=5)), extra_vars=stack_vars)
    assert run.changed_tasks == [group_task]
    ready = state.deployment_group()["blueGreenDeploymentConfiguration"]["deploymentReadyOption"]
    assert ready == {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 5}
    run = run_playbook("provision.yml", *as_command_line(typed), extra_vars=stack_vars)
    assert run.changed_tasks == [group_task]  # back to no approval wait; nothing else differs (desired count, ports, ...)
    ready = state.deployment_group()["blueGreenDeploymentConfiguration"]["deploymentReadyOption"]
    assert ready == {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0}


def test_a_number_that_is_not_one_fails_naming_the_variable(run_playbook, stack_vars, state):
    run = run_playbook("provision.yml", "-e", "stack_ready_wait_minutes=five", extra_vars=stack_vars, expect_failure=True)
    assert "stack_ready_wait_minutes" in run.stdout and run.changed_tasks == []


def test_provision_with_an_approval_wait_and_back(run_playbook, stack_vars, state):
    run = run_playbook("provision.yml", extra_vars=dict(stack_vars, stack_ready_wait_minutes=30))
    assert run.changed_tasks == ["canary.ecs.codedeploy : Deployment group (blue/green, alarms, automatic rollback)"]
    ready = state.deployment_group()["blueGreenDeploymentConfiguration"]["deploymentReadyOption"]
    assert ready == {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30}
    run = run_playbook("provision.yml", extra_vars=stack_vars)
    assert run.changed_tasks == ["canary.ecs.codedeploy : Deployment group (blue/green, alarms, automatic rollback)"]
    ready = state.deployment_group()["blueGreenDeploymentConfiguration"]["deploymentReadyOption"]
    assert ready == {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0}


def test_provision_after_a_release_moves_nothing(run_playbook, stack_vars, state):
    """Green live and a new revision, as CodeDeploy leaves them after a release: provision keeps both."""
    elb, ecs = state.clients("elbv2"), state.clients("ecs")
    tgs = state.target_groups()
    green = tgs[f"{STACK}-app-tg-green"]["TargetGroupArn"]
    blue = tgs[f"{STACK}-app-tg-blue"]["TargetGroupArn"]
    released = {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": blue, "Weight": 0}, {"TargetGroupArn": green, "Weight": 100}]}}
    for listener in state.listeners().values():
        elb.modify_listener(ListenerArn=listener["ListenerArn"], DefaultActions=[released])
    service = state.service()
    current = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    v2 = register_image(ecs, current, "public.ecr.aws/nginx/nginx:v2")
    # moto lets update_service change a CODE_DEPLOY service's task definition, as a release would
    ecs.update_service(cluster=service["clusterArn"], service=service["serviceName"], taskDefinition=v2)
    revisions = state.revisions()

    run = run_playbook("provision.yml", extra_vars=stack_vars)

    assert run.changed_tasks == []
    for port, listener in state.listeners().items():
        assert forwarded(listener) == {f"{STACK}-app-tg-blue": 0, f"{STACK}-app-tg-green": 100}, port
    assert state.service()["taskDefinition"] == v2
    assert state.revisions() == revisions
    summary = " ".join(map(str, run.task("What to do next")["msg"]))
    assert "Traffic is where CodeDeploy left it" in summary


def test_cleanup_removes_everything_the_stack_owned(run_playbook, stack_vars, state, sandbox_env, figures, tmp_path):
    run, seconds, calls = timed(sandbox_env, run_playbook, "cleanup.yml", stack_vars, tmp_path)
    figures["cleanup"] = (seconds, calls)
    assert run.changed_tasks
    assert state.owned() == []


def test_cleanup_again_changes_nothing(run_playbook, stack_vars, state):
    run = run_playbook("cleanup.yml", extra_vars=stack_vars)
    assert run.changed_tasks == []
    assert state.owned() == []


def test_cleanup_leaves_what_the_stack_did_not_create(run_playbook, sandbox_env):
    """Resources with a stack's names but without its tag survive that stack's cleanup."""
    logs, iam, cloudwatch = (sandbox_env.clients(name) for name in ("logs", "iam", "cloudwatch"))
    logs.create_log_group(logGroupName=f"/ecs/{FOREIGN}-app")
    iam.create_role(RoleName=f"{FOREIGN}-ecs-task-execution", AssumeRolePolicyDocument="{}")
    alarm = f"{FOREIGN}-Canary-5XX-Error-Alarm-blue"
    put_5xx_alarm(cloudwatch, alarm)
    try:
        run = run_playbook("cleanup.yml", extra_vars={"stack_name": FOREIGN})
        assert run.changed_tasks == []
        assert logs.describe_log_groups(logGroupNamePrefix=f"/ecs/{FOREIGN}-app")["logGroups"]
        assert iam.get_role(RoleName=f"{FOREIGN}-ecs-task-execution")["Role"]
        assert cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    finally:
        logs.delete_log_group(logGroupName=f"/ecs/{FOREIGN}-app")
        iam.delete_role(RoleName=f"{FOREIGN}-ecs-task-execution")
        cloudwatch.delete_alarms(AlarmNames=[alarm])


def test_cleanup_stops_a_deployment_in_flight_and_removes_the_stack(run_playbook, sandbox_env):
    """A service in the middle of a canary release: cleanup stops it (with rollback) and removes everything."""
    name = "e2eflight"
    stack_vars = {"stack_name": name, "stack_vpc_cidr": "10.72.0.0/16", "stack_subnet_cidrs": ["10.72.0.0/24", "10.72.1.0/24"]}
    run_playbook("provision.yml", extra_vars=stack_vars)
    state = StackState(sandbox_env.clients, name)
    ecs, codedeploy = sandbox_env.clients("ecs"), sandbox_env.clients("codedeploy")
    current = ecs.describe_task_definition(taskDefinition=state.service()["taskDefinition"])["taskDefinition"]
    v2 = register_image(ecs, current, "public.ecr.aws/nginx/nginx:v2")
    appspec = {
        "version": 0.0,
        "Resources": [
            {
                "TargetService": {
                    "Type": "AWS::ECS::Service",
                    "Properties": {"TaskDefinition": v2, "LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 80}},
                }
            }
        ],
    }
    deployment_id = codedeploy.create_deployment(
        applicationName=f"{name}-canary-app",
        deploymentGroupName=f"{name}-canary-app-dg",
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": json.dumps(appspec)}},
    )["deploymentId"]
    deadline = time.monotonic() + 120
    while codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"] not in ("InProgress", "Baking"):
        assert time.monotonic() < deadline, "the sandbox never started the deployment"
        time.sleep(1)

    run_playbook("cleanup.yml", extra_vars=stack_vars)

    assert state.owned() == []
    assert codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"] in ("Stopped", "Failed")


def test_two_stacks_share_a_cluster_and_an_application(run_playbook, sandbox_env):
    """The first stack keeps a shared cluster and application; its cleanup hands them to the other
    stack instead of deleting the other's service and deployment group; the last cleanup removes them."""
    cluster, application = "e2eshared-cluster", "e2eshared-app"
    first, second = "e2eshara", "e2esharb"
    stacks = {
        name: {
            "stack_name": name,
            "stack_cluster_name": cluster,
            "stack_application_name": application,
            "stack_vpc_cidr": f"10.{octet}.0.0/16",
            "stack_subnet_cidrs": [f"10.{octet}.0.0/24", f"10.{octet}.1.0/24"],
        }
        for name, octet in ((first, 74), (second, 75))
    }
    ecs, codedeploy = sandbox_env.clients("ecs"), sandbox_env.clients("codedeploy")

    def cluster_owner():
        found = ecs.describe_clusters(clusters=[cluster], include=["TAGS"])["clusters"]
        active = [item for item in found if item["status"] == "ACTIVE"]
        return {tag["key"]: tag["value"] for tag in active[0].get("tags", [])}.get(TAG) if active else None

    def application_owner():
        if application not in codedeploy.list_applications()["applications"]:
            return None
        arn = f"arn:aws:codedeploy:us-east-1:123456789012:application:{application}"
        return {tag["Key"]: tag["Value"] for tag in codedeploy.list_tags_for_resource(ResourceArn=arn)["Tags"]}.get(TAG)

    def services():
        if cluster_owner() is None:
            return []
        arns = ecs.list_services(cluster=cluster)["serviceArns"]
        described = ecs.describe_services(cluster=cluster, services=arns)["services"] if arns else []
        return sorted(item["serviceName"] for item in described if item["status"] == "ACTIVE")

    def groups():
        return sorted(codedeploy.list_deployment_groups(applicationName=application)["deploymentGroups"]) if application_owner() else []

    run_playbook("provision.yml", extra_vars=stacks[first])
    run_playbook("provision.yml", extra_vars=stacks[second])
    assert (cluster_owner(), application_owner()) == (first, first), "the second stack took over what the first one made"
    assert services() == [f"{first}-canary-app-service", f"{second}-canary-app-service"]
    assert groups() == [f"{first}-canary-app-dg", f"{second}-canary-app-dg"]

    run_playbook("cleanup.yml", extra_vars=stacks[first])
    assert services() == [f"{second}-canary-app-service"], "the first stack's cleanup touched the second's service"
    assert groups() == [f"{second}-canary-app-dg"], "the first stack's cleanup touched the second's deployment group"
    assert (cluster_owner(), application_owner()) == (second, second), "the cluster and application were not handed on"
    run = run_playbook("provision.yml", extra_vars=stacks[second])
    assert run.changed_tasks == [], f"provision of the remaining stack changed {run.changed_tasks}"

    run_playbook("cleanup.yml", extra_vars=stacks[second])
    assert (cluster_owner(), application_owner()) == (None, None), "the last stack's cleanup left the shared cluster or application"
    for name in (first, second):
        assert StackState(sandbox_env.clients, name).owned() == []


# Throttling and 5xx answers on the calls cleanup.yml makes through the upstream modules (and ours):
# (service signing name, operation, error, status, count).
CLEANUP_FAULTS = (
    ("ecs", "DescribeServices", "ThrottlingException", 400, 2),
    ("ecs", "DeleteService", "ThrottlingException", 400, 1),
    ("ecs", "ListTagsForResource", "ThrottlingException", 400, 2),
    ("ecs", "DeleteCluster", "ServerException", 500, 1),
    ("elasticloadbalancing", "DescribeTargetGroups", "Throttling", 400, 2),
    ("elasticloadbalancing", "DeleteLoadBalancer", "Throttling", 400, 1),
    ("ec2", "DescribeSecurityGroups", "RequestLimitExceeded", 503, 2),
    ("ec2", "DeleteVpc", "RequestLimitExceeded", 503, 1),
    ("monitoring", "DescribeAlarms", "Throttling", 400, 2),
    ("iam", "DeleteRole", "Throttling", 400, 1),
)


def test_cleanup_rides_out_throttling_and_leaves_nothing(run_playbook, sandbox_env):
    """The upstream modules get retries from stack_aws_config, ours retry each service's throttling codes."""
    from canary_sandbox.faults import clear_faults, inject_fault, injected_faults

    name = "e2ethrottle"
    values = {"stack_name": name, "stack_vpc_cidr": "10.73.0.0/16", "stack_subnet_cidrs": ["10.73.0.0/24", "10.73.1.0/24"]}
    run_playbook("provision.yml", extra_vars=values)
    state = StackState(sandbox_env.clients, name)
    assert state.owned(), "provision.yml created nothing"
    try:
        for service, operation, error, status, count in CLEANUP_FAULTS:
            inject_fault(sandbox_env.endpoint, service=service, operation=operation, error=error, status=status, count=count)
        run_playbook("cleanup.yml", extra_vars=values)
        met = {(fault["service"], fault["operation"]): fault["hits"] for fault in injected_faults(sandbox_env.endpoint)}
    finally:
        clear_faults(sandbox_env.endpoint)
    assert state.owned() == []
    # the faults were really met: cleanup made these calls and retried past their errors
    assert [key for key, hits in met.items() if hits == 0] == [], met
