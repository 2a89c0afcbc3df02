"""ECS and ECR answers where moto differs from AWS, read back as the AWS CLI reads them."""

import datetime

from canary_sandbox.engine.testing import wait_for
from canary_sandbox.stack import create_task_set, make_ecs_stack, register_version


def register(ecs, family):
    return ecs.register_task_definition(family=family, containerDefinitions=[{"name": "app", "image": "canary-app:v1", "memory": 128}])["taskDefinition"]


def test_a_task_definition_says_when_and_by_whom_it_was_registered(aws):
    ecs = aws("ecs")
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    registered = register(ecs, "fidelity")
    described = ecs.describe_task_definition(taskDefinition="fidelity:1")["taskDefinition"]
    for answer in (registered, described):
        assert before <= answer["registeredAt"] <= datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=5)
        assert answer["registeredBy"] == "arn:aws:iam::123456789012:root"


def test_list_task_definitions_sorts_and_pages_as_aws_does(aws):
    ecs = aws("ecs")
    for _ in range(3):
        register(ecs, "fidelity")
    register(ecs, "another")
    first = ecs.list_task_definitions(familyPrefix="fidelity", sort="DESC", maxResults=2)
    assert [arn.rsplit(":", 1)[-1] for arn in first["taskDefinitionArns"]] == ["3", "2"] and first["nextToken"]
    rest = ecs.list_task_definitions(familyPrefix="fidelity", sort="DESC", maxResults=2, nextToken=first["nextToken"])
    assert [arn.rsplit(":", 1)[-1] for arn in rest["taskDefinitionArns"]] == ["1"] and "nextToken" not in rest
    every = [arn.rsplit("/", 1)[-1] for page in ecs.get_paginator("list_task_definitions").paginate() for arn in page["taskDefinitionArns"]]
    assert every == ["another:1", "fidelity:1", "fidelity:2", "fidelity:3"]  # by family, then revision


def counts(ecs, stack):
    service = ecs.describe_services(cluster=stack.cluster, services=[stack.service])["services"][0]
    task_sets = {
        task_set["taskSetArn"]: (task_set["computedDesiredCount"], task_set["runningCount"], task_set["pendingCount"])
        for task_set in ecs.describe_task_sets(cluster=stack.cluster, service=stack.service)["taskSets"]
    }
    return (service["runningCount"], service["pendingCount"]), task_sets


def wait_for_service_counts(ecs, stack, running, pending=0):
    """(service counts, task set counts) once the service reports `running` and `pending` tasks."""

    def reached():
        # the service's counts and its task sets' are two reads of the data plane: wait until both agree
        found = counts(ecs, stack)
        agreed = (sum(item[1] for item in found[1].values()), sum(item[2] for item in found[1].values())) == (running, pending)
        return found if found[0] == (running, pending) and found[1] and agreed else None

    return wait_for(reached, 10, what=f"{running} running and {pending} pending tasks")


def test_task_sets_and_the_service_count_the_tasks_that_run(aws):
    ecs = aws("ecs")
    stack = make_ecs_stack(aws, "counts")
    ecs.update_service(cluster=stack.cluster, service=stack.service, desiredCount=5)
    # the engine gives the service its primary task set; the data plane starts its tasks
    _, task_sets = wait_for_service_counts(ecs, stack, 5)
    assert list(task_sets.values()) == [(5, 5, 0)]
    green = create_task_set(ecs, stack, stack.green_target_group_arn, register_version(ecs, "counts-app", "v2"))
    ecs.update_task_set(cluster=stack.cluster, service=stack.service, taskSet=green["taskSetArn"], scale={"value": 30.0, "unit": "PERCENT"})
    # AWS rounds the desired count of a task set up: 5 x 30% = 1.5 -> 2
    _, task_sets = wait_for_service_counts(ecs, stack, 7)
    assert task_sets[green["taskSetArn"]] == (2, 2, 0)
    ecs.update_task_set(cluster=stack.cluster, service=stack.service, taskSet=green["taskSetArn"], scale={"value": 0.0, "unit": "PERCENT"})
    _, task_sets = wait_for_service_counts(ecs, stack, 5)
    assert task_sets[green["taskSetArn"]] == (0, 0, 0)


