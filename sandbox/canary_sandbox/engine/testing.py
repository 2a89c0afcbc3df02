"""Helpers for tests that run CodeDeploy deployments against the sandbox (sandbox and e2e tests).

content = appspec_content(task_definition_arn)
deployment_id = aws("codedeploy").create_deployment(..., revision=appspec_revision(content))["deploymentId"]
info = wait_for_status(aws("codedeploy"), deployment_id, {"Succeeded"})
"""

import hashlib
import json
import time

from ..stack import make_ecs_stack

ROLLBACK_EVENTS = ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST")


def appspec(task_definition_arn, container_name="web", container_port=80, hooks=None, **properties):
    """An ECS AppSpec document (dict)."""
    target_properties = {
        "TaskDefinition": task_definition_arn,
        "LoadBalancerInfo": {"ContainerName": container_name, "ContainerPort": container_port},
    }
    target_properties.update(properties)
    document = {"version": 0.0, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": target_properties}}]}
    if hooks:
        document["Hooks"] = [{event: function} for event, function in hooks.items()]
    return document


def appspec_content(task_definition_arn, **kwargs):
    return json.dumps(appspec(task_definition_arn, **kwargs))


def appspec_revision(content, sha256=True):
    """A CreateDeployment revision of type AppSpecContent; sha256 True computes it, a string is sent as is."""
    body = {"content": content}
    if sha256 is True:
        body["sha256"] = hashlib.sha256(content.encode("utf-8")).hexdigest()
    elif sha256:
        body["sha256"] = sha256
    return {"revisionType": "AppSpecContent", "appSpecContent": body}


def wait_for(predicate, timeout, interval=0.05, what="condition"):
    """Poll predicate() until it returns something truthy; bounded by timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def wait_for_status(codedeploy, deployment_id, statuses, timeout=30.0):
    """The DeploymentInfo once its status is one of `statuses`."""

    def reached():
        info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        return info if info["status"] in statuses else None

    return wait_for(reached, timeout, what=f"deployment {deployment_id} to reach {sorted(statuses)}")


def green_percent(elbv2, listener_arn, green_target_group_arn):
    """The share (0-100) of a listener's traffic that goes to a target group."""
    actions = elbv2.describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]["DefaultActions"]
    for action in actions:
        if action.get("Type") != "forward":
            continue
        groups = (action.get("ForwardConfig") or {}).get("TargetGroups")
        if not groups:
            return 100 if action.get("TargetGroupArn") == green_target_group_arn else 0
        total = sum(group.get("Weight", 1) for group in groups) or 1
        return round(100 * sum(group.get("Weight", 1) for group in groups if group["TargetGroupArn"] == green_target_group_arn) / total)
    return 0


def new_image(aws, stack, tag, environment=None):
    """A new revision of the stack's task definition with another image tag (and SANDBOX_* variables: {name: value})."""
    ecs = aws("ecs")
    current = ecs.describe_task_definition(taskDefinition=stack.task_definition_arn)["taskDefinition"]
    variables = [{"name": name, "value": str(value)} for name, value in (environment or {}).items()]
    containers = [
        dict(container, image=f"canary-app:{tag}", environment=(container.get("environment") or []) + variables)
        for container in current["containerDefinitions"]
    ]
    return ecs.register_task_definition(
        family=current["family"],
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=containers,
    )["taskDefinition"]["taskDefinitionArn"]


def setup_group(aws, stack, name, termination_wait=0, **overrides):
    """An ECS application and deployment group, both called `name`, for a canary_sandbox/stack.py stack."""
    codedeploy = aws("codedeploy")
    if name not in codedeploy.list_applications()["applications"]:
        codedeploy.create_application(applicationName=name, computePlatform="ECS")
    args = stack.deployment_group_args(name, name, **overrides)
    termination = args["blueGreenDeploymentConfiguration"].setdefault("terminateBlueInstancesOnDeploymentSuccess", {"action": "TERMINATE"})
    termination["terminationWaitTimeInMinutes"] = termination_wait
    codedeploy.create_deployment_group(**args)


