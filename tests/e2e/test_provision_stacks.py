"""provision.yml and cleanup.yml for stacks with a story of their own: what cleanup leaves
alone, and two stacks sharing a cluster and an application (the last cleaned up with a release in
flight). Each test uses its own stack name; state is read back with boto3. (An interrupted
provision: test_provision_interrupted.py, a lane of its own.)
"""

import json
import time

from release_helpers import lasting_config
from stack_state import TAG, StackState, register_image

from canary_sandbox.stack import put_5xx_alarm

FOREIGN = "e2eforeign"


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


def start_a_long_bake(sandbox_env, cluster, service, application, group):
    """A canary release of the stack's service started with CodeDeploy directly, with a bake long enough
    that it is still in flight when cleanup.yml comes to it, however busy the machine (the stack's
    15-minute canary lasts seconds on the sandbox's clock); returns (deployment id, config name)."""
    ecs, codedeploy = sandbox_env.clients("ecs"), sandbox_env.clients("codedeploy")
    live = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
    current = ecs.describe_task_definition(taskDefinition=live["taskDefinition"])["taskDefinition"]
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
    config = lasting_config(sandbox_env, f"{group}-long-bake")
    deployment_id = codedeploy.create_deployment(
        applicationName=application,
        deploymentGroupName=group,
        deploymentConfigName=config,
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": json.dumps(appspec)}},
    )["deploymentId"]
    deadline = time.monotonic() + 120
    while codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"] not in ("InProgress", "Baking"):
        assert time.monotonic() < deadline, "the sandbox never started the deployment"
        time.sleep(1)
    return deployment_id, config


def test_two_stacks_share_a_cluster_and_an_application(run_playbook, sandbox_env):
    """The first stack keeps a shared cluster and application; its cleanup hands them to the other
    stack instead of deleting the other's service and deployment group; the last cleanup removes them,
    stopping (with rollback) the canary release in flight on the remaining stack's service (one test:
    each provision is minutes of CPU on a busy CI)."""
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

    deployment_id, config = start_a_long_bake(sandbox_env, cluster, f"{second}-canary-app-service", application, f"{second}-canary-app-dg")
    run_playbook("cleanup.yml", extra_vars=stacks[second])
    assert (cluster_owner(), application_owner()) == (None, None), "the last stack's cleanup left the shared cluster or application"
    for name in (first, second):
        assert StackState(sandbox_env.clients, name).owned() == []
    assert codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"] in ("Stopped", "Failed"), "cleanup.yml left the release in flight"
    codedeploy.delete_deployment_config(deploymentConfigName=config)  # not one of the stack's configs
