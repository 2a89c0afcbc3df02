"""An interrupted provision: completed by the next provision.yml or removed by cleanup.yml, and a
resource in the way that is not the stack's named and left alone. Nine playbook runs on one stack
name, so the file has an e2e lane of its own; state is read back with boto3.
"""

from stack_state import TAG, StackState


def test_an_interrupted_provision_is_completed_or_removed(run_playbook, sandbox_env):
    """A provision that failed between creating a target group and tagging it (the upstream module
    does create, attributes, tags in three calls) leaves an untagged group with the stack's name.
    cleanup.yml removes it with the rest; a group left in a VPC that is gone is replaced by the
    next provision (a group cannot move: "Cannot modify VpcId"); one in the way that is not a
    leftover is named, and left alone."""
    from canary_sandbox.faults import clear_faults, inject_fault

    name = "e2ehalf"
    values = {"stack_name": name, "stack_vpc_cidr": "10.76.0.0/16", "stack_subnet_cidrs": ["10.76.0.0/24", "10.76.1.0/24"]}
    state = StackState(sandbox_env.clients, name)
    ec2, elb = sandbox_env.clients("ec2"), sandbox_env.clients("elbv2")
    blue = f"{name}-app-tg-blue"

    def tags(group):
        return {tag["Key"]: tag["Value"] for tag in elb.describe_tags(ResourceArns=[group["TargetGroupArn"]])["TagDescriptions"][0]["Tags"]}

    # 1. interrupted: the blue group is created, its tagging refused
    inject_fault(sandbox_env.endpoint, service="elasticloadbalancing", operation="AddTags", error="AccessDenied", status=403, count=1)
    try:
        run_playbook("provision.yml", expect_failure=True, extra_vars=values)
    finally:
        clear_faults(sandbox_env.endpoint)
    # (the loop goes on to the green group, which is tagged)
    assert blue in state.target_groups() and tags(state.target_groups()[blue]) == {}, "the interruption did not happen as staged"
    run_playbook("cleanup.yml", extra_vars=values)
    assert state.owned() == [], "cleanup.yml left the untagged target group of the interrupted provision (or more)"

    # 2. a leftover in a VPC that is gone: the next provision replaces it and completes the stack
    gone = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    elb.create_target_group(Name=blue, Protocol="HTTP", Port=80, VpcId=gone, TargetType="ip")
    ec2.delete_vpc(VpcId=gone)
    run_playbook("provision.yml", extra_vars=values)
    groups = state.target_groups()
    vpc = state.load_balancer()["VpcId"]
    assert {group["VpcId"] for group in groups.values()} == {vpc} and len(groups) == 2
    assert all(tags(group).get(TAG) == name for group in groups.values())

    # 2b. alarms and the first task definition are created, then tagged in a second call: an
    # interruption in between leaves them untagged, as untagging them here does. cleanup.yml
    # knows them (the alarms by the description only this stack's provision writes, the
    # revision by the stack's execution role it runs as) and removes them with the rest.
    cloudwatch, ecs = sandbox_env.clients("cloudwatch"), sandbox_env.clients("ecs")
    alarms = state.alarms()
    assert alarms, "provision.yml made no alarm"
    for alarm in alarms.values():
        cloudwatch.untag_resource(ResourceARN=alarm["AlarmArn"], TagKeys=[TAG])
    first = ecs.describe_task_definition(taskDefinition=f"{name}-app:1")["taskDefinition"]["taskDefinitionArn"]
    ecs.untag_resource(resourceArn=first, tagKeys=[TAG])
    run_playbook("cleanup.yml", extra_vars=values)
    assert state.owned() == []
    assert state.alarms() == {}, "cleanup.yml left the untagged alarms of an interrupted provision"
    assert ecs.list_task_definitions(familyPrefix=f"{name}-app", status="ACTIVE")["taskDefinitionArns"] == [], "cleanup.yml left the untagged revision"

    # 2c. interrupted after the cluster: it was created with its ownership tag in the same call,
    # so cleanup.yml alone removes it (no later provision needed to adopt it)
    inject_fault(sandbox_env.endpoint, service="ecs", operation="CreateService", error="AccessDeniedException", status=400, count=1)
    try:
        run_playbook("provision.yml", expect_failure=True, extra_vars=values)
    finally:
        clear_faults(sandbox_env.endpoint)
    cluster = ecs.describe_clusters(clusters=[f"{name}-cluster"], include=["TAGS"])["clusters"]
    assert [c["status"] for c in cluster] == ["ACTIVE"] and not state.service(), "the interruption did not happen as staged"
    assert {"key": TAG, "value": name} in cluster[0].get("tags", []), "the cluster was created without its ownership tag"
    run_playbook("cleanup.yml", extra_vars=values)
    assert state.owned() == [], "cleanup.yml left what the interrupted provision made (the cluster?)"

    # 3. a group of the stack's name in another VPC that exists and is not the stack's: named, kept
    other = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
    foreign = elb.create_target_group(Name=blue, Protocol="HTTP", Port=80, VpcId=other, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    try:
        run = run_playbook("provision.yml", expect_failure=True, extra_vars=values)
        assert f"Target group {blue}" in run.stdout and other in run.stdout and "stack_blue_target_group_name" in run.stdout, run.stdout[-3000:]
        assert [group["TargetGroupArn"] for group in state.target_groups().values()] == [foreign], "provision.yml touched the group in the way"
        run_playbook("cleanup.yml", extra_vars=values)
        assert [group["TargetGroupArn"] for group in state.target_groups().values()] == [foreign], "cleanup.yml removed a group that is not the stack's"
        assert state.owned() == [("target group", blue)]
    finally:
        elb.delete_target_group(TargetGroupArn=foreign)
        ec2.delete_vpc(VpcId=other)
