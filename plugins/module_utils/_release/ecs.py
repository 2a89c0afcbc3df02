# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ECS backend of a release: ECS's own blue/green, linear and canary deployments (service deployments).

The same contract as codedeploy.CodeDeployBackend (see its docstring), so release.py, history.py,
the watch loop, the progress lines and the outcome work unchanged. What differs, and how it is
mapped onto the shapes they read:

- The route is the service itself (ECS controller, strategy BLUE_GREEN | LINEAR | CANARY, each
  load balancer's advancedConfiguration): a deployment-group-shaped dict built from it, with the
  service's alarms (deploymentConfiguration.alarms), its bake time (as the termination wait) and a
  PAUSE hook after test traffic (as the ready wait), so the plan and the alarm checks read it as a
  group. application_name and deployment_group_name are None.
- A deployment is a service deployment, its id the service deployment's ARN. Its status maps onto
  CodeDeploy's: PENDING Created, IN_PROGRESS InProgress (Ready while a PAUSE hook awaits action),
  SUCCESSFUL Succeeded, STOPPED Stopped; a rollback (ROLLBACK_*) is Stopped (alarm or stop request)
  or Failed, with the rollback as a "rollback deployment" whose status follows ROLLBACK_*.
- Its lifecycle stage maps onto CodeDeploy's lifecycle events (SCALE_UP Install, TEST_TRAFFIC_SHIFT
  AllowTestTraffic, PRODUCTION_TRAFFIC_SHIFT AllowTraffic, BAKE_TIME the termination wait) and the
  source and target revisions onto the Blue and Green task sets with ECS's requested production
  traffic weights.
- start() is UpdateService with the new task definition; stop() is StopServiceDeployment ROLLBACK
  (ECS has no stop without rollback); resume(READY_WAIT) is ContinueServiceDeployment CONTINUE on
  the PAUSE hook awaiting action (ECS has no way to end the bake time early).
"""

import time

from ansible_collections.canary.ecs.plugins.module_utils._ecs import api as ecs_api
from ansible_collections.canary.ecs.plugins.module_utils._release import api as aws
from ansible_collections.canary.ecs.plugins.module_utils._release.observe import replacement_share, snapshot, target_summary
from ansible_collections.canary.ecs.plugins.module_utils._release.plan import plan
from ansible_collections.canary.ecs.plugins.module_utils.common import fail, short_name

NATIVE_STRATEGIES = ("BLUE_GREEN", "LINEAR", "CANARY")
IN_FLIGHT = ("PENDING", "IN_PROGRESS", "STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")
ROLLBACK_STATUS = {
    "ROLLBACK_REQUESTED": "InProgress",
    "ROLLBACK_IN_PROGRESS": "InProgress",
    "ROLLBACK_SUCCESSFUL": "Succeeded",
    "ROLLBACK_FAILED": "Failed",
}
APPROVAL_STAGE = "POST_TEST_TRAFFIC_SHIFT"  # where CodeDeploy's ready wait sits: after test traffic, before production
START_SEEN_SECONDS = 30.0  # how long a new service deployment may take to be listed after UpdateService

# lifecycle stage -> the CodeDeploy lifecycle events (name, status) it stands for
_STAGE_EVENTS = {
    "RECONCILE_SERVICE": (("Install", "Pending"),),
    "PRE_SCALE_UP": (("Install", "InProgress"),),
    "SCALE_UP": (("Install", "InProgress"),),
    "POST_SCALE_UP": (("Install", "InProgress"),),
    "TEST_TRAFFIC_SHIFT": (("Install", "Succeeded"), ("AllowTestTraffic", "InProgress")),
    "POST_TEST_TRAFFIC_SHIFT": (("Install", "Succeeded"), ("AllowTestTraffic", "InProgress")),
    "PRODUCTION_TRAFFIC_SHIFT": (("Install", "Succeeded"), ("AllowTestTraffic", "Succeeded"), ("AllowTraffic", "InProgress")),
    "POST_PRODUCTION_TRAFFIC_SHIFT": (("Install", "Succeeded"), ("AllowTraffic", "Succeeded"), ("AfterAllowTraffic", "InProgress")),
    "BAKE_TIME": (("Install", "Succeeded"), ("AllowTraffic", "Succeeded"), ("AfterAllowTraffic", "Succeeded")),
    "CLEAN_UP": (("Install", "Succeeded"), ("AllowTraffic", "Succeeded"), ("AfterAllowTraffic", "Succeeded")),
}


def strategy_label(configuration):
    """'ECS CANARY 10% for 15 min' (the deployment_config_name of an ECS release)."""
    configuration = configuration or {}
    strategy = configuration.get("strategy") or "ROLLING"
    if strategy == "CANARY":
        canary = configuration.get("canaryConfiguration") or {}
        return "ECS CANARY %g%% for %g min" % (canary.get("canaryPercent", 5.0), canary.get("canaryBakeTimeInMinutes", 10))
    if strategy == "LINEAR":
        linear = configuration.get("linearConfiguration") or {}
        return "ECS LINEAR %g%% every %g min" % (linear.get("stepPercent", 10.0), linear.get("stepBakeTimeInMinutes", 6))
    return "ECS %s" % strategy


def as_deployment_config(configuration):
    """ECS's strategy as the CodeDeploy deployment config plan.plan() reads."""
    configuration = configuration or {}
    strategy = configuration.get("strategy")
    if strategy == "CANARY":
        canary = configuration.get("canaryConfiguration") or {}
        routing = {
            "type": "TimeBasedCanary",
            "timeBasedCanary": {"canaryPercentage": canary.get("canaryPercent", 5.0), "canaryInterval": canary.get("canaryBakeTimeInMinutes", 10)},
        }
    elif strategy == "LINEAR":
        linear = configuration.get("linearConfiguration") or {}
        routing = {
            "type": "TimeBasedLinear",
            "timeBasedLinear": {"linearPercentage": linear.get("stepPercent", 10.0), "linearInterval": linear.get("stepBakeTimeInMinutes", 6)},
        }
    else:
        routing = {"type": "AllAtOnce"}
    return {"deploymentConfigName": strategy_label(configuration), "trafficRoutingConfig": routing}


