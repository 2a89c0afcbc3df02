"""A stack's whole life under a seeded share of throttling and 5xx answers, and cleanup.yml under
throttling of the very calls it makes besides. `make test` runs one seed (a stack's life is 8
minutes on a busy CI); CANARY_FAULT_SEEDS=101,202,303 runs more.

Every client call of every service (the sandbox's own engine and this test's read-backs are
never faulted) fails with the service's throttling code at RATE, and with a 503 at a smaller
rate. provision.yml, a release (deploy.yml), a second release stopped by rollback.yml, and
cleanup.yml must all come out as without faults: no deployment started twice, the first
release live after the rollback, and nothing the stack owned left behind. Before cleanup.yml,
each call of CLEANUP_FAULTS also fails its first times, so each is proven retried (one stack's
life for both: a provision is minutes of CPU on a busy CI).
"""

import os

import pytest
from release_helpers import lasting_config
from stack_state import StackState

from canary_sandbox.faults import clear_faults, inject_fault, injected_faults

RATE = 0.12
UNAVAILABLE_RATE = 0.02
# Each service's throttling answer, by the signing name of its requests.
THROTTLING = {
    "ec2": ("RequestLimitExceeded", 503),
    "elasticloadbalancing": ("Throttling", 400),
    "ecs": ("ThrottlingException", 400),
    "monitoring": ("Throttling", 400),
    "iam": ("Throttling", 400),
    "logs": ("ThrottlingException", 400),
    "codedeploy": ("ThrottlingException", 400),
    "sts": ("Throttling", 400),
}
SEEDS = tuple(int(seed) for seed in os.environ.get("CANARY_FAULT_SEEDS", "101").split(","))


def inject_random_faults(endpoint, seed):
    for offset, (service, (error, status)) in enumerate(sorted(THROTTLING.items())):
        inject_fault(endpoint, operation="*", service=service, error=error, status=status, rate=RATE, seed=seed + offset, count=100000)
    inject_fault(endpoint, operation="*", error="ServiceUnavailable", status=503, rate=UNAVAILABLE_RATE, seed=seed, count=100000)


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


@pytest.mark.parametrize("seed", SEEDS)
def test_a_stack_lives_through_random_throttling(seed, run_playbook, sandbox_env):
    name = f"e2erand{seed}"
    octet = 80 + SEEDS.index(seed)
    stack_vars = {"stack_name": name, "stack_vpc_cidr": f"10.{octet}.0.0/16", "stack_subnet_cidrs": [f"10.{octet}.0.0/24", f"10.{octet}.1.0/24"]}
    release = dict(stack_vars, release_poll_interval=1)
    state = StackState(sandbox_env.clients, name)
    codedeploy = sandbox_env.clients("codedeploy")
    inject_random_faults(sandbox_env.endpoint, seed)
    try:
        run_playbook("provision.yml", extra_vars=stack_vars)
        run_playbook("deploy.yml", "-e", "image_tag=v2", extra_vars=dict(release, release_deployment_config="CodeDeployDefault.ECSAllAtOnce"))
        # a canary step of real minutes: rollback.yml, slowed by the faults on a busy machine, meets it in flight
        in_flight = lasting_config(sandbox_env, f"{name}-in-flight", 600)
        run_playbook("deploy.yml", "-e", "image_tag=v3", extra_vars=dict(release, release_wait=False, release_deployment_config=in_flight))
        run_playbook("rollback.yml", extra_vars=release)
        deployments = codedeploy.list_deployments(applicationName=f"{name}-canary-app", deploymentGroupName=f"{name}-canary-app-dg")["deployments"]
        infos = [codedeploy.get_deployment(deploymentId=d)["deploymentInfo"] for d in deployments]
        live = state.service()
        image = sandbox_env.clients("ecs").describe_task_definition(taskDefinition=live["taskDefinition"])["taskDefinition"]["containerDefinitions"][0]["image"]
        for service, operation, error, status, count in CLEANUP_FAULTS:
            inject_fault(sandbox_env.endpoint, service=service, operation=operation, error=error, status=status, count=count)
        run_playbook("cleanup.yml", extra_vars=stack_vars)
        faults = injected_faults(sandbox_env.endpoint)
        met = sum(fault["hits"] for fault in faults if fault["operation"] == "*")
        targeted = {(fault["service"], fault["operation"]): fault["hits"] for fault in faults if fault["operation"] != "*"}
    finally:
        clear_faults(sandbox_env.endpoint)
        if state.owned():
            run_playbook("cleanup.yml", extra_vars=stack_vars)
    # the user's two releases, each started once; a rollback CodeDeploy started itself may follow
    started_by_user = [info for info in infos if info.get("creator") == "user"]
    assert len(started_by_user) == 2, [(info["deploymentId"], info["status"], info.get("creator")) for info in infos]
    assert sorted(info["status"] for info in started_by_user) == ["Stopped", "Succeeded"]
    assert image.endswith(":v2"), image
    assert state.owned() == []
    assert met >= 20, f"only {met} calls met a fault: the rate did not bite"
    # cleanup made each targeted call and retried past its errors (the upstream modules through
    # stack_aws_config's retries, ours through each service's throttling codes)
    assert len(targeted) == len(CLEANUP_FAULTS) and [key for key, hits in targeted.items() if hits == 0] == [], targeted
