# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Each preflight rule on its own: what it accepts, and the message a person gets when it refuses."""

from ansible_collections.canary.ecs.plugins.module_utils._release import preflight

SERVICE = {
    "serviceName": "web",
    "deploymentController": {"type": "CODE_DEPLOY"},
    "loadBalancers": [{"targetGroupArn": "arn:tg/blue", "containerName": "app", "containerPort": 8080}],
}
TASK_DEFINITION = {"family": "web", "containerDefinitions": [{"name": "app", "image": "web:v1", "portMappings": [{"containerPort": 8080}]}]}
GROUP = {
    "applicationName": "web-app",
    "deploymentGroupName": "web-dg",
    "ecsServices": [{"clusterName": "prod", "serviceName": "web"}],
    "alarmConfiguration": {"enabled": True, "alarms": [{"name": "web-5xx"}, {"name": "web-latency"}]},
}


def described(**states):
    return [{"AlarmName": name.replace("_", "-"), "StateValue": state} for name, state in states.items()]


def test_controller():
    assert preflight.controller_problem(SERVICE) is None
    message = preflight.controller_problem({"serviceName": "web", "deploymentController": {"type": "ECS"}})
    assert "uses the ECS deployment controller" in message and "CODE_DEPLOY" in message
    assert "ECS deployment controller" in preflight.controller_problem({"serviceName": "web"})


def test_group_must_exist_and_deploy_the_service():
    assert preflight.group_problem(GROUP, "prod", "web", "web-app", "web-dg") is None
    assert preflight.group_problem(GROUP, "arn:aws:ecs:us-east-1:1:cluster/prod", "arn:aws:ecs:us-east-1:1:service/prod/web", "a", "g") is None
    assert "does not exist" in preflight.group_problem(None, "prod", "web", "web-app", "nope")
    message = preflight.group_problem(GROUP, "prod", "api", "web-app", "web-dg")
    assert "deploys prod/web, not ECS service prod/api" in message


def test_groups_found_from_the_service():
    assert preflight.groups_found_problem([GROUP], "prod", "web") is None
    assert "No CodeDeploy deployment group deploys ECS service prod/web" in preflight.groups_found_problem([], "prod", "web")
    other = dict(GROUP, applicationName="other")
    assert "several CodeDeploy deployment groups (web-app/web-dg, other/web-dg)" in preflight.groups_found_problem([GROUP, other], "prod", "web")


def test_container_defaults_to_the_load_balanced_one():
    assert preflight.load_balanced_container(SERVICE) == ("app", 8080, None)
    assert preflight.load_balanced_container(SERVICE, "app") == ("app", 8080, None)
    name, port, message = preflight.load_balanced_container(SERVICE, "sidecar")
    assert name is None and "Container 'sidecar' is not behind the load balancer" in message and "app:8080" in message
    assert "has no load balancer" in preflight.load_balanced_container({"serviceName": "web"})[2]


def test_container_and_port_must_exist_in_the_task_definition():
    assert preflight.container_problem(TASK_DEFINITION, "app", 8080) is None
    assert "does not expose port 80" in preflight.container_problem(TASK_DEFINITION, "app", 80)
    assert "Container 'api' is not in task definition" in preflight.container_problem(TASK_DEFINITION, "api", 8080)


def test_alarms_must_exist_and_none_may_be_in_alarm():
    assert preflight.alarm_problems(GROUP, described(web_5xx="OK", web_latency="INSUFFICIENT_DATA")) == []
    missing = preflight.alarm_problems(GROUP, described(web_5xx="OK"))
    assert len(missing) == 1 and "web-latency do not exist" in missing[0]
    firing = preflight.alarm_problems(GROUP, described(web_5xx="ALARM", web_latency="OK"))
    assert len(firing) == 1 and "web-5xx already in ALARM" in firing[0] and "stop the release at once" in firing[0]


def test_disabled_alarm_monitoring_watches_nothing_and_warns():
    group = dict(GROUP, alarmConfiguration={"enabled": False, "alarms": [{"name": "web-5xx"}]})
    assert preflight.alarm_names(group) == [] and preflight.alarm_problems(group, []) == []
    assert "no CloudWatch alarms" in preflight.alarm_warnings(group)[0]
    assert preflight.alarm_warnings(GROUP) == []


def test_ecr_image_must_exist():
    registry = ("123456789012", "us-east-1", "web")
    assert preflight.image_problem("x", {"imageTags": ["v2"]}, registry) is None
    assert "does not exist in ECR (repository 'web'" in preflight.image_problem("123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v9", None, registry)
