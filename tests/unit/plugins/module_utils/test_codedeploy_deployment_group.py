# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Comparison and request building of ECS deployment groups: what changed, what is sent."""

import copy
from unittest.mock import patch

import pytest

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy import deployment_group as dg
from ansible_collections.canary.ecs.plugins.module_utils.common import AnsibleCanaryECSError
from ansible_collections.canary.ecs.tests.unit.plugins.module_utils.fakes import FakeArns, FakeModule, client_error, codedeploy_mock, write_calls

PROD = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb/1/80"
TEST = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb/1/8080"
ROLE = "arn:aws:iam::123456789012:role/codedeploy-ecs"

# A group as GetDeploymentGroup returns it (members in AWS's order, lists unsorted).
EXISTING = {
    "applicationName": "app",
    "deploymentGroupId": "dg-1",
    "deploymentGroupName": "grp",
    "computePlatform": "ECS",
    "deploymentConfigName": "CodeDeployDefault.ECSCanary10Percent5Minutes",
    "serviceRoleArn": ROLE,
    "ecsServices": [{"serviceName": "web", "clusterName": "prod"}],
    "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
    "loadBalancerInfo": {
        "targetGroupPairInfoList": [
            {
                "targetGroups": [{"name": "blue"}, {"name": "green"}],
                "prodTrafficRoute": {"listenerArns": [PROD]},
                "testTrafficRoute": {"listenerArns": [TEST]},
            }
        ]
    },
    "alarmConfiguration": {"enabled": True, "ignorePollAlarmFailure": False, "alarms": [{"name": "b-5xx"}, {"name": "a-latency"}]},
    "autoRollbackConfiguration": {"enabled": True, "events": ["DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_FAILURE"]},
    "blueGreenDeploymentConfiguration": {
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 10},
        "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
    },
    "triggerConfigurations": [
        {"triggerName": "ops", "triggerTargetArn": "arn:aws:sns:us-east-1:123456789012:ops", "triggerEvents": ["DeploymentFailure", "DeploymentStart"]}
    ],
}

