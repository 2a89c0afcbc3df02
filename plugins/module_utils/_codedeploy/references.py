# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Resolve and check what a deployment group points at, before anything is written.

Target groups (name or ARN -> name), listeners (ARN, or load balancer name + port -> ARN),
the service role (name -> ARN), the ECS service, alarms and the deployment config.
Each lookup that finds nothing fails with a message naming the option and the value.
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import is_ansible_aws_error_code

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.api import get_deployment_config
from ansible_collections.canary.ecs.plugins.module_utils.common import (
    CloudWatchErrorHandler,
    ECSErrorHandler,
    ELBv2ErrorHandler,
    ErrorHandler,
    IAMErrorHandler,
    fail,
    name_from_arn,
)


def _is_arn(value):
    return value.startswith("arn:")


def _load_balancer_name(arn):
    """name out of arn:...:loadbalancer/app/<name>/<id>"""
    parts = arn.split("/")
    return parts[-2] if len(parts) >= 3 else arn


@ELBv2ErrorHandler.common_error_handler("describe the target group")
def _describe_target_group(elbv2, value):
    request = {"TargetGroupArns": [value]} if _is_arn(value) else {"Names": [value]}
    return elbv2.describe_target_groups(aws_retry=True, **request)["TargetGroups"][0]


@ELBv2ErrorHandler.common_error_handler("describe the load balancer")
def _describe_load_balancer(elbv2, name):
    return elbv2.describe_load_balancers(aws_retry=True, Names=[name])["LoadBalancers"][0]


@ELBv2ErrorHandler.common_error_handler("describe the listeners")
def _describe_listeners(elbv2, **request):
    return elbv2.describe_listeners(aws_retry=True, **request)["Listeners"]


@IAMErrorHandler.list_error_handler("get the IAM role")
def _find_role(iam, name):
    """The role, or None when it does not exist."""
    return iam.get_role(aws_retry=True, RoleName=name)["Role"]


@ErrorHandler.common_error_handler("read the account of the caller")
def _get_account(sts):
    return sts.get_caller_identity(aws_retry=True)["Account"]


@ECSErrorHandler.common_error_handler("describe the ECS service")
def _describe_services(ecs, cluster, service):
    return ecs.describe_services(aws_retry=True, cluster=cluster, services=[service])


@CloudWatchErrorHandler.common_error_handler("describe the CloudWatch alarms")
def _describe_alarm_names(cloudwatch, names):
    response = cloudwatch.describe_alarms(aws_retry=True, AlarmNames=list(names), MaxRecords=100)
    return [alarm["AlarmName"] for alarm in response.get("MetricAlarms", []) + response.get("CompositeAlarms", [])]


