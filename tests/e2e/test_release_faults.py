"""Releases when AWS misbehaves: throttling while a release bakes, and a refused CreateDeployment.

Faults are injected into the sandbox (canary_sandbox.faults): the next N requests of the
code under test for an operation fail with an AWS error. The sandbox's own calls and the
tests' read-backs are never faulted.
"""

import pytest
from release_helpers import release_result, release_vars, version_of

from canary_sandbox.faults import clear_faults, inject_fault, injected_faults

# The release modules share the provisioned stack: pytest-xdist (make e2e, --dist loadgroup) runs them on one worker.


@pytest.fixture
def faults(sandbox_env):
    yield lambda **spec: inject_fault(sandbox_env.endpoint, **spec)
    clear_faults(sandbox_env.endpoint)


def _next_tag(stack, *candidates):
    live = version_of(stack.live_image())
    return next(tag for tag in candidates if tag != live)


def test_a_release_rides_out_throttling_while_it_bakes(stack, sandbox_env, run_playbook, faults):
    assert stack.in_flight() == [], "a release is still in flight"
    new = _next_tag(stack, "v20", "v21")
    known = [d["deploymentId"] for d in stack.deployments()]
    # every kind of call a release makes while it waits, throttled several times over
    for service, operation, count in (
        ("codedeploy", "GetDeployment", 6),
        ("codedeploy", "BatchGetDeploymentTargets", 3),
        ("monitoring", "DescribeAlarms", 3),
        ("codedeploy", "CreateDeployment", 2),
        ("ecs", "RegisterTaskDefinition", 2),
    ):
        faults(operation=operation, service=service, error="ThrottlingException", message="Rate exceeded", count=count)
    run = run_playbook("deploy.yml", "-e", "image_tag=" + new, extra_vars=release_vars(sandbox_env.endpoint))
    result = release_result(run)
    assert result["changed"] is True and result["status"] == "Succeeded", result.get("msg")
    # each fault was met, and retried past
    assert [(f["operation"], f["remaining"]) for f in injected_faults(sandbox_env.endpoint) if f["remaining"]] == []
    # read back: one new deployment, Succeeded, the new tag live
    (deployment,) = [d for d in stack.deployments() if d["deploymentId"] not in known]
    assert deployment["status"] == "Succeeded"
    assert stack.live_image().endswith(":" + new)


def test_a_deployment_codedeploy_refuses_leaves_nothing_behind(stack, sandbox_env, run_playbook, faults):
    assert stack.in_flight() == [], "a release is still in flight"
    revisions, deployments, live = stack.revisions(), stack.deployments(), stack.live_image()
    new = _next_tag(stack, "v22", "v23")
    faults(
        operation="CreateDeployment",
        service="codedeploy",
        error="AccessDeniedException",
        status=400,
        count=1,
        message="User: arn:aws:iam::123456789012:user/ci is not authorized to perform: codedeploy:CreateDeployment",
    )
    run = run_playbook("deploy.yml", "-e", "image_tag=" + new, extra_vars=release_vars(sandbox_env.endpoint), expect_failure=True)
    message = release_result(run)["msg"]
    assert message.startswith("Failed to start the CodeDeploy deployment (the revision "), message
    assert "registered for it was deregistered again; nothing else changed)" in message
    assert "not authorized to perform: codedeploy:CreateDeployment" in message
    # read back: no new ACTIVE revision, no deployment, the same image live
    assert stack.revisions() == revisions
    assert [d["deploymentId"] for d in stack.deployments()] == [d["deploymentId"] for d in deployments]
    assert stack.live_image() == live


def test_lost_answers_are_recognised_followed_and_cleaned_up(stack, sandbox_env, run_playbook, faults):
    """RegisterTaskDefinition and CreateDeployment are carried out but their answers are lost (500):
    botocore retries, ECS registers the revision twice and CodeDeploy refuses the second deployment,
    naming the first. The release follows its own deployment to the end and leaves one new revision."""
    assert stack.in_flight() == [], "a release is still in flight"
    revisions, known = stack.revisions(), [d["deploymentId"] for d in stack.deployments()]
    new = _next_tag(stack, "v24", "v25")
    faults(operation="RegisterTaskDefinition", service="ecs", error="ServerException", status=500, lost=True)
    faults(operation="CreateDeployment", service="codedeploy", error="InternalFailure", status=500, lost=True)
    run = run_playbook("deploy.yml", "-e", "image_tag=" + new, extra_vars=release_vars(sandbox_env.endpoint))
    result = release_result(run)
    assert result["status"] == "Succeeded" and result["outcome"]["succeeded"], result.get("msg")
    assert [f["hits"] for f in injected_faults(sandbox_env.endpoint)] == [1, 1]
    # read back: one deployment started, it ran to the end on the revision the release returned
    (deployment,) = [d for d in stack.deployments() if d["deploymentId"] not in known]
    assert deployment["deploymentId"] == result["deployment_id"] and deployment["status"] == "Succeeded"
    assert stack.live_task_definition()["taskDefinitionArn"] == result["task_definition_arn"]
    assert stack.live_image().endswith(":" + new)
    # the revision the lost registration left is deregistered: exactly one new ACTIVE revision
    added = [arn for arn in stack.revisions() if arn not in revisions]
    assert added == [result["task_definition_arn"]], added
    assert any("retried registration" in warning for warning in result.get("warnings", [])), result.get("warnings")
    assert any("this very revision" in warning for warning in result.get("warnings", [])), result.get("warnings")
