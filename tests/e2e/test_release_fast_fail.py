"""Fast fail: a new version whose tasks never run is rolled back within release_fast_fail_minutes, naming why.

Through deploy.yml against the sandbox: the container crashes at start (exit code 3), fails its
target group's health checks, or its image cannot be pulled (the sandbox's SANDBOX_START_FAILURE).
Read back: the deployment stopped with rollback long before CodeDeploy's hour, the original task
set alone and primary, the live image unchanged, and the reason ECS gives in the play's message
and result. A version that takes two minutes to become healthy goes through.
"""

import pytest
from release_helpers import alarms_quiet, minute_seconds, release_result, release_vars, version_of

FAST_FAIL_MINUTES = 4
ALL_AT_ONCE = "CodeDeployDefault.ECSAllAtOnce"
FAILURES = {
    "crash": "Essential container in task exited (container app exit code 3)",
    "health-check": "Task failed ELB health checks in (target-group ",
    "image-pull": "CannotPullContainerError: ",
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_version_that_never_starts_is_rolled_back_naming_why(failure, stack, sandbox_env, run_playbook):
    alarms_quiet(sandbox_env, stack)
    live_before = stack.live_image()
    tag = f"never-starts-{failure}"
    run = run_playbook(
        "deploy.yml",
        "-e",
        f"image_tag={tag}",
        expect_failure=True,
        extra_vars=release_vars(
            sandbox_env.endpoint,
            release_environment={"SANDBOX_START_FAILURE": failure, "SANDBOX_EXIT_CODE": "3"},
            release_fast_fail_minutes=FAST_FAIL_MINUTES,
        ),
    )
    result = release_result(run)
    ended = result["outcome"]
    assert ended["rolled_back"] and not ended["succeeded"], result["msg"]
    found = ended["startup"]
    assert found["failed"] and found["running_count"] == 0 and found["desired_count"] >= 1 and found["stopped_count"] >= 1, found
    assert found["reasons"][0]["reason"].startswith(FAILURES[failure]), found["reasons"]
    assert f"did not all run within fast_fail_minutes ({FAST_FAIL_MINUTES})" in result["msg"] and FAILURES[failure] in result["msg"]
    assert "0/" in run.stderr + run.stdout and "tasks running" in run.stderr + run.stdout  # the progress lines showed the tasks
    # read back: stopped with rollback by fast fail, well before CodeDeploy's own hour
    deployment = [d for d in stack.user_deployments() if d["deploymentId"] == result["deployment_id"]][0]
    assert deployment["status"] == "Stopped" and deployment["rollbackInfo"]["rollbackDeploymentId"]
    took_minutes = (deployment["completeTime"] - deployment["createTime"]).total_seconds() / minute_seconds(sandbox_env.endpoint)
    assert FAST_FAIL_MINUTES <= took_minutes < FAST_FAIL_MINUTES + 10, took_minutes
    assert stack.live_image() == live_before and version_of(stack.live_image()) != tag
    assert [task_set["status"] for task_set in stack.task_sets()] == ["PRIMARY"]
    # the stopped tasks ECS reports are this release's revision
    ecs = sandbox_env.clients("ecs")
    arns = ecs.list_tasks(cluster=stack.cluster, serviceName=stack.service, desiredStatus="STOPPED")["taskArns"]
    revisions = {task["taskDefinitionArn"] for task in ecs.describe_tasks(cluster=stack.cluster, tasks=arns)["tasks"]}
    assert result["task_definition_arn"] in revisions


def test_a_version_slow_to_become_healthy_goes_through(stack, sandbox_env, run_playbook):
    alarms_quiet(sandbox_env, stack)
    run = run_playbook(
        "deploy.yml",
        "-e",
        "image_tag=slow-start",
        extra_vars=release_vars(
            sandbox_env.endpoint,
            release_environment={"SANDBOX_START_SECONDS": "120", "SANDBOX_START_FAILURE": ""},
            release_fast_fail_minutes=FAST_FAIL_MINUTES,
            release_deployment_config=ALL_AT_ONCE,
        ),
    )
    result = release_result(run)
    assert result["outcome"]["succeeded"] and result["outcome"]["startup"] is None, result["msg"]
    assert version_of(stack.live_image()) == "slow-start"
    # it waited for its tasks: the timeline shows the replacement's tasks missing for a while
    install = [event for event in result["observation"]["lifecycle_events"] if event["name"] == "Install"][0]
    assert (install["end_time"] - install["start_time"]) / minute_seconds(sandbox_env.endpoint) >= 1.5
    # the stack is shared: the next tests' releases start from a version that starts at once
    run_playbook(
        "deploy.yml",
        "-e",
        "image_tag=starts-at-once",
        extra_vars=release_vars(sandbox_env.endpoint, release_environment={"SANDBOX_START_SECONDS": "0"}, release_deployment_config=ALL_AT_ONCE),
    )