# The module's arguments that describe EXISTING exactly (in another order where order does not matter).
SAME_PARAMS = dict(
    application_name="app",
    name="grp",
    state="present",
    cluster="prod",
    service="web",
    service_role="codedeploy-ecs",
    deployment_config_name="CodeDeployDefault.ECSCanary10Percent5Minutes",
    target_groups=["blue", "green"],
    production_listener={"arn": None, "load_balancer": "alb", "port": 80},
    test_listener={"arn": TEST, "load_balancer": None, "port": None},
    alarms={"names": ["a-latency", "b-5xx"], "enabled": None, "ignore_poll_alarm_failure": None},
    auto_rollback={"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]},
    deployment_ready={"action_on_timeout": "CONTINUE_DEPLOYMENT", "wait_time_in_minutes": None},
    original_task_set_termination={"action": None, "wait_time_in_minutes": 10},
    triggers=[{"name": "ops", "target_arn": "arn:aws:sns:us-east-1:123456789012:ops", "events": ["DeploymentStart", "DeploymentFailure"]}],
    tags=None,
    purge_tags=True,
)
NO_PARAMS = dict((key, None) for key in SAME_PARAMS)
NO_PARAMS.update(application_name="app", name="grp", state="present", purge_tags=True)


class FakeReferences:
    """Resolves names the way the real lookups would, and records what was looked up."""

    def __init__(self):
        self.looked_up = []

    def ecs_service(self, cluster, service):
        self.looked_up.append("ecs_service")
        return {"serviceName": service, "clusterName": cluster}

    def role_arn(self, value):
        self.looked_up.append("role_arn")
        return value if value.startswith("arn:") else "arn:aws:iam::123456789012:role/" + value

    def check_deployment_config(self, name):
        self.looked_up.append("check_deployment_config")

    def target_group_names(self, values):
        self.looked_up.append("target_group_names")
        return [value.split("/")[1] if value.startswith("arn:") else value for value in values]

    def listener_arn(self, option, listener):
        self.looked_up.append("listener_arn")
        if listener.get("arn"):
            return listener["arn"]
        if listener.get("port") is None:
            return None
        return PROD if listener["port"] == 80 else TEST

    def check_listeners_serve_target_groups(self, target_groups, listeners):
        self.looked_up.append("check_listeners_serve_target_groups")

    def check_alarms(self, names):
        self.looked_up.append("check_alarms")


def params(**overrides):
    result = copy.deepcopy(NO_PARAMS)
    result.update(overrides)
    return result


def with_tags(**tags):
    result = copy.deepcopy(SAME_PARAMS)
    result["tags"] = tags
    return result


def wanted(**overrides):
    return dg.wanted_group(dg.canonical_group(EXISTING), params(**overrides), FakeReferences())


def test_canonical_form_ignores_the_order_of_unordered_lists():
    shuffled = copy.deepcopy(EXISTING)
    shuffled["alarmConfiguration"]["alarms"].reverse()
    shuffled["autoRollbackConfiguration"]["events"].reverse()
    shuffled["triggerConfigurations"][0]["triggerEvents"].reverse()
    assert dg.canonical_group(shuffled) == dg.canonical_group(EXISTING)


def test_canonical_form_fills_what_aws_leaves_out():
    bare = dg.canonical_group({"ecsServices": [{"serviceName": "web", "clusterName": "prod"}]})
    assert bare["alarmConfiguration"] == {"enabled": False, "ignorePollAlarmFailure": False, "alarms": []}
    assert bare["autoRollbackConfiguration"] == {"enabled": False, "events": []}
    assert bare["triggerConfigurations"] == []
    assert bare["deploymentConfigName"] == "CodeDeployDefault.ECSAllAtOnce"
    assert "testTrafficRoute" not in bare["loadBalancerInfo"]["targetGroupPairInfoList"][0]


def test_the_same_settings_change_nothing():
    current = dg.canonical_group(EXISTING)
    assert dg.changed_members(current, dg.wanted_group(current, copy.deepcopy(SAME_PARAMS), FakeReferences())) == []


def test_options_left_out_keep_the_group_as_it_is():
    current = dg.canonical_group(EXISTING)
    assert dg.wanted_group(current, params(), FakeReferences()) == current


def test_options_left_out_are_not_looked_up():
    references = FakeReferences()
    dg.wanted_group(dg.canonical_group(EXISTING), params(alarms={"names": None, "enabled": False, "ignore_poll_alarm_failure": None}), references)
    assert references.looked_up == []


@pytest.mark.parametrize(
    "overrides, member",
    [
        (dict(deployment_config_name="CodeDeployDefault.ECSAllAtOnce"), "deploymentConfigName"),
        (dict(service_role="other-role"), "serviceRoleArn"),
        (dict(cluster="prod", service="web2"), "ecsServices"),
        (dict(target_groups=["green", "blue"]), "loadBalancerInfo"),
        (
            dict(production_listener={"arn": TEST, "load_balancer": None, "port": None}, test_listener={"arn": None, "load_balancer": None, "port": None}),
            "loadBalancerInfo",
        ),
        (dict(test_listener={"arn": None, "load_balancer": None, "port": None}), "loadBalancerInfo"),
        (dict(alarms={"names": ["a-latency"], "enabled": None, "ignore_poll_alarm_failure": None}), "alarmConfiguration"),
        (dict(alarms={"names": None, "enabled": None, "ignore_poll_alarm_failure": True}), "alarmConfiguration"),
        (dict(auto_rollback={"enabled": False, "events": None}), "autoRollbackConfiguration"),
        (dict(deployment_ready={"action_on_timeout": None, "wait_time_in_minutes": 30}), "blueGreenDeploymentConfiguration"),
        (dict(original_task_set_termination={"action": "KEEP_ALIVE", "wait_time_in_minutes": None}), "blueGreenDeploymentConfiguration"),
        (dict(triggers=[]), "triggerConfigurations"),
    ],
)
def test_each_mutable_setting_is_one_changed_member(overrides, member):
    assert dg.changed_members(dg.canonical_group(EXISTING), wanted(**overrides)) == [member]


def test_update_request_sends_only_the_changed_members():
    target = wanted(alarms={"names": ["c-errors"], "enabled": None, "ignore_poll_alarm_failure": None})
    request = dg.update_request("app", "grp", target, dg.changed_members(dg.canonical_group(EXISTING), target))
    assert request == {
        "applicationName": "app",
        "currentDeploymentGroupName": "grp",
        "alarmConfiguration": {"enabled": True, "ignorePollAlarmFailure": False, "alarms": [{"name": "c-errors"}]},
    }


def test_removing_the_test_listener_keeps_the_production_route():
    pair = wanted(test_listener={"arn": None, "load_balancer": None, "port": None})["loadBalancerInfo"]["targetGroupPairInfoList"][0]
    assert pair == {"targetGroups": [{"name": "blue"}, {"name": "green"}], "prodTrafficRoute": {"listenerArns": [PROD]}}


def test_a_wait_for_approval_means_stop_deployment():
    ready = wanted(deployment_ready={"action_on_timeout": None, "wait_time_in_minutes": 30})["blueGreenDeploymentConfiguration"]["deploymentReadyOption"]
    assert ready == {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30}
    ready = wanted(deployment_ready={"action_on_timeout": "CONTINUE_DEPLOYMENT", "wait_time_in_minutes": None})
    assert ready["blueGreenDeploymentConfiguration"]["deploymentReadyOption"] == {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0}


def test_alarms_named_are_enabled_unless_said_otherwise():
    config = wanted(alarms={"names": ["x"], "enabled": None, "ignore_poll_alarm_failure": None})["alarmConfiguration"]
    assert config["enabled"] is True
    config = wanted(alarms={"names": [], "enabled": None, "ignore_poll_alarm_failure": None})["alarmConfiguration"]
    assert config == {"enabled": False, "ignorePollAlarmFailure": False, "alarms": []}


@pytest.mark.parametrize(
    "overrides, words",
    [
        (dict(deployment_ready={"action_on_timeout": "CONTINUE_DEPLOYMENT", "wait_time_in_minutes": 5}), "deployment_ready.wait_time_in_minutes"),
        (dict(deployment_ready={"action_on_timeout": "STOP_DEPLOYMENT", "wait_time_in_minutes": 0}), "STOP_DEPLOYMENT needs"),
        (dict(original_task_set_termination={"action": None, "wait_time_in_minutes": 5000}), "original_task_set_termination.wait_time_in_minutes"),
        (dict(alarms={"names": [], "enabled": True, "ignore_poll_alarm_failure": None}), "alarms.enabled"),
        (dict(alarms={"names": ["a%d" % n for n in range(11)], "enabled": None, "ignore_poll_alarm_failure": None}), "at most 10 alarms"),
        (dict(auto_rollback={"enabled": True, "events": []}), "auto_rollback.events"),
        (dict(triggers=[{"name": "t", "target_arn": "arn:aws:sqs:us-east-1:1:q", "events": ["DeploymentStart"]}]), "triggers[0].target_arn"),
        (dict(triggers=[{"name": "t", "target_arn": "arn:aws:sns:us-east-1:1:q", "events": []}]), "triggers[0].events"),
        (dict(triggers=[{"name": "t", "target_arn": "arn:aws:sns:us-east-1:1:q", "events": ["DeploymentStart"]}] * 2), "unique"),
        (dict(cluster="prod"), "cluster and service go together"),
        (dict(test_listener={"arn": PROD, "load_balancer": None, "port": None}), "test_listener is the production listener"),
        (dict(production_listener={"arn": None, "load_balancer": None, "port": None}), "production_listener"),
    ],
)
def test_bad_arguments_fail_with_the_option_named(overrides, words):
    with pytest.raises(AnsibleCanaryECSError) as error:
        wanted(**overrides)
    assert words in error.value.message


def test_create_request_carries_every_setting_and_the_tags():
    target = dg.wanted_group(dg.canonical_group({}), with_tags(team="a"), FakeReferences())
    request = dg.create_request("app", "grp", target, {"team": "a"})
    assert request["ecsServices"] == [{"serviceName": "web", "clusterName": "prod"}]
    assert request["serviceRoleArn"] == ROLE
    assert request["deploymentStyle"] == {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}
    assert request["loadBalancerInfo"] == dg.canonical_group(EXISTING)["loadBalancerInfo"]
    assert request["tags"] == [{"Key": "team", "Value": "a"}]
    assert dg.canonical_group(request) == dg.canonical_group(EXISTING)


def _client_with(existing, tags=None):
    client = codedeploy_mock()
    client.get_deployment_group.return_value = {"deploymentGroupInfo": copy.deepcopy(existing)}
    client.list_tags_for_resource.return_value = {"Tags": [{"Key": key, "Value": value} for key, value in (tags or {}).items()]}
    return client


def test_a_second_run_makes_no_write_call():
    client = _client_with(EXISTING)
    result = dg.ensure_deployment_group_present(FakeModule(**copy.deepcopy(SAME_PARAMS)), client, FakeReferences(), FakeArns())
    assert result["changed"] is False
    assert write_calls(client) == []
    assert result["diff"]["before"] == result["diff"]["after"]


def test_an_update_is_one_call_and_shows_a_diff():
    client = _client_with(EXISTING)
    module = FakeModule(**params(deployment_ready={"action_on_timeout": "STOP_DEPLOYMENT", "wait_time_in_minutes": 60}))
    result = dg.ensure_deployment_group_present(module, client, FakeReferences(), FakeArns())
    assert result["changed"] is True
    assert result["changed_settings"] == ["blue_green_deployment_configuration"]
    assert write_calls(client) == ["update_deployment_group"]
    sent = client.update_deployment_group.call_args.kwargs
    assert sent["blueGreenDeploymentConfiguration"]["deploymentReadyOption"] == {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 60}
    assert set(sent) == {"aws_retry", "applicationName", "currentDeploymentGroupName", "blueGreenDeploymentConfiguration"}
    before = result["diff"]["before"]["blue_green_deployment_configuration"]["deployment_ready_option"]
    after = result["diff"]["after"]["blue_green_deployment_configuration"]["deployment_ready_option"]
    assert (before["action_on_timeout"], after["action_on_timeout"]) == ("CONTINUE_DEPLOYMENT", "STOP_DEPLOYMENT")


def test_check_mode_updates_nothing():
    client = _client_with(EXISTING, tags={"team": "a"})
    module = FakeModule(check_mode=True, **params(triggers=[], tags={"team": "b"}))
    result = dg.ensure_deployment_group_present(module, client, FakeReferences(), FakeArns())
    assert result["changed"] is True
    assert write_calls(client) == []
    assert result["deployment_group"]["tags"] == {"team": "b"}
    assert result["deployment_group"]["trigger_configurations"] == []


def test_only_tags_changed_is_a_tag_call():
    client = _client_with(EXISTING, tags={"team": "a", "old": "x"})
    result = dg.ensure_deployment_group_present(FakeModule(**params(tags={"team": "b"})), client, FakeReferences(), FakeArns())
    assert result["changed"] is True
    assert sorted(write_calls(client)) == ["tag_resource", "untag_resource"]
    assert client.untag_resource.call_args.kwargs["TagKeys"] == ["old"]
    assert client.tag_resource.call_args.kwargs["Tags"] == [{"Key": "team", "Value": "b"}]


def test_creating_needs_the_essential_options_and_says_which():
    client = codedeploy_mock()
    client.get_deployment_group.side_effect = _missing("DeploymentGroupDoesNotExistException")
    client.get_application.return_value = {"application": {"applicationName": "app", "computePlatform": "ECS"}}
    with pytest.raises(AnsibleCanaryECSError) as error:
        dg.ensure_deployment_group_present(FakeModule(**params(cluster="prod", service="web")), client, FakeReferences(), FakeArns())
    assert "service_role, target_groups, production_listener" in error.value.message
    assert write_calls(client) == []


def test_creating_in_a_missing_application_fails_before_writing():
    client = codedeploy_mock()
    client.get_deployment_group.side_effect = _missing("ApplicationDoesNotExistException")
    client.get_application.side_effect = _missing("ApplicationDoesNotExistException")
    with pytest.raises(AnsibleCanaryECSError) as error:
        dg.ensure_deployment_group_present(FakeModule(**copy.deepcopy(SAME_PARAMS)), client, FakeReferences(), FakeArns())
    assert "application_name" in error.value.message
    assert write_calls(client) == []


def test_create_sends_the_tags_and_reads_the_group_back():
    client = codedeploy_mock()
    client.get_deployment_group.side_effect = [client_error("DeploymentGroupDoesNotExistException"), {"deploymentGroupInfo": EXISTING}]
    client.get_application.return_value = {"application": {"applicationName": "app", "computePlatform": "ECS"}}
    client.create_deployment_group.return_value = {"deploymentGroupId": "dg-1"}
    result = dg.ensure_deployment_group_present(FakeModule(**with_tags(team="a")), client, FakeReferences(), FakeArns())
    assert result["changed"] is True
    assert write_calls(client) == ["create_deployment_group"]
    assert client.create_deployment_group.call_args.kwargs["tags"] == [{"Key": "team", "Value": "a"}]
    assert result["deployment_group"]["deployment_group_id"] == "dg-1"
    assert result["diff"]["before"] == {}


def test_deleting_a_missing_group_is_a_no_op():
    client = codedeploy_mock()
    client.get_deployment_group.side_effect = _missing("DeploymentGroupDoesNotExistException")
    result = dg.ensure_deployment_group_absent(FakeModule(application_name="app", name="grp"), client, FakeArns())
    assert result["changed"] is False
    assert write_calls(client) == []


def _missing(code):
    def raise_it(*args, **kwargs):
        raise client_error(code)

    return raise_it


def test_a_role_not_yet_assumable_is_retried():
    client = codedeploy_mock()
    client.create_deployment_group.side_effect = [client_error("InvalidRoleException"), {"deploymentGroupId": "dg-1"}]
    with patch("ansible_collections.amazon.aws.plugins.module_utils.cloud.time.sleep") as sleep:
        assert dg.create_deployment_group(client, {"applicationName": "app"}) == "dg-1"
    assert client.create_deployment_group.call_count == 2
    assert sleep.call_count == 1


def test_other_errors_are_not_retried():
    client = codedeploy_mock()
    client.update_deployment_group.side_effect = client_error("InvalidTargetGroupPairException")
    with pytest.raises(AnsibleCanaryECSError) as error:
        dg.update_deployment_group(client, {"applicationName": "app"})
    assert error.value.message == "Failed to update the CodeDeploy deployment group"
    assert client.update_deployment_group.call_count == 1
