# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which alarms stop a release (alarms.py), and a release over a failing live version."""

from unittest.mock import MagicMock

from ansible_collections.canary.ecs.plugins.module_utils._release import alarms, release
from ansible_collections.canary.ecs.tests.unit.plugins.module_utils.test_ecs_deployment_release import GROUP, backend, fake_clients, module

BLUE, GREEN = "targetgroup/blue/1111111111111111", "targetgroup/green/2222222222222222"
LB = "app/alb/3333333333333333"
LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb/3333333333333333/4444444444444444"


def plain(name, target_group, state="OK"):
    return {"AlarmName": name, "StateValue": state, "Dimensions": [{"Name": "TargetGroup", "Value": target_group}, {"Name": "LoadBalancer", "Value": LB}]}


def _stat(query_id, metric, target_group):
    dimensions = [{"Name": "TargetGroup", "Value": target_group}, {"Name": "LoadBalancer", "Value": LB}]
    return {"Id": query_id, "MetricStat": {"Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": metric, "Dimensions": dimensions}}}


def comparison(name, canary, baseline, state="OK"):
    return {
        "AlarmName": name,
        "StateValue": state,
        "Metrics": [
            {"Id": "rate", "Expression": "canary_errors / canary_requests - baseline_errors / baseline_requests"},
            _stat("canary_requests", "RequestCount", canary),
            _stat("canary_errors", "HTTPCode_Target_5XX_Count", canary),
            _stat("baseline_requests", "RequestCount", baseline),
            _stat("baseline_errors", "HTTPCode_Target_5XX_Count", baseline),
        ],
    }


ALARMS = [
    plain("5xx-blue", BLUE),
    plain("5xx-green", GREEN),
    comparison("rate-blue", BLUE, GREEN),
    comparison("rate-green", GREEN, BLUE),
    {"AlarmName": "orders", "StateValue": "OK", "Namespace": "Shop", "MetricName": "Orders", "Dimensions": [{"Name": "Service", "Value": "web"}]},
]
NAMES = [alarm["AlarmName"] for alarm in ALARMS]


def test_a_release_watches_the_canarys_side_and_alarms_on_no_target_group():
    watched, left_out = alarms.for_release(NAMES, ALARMS, live=[BLUE])
    assert watched == ["5xx-green", "rate-green", "orders"] and left_out == ["5xx-blue", "rate-blue"]
    watched, left_out = alarms.for_release(NAMES, ALARMS, live=[GREEN])
    assert watched == ["5xx-blue", "rate-blue", "orders"] and left_out == ["5xx-green", "rate-green"]
    # when the live target group cannot be told, every alarm stops the release, as the group says
    assert alarms.for_release(NAMES, ALARMS, live=[]) == (NAMES, [])


def test_an_alarm_on_both_groups_without_a_canary_side_is_kept():
    both = {"AlarmName": "both", "Metrics": [_stat("m1", "RequestCount", BLUE), _stat("m2", "RequestCount", GREEN)]}
    assert alarms.for_release(["both"], [both], live=[BLUE]) == (["both"], [])


def test_the_override_keeps_the_groups_poll_failure_setting():
    group = {"alarmConfiguration": {"enabled": True, "ignorePollAlarmFailure": True, "alarms": [{"name": "a"}, {"name": "b"}]}}
    assert alarms.override(group, ["b"]) == {"enabled": True, "ignorePollAlarmFailure": True, "alarms": [{"name": "b"}]}
    assert alarms.override(group, []) == {"enabled": False, "ignorePollAlarmFailure": True, "alarms": []}
    assert alarms.configured_names({"enabled": False, "alarms": [{"name": "a"}]}) == []


def test_a_fix_is_released_over_a_failing_live_version_watching_only_its_own_alarms():
    group = dict(
        GROUP,
        alarmConfiguration={"enabled": True, "alarms": [{"name": name} for name in NAMES]},
        loadBalancerInfo={"targetGroupPairInfoList": [{"prodTrafficRoute": {"listenerArns": [LISTENER]}}]},
    )
    clients = fake_clients()
    clients("codedeploy").get_deployment_group.return_value = {"deploymentGroupInfo": group}
    # the live version (blue) is failing: its own alarms are in ALARM
    described = [dict(alarm, StateValue="ALARM") if alarm["AlarmName"] in ("5xx-blue", "rate-blue") else alarm for alarm in ALARMS]
    clients("cloudwatch").describe_alarms.return_value = {"MetricAlarms": described}
    elbv2 = MagicMock()
    prefix = "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
    elbv2.describe_listeners.return_value = {
        "Listeners": [
            {
                "ListenerArn": LISTENER,
                "DefaultActions": [
                    {
                        "Type": "forward",
                        "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": prefix + BLUE, "Weight": 100}, {"TargetGroupArn": prefix + GREEN, "Weight": 0}]},
                    }
                ],
            }
        ]
    }

    def all_clients(service, region=None):
        return elbv2 if service == "elbv2" else clients(service)

    result, failed = release.release(module(image_tag="v2"), backend(all_clients))
    assert not failed and result["deployment_id"] == "d-NEW"
    assert result["alarm_names"] == ["5xx-green", "rate-green", "orders"] and result["alarms_left_out"] == ["5xx-blue", "rate-blue"]
    assert any("5xx-blue, rate-blue watch only the live version's target group and are in ALARM" in warning for warning in result["warnings"])
    started = clients("codedeploy").create_deployment.call_args.kwargs
    assert started["overrideAlarmConfiguration"] == {
        "enabled": True,
        "ignorePollAlarmFailure": False,
        "alarms": [{"name": "5xx-green"}, {"name": "rate-green"}, {"name": "orders"}],
    }
    elbv2.describe_listeners.assert_called_once_with(aws_retry=True, ListenerArns=[LISTENER])
