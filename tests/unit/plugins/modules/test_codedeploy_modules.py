# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The CodeDeploy modules end to end through main(): arguments, check mode, exit and failure.

AWS clients are mocks; the account lookup (for ARNs) is patched out.
"""

import json
from unittest.mock import MagicMock, patch

import botocore.exceptions
import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.canary.ecs.plugins.module_utils import common
from ansible_collections.canary.ecs.plugins.modules import (
    codedeploy_application,
    codedeploy_application_info,
    codedeploy_deployment_config,
    codedeploy_deployment_config_info,
    codedeploy_deployment_group,
    codedeploy_deployment_group_info,
)
from ansible_collections.canary.ecs.tests.unit.plugins.module_utils.fakes import paginating

CONNECTION = {"region": "us-east-1", "access_key": "testing", "secret_key": "testing", "endpoint_url": "http://127.0.0.1:1"}
WRITES = ("create_", "update_", "delete_", "tag_resource", "untag_resource")


def missing(code):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "not there"}}, "Get")


@pytest.fixture
def aws():
    """Mock clients per service, handed to the modules instead of real ones."""
    clients = {}

    def client(service, region=None):
        return clients.setdefault(service, paginating(MagicMock(name=service)))

    with (
        patch.object(common.Clients, "__call__", side_effect=lambda self, service, region=None: client(service, region), autospec=True),
        patch.object(common, "get_aws_account_info", return_value=("123456789012", "aws")),
    ):
        yield client


def run(module, args, capsys):
    """Run a module's main(); returns (exit code, its JSON result)."""
    with patch_module_args(dict(CONNECTION, **args)):
        with pytest.raises(SystemExit) as code:
            module.main()
    return code.value.code, json.loads(capsys.readouterr().out)


def writes(client):
    return [name for name, _args, _kwargs in client.mock_calls if name.startswith(WRITES)]


def test_application_check_mode_creates_nothing(aws, capsys):
    aws("codedeploy").get_application.side_effect = missing("ApplicationDoesNotExistException")
    code, result = run(codedeploy_application, {"name": "web", "_ansible_check_mode": True}, capsys)
    assert code == 0
    assert result["changed"] is True
    assert result["application"]["application_arn"] == "arn:aws:codedeploy:us-east-1:123456789012:application:web"
    assert writes(aws("codedeploy")) == []


def test_application_failure_is_a_message_not_a_traceback(aws, capsys):
    aws("codedeploy").get_application.side_effect = botocore.exceptions.ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetApplication"
    )
    code, result = run(codedeploy_application, {"name": "web"}, capsys)
    assert code == 1
    assert result["msg"].startswith("Failed to get the CodeDeploy application")


def test_deployment_config_needs_a_routing_when_present(aws, capsys):
    code, result = run(codedeploy_deployment_config, {"name": "c"}, capsys)
    assert code == 1
    assert "traffic_routing" in result["msg"]


def test_deployment_config_create(aws, capsys):
    client = aws("codedeploy")
    client.get_deployment_config.side_effect = [
        missing("DeploymentConfigDoesNotExistException"),
        {"deploymentConfigInfo": {"deploymentConfigName": "c", "computePlatform": "ECS", "trafficRoutingConfig": {"type": "AllAtOnce"}}},
    ]
    client.create_deployment_config.return_value = {"deploymentConfigId": "id"}
    code, result = run(codedeploy_deployment_config, {"name": "c", "traffic_routing": "all_at_once"}, capsys)
    assert code == 0 and result["changed"] is True
    assert writes(client) == ["create_deployment_config"]


def test_deployment_group_absent_when_missing(aws, capsys):
    aws("codedeploy").get_deployment_group.side_effect = missing("DeploymentGroupDoesNotExistException")
    code, result = run(codedeploy_deployment_group, {"application_name": "a", "name": "g", "state": "absent"}, capsys)
    assert code == 0 and result["changed"] is False
    assert writes(aws("codedeploy")) == []


def test_deployment_group_cluster_needs_service(aws, capsys):
    code, result = run(codedeploy_deployment_group, {"application_name": "a", "name": "g", "cluster": "c"}, capsys)
    assert code == 1
    assert "cluster" in result["msg"] and "service" in result["msg"]


def test_deployment_group_check_mode_resolves_and_writes_nothing(aws, capsys):
    codedeploy, elbv2 = aws("codedeploy"), aws("elbv2")
    codedeploy.get_deployment_group.side_effect = missing("DeploymentGroupDoesNotExistException")
    codedeploy.get_application.return_value = {"application": {"applicationName": "a", "computePlatform": "ECS"}}
    aws("ecs").describe_services.return_value = {"services": [{"status": "ACTIVE", "deploymentController": {"type": "CODE_DEPLOY"}}]}
    aws("iam").get_role.return_value = {"Role": {"Arn": "arn:aws:iam::123456789012:role/cd"}}
    elbv2.describe_target_groups.side_effect = [{"TargetGroups": [{"TargetGroupName": "blue"}]}, {"TargetGroups": [{"TargetGroupName": "green"}]}]
    elbv2.describe_load_balancers.return_value = {"LoadBalancers": [{"LoadBalancerArn": "lb"}]}
    elbv2.describe_listeners.return_value = {"Listeners": [{"ListenerArn": "l80", "Port": 80}]}
    args = {
        "application_name": "a",
        "name": "g",
        "cluster": "c",
        "service": "s",
        "service_role": "cd",
        "target_groups": ["blue", "green"],
        "production_listener": {"load_balancer": "alb", "port": 80},
        "_ansible_check_mode": True,
        "_ansible_diff": True,
    }
    code, result = run(codedeploy_deployment_group, args, capsys)
    assert code == 0 and result["changed"] is True
    assert writes(codedeploy) == []
    group = result["deployment_group"]
    assert group["service_role_arn"] == "arn:aws:iam::123456789012:role/cd"
    assert group["load_balancer_info"]["target_group_pair_info_list"][0]["prod_traffic_route"] == {"listener_arns": ["l80"]}
    assert result["diff"]["before"] == {}


@pytest.mark.parametrize(
    "module, args, key",
    [
        (codedeploy_application_info, {"name": "web"}, "applications"),
        (codedeploy_deployment_config_info, {"name": "c"}, "deployment_configs"),
        (codedeploy_deployment_group_info, {"application_name": "a", "name": "g"}, "deployment_groups"),
    ],
)
def test_info_modules_return_empty_lists_for_missing_things(aws, capsys, module, args, key):
    client = aws("codedeploy")
    client.get_application.side_effect = missing("ApplicationDoesNotExistException")
    client.get_deployment_config.side_effect = missing("DeploymentConfigDoesNotExistException")
    code, result = run(module, dict(args, _ansible_check_mode=True), capsys)
    assert code == 0
    assert result[key] == [] and result["changed"] is False
    assert writes(client) == []