class References:
    """Lookups against ELBv2, IAM, ECS, CloudWatch and CodeDeploy.

    clients(service) returns a retrying boto3 client (common.Clients, which makes each once).
    """

    def __init__(self, clients):
        self._clients = clients
        self._load_balancer_of_listener = {}  # listener ARN -> load balancer ARN, from the lookups made
        self._target_groups = {}  # name -> DescribeTargetGroups entry, from the lookups made

    def _listener_load_balancer(self, arn):
        if arn not in self._load_balancer_of_listener:
            listeners = _describe_listeners(self._clients("elbv2"), ListenerArns=[arn])
            self._load_balancer_of_listener[arn] = listeners[0].get("LoadBalancerArn") if listeners else None
        return self._load_balancer_of_listener[arn]

    def check_listeners_serve_target_groups(self, target_groups, listeners):
        """Fail when a listener is on another load balancer than the target groups' own.

        CodeDeploy accepts such a group, and a release would then shift that other load
        balancer's traffic. listeners: (option, ARN) pairs. Target groups that no listener
        forwards to yet (no load balancer) leave the choice open.
        """
        balancers = set()
        for name in target_groups:
            group = self._target_groups.get(name) or _describe_target_group(self._clients("elbv2"), name)
            balancers.update(group.get("LoadBalancerArns") or [])
        if not balancers:
            return
        names = sorted(_load_balancer_name(item) for item in balancers)
        for option, arn in listeners:
            balancer = self._listener_load_balancer(arn)
            if balancer and balancer not in balancers:
                fail(
                    "%s: listener %s is on load balancer %s, but target groups %s are behind %s; a release would shift the "
                    "traffic of the other load balancer. Give a listener of %s."
                    % (option, arn, _load_balancer_name(balancer), " and ".join(target_groups), ", ".join(names), " or ".join(names))
                )

    def target_group_names(self, values):
        """Names of the two target groups (each given by name or ARN), checked to exist."""
        if len(values) != 2 or len(set(values)) != 2:
            fail("target_groups must name exactly two different target groups (the blue/green pair), got %s." % (values,))
        names = []
        for index, value in enumerate(values):
            try:
                group = _describe_target_group(self._clients("elbv2"), value)
            except is_ansible_aws_error_code(["TargetGroupNotFound", "ValidationError"]):
                fail("target_groups[%d]: target group %s does not exist in this region." % (index, value))
            names.append(group["TargetGroupName"])
            self._target_groups[group["TargetGroupName"]] = group
        if len(set(names)) != 2:
            fail("target_groups %s name the same target group twice: a blue/green pair needs two." % (values,))
        return names

    def listener_arn(self, option, listener):
        """The ARN of a listener given as {arn} or {load_balancer, port}; None when neither is set."""
        arn, load_balancer, port = listener.get("arn"), listener.get("load_balancer"), listener.get("port")
        if arn and (load_balancer or port is not None):
            fail("%s: give either arn, or load_balancer and port, not both." % option)
        if arn:
            try:
                found = _describe_listeners(self._clients("elbv2"), ListenerArns=[arn])
            except is_ansible_aws_error_code(["ListenerNotFound", "ValidationError"]):
                fail("%s.arn: listener %s does not exist." % (option, arn))
            self._load_balancer_of_listener[arn] = found[0].get("LoadBalancerArn") if found else None
            return arn
        if not load_balancer and port is None:
            return None
        if not load_balancer or port is None:
            fail("%s: load_balancer and port go together (the listener on that port of that load balancer)." % option)
        elbv2 = self._clients("elbv2")
        try:
            balancer = _describe_load_balancer(elbv2, load_balancer)
        except is_ansible_aws_error_code(["LoadBalancerNotFound", "ValidationError"]):
            fail("%s.load_balancer: load balancer %s does not exist in this region." % (option, load_balancer))
        listeners = _describe_listeners(elbv2, LoadBalancerArn=balancer["LoadBalancerArn"])
        for candidate in listeners:
            if candidate.get("Port") == port:
                self._load_balancer_of_listener[candidate["ListenerArn"]] = balancer["LoadBalancerArn"]
                return candidate["ListenerArn"]
        ports = ", ".join(str(candidate.get("Port")) for candidate in listeners) or "none"
        fail("%s.port: load balancer %s has no listener on port %s (its listener ports: %s)." % (option, load_balancer, port, ports))

    def role_arn(self, value):
        """service_role as an ARN; a name is looked up, and so is an ARN of this account.

        An ARN of another account is used as given (this account cannot read it). Without
        the check, CodeDeploy's InvalidRoleException for a role that does not exist looks
        like IAM's propagation delay, which is retried for most of a minute.
        """
        name = value.rsplit("/", 1)[-1] if _is_arn(value) else value
        try:
            role = _find_role(self._clients("iam"), name)
        except is_ansible_aws_error_code("AccessDenied"):
            if _is_arn(value):
                return value
            raise
        if role is not None and (not _is_arn(value) or role["Arn"] == value):
            return role["Arn"]
        if _is_arn(value) and value.split(":")[4] != _get_account(self._clients("sts")):
            return value
        fail(
            "service_role: IAM role %s does not exist. Create it (trusting codedeploy.amazonaws.com, with the "
            "AWSCodeDeployRoleForECS policy) or give its ARN." % value
        )

    def ecs_service(self, cluster, service):
        """{serviceName, clusterName} of an ECS service that CodeDeploy can deploy (CODE_DEPLOY controller)."""
        cluster_name, service_name = name_from_arn(cluster), name_from_arn(service)
        try:
            response = _describe_services(self._clients("ecs"), cluster_name, service_name)
        except is_ansible_aws_error_code("ClusterNotFoundException"):
            fail("cluster: ECS cluster %s does not exist in this region." % cluster_name)
        found = [item for item in response.get("services", []) if item.get("status") != "INACTIVE"]
        if not found:
            fail("service: ECS service %s does not exist in cluster %s." % (service_name, cluster_name))
        controller = (found[0].get("deploymentController") or {}).get("type", "ECS")
        if controller != "CODE_DEPLOY":
            fail(
                "service: ECS service %s in cluster %s uses the %s deployment controller; CodeDeploy blue/green deployments "
                "need a service created with deployment_controller CODE_DEPLOY." % (service_name, cluster_name, controller)
            )
        return {"serviceName": service_name, "clusterName": cluster_name}

    def check_alarms(self, names):
        """Fail when an alarm name does not exist: a misspelt alarm would silently never roll back."""
        if not names:
            return
        found = set(_describe_alarm_names(self._clients("cloudwatch"), names))
        missing = [name for name in names if name not in found]
        if missing:
            fail(
                "alarms.names: CloudWatch alarms %s do not exist in this region; a deployment could never roll back on them. "
                "Create them first or correct the names." % ", ".join(missing)
            )

    def check_deployment_config(self, name):
        config = get_deployment_config(self._clients("codedeploy"), name)
        if config is None:
            fail(
                "deployment_config_name: deployment config %s does not exist. Use a predefined one such as "
                "CodeDeployDefault.ECSCanary10Percent5Minutes, or create it with canary.ecs.codedeploy_deployment_config." % name
            )
        if config.get("computePlatform", "ECS") != "ECS":
            fail("deployment_config_name: deployment config %s is for the %s compute platform, not ECS." % (name, config.get("computePlatform")))