def test_a_task_sets_desired_count_rounds_up_and_nothing_runs_unseen():
    from canary_sandbox import moto_fidelity

    assert moto_fidelity.computed_desired_count(5, {"value": 30.0, "unit": "PERCENT"}) == 2
    assert moto_fidelity.computed_desired_count(4, {"value": 50.0, "unit": "PERCENT"}) == 2
    assert moto_fidelity.computed_desired_count(3, {"value": 0.0, "unit": "PERCENT"}) == 0
    assert moto_fidelity.running("no-such-task-set", 4) == 0


def test_a_target_group_lists_every_default_attribute_as_aws_does(aws):

    ec2, elbv2 = aws("ec2"), aws("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.91.0.0/16")["Vpc"]["VpcId"]
    group = elbv2.create_target_group(Name="defaults", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")["TargetGroups"][0]
    attributes = {item["Key"]: item["Value"] for item in elbv2.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])["Attributes"]}
    assert attributes["stickiness.enabled"] == "false" and attributes["stickiness.type"] == "lb_cookie"
    assert attributes["stickiness.lb_cookie.duration_seconds"] == "86400"
    assert attributes["stickiness.app_cookie.duration_seconds"] == "86400"
    elbv2.modify_target_group_attributes(
        TargetGroupArn=group["TargetGroupArn"],
        Attributes=[{"Key": "stickiness.enabled", "Value": "true"}, {"Key": "stickiness.lb_cookie.duration_seconds", "Value": "600"}],
    )
    attributes = {item["Key"]: item["Value"] for item in elbv2.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])["Attributes"]}
    assert (attributes["stickiness.enabled"], attributes["stickiness.lb_cookie.duration_seconds"]) == ("true", "600")


def test_a_service_keeps_its_health_check_grace_period_from_creation(aws):
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="grace")
    register(ecs, "grace")
    created = ecs.create_service(cluster="grace", serviceName="web", taskDefinition="grace:1", desiredCount=0, healthCheckGracePeriodSeconds=45)["service"]
    described = ecs.describe_services(cluster="grace", services=["web"])["services"][0]
    assert created["healthCheckGracePeriodSeconds"] == described["healthCheckGracePeriodSeconds"] == 45
    ecs.update_service(cluster="grace", service="web", healthCheckGracePeriodSeconds=90)
    assert ecs.describe_services(cluster="grace", services=["web"])["services"][0]["healthCheckGracePeriodSeconds"] == 90


def test_a_cluster_counts_its_services_and_is_not_deleted_under_them(aws):
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="busy")
    register(ecs, "busy")
    ecs.create_service(cluster="busy", serviceName="web", taskDefinition="busy:1", desiredCount=0)
    ecs.update_service(cluster="busy", service="web", desiredCount=1)
    ecs.update_service(cluster="busy", service="web", desiredCount=0)
    cluster = ecs.describe_clusters(clusters=["busy"])["clusters"][0]
    assert (cluster["activeServicesCount"], cluster["runningTasksCount"], cluster["pendingTasksCount"]) == (1, 0, 0)
    try:
        ecs.delete_cluster(cluster="busy")
        raise AssertionError("DeleteCluster deleted a cluster with an ACTIVE service")
    except ecs.exceptions.ClusterContainsServicesException as error:
        assert "Services are active" in str(error)
    assert ecs.describe_clusters(clusters=["busy"])["clusters"][0]["status"] == "ACTIVE"
    ecs.delete_service(cluster="busy", service="web")
    cluster = ecs.describe_clusters(clusters=["busy"])["clusters"][0]
    assert (cluster["activeServicesCount"], cluster["runningTasksCount"], cluster["pendingTasksCount"]) == (0, 0, 0)
    assert ecs.delete_cluster(cluster="busy")["cluster"]["status"] == "INACTIVE"


