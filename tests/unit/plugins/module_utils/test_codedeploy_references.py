# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Resolving what a deployment group names: listeners by port, target groups, roles, services, alarms."""

from unittest.mock import MagicMock

import pytest

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.references import References
from ansible_collections.canary.ecs.plugins.module_utils.common import AnsibleCanaryECSError
from ansible_collections.canary.ecs.tests.unit.plugins.module_utils.fakes import client_error

LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/alb/1"
L80 = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb/1/80"
L8080 = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb/1/8080"


@pytest.fixture
def clients():
    mocks = {name: MagicMock() for name in ("elbv2", "iam", "ecs", "cloudwatch", "codedeploy")}
    mocks["elbv2"].describe_load_balancers.return_value = {"LoadBalancers": [{"LoadBalancerArn": LB_ARN}]}
    mocks["elbv2"].describe_listeners.return_value = {"Listeners": [{"ListenerArn": L80, "Port": 80}, {"ListenerArn": L8080, "Port": 8080}]}
    return mocks


def refs(clients):
    return References(lambda service: clients[service])


def message(callable_, *args):
    with pytest.raises(AnsibleCanaryECSError) as error:
        callable_(*args)
    return error.value.message


def test_listener_by_load_balancer_and_port(clients):
    assert refs(clients).listener_arn("test_listener", {"arn": None, "load_balancer": "alb", "port": 8080}) == L8080
    clients["elbv2"].describe_listeners.assert_called_with(aws_retry=True, LoadBalancerArn=LB_ARN)


def test_listener_on_a_missing_port_lists_the_ports(clients):
    text = message(refs(clients).listener_arn, "production_listener", {"arn": None, "load_balancer": "alb", "port": 81})
    assert text == "production_listener.port: load balancer alb has no listener on port 81 (its listener ports: 80, 8080)."


def test_listener_of_a_missing_load_balancer(clients):
    clients["elbv2"].describe_load_balancers.side_effect = client_error("LoadBalancerNotFound")
    assert "production_listener.load_balancer: load balancer nope does not exist" in message(
        refs(clients).listener_arn, "production_listener", {"arn": None, "load_balancer": "nope", "port": 80}
    )


def test_listener_arn_is_checked(clients):
    clients["elbv2"].describe_listeners.side_effect = client_error("ListenerNotFound")
    text = message(refs(clients).listener_arn, "test_listener", {"arn": "x", "load_balancer": None, "port": None})
    assert "test_listener.arn: listener x does not exist" in text


def test_listener_half_given(clients):
    assert "load_balancer and port go together" in message(refs(clients).listener_arn, "test_listener", {"arn": None, "load_balancer": "alb", "port": None})
    assert "either arn, or load_balancer and port" in message(refs(clients).listener_arn, "test_listener", {"arn": L80, "load_balancer": "alb", "port": 80})


def test_no_listener_means_none(clients):
    assert refs(clients).listener_arn("test_listener", {"arn": None, "load_balancer": None, "port": None}) is None


def test_target_groups_by_name_or_arn(clients):
    clients["elbv2"].describe_target_groups.side_effect = [
        {"TargetGroups": [{"TargetGroupName": "blue"}]},
        {"TargetGroups": [{"TargetGroupName": "green"}]},
    ]
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/2"
    assert refs(clients).target_group_names(["blue", arn]) == ["blue", "green"]
    assert clients["elbv2"].describe_target_groups.call_args_list[1].kwargs == {"aws_retry": True, "TargetGroupArns": [arn]}


def test_a_missing_target_group_is_named(clients):
    clients["elbv2"].describe_target_groups.side_effect = [{"TargetGroups": [{"TargetGroupName": "blue"}]}, client_error("TargetGroupNotFound")]
    assert message(refs(clients).target_group_names, ["blue", "gren"]) == "target_groups[1]: target group gren does not exist in this region."


def test_target_groups_must_be_a_pair(clients):
    assert "exactly two different" in message(refs(clients).target_group_names, ["blue"])
    assert "exactly two different" in message(refs(clients).target_group_names, ["blue", "blue"])


def test_role_by_name_or_arn(clients):
    clients["iam"].get_role.return_value = {"Role": {"Arn": "arn:aws:iam::123456789012:role/cd"}}
    clients["sts"] = MagicMock()
    clients["sts"].get_caller_identity.return_value = {"Account": "123456789012"}
    assert refs(clients).role_arn("cd") == "arn:aws:iam::123456789012:role/cd"
    assert refs(clients).role_arn("arn:aws:iam::123456789012:role/cd") == "arn:aws:iam::123456789012:role/cd"
    # another account's role cannot be read from here: used as given
    assert refs(clients).role_arn("arn:aws:iam::999999999999:role/x") == "arn:aws:iam::999999999999:role/x"
    clients["iam"].get_role.side_effect = client_error("NoSuchEntity")
    assert message(refs(clients).role_arn, "nope").startswith("service_role: IAM role nope does not exist.")
    # an ARN of this account that does not exist fails at once (CodeDeploy's answer would be retried as propagation)
    text = message(refs(clients).role_arn, "arn:aws:iam::123456789012:role/nope")
    assert text.startswith("service_role: IAM role arn:aws:iam::123456789012:role/nope does not exist.")
    assert refs(clients).role_arn("arn:aws:iam::999999999999:role/x") == "arn:aws:iam::999999999999:role/x"


