# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Custom ECS deployment configs: request building, immutability, deletion of a config in use."""

import pytest

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy import deployment_config as cfg
from ansible_collections.canary.ecs.plugins.module_utils.common import AnsibleCanaryECSError
from ansible_collections.canary.ecs.tests.unit.plugins.module_utils.fakes import FakeModule, client_error, codedeploy_mock, write_calls

CANARY_10_5 = {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 5}}


def module(check_mode=False, **params):
    values = dict(name="Canary10", state="present", traffic_routing="canary", percentage=10, interval=5)
    values.update(params)
    return FakeModule(check_mode=check_mode, **values)


def client_with(config=None):
    client = codedeploy_mock()
    if config is None:
        client.get_deployment_config.side_effect = client_error("DeploymentConfigDoesNotExistException")
    else:
        client.get_deployment_config.return_value = {"deploymentConfigInfo": config}
    return client


@pytest.mark.parametrize(
    "kind, percentage, interval, expected",
    [
        ("canary", 10, 5, CANARY_10_5),
        ("linear", 20, 3, {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 20, "linearInterval": 3}}),
        ("all_at_once", None, None, {"type": "AllAtOnce"}),
    ],
)
def test_routing_request(kind, percentage, interval, expected):
    assert cfg.validate_routing(kind, percentage, interval) == []
    assert cfg.routing_request(kind, percentage, interval) == expected


@pytest.mark.parametrize(
    "kind, percentage, interval, words",
    [
        ("canary", 100, 5, "percentage must be between 1 and 99"),
        ("canary", None, 5, "percentage"),
        ("linear", 0, 5, "percentage must be between 1 and 99"),
        ("linear", 100, 5, "A linear step of 100 is traffic_routing=all_at_once"),
        ("linear", 10, 0, "interval must be 1 to 2880 minutes"),
        ("canary", 10, 2881, "interval must be 1 to 2880 minutes"),
        ("canary", 10, -1, "interval must be 1 to 2880 minutes"),
        ("all_at_once", 10, None, "remove percentage"),
    ],
)
def test_bad_routing_is_explained(kind, percentage, interval, words):
    assert words in " ".join(cfg.validate_routing(kind, percentage, interval))


def test_canonical_routing_ignores_members_of_other_types():
    noisy = dict(CANARY_10_5, timeBasedLinear={"linearPercentage": 0, "linearInterval": 0})
    assert cfg.canonical_routing(noisy) == CANARY_10_5


def test_create_sends_ecs_and_the_routing():
    client = client_with(None)
    client.create_deployment_config.return_value = {"deploymentConfigId": "id-1"}
    result = cfg.ensure_deployment_config_present(module(), client)
    assert result["changed"] is True
    assert client.create_deployment_config.call_args.kwargs == {
        "aws_retry": True,
        "deploymentConfigName": "Canary10",
        "computePlatform": "ECS",
        "trafficRoutingConfig": CANARY_10_5,
    }


def test_check_mode_creates_nothing():
    client = client_with(None)
    result = cfg.ensure_deployment_config_present(module(check_mode=True), client)
    assert result["changed"] is True
    assert write_calls(client) == []
    assert result["deployment_config"]["traffic_routing_config"]["time_based_canary"] == {"canary_percentage": 10, "canary_interval": 5}


def test_the_same_definition_is_unchanged():
    client = client_with({"deploymentConfigName": "Canary10", "computePlatform": "ECS", "trafficRoutingConfig": CANARY_10_5})
    result = cfg.ensure_deployment_config_present(module(), client)
    assert result["changed"] is False
    assert write_calls(client) == []


def test_a_changed_definition_fails_and_says_what_to_do():
    client = client_with({"deploymentConfigName": "Canary10", "computePlatform": "ECS", "trafficRoutingConfig": CANARY_10_5})
    with pytest.raises(AnsibleCanaryECSError) as error:
        cfg.ensure_deployment_config_present(module(percentage=20), client)
    message = error.value.message
    assert "already exists as canary: 10% first, the rest after 5 minutes" in message
    assert "canary: 20% first" in message
    assert "new name" in message and "state=absent" in message
    assert write_calls(client) == []


def test_predefined_configs_are_read_only():
    client = client_with({"deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce", "computePlatform": "ECS", "trafficRoutingConfig": {"type": "AllAtOnce"}})
    with pytest.raises(AnsibleCanaryECSError) as error:
        cfg.ensure_deployment_config_present(module(name="CodeDeployDefault.ECSAllAtOnce"), client)
    assert "predefined by AWS" in error.value.message
    with pytest.raises(AnsibleCanaryECSError) as error:
        cfg.ensure_deployment_config_absent(module(name="CodeDeployDefault.ECSAllAtOnce", state="absent"), client)
    assert "cannot be deleted" in error.value.message
    assert write_calls(client) == []


def test_deleting_a_config_in_use_names_the_groups():
    client = client_with({"deploymentConfigName": "Canary10", "computePlatform": "ECS", "trafficRoutingConfig": CANARY_10_5})
    client.list_applications.return_value = {"applications": ["app"]}
    client.list_deployment_groups.return_value = {"deploymentGroups": ["a", "b"]}
    client.batch_get_deployment_groups.return_value = {
        "deploymentGroupsInfo": [
            {"applicationName": "app", "deploymentGroupName": "a", "deploymentConfigName": "Canary10"},
            {"applicationName": "app", "deploymentGroupName": "b", "deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce"},
        ]
    }
    with pytest.raises(AnsibleCanaryECSError) as error:
        cfg.ensure_deployment_config_absent(module(state="absent"), client)
    assert "used by deployment groups app/a;" in error.value.message
    assert write_calls(client) == []


def test_deleting_races_with_a_new_user_and_still_names_it():
    client = client_with({"deploymentConfigName": "Canary10", "computePlatform": "ECS", "trafficRoutingConfig": CANARY_10_5})
    client.list_applications.side_effect = [{"applications": []}, {"applications": ["app"]}]
    client.list_deployment_groups.return_value = {"deploymentGroups": ["a"]}
    client.batch_get_deployment_groups.return_value = {
        "deploymentGroupsInfo": [{"applicationName": "app", "deploymentGroupName": "a", "deploymentConfigName": "Canary10"}]
    }
    client.delete_deployment_config.side_effect = client_error("DeploymentConfigInUseException")
    with pytest.raises(AnsibleCanaryECSError) as error:
        cfg.ensure_deployment_config_absent(module(state="absent"), client)
    assert "app/a" in error.value.message


def test_deleting_a_missing_config_is_a_no_op():
    client = client_with(None)
    result = cfg.ensure_deployment_config_absent(module(state="absent"), client)
    assert result["changed"] is False
    assert write_calls(client) == []