def test_a_service_without_security_groups_gets_its_vpcs_default(aws):
    ec2, ecs = aws("ec2"), aws("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24")["Subnet"]["SubnetId"]
    default = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    ecs.create_cluster(clusterName="nosg")
    register(ecs, "nosg")
    ecs.create_service(
        cluster="nosg",
        serviceName="web",
        taskDefinition="nosg:1",
        desiredCount=0,
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "assignPublicIp": "DISABLED"}},
    )
    described = ecs.describe_services(cluster="nosg", services=["web"])["services"][0]
    assert described["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [default[0]["GroupId"]]


def test_a_target_group_lists_the_load_balancer_a_changed_listener_forwards_from(aws):
    ec2, elbv2 = aws("ec2"), aws("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.79.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.79.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"] for i, z in ((1, "a"), (2, "b"))
    ]
    balancer = elbv2.create_load_balancer(Name="lbarns", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    blue, green = (
        elbv2.create_target_group(Name=n, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        for n in ("lb-blue", "lb-green")
    )
    listener = elbv2.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": blue}])[
        "Listeners"
    ][0]
    assert elbv2.describe_target_groups(TargetGroupArns=[green])["TargetGroups"][0]["LoadBalancerArns"] == []
    weighted = {"TargetGroups": [{"TargetGroupArn": blue, "Weight": 90}, {"TargetGroupArn": green, "Weight": 10}]}
    elbv2.modify_listener(ListenerArn=listener["ListenerArn"], DefaultActions=[{"Type": "forward", "ForwardConfig": weighted}])
    elbv2.create_rule(
        ListenerArn=listener["ListenerArn"],
        Priority=1,
        Conditions=[{"Field": "path-pattern", "Values": ["/x"]}],
        Actions=[{"Type": "forward", "TargetGroupArn": blue}],
    )
    for arn in (blue, green):
        assert elbv2.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]["LoadBalancerArns"] == [balancer]


def test_a_tag_pushed_again_moves_and_the_old_image_stays_readable_by_its_digest(aws):
    from canary_sandbox.ecr import push_image

    ecr = aws("ecr")
    first = push_image(aws, "fidelity-retag", "latest", content="build-1")
    second = push_image(aws, "fidelity-retag", "latest", content="build-2")
    assert first != second
    # the tag names the new image; the old one is still there, untagged (no imageTags key, as the AWS CLI shows it)
    [tagged] = ecr.describe_images(repositoryName="fidelity-retag", imageIds=[{"imageTag": "latest"}])["imageDetails"]
    assert tagged["imageDigest"] == second
    [old] = ecr.describe_images(repositoryName="fidelity-retag", imageIds=[{"imageDigest": first}])["imageDetails"]
    assert "imageTags" not in old
    assert {image["imageDigest"] for image in ecr.describe_images(repositoryName="fidelity-retag")["imageDetails"]} == {first, second}
    # an image with another tag too only loses the moved one
    both = push_image(aws, "fidelity-retag", "v1", content="build-3")
    ecr.put_image(
        repositoryName="fidelity-retag",
        imageManifest=ecr.batch_get_image(repositoryName="fidelity-retag", imageIds=[{"imageTag": "v1"}])["images"][0]["imageManifest"],
        imageTag="stable",
    )
    push_image(aws, "fidelity-retag", "stable", content="build-4")
    [kept] = ecr.describe_images(repositoryName="fidelity-retag", imageIds=[{"imageDigest": both}])["imageDetails"]
    assert kept["imageTags"] == ["v1"]
    ecr.delete_repository(repositoryName="fidelity-retag", force=True)
