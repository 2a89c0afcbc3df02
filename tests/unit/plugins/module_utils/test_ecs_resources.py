# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ECS clusters and services: options checked first, tags at creation, only what differs changed, refusals."""

from unittest.mock import MagicMock

import pytest

from ansible_collections.canary.ecs.plugins.module_utils import modules
from ansible_collections.canary.ecs.plugins.module_utils._ecs import cluster, service
from ansible_collections.canary.ecs.plugins.module_utils.common import AnsibleCanaryECSError
from ansible_collections.canary.ecs.plugins.modules import ecs_cluster as cluster_module
from ansible_collections.canary.ecs.plugins.modules import ecs_service as service_module
from ansible_collections.canary.ecs.tests.unit.plugins.module_utils.fakes import FakeModule, client_error

WRITES = (
    "create_cluster",
    "put_cluster_capacity_providers",
    "delete_cluster",
    "create_service",
    "update_service",
    "delete_service",
    "tag_resource",
    "untag_resource",
)
CLUSTER_ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
SERVICE_ARN = "arn:aws:ecs:us-east-1:123456789012:service/prod/web"
TARGET_GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/0123456789abcdef"


def writes(client):
    return [name for name, _args, _kwargs in client.mock_calls if name in WRITES]


def cluster_params(**params):
    values = dict(
        name="prod", capacity_providers=None, purge_capacity_providers=True, capacity_provider_strategy=None, state="present", tags=None, purge_tags=True
    )
    values.update(params)
    return values


def service_params(**params):
    values = dict(
        name="web",
        cluster="prod",
        task_definition="web:1",
        desired_count=None,
        launch_type="FARGATE",
        deployment_controller="CODE_DEPLOY",
        load_balancers=None,
        network_configuration=None,
        health_check_grace_period_seconds=None,
        deployment_strategy=None,
        canary=None,
        linear=None,
        bake_minutes=None,
        deployment_alarms=None,
        pause_hooks=None,
        propagate_tags="SERVICE",
        force_deletion=False,
        wait=True,
        wait_timeout=600,
        state="present",
        tags=None,
        purge_tags=True,
    )
    values.update(params)
    return values


def ecs_with(clusters=(), services=()):
    client = MagicMock()
    client.describe_clusters.return_value = {"clusters": list(clusters)}
    client.describe_services.return_value = {"services": list(services)}
    client.list_tags_for_resource.return_value = {"tags": []}
    return client


def existing_cluster(**fields):
    found = {"clusterName": "prod", "clusterArn": CLUSTER_ARN, "status": "ACTIVE", "capacityProviders": ["FARGATE"], "activeServicesCount": 0}
    found["defaultCapacityProviderStrategy"] = [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]
    found.update(fields)
    return found


def existing_service(**fields):
    found = {"serviceName": "web", "serviceArn": SERVICE_ARN, "status": "ACTIVE", "desiredCount": 2, "deploymentController": {"type": "CODE_DEPLOY"}}
    found.update(fields)
    return found


def test_the_argument_specs_match_what_the_checks_read():
    # the unit tests' defaults are the modules' options: a renamed option fails here first
    assert set(cluster_params()) == set(_spec(cluster_module)) and set(service_params()) == set(_spec(service_module))


def _spec(module):
    captured = {}

    class Capture(Exception):
        pass

    def fake(argument_spec, **_kwargs):
        captured.update(argument_spec)
        raise Capture()

    # run_resource_module builds the module: its name is looked up in module_utils.modules
    original = modules.AnsibleCanaryECSModule
    modules.AnsibleCanaryECSModule = fake
    try:
        module.main()
    except Capture:
        pass
    finally:
        modules.AnsibleCanaryECSModule = original
    return captured