def test_role_arn_without_iam_read_access_is_used_as_given(clients):
    clients["iam"].get_role.side_effect = client_error("AccessDenied")
    assert refs(clients).role_arn("arn:aws:iam::123456789012:role/cd") == "arn:aws:iam::123456789012:role/cd"


def test_ecs_service_must_use_code_deploy(clients):
    clients["ecs"].describe_services.return_value = {"services": [{"status": "ACTIVE", "deploymentController": {"type": "ECS"}}]}
    assert "uses the ECS deployment controller" in message(refs(clients).ecs_service, "prod", "web")
    clients["ecs"].describe_services.return_value = {"services": [{"status": "ACTIVE", "deploymentController": {"type": "CODE_DEPLOY"}}]}
    assert refs(clients).ecs_service("arn:aws:ecs:us-east-1:123456789012:cluster/prod", "web") == {"serviceName": "web", "clusterName": "prod"}
    clients["ecs"].describe_services.return_value = {"services": [], "failures": [{"reason": "MISSING"}]}
    assert message(refs(clients).ecs_service, "prod", "web") == "service: ECS service web does not exist in cluster prod."
    clients["ecs"].describe_services.side_effect = client_error("ClusterNotFoundException")
    assert message(refs(clients).ecs_service, "nope", "web") == "cluster: ECS cluster nope does not exist in this region."


def test_missing_alarms_are_named(clients):
    clients["cloudwatch"].describe_alarms.return_value = {"MetricAlarms": [{"AlarmName": "a"}], "CompositeAlarms": []}
    refs(clients).check_alarms(["a"])
    assert message(refs(clients).check_alarms, ["a", "b"]).startswith("alarms.names: CloudWatch alarms b do not exist")


def test_deployment_config_must_exist_and_be_ecs(clients):
    clients["codedeploy"].get_deployment_config.side_effect = client_error("DeploymentConfigDoesNotExistException")
    assert "deployment_config_name: deployment config X does not exist" in message(refs(clients).check_deployment_config, "X")
    clients["codedeploy"].get_deployment_config.side_effect = None
    clients["codedeploy"].get_deployment_config.return_value = {"deploymentConfigInfo": {"computePlatform": "Server"}}
    assert "for the Server compute platform" in message(refs(clients).check_deployment_config, "X")


OTHER_LB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other/2"


def test_a_listener_of_another_load_balancer_is_refused(clients):
    """CodeDeploy would accept it, and a release would then move the other load balancer's traffic."""
    clients["elbv2"].describe_target_groups.return_value = {"TargetGroups": [{"TargetGroupName": "blue", "LoadBalancerArns": [LB_ARN]}]}
    other_listener = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/other/2/80"
    clients["elbv2"].describe_listeners.return_value = {"Listeners": [{"ListenerArn": other_listener, "LoadBalancerArn": OTHER_LB, "Port": 80}]}
    references = refs(clients)
    assert references.listener_arn("production_listener", {"arn": other_listener, "load_balancer": None, "port": None}) == other_listener
    text = message(references.check_listeners_serve_target_groups, ["blue", "green"], [("production_listener", other_listener)])
    assert text.startswith("production_listener: listener %s is on load balancer other, but target groups blue and green are behind alb" % other_listener)
    assert "Give a listener of alb." in text


def test_listeners_of_the_target_groups_load_balancer_pass(clients):
    clients["elbv2"].describe_target_groups.return_value = {"TargetGroups": [{"TargetGroupName": "blue", "LoadBalancerArns": [LB_ARN]}]}
    references = refs(clients)
    assert references.listener_arn("production_listener", {"arn": None, "load_balancer": "alb", "port": 80}) == L80
    assert references.listener_arn("test_listener", {"arn": None, "load_balancer": "alb", "port": 8080}) == L8080
    references.check_listeners_serve_target_groups(["blue", "green"], [("production_listener", L80), ("test_listener", L8080)])


def test_target_groups_behind_no_load_balancer_leave_the_listener_open(clients):
    clients["elbv2"].describe_target_groups.return_value = {"TargetGroups": [{"TargetGroupName": "blue", "LoadBalancerArns": []}]}
    clients["elbv2"].describe_listeners.return_value = {"Listeners": [{"ListenerArn": L80, "LoadBalancerArn": OTHER_LB, "Port": 80}]}
    refs(clients).check_listeners_serve_target_groups(["blue", "green"], [("production_listener", L80)])
