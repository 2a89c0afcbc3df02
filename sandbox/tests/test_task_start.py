"""Tasks that start slowly or never: task set counts and stability, stopped tasks with ECS's reasons."""

import time

import pytest

from canary_sandbox import moto_fidelity
from canary_sandbox.engine.testing import Release, stack_with_group, task_sets, wait_for, wait_for_status
from canary_sandbox.stack import register_version

ALL_AT_ONCE = "CodeDeployDefault.ECSAllAtOnce"
REASONS = {
    "crash": ("EssentialContainerExited", "Essential container in task exited"),
    "health-check": ("ServiceSchedulerInitiated", "Task failed ELB health checks in (target-group "),
    "image-pull": ("TaskFailedToStart", "CannotPullContainerError: "),
}


@pytest.fixture(scope="module")
def stack(module_aws):
    return stack_with_group(module_aws, "start")


@pytest.fixture
def release(module_aws, stack):
    current = Release(module_aws, stack, "start")
    current.configure(config=ALL_AT_ONCE)
    yield current
    current.clean_up()


def replacement(module_aws, stack, release):
    return next((item for item in task_sets(module_aws, stack) if item["taskDefinition"] == release.new), None)


def stopped_tasks(ecs, stack, **filters):
    arns = ecs.list_tasks(cluster=stack.cluster, desiredStatus="STOPPED", **filters)["taskArns"]
    return ecs.describe_tasks(cluster=stack.cluster, tasks=arns)["tasks"] if arns else []


@pytest.mark.parametrize("failure", sorted(REASONS))
def test_a_task_that_never_starts_keeps_install_waiting_and_leaves_stopped_tasks(module_aws, stack, release, failure):
    ecs, codedeploy = module_aws("ecs"), module_aws("codedeploy")
    deployment_id = release.start(f"broken-{failure}", environment={"SANDBOX_START_FAILURE": failure, "SANDBOX_EXIT_CODE": 3})
    # earlier tests' stopped tasks stay listed (for an hour on AWS): this release's are its revision's
    tasks = wait_for(
        lambda: [task for task in stopped_tasks(ecs, stack, serviceName=stack.service) if task["taskDefinitionArn"] == release.new],
        timeout=15,
        what="a stopped task",
    )
    green = replacement(module_aws, stack, release)
    assert (green["stabilityStatus"], green["runningCount"], green["computedDesiredCount"]) == ("STABILIZING", 0, green["computedDesiredCount"])
    assert green["computedDesiredCount"] >= 1
    code, reason = REASONS[failure]
    task = tasks[0]
    assert (task["lastStatus"], task["desiredStatus"], task["stopCode"], task["startedBy"]) == ("STOPPED", "STOPPED", code, green["id"])
    assert task["stoppedReason"].startswith(reason), task["stoppedReason"]
    assert task["group"] == f"service:{stack.service}"
    container = task["containers"][0]
    assert container["lastStatus"] == "STOPPED"
    if failure == "crash":
        assert container["exitCode"] == 3
    else:
        assert "exitCode" not in container
    if failure == "image-pull":
        assert container["reason"].startswith("CannotPullContainerError") and "canary-app:broken-image-pull" in container["reason"]
    if failure == "health-check":
        assert release.idle in task["stoppedReason"]
    # by task set id too; and ListTasks without desiredStatus lists running tasks only, as AWS does
    assert [item["taskArn"] for item in stopped_tasks(ecs, stack, startedBy=green["id"])]
    assert not set(ecs.list_tasks(cluster=stack.cluster, serviceName=stack.service)["taskArns"]) & {item["taskArn"] for item in tasks}
    target = codedeploy.get_deployment_target(deploymentId=deployment_id, targetId=f"{stack.cluster}:{stack.service}")["deploymentTarget"]["ecsTarget"]
    events = {event["lifecycleEventName"]: event["status"] for event in target["lifecycleEvents"]}
    assert events["Install"] == "InProgress" and events["AllowTraffic"] == "Pending"
    [info] = [item for item in target["taskSetsInfo"] if item["taskSetLabel"] == "Green"]
    assert (info["runningCount"], info["desiredCount"]) == (0, green["computedDesiredCount"])
    assert release.share_of_new() == 0
    codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
    info = wait_for_status(codedeploy, deployment_id, ("Stopped",))
    release.assert_rolled_back(info)


def test_every_failed_attempt_adds_a_stopped_task_of_the_task_set(module_aws, stack, release, sandbox):
    ecs = module_aws("ecs")
    release.start("crashing", environment={"SANDBOX_START_FAILURE": "crash"})
    green = wait_for(lambda: replacement(module_aws, stack, release), timeout=5, what="the replacement task set")
    wait_for(lambda: len(stopped_tasks(ecs, stack, startedBy=green["id"])) >= 3, timeout=20, what="three stopped tasks")
    assert {task["taskDefinitionArn"] for task in stopped_tasks(ecs, stack, startedBy=green["id"])} == {release.new}


def test_a_slow_starting_task_set_stabilizes_late_and_the_deployment_succeeds(module_aws, stack, release, sandbox):
    codedeploy = module_aws("codedeploy")
    start_seconds = 120  # two sandbox minutes
    began = time.monotonic()
    deployment_id = release.start("slow", environment={"SANDBOX_START_SECONDS": start_seconds})
    green = wait_for(lambda: replacement(module_aws, stack, release), timeout=5, what="the replacement task set")
    assert green["stabilityStatus"] == "STABILIZING"
    wait_for_status(codedeploy, deployment_id, ("Succeeded",), timeout=30)
    assert time.monotonic() - began >= sandbox.clock.seconds(start_seconds / 60.0) * 0.9
    assert release.share_of_new() == 100


def test_right_after_a_reset_a_task_set_whose_tasks_never_ran_is_stabilizing(sandbox, aws):
    """A reset must not leave ECS answering STEADY_STATE until the data plane's next pass: a deployment
    started in between would install tasks that never ran (a race seen on a loaded CI host)."""
    assert moto_fidelity.counting_tasks(), "after a reset ECS no longer counts the data plane's tasks"
    ecs, ec2 = aws("ecs"), aws("ec2")
    subnet = ec2.describe_subnets()["Subnets"][0]
    group = ec2.create_security_group(GroupName="reset", Description="reset", VpcId=subnet["VpcId"])["GroupId"]
    network = {"awsvpcConfiguration": {"subnets": [subnet["SubnetId"]], "securityGroups": [group]}}
    ecs.create_cluster(clusterName="reset")
    arn = register_version(ecs, "reset", "v1", {"SANDBOX_START_FAILURE": "crash"})
    ecs.create_service(cluster="reset", serviceName="reset", desiredCount=2, launchType="FARGATE", deploymentController={"type": "EXTERNAL"})
    task_set = ecs.create_task_set(
        cluster="reset", service="reset", taskDefinition=arn, launchType="FARGATE", networkConfiguration=network, scale={"unit": "PERCENT", "value": 100}
    )["taskSet"]
    [read] = ecs.describe_task_sets(cluster="reset", service="reset", taskSets=[task_set["taskSetArn"]])["taskSets"]
    assert (read["stabilityStatus"], read["runningCount"], read["computedDesiredCount"]) == ("STABILIZING", 0, 2)