@pytest.mark.parametrize(
    "params, message",
    [
        ({"name": "prod cluster"}, "name must be"),
        ({"capacity_providers": ["FARGATE", "FARGATE"]}, "capacity_providers names FARGATE more than once"),
        (
            {"capacity_providers": ["FARGATE"], "capacity_provider_strategy": [{"capacity_provider": "SPOT", "weight": 1, "base": 0}]},
            "capacity_provider_strategy names SPOT",
        ),
        ({"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": -1, "base": 0}]}, "capacity_provider_strategy weight"),
        ({"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1, "base": 100001}]}, "capacity_provider_strategy base"),
        ({"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 0, "base": 0}]}, "capacity_provider_strategy needs a weight"),
    ],
)
def test_a_bad_cluster_option_fails_before_any_call_naming_it(params, message):
    client = ecs_with()
    with pytest.raises(AnsibleCanaryECSError) as error:
        cluster.ensure_cluster_present(FakeModule(**cluster_params(**params)), client)
    assert error.value.message.startswith(message)
    assert client.mock_calls == []


def test_a_cluster_is_created_with_its_tags_in_the_same_call():
    client = ecs_with()
    client.create_cluster.return_value = {"cluster": existing_cluster()}
    result = cluster.ensure_cluster_present(FakeModule(**cluster_params(capacity_providers=["FARGATE"], tags={"canary-ecs:stack": "prod"})), client)
    assert writes(client) == ["create_cluster"]
    assert client.create_cluster.call_args.kwargs["tags"] == [{"key": "canary-ecs:stack", "value": "prod"}]
    assert result["changed"] and result["cluster"]["tags"] == {"canary-ecs:stack": "prod"}


def test_check_mode_creates_no_cluster():
    client = ecs_with()
    result = cluster.ensure_cluster_present(FakeModule(check_mode=True, **cluster_params(tags={"a": "1"})), client)
    assert result["changed"] and writes(client) == [] and result["cluster"]["cluster_name"] == "prod"


def test_an_equal_cluster_is_left_alone_whatever_the_strategy_order():
    strategy = [{"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0}, {"capacityProvider": "FARGATE", "weight": 1, "base": 0}]
    client = ecs_with([existing_cluster(capacityProviders=["FARGATE", "FARGATE_SPOT"], defaultCapacityProviderStrategy=strategy)])
    wanted = [{"capacity_provider": "FARGATE", "weight": 1, "base": 0}, {"capacity_provider": "FARGATE_SPOT", "weight": 3, "base": 0}]
    result = cluster.ensure_cluster_present(
        FakeModule(**cluster_params(capacity_providers=["FARGATE_SPOT", "FARGATE"], capacity_provider_strategy=wanted)), client
    )
    assert not result["changed"] and writes(client) == []


def test_without_purge_capacity_providers_are_only_added():
    client = ecs_with([existing_cluster()])
    client.put_cluster_capacity_providers.return_value = {"cluster": existing_cluster(capacityProviders=["FARGATE", "FARGATE_SPOT"])}
    result = cluster.ensure_cluster_present(FakeModule(**cluster_params(capacity_providers=["FARGATE_SPOT"], purge_capacity_providers=False)), client)
    assert result["changed"]
    assert client.put_cluster_capacity_providers.call_args.kwargs["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]


def test_a_strategy_naming_a_provider_the_cluster_would_not_have_is_refused_before_a_write():
    client = ecs_with([existing_cluster()])
    strategy = [{"capacity_provider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    with pytest.raises(AnsibleCanaryECSError) as error:
        cluster.ensure_cluster_present(FakeModule(**cluster_params(capacity_provider_strategy=strategy, purge_capacity_providers=False)), client)
    assert "FARGATE_SPOT" in error.value.message and writes(client) == []


def test_a_cluster_with_services_is_not_deleted():
    client = ecs_with([existing_cluster(activeServicesCount=2)])
    with pytest.raises(AnsibleCanaryECSError) as error:
        cluster.ensure_cluster_absent(FakeModule(**cluster_params(state="absent")), client)
    assert "prod still has 2 service(s)" in error.value.message and writes(client) == []


def test_a_missing_cluster_is_not_deleted_again():
    client = ecs_with([existing_cluster(status="INACTIVE")])
    assert not cluster.ensure_cluster_absent(FakeModule(**cluster_params(state="absent")), client)["changed"]
    assert writes(client) == []


@pytest.mark.parametrize(
    "params, message",
    [
        ({"name": "web/1"}, "name must be"),
        ({"task_definition": "web:1:2"}, "task_definition must be"),
        ({"desired_count": -1}, "desired_count must be"),
        ({"health_check_grace_period_seconds": 2147483648}, "health_check_grace_period_seconds must be"),
        ({"load_balancers": [{"target_group_arn": "blue", "container_name": "web", "container_port": 80}]}, "load_balancers[0].target_group_arn"),
        ({"load_balancers": [{"target_group_arn": TARGET_GROUP, "container_name": "web", "container_port": 70000}]}, "load_balancers[0].container_port"),
        ({"network_configuration": {"subnets": [], "security_groups": None, "assign_public_ip": False}}, "network_configuration.subnets"),
        ({"network_configuration": {"subnets": ["subnet-1"], "security_groups": ["web"], "assign_public_ip": False}}, "network_configuration.security_groups"),
        (
            {"load_balancers": [{"target_group_arn": TARGET_GROUP, "container_name": "web", "container_port": 80}] * 2},
            "load_balancers may name one target group",
        ),
    ],
)
def test_a_bad_service_option_fails_before_any_call_naming_it(params, message):
    client = ecs_with()
    with pytest.raises(AnsibleCanaryECSError) as error:
        service.ensure_service_present(FakeModule(**service_params(**params)), client)
    assert error.value.message.startswith(message)
    assert client.mock_calls == []


def test_a_service_is_created_with_its_tags_load_balancer_and_network_in_one_call():
    client = ecs_with([existing_cluster()])
    client.create_service.return_value = {"service": existing_service()}
    params = service_params(
        desired_count=2,
        load_balancers=[{"target_group_arn": TARGET_GROUP, "container_name": "web", "container_port": 80}],
        network_configuration={"subnets": ["subnet-1"], "security_groups": ["sg-1"], "assign_public_ip": True},
        health_check_grace_period_seconds=60,
        tags={"canary-ecs:stack": "prod"},
    )
    result = service.ensure_service_present(FakeModule(**params), client)
    assert writes(client) == ["create_service"]
    request = client.create_service.call_args.kwargs
    assert request["tags"] == [{"key": "canary-ecs:stack", "value": "prod"}]
    assert request["deploymentController"] == {"type": "CODE_DEPLOY"} and request["healthCheckGracePeriodSeconds"] == 60
    assert request["loadBalancers"] == [{"targetGroupArn": TARGET_GROUP, "containerName": "web", "containerPort": 80}]
    assert request["networkConfiguration"] == {"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"], "assignPublicIp": "ENABLED"}}
    assert result["changed"] and result["service"]["service_arn"] == SERVICE_ARN


def test_a_service_in_a_missing_cluster_fails_naming_the_cluster():
    client = ecs_with()
    client.describe_services.side_effect = client_error("ClusterNotFoundException")
    with pytest.raises(AnsibleCanaryECSError) as error:
        service.ensure_service_present(FakeModule(**service_params()), client)
    assert "ECS cluster prod does not exist" in error.value.message and writes(client) == []


def test_an_existing_service_changes_only_its_count_grace_period_and_tags():
    client = ecs_with(services=[existing_service(taskDefinition="web:9")])
    client.update_service.return_value = {"service": existing_service(desiredCount=3)}
    result = service.ensure_service_present(FakeModule(**service_params(task_definition="web:1", desired_count=3)), client)
    assert result["changed"] and writes(client) == ["update_service"]
    assert client.update_service.call_args.kwargs == {"aws_retry": True, "cluster": "prod", "service": "web", "desiredCount": 3}


def test_an_equal_service_is_left_alone():
    client = ecs_with(services=[existing_service(healthCheckGracePeriodSeconds=60)])
    result = service.ensure_service_present(FakeModule(**service_params(desired_count=2, health_check_grace_period_seconds=60)), client)
    assert not result["changed"] and writes(client) == []


def test_another_deployment_controller_is_refused_before_a_write():
    client = ecs_with(services=[existing_service()])
    with pytest.raises(AnsibleCanaryECSError) as error:
        service.ensure_service_present(FakeModule(**service_params(deployment_controller="ECS", desired_count=5)), client)
    assert "has the deployment controller CODE_DEPLOY, not ECS" in error.value.message and writes(client) == []


def test_deleting_a_service_that_wants_tasks_needs_force():
    client = ecs_with(services=[existing_service()])
    with pytest.raises(AnsibleCanaryECSError) as error:
        service.ensure_service_absent(FakeModule(**service_params(state="absent")), client)
    assert "force_deletion" in error.value.message and writes(client) == []


def test_a_deletion_waits_until_the_service_is_inactive():
    client = ecs_with()
    client.describe_services.side_effect = [
        {"services": [existing_service()]},
        {"services": [existing_service(status="DRAINING")]},
        {"services": [existing_service(status="INACTIVE")]},
    ]
    client.delete_service.return_value = {"service": existing_service(status="DRAINING")}
    module = FakeModule(**service_params(state="absent", force_deletion=True))
    sleeps = []
    original = service.api.wait_service_gone
    service.api.wait_service_gone = lambda *args: original(*args, sleep=sleeps.append)
    try:
        result = service.ensure_service_absent(module, client)
    finally:
        service.api.wait_service_gone = original
    assert result["changed"] and writes(client) == ["delete_service"] and sleeps == [5]
    assert client.delete_service.call_args.kwargs["force"] is True and "ansible_facts" not in result


# --- ECS's own deployment strategies ------------------------------------------------------------

GREEN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/fedcba9876543210"
RULE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee"
ROLE = "arn:aws:iam::123456789012:role/web-ecs-infrastructure"


def native_balancer(**fields):
    found = dict(
        target_group_arn=TARGET_GROUP,
        container_name="web",
        container_port=80,
        alternate_target_group_arn=GREEN,
        production_listener_rule_arn=RULE,
        test_listener_rule_arn=None,
        role_arn=ROLE,
    )
    found.update(fields)
    return found


def native_params(**params):
    values = dict(deployment_controller="ECS", deployment_strategy="CANARY", canary={"percent": 10.0, "bake_minutes": 15}, bake_minutes=5)
    values["load_balancers"] = [native_balancer()]
    values.update(params)
    return service_params(**values)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"canary": {"percent": 0.0, "bake_minutes": 1}}, "canary.percent must be 0.1 to 100.0"),
        ({"canary": {"percent": 101.0, "bake_minutes": 1}}, "canary.percent must be 0.1 to 100.0"),
        ({"canary": {"percent": 10.05, "bake_minutes": 1}}, "canary.percent must be a multiple of 0.1"),
        ({"canary": {"percent": 10.0, "bake_minutes": 1441}}, "canary.bake_minutes must be 0 to 1440"),
        ({"bake_minutes": 1441}, "bake_minutes must be 0 to 1440"),
        ({"deployment_strategy": "LINEAR", "canary": None, "linear": {"step_percent": 2.0, "step_bake_minutes": 1}}, "linear.step_percent must be 3.0"),
        ({"deployment_strategy": "LINEAR"}, "canary is only valid with deployment_strategy=CANARY"),
        ({"deployment_controller": "CODE_DEPLOY"}, "deployment_strategy is ECS's own"),
        ({"deployment_strategy": None}, "canary needs deployment_strategy"),
        ({"load_balancers": [native_balancer(production_listener_rule_arn=None)]}, "load_balancers[0].production_listener_rule_arn is required"),
        ({"load_balancers": [native_balancer(alternate_target_group_arn=TARGET_GROUP)]}, "load_balancers[0].alternate_target_group_arn must differ"),
        (
            {"load_balancers": [native_balancer(production_listener_rule_arn="rule-1")]},
            "load_balancers[0].production_listener_rule_arn must be an ALB listener rule",
        ),
        ({"load_balancers": [native_balancer(role_arn="web-role")]}, "load_balancers[0].role_arn must be an IAM role ARN"),
        ({"deployment_alarms": {"names": [], "rollback": True}}, "deployment_alarms.names must name"),
        ({"pause_hooks": [{"stages": ["POST_TEST_TRAFFIC_SHIFT"], "timeout_minutes": 20161, "timeout_action": "ROLLBACK"}]}, "pause_hooks[0].timeout_minutes"),
    ],
)
def test_a_bad_strategy_setting_fails_before_any_call_naming_it(params, message):
    client = ecs_with()
    with pytest.raises(AnsibleCanaryECSError) as error:
        service.ensure_service_present(FakeModule(**native_params(**params)), client)
    assert error.value.message.startswith(message), error.value.message
    assert client.mock_calls == []


def test_a_canary_service_is_created_with_its_strategy_alarms_hook_and_rules():
    client = ecs_with([existing_cluster()])
    client.create_service.return_value = {"service": existing_service(deploymentController={"type": "ECS"})}
    hooks = [{"stages": ["POST_TEST_TRAFFIC_SHIFT"], "timeout_minutes": 60, "timeout_action": "ROLLBACK"}]
    params = native_params(
        deployment_alarms={"names": ["web-5xx"], "rollback": True}, pause_hooks=hooks, load_balancers=[native_balancer(test_listener_rule_arn=RULE)]
    )
    service.ensure_service_present(FakeModule(**params), client)
    request = client.create_service.call_args.kwargs
    assert request["deploymentController"] == {"type": "ECS"}
    assert request["deploymentConfiguration"] == {
        "strategy": "CANARY",
        "bakeTimeInMinutes": 5,
        "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 15},
        "alarms": {"alarmNames": ["web-5xx"], "enable": True, "rollback": True},
        "lifecycleHooks": [
            {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"], "timeoutConfiguration": {"timeoutInMinutes": 60, "action": "ROLLBACK"}}
        ],
    }
    assert request["loadBalancers"][0]["advancedConfiguration"] == {
        "alternateTargetGroupArn": GREEN,
        "productionListenerRule": RULE,
        "testListenerRule": RULE,
        "roleArn": ROLE,
    }


def test_an_existing_strategy_is_compared_and_corrected_without_a_deployment():
    described = {"strategy": "CANARY", "bakeTimeInMinutes": 5, "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 15}}
    same = dict(described, maximumPercent=200, minimumHealthyPercent=100)
    client = ecs_with(services=[existing_service(deploymentController={"type": "ECS"}, deploymentConfiguration=same)])
    assert not service.ensure_service_present(FakeModule(**native_params()), client)["changed"]
    assert writes(client) == []
    client.update_service.return_value = {"service": existing_service(deploymentController={"type": "ECS"})}
    changed = service.ensure_service_present(FakeModule(**native_params(canary={"percent": 20.0, "bake_minutes": 15})), client)
    assert changed["changed"] and writes(client) == ["update_service"]
    sent = client.update_service.call_args.kwargs
    assert "taskDefinition" not in sent and sent["deploymentConfiguration"]["canaryConfiguration"]["canaryPercent"] == 20.0
