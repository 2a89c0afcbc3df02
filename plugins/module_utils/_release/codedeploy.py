# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The CodeDeploy backend of a release: ECS blue/green deployments run by CodeDeploy.

A backend is what release.py, history.py and the watch loop talk to; everything specific
to one way of releasing on AWS sits behind these methods (see docs/development.md for
adding another, such as ECS's own blue/green, linear and canary deployments):

    service_problem(service)     why this backend cannot release the service (described), or None
    live_revision(service)       the task definition ARN serving production
    find(cluster, service, application, group, required)   what deploys the service (a "route": here a deployment group)
    alarm_names(route)           the alarms that stop a release of it
    in_flight(route)             its deployments in flight (raw), newest first
    history(route, limit)        its latest deployments (raw), newest first
    get(deployment_id)           one deployment (raw)
    released_revision(dep)       the task definition ARN a deployment releases
    plan(route, config_name)     the traffic plan (plan.plan) of a release
    appspec(arn, container, port, service)   what a release of that revision asks for (here the AppSpec)
    start(route, spec, config_name, description)   -> the deployment id
    look(deployment_id, target, alarm_names)   one look: a snapshot (observe.snapshot)
    glance(deployment_id, target)   a one-call look at the target while it is in progress, else None
    stop(deployment_id, rollback) / resume(deployment_id, wait_type)   True when it acted
"""

import time

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy import api as codedeploy_api
from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.deployment_group import serves
from ansible_collections.canary.ecs.plugins.module_utils._release import alarms, appspec, preflight
from ansible_collections.canary.ecs.plugins.module_utils._release import api as aws
from ansible_collections.canary.ecs.plugins.module_utils._release.observe import IN_FLIGHT, replacement_share, snapshot, target_summary
from ansible_collections.canary.ecs.plugins.module_utils._release.plan import plan
from ansible_collections.canary.ecs.plugins.module_utils.common import fail, short_name

NOT_STARTED = ("Created", "Queued")


def target_id(cluster, service):
    """CodeDeploy names the ECS target of a deployment 'cluster:service'."""
    return "%s:%s" % (short_name(cluster), short_name(service))


class CodeDeployBackend(object):
    name = "codedeploy"

    def __init__(self, clients):
        self.clients = clients

    @property
    def _codedeploy(self):
        return self.clients("codedeploy")

    # ------------------------------------------------------------------ the route: a deployment group

    @staticmethod
    def service_problem(service):
        """Why CodeDeploy cannot release this service (its deployment controller), or None."""
        return preflight.controller_problem(service)

    @staticmethod
    def live_revision(service):
        """The task definition serving production: the PRIMARY task set's."""
        return aws.live_task_definition_arn(service)

    def find(self, cluster, service, application_name=None, group_name=None, required=True):
        """The deployment group that deploys cluster/service; fails naming the problem (None when not required and none)."""
        if group_name:
            if not application_name:
                fail("deployment_group_name needs application_name too (a group name is only unique within its application).")
            group = codedeploy_api.get_deployment_group(self._codedeploy, application_name, group_name)
            if group is None and not required:
                return None
            problem = preflight.group_problem(group, cluster, service, application_name, group_name)
            if problem:
                fail(problem)
            return group
        groups = [
            group
            for group in codedeploy_api.deployment_groups(self._codedeploy, [application_name] if application_name else None)
            if serves(group, cluster, service)
        ]
        if not groups and not required:
            return None
        problem = preflight.groups_found_problem(groups, cluster, service)
        if problem:
            fail(problem)
        return groups[0]

    @staticmethod
    def alarm_names(group, deployment=None):
        """The alarms that stop this deployment: its own override when it has one, else the group's."""
        if deployment and deployment.get("overrideAlarmConfiguration") is not None:
            return alarms.configured_names(deployment["overrideAlarmConfiguration"])
        return preflight.alarm_names(group)

    def live_target_groups(self, group):
        """The TargetGroup dimensions the production listener(s) send traffic to now."""
        pair = ((group.get("loadBalancerInfo") or {}).get("targetGroupPairInfoList") or [{}])[0]
        listener_arns = (pair.get("prodTrafficRoute") or {}).get("listenerArns")
        return aws.live_target_groups(self.clients("elbv2"), listener_arns) if listener_arns else []

    def in_flight(self, group):
        return self.history(group, statuses=IN_FLIGHT)

    def history(self, group, limit=None, statuses=None):
        ids = codedeploy_api.list_deployment_ids(self._codedeploy, group["applicationName"], group["deploymentGroupName"], statuses, limit)
        infos = codedeploy_api.batch_get_deployments(self._codedeploy, ids) if ids else []
        return sorted(infos, key=lambda info: info.get("createTime") or 0, reverse=True)

    def get(self, deployment_id):
        return codedeploy_api.get_deployment(self._codedeploy, deployment_id)

    def group_of(self, deployment):
        return codedeploy_api.get_deployment_group(self._codedeploy, deployment["applicationName"], deployment["deploymentGroupName"])

    @staticmethod
    def released_revision(deployment):
        return appspec.task_definition_of(deployment)

    def plan(self, group, config_name, minute_seconds=60):
        """The release's plan under `config_name`; None when no such deployment config exists."""
        config = codedeploy_api.get_deployment_config(self._codedeploy, config_name) if config_name else None
        if config_name and config is None:
            return None
        return plan(config, group, minute_seconds)

    # ------------------------------------------------------------------ acting

    @staticmethod
    def appspec(task_definition_arn, container, port, service):
        return appspec.build(task_definition_arn, container, port, service)

    def start(self, group, spec, config_name=None, description=None, alarm_override=None):
        return codedeploy_api.create_deployment(
            self._codedeploy, group["applicationName"], group["deploymentGroupName"], appspec.revision(spec), config_name, description, alarm_override
        )

    def stop(self, deployment_id, rollback):
        return codedeploy_api.stop_deployment(self._codedeploy, deployment_id, rollback)

    def resume(self, deployment_id, wait_type):
        return codedeploy_api.continue_deployment(self._codedeploy, deployment_id, wait_type)

    # ------------------------------------------------------------------ looking

    def look(self, deployment_id, target, alarm_names):
        """One look at a deployment: three calls (plus one for a rollback deployment once it exists).

        alarm_names None: the deployment's group is read for them (one call more).
        """
        info = self.get(deployment_id)
        if alarm_names is None:
            alarm_names = self.alarm_names(self.group_of(info), info)
        # a deployment CodeDeploy has not started yet has no target to read (DeploymentNotStartedException)
        started = info.get("status") not in NOT_STARTED
        found = codedeploy_api.get_deployment_target(self._codedeploy, deployment_id, target) if target and started else None
        cloudwatch = self.clients("cloudwatch")
        alarms = aws.describe_alarms(cloudwatch, alarm_names) if alarm_names else []
        rollback_info = None
        transitions = None
        if info.get("status") in ("Failed", "Stopped"):
            rollback_id = (info.get("rollbackInfo") or {}).get("rollbackDeploymentId")
            if rollback_id:
                rollback_info = self.get(rollback_id)
            # a fast alarm can fire and clear between two looks; its history still tells when it fired
            if (info.get("errorInformation") or {}).get("code") == "ALARM_ACTIVE" and alarm_names and info.get("createTime"):
                transitions = aws.alarm_transitions(cloudwatch, alarm_names, info["createTime"])
        snap = snapshot(info, found, alarms, observed_at=time.time(), rollback_info=rollback_info, alarm_transitions=transitions)
        snap["revision"] = self.released_revision(info)
        return snap

    def glance(self, deployment_id, target):
        """One call (GetDeploymentTarget): the target's phase, task sets and traffic while it is in progress.

        A partial snapshot (glance: true) for a caller that holds the last full look to update with it
        (between the plan's changes); None once the target is anything but InProgress: then only a full
        look tells how it ended (status, rollback, alarms)."""
        found = codedeploy_api.get_deployment_target(self._codedeploy, deployment_id, target)
        if not found or (found.get("ecsTarget") or {}).get("status") != "InProgress":
            return None
        snap = target_summary(found)
        snap.update(deployment_id=deployment_id, glance=True, observed_at=time.time(), status="InProgress")
        snap["traffic_share"] = replacement_share(snap)
        return snap