def stack_with_alarms(aws, name, threshold=1, **group):
    """A stack and its deployment group, all called `name`, stopped and rolled back by the seed's 5xx alarm on each
    target group (`<name>-5xx-blue`/`-green`, a Sum of `threshold` errors in a minute); `group` overrides the
    group's arguments (deploymentConfigName, ...)."""
    built = make_ecs_stack(aws, name)
    alarms = target_5xx_alarms(aws("cloudwatch"), name, built.load_balancer_arn, built.blue_target_group_arn, built.green_target_group_arn, threshold)
    group.setdefault("alarmConfiguration", {"enabled": True, "alarms": [{"name": alarm} for alarm in alarms]})
    group.setdefault("autoRollbackConfiguration", {"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]})
    setup_group(aws, built, name, **group)
    return built


def target_5xx_alarms(cloudwatch, name, load_balancer_arn, blue_target_group_arn, green_target_group_arn, threshold=1):
    """The seed's 5xx alarm on each target group, `<name>-5xx-blue`/`-green` (a Sum of `threshold` errors in a minute): their names."""
    load_balancer = load_balancer_arn.split(":loadbalancer/", 1)[1]
    alarms = []
    for color, arn in (("blue", blue_target_group_arn), ("green", green_target_group_arn)):
        alarms.append(f"{name}-5xx-{color}")
        cloudwatch.put_metric_alarm(
            AlarmName=alarms[-1],
            Namespace="AWS/ApplicationELB",
            MetricName="HTTPCode_Target_5XX_Count",
            Dimensions=[{"Name": "TargetGroup", "Value": arn.split(":")[-1]}, {"Name": "LoadBalancer", "Value": load_balancer}],
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=threshold,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching",
        )
    return alarms


def stack_with_group(aws, name):
    """A canary_sandbox/stack.py stack with its application and deployment group, all called `name`."""
    built = make_ecs_stack(aws, name)
    setup_group(aws, built, name)
    return built


def deploy(aws, stack, name, tag, environment=None, **kwargs):
    """Start a deployment of a new image tag to the group `name`: (deployment id, task definition ARN)."""
    task_definition = new_image(aws, stack, tag, environment)
    deployment_id = aws("codedeploy").create_deployment(
        applicationName=name,
        deploymentGroupName=name,
        revision=appspec_revision(appspec_content(task_definition)),
        **kwargs,
    )["deploymentId"]
    return deployment_id, task_definition


def task_sets(aws, stack):
    """The stack service's task sets as ECS describes them."""
    return aws("ecs").describe_task_sets(cluster=stack.cluster, service=stack.service)["taskSets"]


class Release:
    """A deployment group on a canary_sandbox/stack.py stack, as a test finds it, and a way to release.

    live/idle: the target group serving production / the one the next release goes to;
    serving: the task definition of the primary task set; new: the one last released.
    """

    def __init__(self, aws, stack, group):
        self.aws = aws
        self.stack = stack
        self.group = group
        self.codedeploy = aws("codedeploy")
        # the reconciler gives the new service its primary task set within a second
        [primary] = wait_for(lambda: task_sets(aws, stack), timeout=5, what="the primary task set")
        self.serving = primary["taskDefinition"]
        self.live = primary["loadBalancers"][0]["targetGroupArn"]
        self.idle = ({stack.blue_target_group_arn, stack.green_target_group_arn} - {self.live}).pop()
        self.new = None
        assert self.share_of_new() == 0

    def configure(
        self,
        config="CodeDeployDefault.ECSCanary10Percent15Minutes",
        alarms=None,
        ignore_poll_failure=False,
        rollback=None,
        termination_wait=0,
        ready=None,
        termination_action="TERMINATE",
    ):
        """Give the group a full configuration (so nothing leaks from the previous test)."""
        self.codedeploy.update_deployment_group(
            applicationName=self.group,
            currentDeploymentGroupName=self.group,
            deploymentConfigName=config,
            alarmConfiguration={"enabled": bool(alarms), "ignorePollAlarmFailure": ignore_poll_failure, "alarms": [{"name": name} for name in alarms or []]},
            autoRollbackConfiguration=rollback or {"enabled": True, "events": list(ROLLBACK_EVENTS)},
            blueGreenDeploymentConfiguration={
                "terminateBlueInstancesOnDeploymentSuccess": {"action": termination_action, "terminationWaitTimeInMinutes": termination_wait},
                "deploymentReadyOption": ready or {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
            },
        )

    def start(self, tag, **kwargs):
        deployment_id, task_definition = deploy(self.aws, self.stack, self.group, tag, **kwargs)
        self.new = task_definition
        return deployment_id

    def share_of_new(self, listener_arn=None):
        return green_percent(self.aws("elbv2"), listener_arn or self.stack.prod_listener_arn, self.idle)

    def wait_for_canary(self):
        wait_for(lambda: self.share_of_new() == 10, timeout=10, what="the canary share")

    def wait_for_termination_wait(self, deployment_id):
        wait_for(
            lambda: self.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["instanceTerminationWaitTimeStarted"],
            timeout=10,
            what="the termination wait",
        )

    def assert_rolled_back(self, info):
        """All traffic on the live group, test listener restored, only the original task set left and primary."""
        assert self.share_of_new() == 0
        assert self.share_of_new(self.stack.test_listener_arn) == 0
        sets = task_sets(self.aws, self.stack)
        assert [(s["status"], s["taskDefinition"], s["loadBalancers"][0]["targetGroupArn"]) for s in sets] == [("PRIMARY", self.serving, self.live)]
        rollback_id = info["rollbackInfo"]["rollbackDeploymentId"]
        rollback = self.codedeploy.get_deployment(deploymentId=rollback_id)["deploymentInfo"]
        assert rollback["creator"] == "codeDeployRollback"
        assert rollback["status"] == "Succeeded"
        assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == info["deploymentId"]
        return rollback

    def clean_up(self):
        """Leave the stack as the next test expects it: no active deployment, one primary task set serving all traffic."""
        for deployment_id in self.codedeploy.list_deployments(
            applicationName=self.group, deploymentGroupName=self.group, includeOnlyStatuses=["Created", "InProgress", "Ready"]
        )["deployments"]:
            self.codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
            wait_for_status(self.codedeploy, deployment_id, {"Succeeded", "Failed", "Stopped"}, timeout=5)
        live = self.live
        for task_set in task_sets(self.aws, self.stack):  # what a stop without rollback or KEEP_ALIVE leaves behind
            if task_set["status"] == "PRIMARY":
                live = task_set["loadBalancers"][0]["targetGroupArn"]
            else:
                self.aws("ecs").delete_task_set(cluster=self.stack.cluster, service=self.stack.service, taskSet=task_set["taskSetArn"], force=True)
        for listener in (self.stack.prod_listener_arn, self.stack.test_listener_arn):
            self.aws("elbv2").modify_listener(ListenerArn=listener, DefaultActions=[{"Type": "forward", "TargetGroupArn": live}])