def approval_hook(configuration):
    """The PAUSE hook that waits for approval before production traffic moves, or None."""
    for hook in (configuration or {}).get("lifecycleHooks") or []:
        stages = hook.get("lifecycleStages") or []
        if hook.get("targetType") == "PAUSE" and (APPROVAL_STAGE in stages or "PRE_PRODUCTION_TRAFFIC_SHIFT" in stages):
            return hook
    return None


def as_route(service):
    """A deployment-group-shaped view of an ECS-released service (what the shared checks and the plan read)."""
    configuration = service.get("deploymentConfiguration") or {}
    configured = configuration.get("alarms") or {}
    names = list(configured.get("alarmNames") or [])
    hook = approval_hook(configuration)
    ready = {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": ((hook or {}).get("timeoutConfiguration") or {}).get("timeoutInMinutes", 1440)}
    return {
        "applicationName": None,
        "deploymentGroupName": None,
        "_label": "the deployment configuration of ECS service '%s'" % service.get("serviceName"),
        "_service": service,
        "deploymentConfigName": strategy_label(configuration),
        "alarmConfiguration": {"enabled": bool(configured.get("enable")) and bool(names), "alarms": [{"name": name} for name in names]},
        "blueGreenDeploymentConfiguration": {
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": configuration.get("bakeTimeInMinutes") or 0},
            "deploymentReadyOption": ready if hook else {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
        },
        "ecsServices": [{"clusterName": short_name(service.get("clusterArn")), "serviceName": service.get("serviceName")}],
    }


def route_problem(service):
    """Why ECS cannot run a canary release of this service, or None."""
    controller = (service.get("deploymentController") or {}).get("type") or "ECS"
    strategy = (service.get("deploymentConfiguration") or {}).get("strategy") or "ROLLING"
    name = service.get("serviceName")
    if controller != "ECS":
        return (
            "ECS service '%s' uses the %s deployment controller: backend=ecs releases services that ECS deploys itself (deployment "
            "controller ECS with strategy BLUE_GREEN, LINEAR or CANARY). Use backend=codedeploy (or auto) for it." % (name, controller)
        )
    if strategy not in NATIVE_STRATEGIES:
        return (
            "ECS service '%s' deploys with the %s strategy, which shifts no traffic between two target groups. Give it the BLUE_GREEN, "
            "LINEAR or CANARY strategy with an alternate target group and listener rule (playbooks/provision.yml with "
            "stack_release_backend: ecs does)." % (name, strategy)
        )
    for balancer in service.get("loadBalancers") or []:
        if not (balancer.get("advancedConfiguration") or {}).get("productionListenerRule"):
            return (
                "ECS service '%s' has the %s strategy but its load balancer (target group %s) has no advancedConfiguration with an "
                "alternate target group and production listener rule: ECS cannot move its traffic." % (name, strategy, balancer.get("targetGroupArn"))
            )
    return None


def _mapped_status(deployment):
    status = deployment.get("status")
    if status == "PENDING":
        return "Created"
    if status == "IN_PROGRESS":
        waiting = [hook for hook in deployment.get("lifecycleHookDetails") or [] if hook.get("status") == "AWAITING_ACTION"]
        return "Ready" if waiting else "InProgress"
    if status == "SUCCESSFUL":
        return "Succeeded"
    if status in ("STOPPED", "STOP_REQUESTED"):
        return "Stopped"
    if (deployment.get("alarms") or {}).get("status") == "TRIGGERED" or _stopped_on_request(deployment):
        return "Stopped"
    return "Failed"


def _stopped_on_request(deployment):
    return "StopServiceDeployment" in ((deployment.get("rollback") or {}).get("reason") or deployment.get("statusReason") or "")


def _error_code(deployment):
    status = deployment.get("status")
    if status in ("PENDING", "IN_PROGRESS", "SUCCESSFUL"):
        return None
    if (deployment.get("alarms") or {}).get("status") == "TRIGGERED":
        return "ALARM_ACTIVE"
    if _stopped_on_request(deployment):
        return "MANUAL_STOP"
    reason = (deployment.get("statusReason") or "").lower()
    if "timed out" in reason:
        return "TIMEOUT"
    return "ECS_UPDATE_ERROR"


def as_deployment_info(deployment):
    """A service deployment as the DeploymentInfo-shaped dict the shared code reads (the raw one under _ecs)."""
    configuration = deployment.get("deploymentConfiguration") or {}
    info = {
        "deploymentId": deployment["serviceDeploymentArn"],
        "status": _mapped_status(deployment),
        "applicationName": None,
        "deploymentGroupName": None,
        "deploymentConfigName": strategy_label(configuration),
        "createTime": deployment.get("createdAt"),
        "startTime": deployment.get("startedAt"),
        "completeTime": deployment.get("finishedAt"),
        "creator": "user",
        "_ecs": deployment,
    }
    code = _error_code(deployment)
    if code:
        info["errorInformation"] = {"code": code, "message": deployment.get("statusReason") or ""}
    rollback = deployment.get("rollback")
    if rollback or deployment.get("status") in ROLLBACK_STATUS:
        info["rollbackInfo"] = {
            "rollbackDeploymentId": "%s (rollback to %s)"
            % (short_name(deployment["serviceDeploymentArn"]), short_name((rollback or {}).get("serviceRevisionArn"))),
            "rollbackMessage": (rollback or {}).get("reason") or deployment.get("statusReason"),
        }
    return info


def as_target(deployment, target_groups=None):
    """The service deployment as the ECS deployment target the shared code reads: Blue and Green, their weights and counts, lifecycle events."""
    target_groups = target_groups or {}
    task_sets = []
    for label, revision in [("Blue", item) for item in deployment.get("sourceServiceRevisions") or []] + [
        ("Green", deployment.get("targetServiceRevision") or {})
    ]:
        if not revision:
            continue
        task_sets.append(
            {
                "identifer": short_name(revision.get("arn")),  # sic: CodeDeploy's field name
                "taskSetLabel": label,
                "status": "PRIMARY" if label == "Green" else "ACTIVE",
                "trafficWeight": revision.get("requestedProductionTrafficWeight"),
                "desiredCount": revision.get("requestedTaskCount"),
                "runningCount": revision.get("runningTaskCount"),
                "pendingCount": revision.get("pendingTaskCount"),
                "targetGroup": {"name": target_groups.get(label)},
            }
        )
    stage = deployment.get("lifecycleStage")
    events = [{"lifecycleEventName": name, "status": status} for name, status in _STAGE_EVENTS.get(stage, ())]
    status = deployment.get("status")
    if status in ("SUCCESSFUL",):
        events = [{"lifecycleEventName": name, "status": "Succeeded"} for name in ("Install", "AllowTestTraffic", "AllowTraffic", "AfterAllowTraffic")]
    target_status = {"PENDING": "Pending", "IN_PROGRESS": "InProgress", "SUCCESSFUL": "Succeeded"}.get(status, "Failed")
    return {"ecsTarget": {"targetId": short_name(deployment.get("serviceArn")), "status": target_status, "taskSetsInfo": task_sets, "lifecycleEvents": events}}


class EcsBackend(object):
    name = "ecs"

    def __init__(self, clients):
        self.clients = clients
        self._revisions = {}  # service revision ARN -> task definition ARN (revisions never change)
        self._described = None  # the service service_problem() was given

    @property
    def _ecs(self):
        return self.clients("ecs")

    # ------------------------------------------------------------------ the route: the service itself

    def find(self, cluster, service, application_name=None, group_name=None, required=True):
        if application_name or group_name:
            fail(
                "application_name and deployment_group_name name a CodeDeploy deployment group; with backend=ecs ECS releases service "
                "'%s' itself (its deployment configuration is the route). Leave them out, or use backend=codedeploy." % service
            )
        known = self._described
        if known and known.get("serviceName") == short_name(service) and short_name(known.get("clusterArn")) == short_name(cluster):
            described = known
        else:
            described = aws.describe_service(self._ecs, cluster, service)
        if described is None:
            if not required:
                return None
            fail("ECS service '%s' does not exist in cluster '%s'." % (service, cluster))
        problem = route_problem(described)
        if problem:
            if not required:
                return None
            fail(problem)
        return as_route(described)

    def service_problem(self, service):
        self._described = service  # find() right after needs no second DescribeServices
        return route_problem(service)

    @staticmethod
    def live_revision(service):
        """The task definition serving production: while a deployment runs, the ACTIVE (source) one's; else the service's."""
        for deployment in service.get("deployments") or []:
            if deployment.get("status") == "ACTIVE" and deployment.get("taskDefinition"):
                return deployment["taskDefinition"]
        return service.get("taskDefinition")

    @staticmethod
    def alarm_names(route, deployment=None):
        configuration = ((deployment or {}).get("_ecs") or {}).get("deploymentConfiguration") or (route or {}).get("_service", {}).get(
            "deploymentConfiguration"
        )
        configured = (configuration or {}).get("alarms") or {}
        return list(configured.get("alarmNames") or []) if configured.get("enable") else []

    @staticmethod
    def live_target_groups(route):
        # ECS has no per-deployment alarm override: every alarm of the service watches the release
        return []

    @staticmethod
    def _names(route):
        service = route["_service"]
        return short_name(service["clusterArn"]), service["serviceName"]

    def in_flight(self, route):
        return self.history(route, statuses=IN_FLIGHT)

    def history(self, route, limit=None, statuses=None):
        cluster, service = self._names(route)
        briefs = ecs_api.list_service_deployments(self._ecs, cluster, service, statuses, limit)
        found = ecs_api.describe_service_deployments(self._ecs, [brief["serviceDeploymentArn"] for brief in briefs]) if briefs else []
        infos = [as_deployment_info(item) for item in found]
        return sorted(infos, key=lambda info: info.get("createTime") or 0, reverse=True)

    def get(self, deployment_id):
        found = ecs_api.describe_service_deployments(self._ecs, [deployment_id])
        if not found:
            fail("Service deployment %s does not exist (deployment_id must be a service deployment ARN with backend=ecs)." % deployment_id)
        return as_deployment_info(found[0])

    def group_of(self, deployment):
        service_arn = deployment["_ecs"]["serviceArn"]
        cluster = short_name(deployment["_ecs"]["clusterArn"])
        return self.find(cluster, service_arn.rsplit("/", 1)[-1])

    def released_revision(self, deployment):
        """The task definition ARN of the deployment's target revision (read once per revision)."""
        revision = ((deployment.get("_ecs") or {}).get("targetServiceRevision") or {}).get("arn")
        if not revision:
            return None
        if revision not in self._revisions:
            found = ecs_api.describe_service_revisions(self._ecs, [revision])
            self._revisions[revision] = found[0].get("taskDefinition") if found else None
        return self._revisions[revision]

    def plan(self, route, config_name, minute_seconds=60):
        """The service's strategy as a plan; config_name is CodeDeploy's and is refused when it is not the strategy's own label."""
        if route is None:
            return None
        configuration = route["_service"].get("deploymentConfiguration") or {}
        if config_name and config_name != strategy_label(configuration):
            fail(
                "deployment_config_name is CodeDeploy's; with backend=ecs the service's own strategy (%s) shifts the traffic. Leave it out, "
                "or change the strategy (stack_deployment_config with playbooks/provision.yml, or canary.ecs.ecs_service)." % strategy_label(configuration)
            )
        return plan(as_deployment_config(configuration), route, minute_seconds)

    # ------------------------------------------------------------------ acting

    @staticmethod
    def appspec(task_definition_arn, container, port, service):
        """What a release of that revision asks ECS for: UpdateService's task definition (the container stays the service's)."""
        return {"taskDefinition": task_definition_arn, "containerName": container, "containerPort": port}

    def start(self, route, spec, config_name=None, description=None, alarm_override=None):
        """UpdateService with the new task definition; the service deployment it started (its ARN)."""
        cluster, service = self._names(route)
        ecs_api.update_task_definition(self._ecs, cluster, service, spec["taskDefinition"])
        return self._started(route, spec["taskDefinition"])

    def _started(self, route, task_definition_arn, clock=time.time, sleep=time.sleep):
        """The in-flight service deployment of this revision: ECS lists it a moment after UpdateService answers."""
        deadline = clock() + START_SEEN_SECONDS
        while True:
            for deployment in self.in_flight(route):
                if self.released_revision(deployment) == task_definition_arn:
                    return deployment["deploymentId"]
            if clock() > deadline:
                fail(
                    "ECS accepted the new task definition %s for service '%s' but listed no service deployment of it within %ds: look at "
                    "the service's deployments (playbooks/status.yml)." % (task_definition_arn, route["_service"]["serviceName"], START_SEEN_SECONDS)
                )
            sleep(1.0)

    def stop(self, deployment_id, rollback):
        if not rollback:
            fail("ECS stops a service deployment only by rolling it back (StopServiceDeployment ROLLBACK): use rollback=true with backend=ecs.")
        return ecs_api.stop_service_deployment(self._ecs, deployment_id)

    def resume(self, deployment_id, wait_type):
        if wait_type != "READY_WAIT":
            fail("ECS has no way to end a service deployment's bake time early (wait_type=%s is CodeDeploy's); it ends by itself." % wait_type)
        deployment = self.get(deployment_id)["_ecs"]
        waiting = [hook for hook in deployment.get("lifecycleHookDetails") or [] if hook.get("status") == "AWAITING_ACTION"]
        if not waiting:
            return False
        ecs_api.continue_service_deployment(self._ecs, deployment_id, waiting[0]["hookId"], "CONTINUE")
        return True

    # ------------------------------------------------------------------ looking

    def look(self, deployment_id, target, alarm_names):
        """One look: DescribeServiceDeployments and DescribeAlarms (the alarms' history too once one stopped it)."""
        found = ecs_api.describe_service_deployments(self._ecs, [deployment_id])
        if not found:
            fail("Service deployment %s does not exist." % deployment_id)
        deployment = found[0]
        info = as_deployment_info(deployment)
        if alarm_names is None:
            alarm_names = self.alarm_names(None, info)
        cloudwatch = self.clients("cloudwatch")
        described = aws.describe_alarms(cloudwatch, alarm_names) if alarm_names else []
        transitions = None
        if (info.get("errorInformation") or {}).get("code") == "ALARM_ACTIVE" and alarm_names and info.get("createTime"):
            transitions = aws.alarm_transitions(cloudwatch, alarm_names, info["createTime"])
        rollback = ROLLBACK_STATUS.get(deployment.get("status"))
        snap = snapshot(
            info,
            as_target(deployment),
            described,
            observed_at=time.time(),
            rollback_info={"status": rollback} if rollback else None,
            alarm_transitions=transitions,
        )
        # the released task definition is read by fast fail only, which is CodeDeploy's: no DescribeServiceRevisions per look
        snap["revision"] = None
        snap["backend"] = self.name
        return snap

    def glance(self, deployment_id, target):
        """One call (DescribeServiceDeployments): stage, weights and counts while the deployment is in progress.

        A partial snapshot (glance: true) for a caller that holds the last full look to update with it; None once it
        is anything but in progress (waiting at a hook included): then a full look tells how it is (alarms, rollback)."""
        found = ecs_api.describe_service_deployments(self._ecs, [deployment_id])
        if not found or _mapped_status(found[0]) != "InProgress":
            return None
        snap = target_summary(as_target(found[0]))
        snap.update(deployment_id=deployment_id, glance=True, observed_at=time.time(), status="InProgress")
        snap["traffic_share"] = replacement_share(snap)
        return snap


def backend_of(service):
    """'ecs' for a service ECS releases itself, else 'codedeploy' (the default route)."""
    return "ecs" if route_problem(service) is None else "codedeploy"
