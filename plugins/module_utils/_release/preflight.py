# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Checks made before a release creates anything, each failing with what to do about it.

The functions take what was read from AWS and return a finding (a message) or None,
so each rule is tested on its own; `problems()` runs them all.
"""

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.deployment_group import serves
from ansible_collections.canary.ecs.plugins.module_utils._release import alarms
from ansible_collections.canary.ecs.plugins.module_utils._release.taskdef import TaskDefinitionError, container_ports, find_container


def controller_problem(service):
    controller = (service.get("deploymentController") or {}).get("type") or "ECS"
    if controller == "CODE_DEPLOY":
        return None
    strategy = (service.get("deploymentConfiguration") or {}).get("strategy")
    if controller == "ECS" and strategy in ("BLUE_GREEN", "LINEAR", "CANARY"):
        return (
            "ECS service '%s' is released by ECS itself (deployment controller ECS, strategy %s), not by CodeDeploy: release it "
            "with backend=ecs (or auto; playbooks/deploy.yml follows stack_release_backend). Fleet releases are CodeDeploy's only."
            % (service.get("serviceName"), strategy)
        )
    return (
        "ECS service '%s' uses the %s deployment controller; a blue/green release needs CODE_DEPLOY. The controller "
        "cannot be changed in place: recreate the service with deployment_controller CODE_DEPLOY (playbooks/provision.yml does)."
        % (service.get("serviceName"), controller)
    )


def group_problem(group, cluster, service_name, application_name, group_name):
    """The deployment group must exist and deploy this service."""
    if group is None:
        return (
            "CodeDeploy deployment group '%s' of application '%s' does not exist. Create it (canary.ecs.codedeploy_deployment_group) "
            "or omit deployment_group_name to use the group that deploys the service." % (group_name, application_name)
        )
    if not serves(group, cluster, service_name):
        services = ", ".join("%s/%s" % (s.get("clusterName"), s.get("serviceName")) for s in group.get("ecsServices") or []) or "none"
        return (
            "CodeDeploy deployment group '%s' deploys %s, not ECS service %s/%s. Name the group of this service, or omit "
            "deployment_group_name to find it." % (group.get("deploymentGroupName"), services, cluster, service_name)
        )
    return None


def groups_found_problem(groups, cluster, service_name):
    if not groups:
        return (
            "No CodeDeploy deployment group deploys ECS service %s/%s. Create one for it (canary.ecs.codedeploy_deployment_group, "
            "or playbooks/provision.yml), or set application_name and deployment_group_name." % (cluster, service_name)
        )
    if len(groups) > 1:
        names = ", ".join("%s/%s" % (g.get("applicationName"), g.get("deploymentGroupName")) for g in groups)
        return "ECS service %s/%s is deployed by several CodeDeploy deployment groups (%s): set application_name and deployment_group_name to pick one." % (
            cluster,
            service_name,
            names,
        )
    return None


def load_balanced_container(service, container_name=None):
    """(container, port) the service's load balancer sends traffic to; `container_name` must be one of them."""
    balanced = [(lb.get("containerName"), lb.get("containerPort")) for lb in service.get("loadBalancers") or [] if lb.get("containerName")]
    if not balanced:
        return (
            None,
            None,
            (
                "ECS service '%s' has no load balancer: a blue/green release shifts traffic between two target groups, "
                "so the service needs loadBalancers with a container name and port." % service.get("serviceName")
            ),
        )
    if container_name is None:
        return balanced[0][0], balanced[0][1], None
    for name, port in balanced:
        if name == container_name:
            return name, port, None
    return (
        None,
        None,
        (
            "Container '%s' is not behind the load balancer of ECS service '%s' (it routes to %s). Set container to that one."
            % (container_name, service.get("serviceName"), ", ".join("%s:%s" % item for item in balanced))
        ),
    )


def container_problem(task_definition, container_name, port):
    """The container must be in the task definition and publish the service's container port."""
    try:
        container = find_container(task_definition, container_name)
    except TaskDefinitionError as error:
        return str(error)
    ports = container_ports(container)
    if port and port not in ports:
        return (
            "Container '%s' in task definition %s does not expose port %s, which the service's load balancer targets "
            "(it exposes %s). Add the port mapping or fix the service."
            % (container_name, task_definition.get("family"), port, ", ".join(str(p) for p in ports) or "none")
        )
    return None


def route_label(group):
    """How a message names the route: "deployment group 'X'", or an ECS-released service's deployment configuration."""
    group = group or {}
    return group.get("_label") or "deployment group '%s'" % group.get("deploymentGroupName")


def alarm_names(group):
    """The alarms CodeDeploy watches for this group (none when alarm monitoring is disabled)."""
    return alarms.configured_names((group or {}).get("alarmConfiguration"))


def alarm_problems(group, described, watched=None):
    """Each alarm must exist, and none that will watch the release (`watched`, default all) may already be in
    ALARM (CodeDeploy would stop at once)."""
    names = alarm_names(group)
    states = dict((alarm["AlarmName"], alarm.get("StateValue")) for alarm in described)
    problems = []
    missing = [name for name in names if name not in states]
    if missing:
        problems.append("The alarm(s) %s do not exist in CloudWatch: create them, or remove them from %s." % (", ".join(missing), route_label(group)))
    firing = [name for name in (names if watched is None else watched) if states.get(name) == "ALARM"]
    if firing:
        problems.append(
            "Alarm(s) %s already in ALARM: CodeDeploy would stop the release at once. Fix what they report, or wait "
            "until they are OK, then release again." % ", ".join(firing)
        )
    return problems


def left_out_warnings(left_out, described):
    """A warning for each alarm left out of the release that is in ALARM: the live version is failing."""
    states = dict((alarm["AlarmName"], alarm.get("StateValue")) for alarm in described)
    firing = [name for name in left_out if states.get(name) == "ALARM"]
    if not firing:
        return []
    return [
        "Alarm(s) %s watch only the live version's target group and are in ALARM: the live version is failing. This release "
        "does not stop on them (it is watched by the alarms of the target group it goes to); a better version repairs the "
        "service." % ", ".join(firing)
    ]


def alarm_warnings(group):
    if alarm_names(group):
        return []
    return ["%s has no CloudWatch alarms enabled: nothing will stop or roll back a bad release automatically." % route_label(group).capitalize()]


def config_problem(config_name, given, group_name):
    if given:
        return (
            "deployment_config_name '%s' is not a CodeDeploy deployment config in this region: use a predefined one "
            "(CodeDeployDefault.ECSCanary10Percent5Minutes, ...) or create it first (canary.ecs.codedeploy_deployment_config). "
            "Nothing was registered." % config_name
        )
    return (
        "Deployment group '%s' uses deployment config '%s', which does not exist: set the group's config "
        "(canary.ecs.codedeploy_deployment_group) or give deployment_config_name. Nothing was registered." % (group_name, config_name)
    )


def image_problem(image, detail, registry):
    if detail is not None:
        return None
    account, region, repository = registry
    return "Image %s does not exist in ECR (repository '%s', account %s, region %s). Push it first, or check the tag." % (image, repository, account, region)
