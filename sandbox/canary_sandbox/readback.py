"""A stack that playbooks/provision.yml made, read back through the AWS APIs as a test would.

Used by the end-to-end tests, tools/demo.py and tests/benchmark/release.py. The names come
from the sandbox itself (the one ECS service under the CODE_DEPLOY controller and its
CodeDeploy group), so callers follow whatever the stack's vars file names.
"""

import json
import urllib.request

from .engine.testing import green_percent
from .guard import assert_loopback
from .traffic import at_rate

# Container environment of a version that fails half of its requests (the seed's buggy Version 3).
FAILING = {"SANDBOX_FAILURE_RATE": "0.5"}
HEALTHY = {"SANDBOX_FAILURE_RATE": "0"}
# 240 requests/s through the data plane, on a schedule (traffic.at_rate): a 10% canary failing
# half its requests (12 errors a second) trips a 5-errors-per-minute alarm within its bake. Each
# of the 24 clients keeps pace while responses take up to 1/10 s (a loaded machine).
TRAFFIC_RATE = 240
TRAFFIC_WORKERS = 24


def steady_traffic(url):
    """The tests' production traffic: TRAFFIC_RATE requests a second from TRAFFIC_WORKERS clients."""
    return at_rate(url, TRAFFIC_RATE, TRAFFIC_WORKERS)


class Stack:
    """What provision.yml created, read back through the AWS APIs."""

    def __init__(self, clients):
        self.clients = clients
        ecs = clients("ecs")
        found = []
        for cluster_arn in ecs.list_clusters()["clusterArns"]:
            service_arns = ecs.list_services(cluster=cluster_arn)["serviceArns"]
            if service_arns:
                for service in ecs.describe_services(cluster=cluster_arn, services=service_arns)["services"]:
                    if (service.get("deploymentController") or {}).get("type") == "CODE_DEPLOY" and service["status"] == "ACTIVE":
                        found.append((cluster_arn.rsplit("/", 1)[-1], service["serviceName"]))
        assert len(found) == 1, f"expected one CODE_DEPLOY service after provision.yml, found {found}"
        self.cluster, self.service = found[0]
        codedeploy = clients("codedeploy")
        self.group = None
        for application in codedeploy.list_applications()["applications"]:
            for name in codedeploy.list_deployment_groups(applicationName=application)["deploymentGroups"]:
                group = codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=name)["deploymentGroupInfo"]
                if any(s["serviceName"] == self.service for s in group.get("ecsServices", [])):
                    self.group = group
        assert self.group, f"no CodeDeploy deployment group deploys {self.service}"
        self.application_name = self.group["applicationName"]
        self.group_name = self.group["deploymentGroupName"]
        self.alarm_names = [alarm["name"] for alarm in self.group["alarmConfiguration"]["alarms"]]
        pair = self.group["loadBalancerInfo"]["targetGroupPairInfoList"][0]
        self.prod_listener_arn = pair["prodTrafficRoute"]["listenerArns"][0]
        self.target_group_names = [tg["name"] for tg in pair["targetGroups"]]

    # ------------------------------------------------------------------ read back

    def deployments(self, statuses=None):
        """DeploymentInfos of the group, oldest first."""
        codedeploy = self.clients("codedeploy")
        request = {"applicationName": self.application_name, "deploymentGroupName": self.group_name}
        if statuses:
            request["includeOnlyStatuses"] = list(statuses)
        ids = [found for page in codedeploy.get_paginator("list_deployments").paginate(**request) for found in page["deployments"]]
        infos = []
        for start in range(0, len(ids), 25):  # BatchGetDeployments takes at most 25 ids
            infos.extend(codedeploy.batch_get_deployments(deploymentIds=ids[start : start + 25])["deploymentsInfo"])
        return sorted(infos, key=lambda info: info["createTime"])

    def user_deployments(self):
        return [info for info in self.deployments() if info.get("creator") != "codeDeployRollback"]

    def in_flight(self):
        return self.deployments(("Created", "Queued", "InProgress", "Baking", "Ready"))

    def task_sets(self):
        return self.clients("ecs").describe_task_sets(cluster=self.cluster, service=self.service)["taskSets"]

    def service_description(self):
        return self.clients("ecs").describe_services(cluster=self.cluster, services=[self.service])["services"][0]

    def live_task_definition(self):
        service = self.service_description()
        primary = [ts for ts in service.get("taskSets", []) if ts["status"] == "PRIMARY"]
        arn = primary[0]["taskDefinition"] if primary else service["taskDefinition"]
        return self.clients("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]

    def live_image(self):
        return self.live_task_definition()["containerDefinitions"][0]["image"]

    def revisions(self):
        family = self.live_task_definition()["family"]
        return self.clients("ecs").list_task_definitions(familyPrefix=family)["taskDefinitionArns"]

    def weights(self):
        """{target group name: percent} of the production listener."""
        elbv2 = self.clients("elbv2")
        arns = {tg["TargetGroupArn"]: tg["TargetGroupName"] for tg in elbv2.describe_target_groups(Names=self.target_group_names)["TargetGroups"]}
        return {name: green_percent(elbv2, self.prod_listener_arn, arn) for arn, name in arns.items()}

    def alarm(self, name):
        return self.clients("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]

    def live_target_group(self):
        """The name of the target group the production listener sends (most of) the traffic to."""
        weights = self.weights()
        return max(weights, key=weights.get)

    def alarms_on(self, target_group_name):
        """The names of the group's alarms that judge this target group: those that read it, and of the
        comparison alarms (metric math with queries whose id starts with "canary") those whose canary it is."""
        prefix = f"targetgroup/{target_group_name}/"
        found = []
        for alarm in self.clients("cloudwatch").describe_alarms(AlarmNames=self.alarm_names)["MetricAlarms"]:
            dimensions = list(alarm.get("Dimensions") or [])
            queries = alarm.get("Metrics") or []
            canary = [query for query in queries if query["Id"].startswith("canary")]
            for query in canary or queries:
                dimensions += ((query.get("MetricStat") or {}).get("Metric") or {}).get("Dimensions") or []
            if any(item["Name"] == "TargetGroup" and item["Value"].startswith(prefix) for item in dimensions):
                found.append(alarm["AlarmName"])
        return found


def minute_seconds(endpoint):
    with urllib.request.urlopen(assert_loopback(endpoint) + "/_sandbox/status", timeout=10) as response:
        return float(json.loads(response.read())["minute_seconds"])


ALARM_KEYS = (
    "AlarmName",
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
)


def restore_alarm(cloudwatch, alarm):
    """put_metric_alarm with what describe_alarms returned (a test or benchmark changes an alarm, then puts it back)."""
    cloudwatch.put_metric_alarm(**{key: alarm[key] for key in ALARM_KEYS if alarm.get(key) not in (None, [], "")})
