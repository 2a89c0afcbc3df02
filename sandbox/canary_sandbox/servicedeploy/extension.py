"""ECS's own blue/green, linear and canary deployments (service deployments), which moto lacks.

Behind ECS's public API, as AWS answers it:
- CreateService / UpdateService with deploymentConfiguration.strategy BLUE_GREEN | LINEAR |
  CANARY are checked (the strategy's settings, each load balancer's advancedConfiguration:
  the alternate target group, the production and test listener rules forwarding to both
  target groups, the role) before moto applies them; InvalidParameterException names the field.
- An UpdateService of such a service that changes its task definition (or forces a new
  deployment) starts a service deployment (run.py); one while another is in flight is refused.
- ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions,
  StopServiceDeployment (ROLLBACK) and ContinueServiceDeployment (a PAUSE hook's CONTINUE or
  ROLLBACK) are answered here.
- DescribeServices shows the revisions' ECS deployments (PRIMARY green, ACTIVE blue) while both
  run; the data plane runs each one's tasks behind the target group this engine placed it in
  (placements()), and routes requests by the listener rules' weights this engine moves.

GET /_sandbox/servicedeploy/timeline?arn=<service deployment ARN> returns a deployment's internal
timeline (stages, hooks, traffic) as JSON.
"""

import copy
import json
import logging
import threading

from werkzeug.wrappers import Response

from ..background import Runs
from ..router import AwsError, json_response
from ..server import Extension
from . import model
from .run import ServiceDeploymentRun

LOG = logging.getLogger("canary_sandbox.servicedeploy")

ECS_TARGET = "AmazonEC2ContainerServiceV20141113."
JOIN_SECONDS = 5.0
MAX_DESCRIBE = 20
MAX_LIST = 100
DEFAULT_LIST = 20


class ServiceDeployments(Extension):
    name = "servicedeploy"

    def __init__(self):
        self.lock = threading.RLock()
        self._runs = Runs(JOIN_SECONDS)  # deployment ARN -> ServiceDeploymentRun, while its thread lives
        self._pending = {}  # id(request) -> what the observer does once moto applied the request
        self._clear()

    def _clear(self):
        self.deployments = {}  # ARN -> record (public keys + _private ones)
        self.revisions = {}  # ARN -> ServiceRevision
        self.services = {}  # service ARN -> {"live_tg", "revision_arn"}
        self._placements = {}  # ECS deployment id -> target group ARN its tasks serve

    # --- Extension ---------------------------------------------------------------------------------

    def attach(self, sandbox, router):
        super().attach(sandbox, router)
        self._router = router
        router.interceptors.append(self._intercept)
        router.observers.append(self._observe)
        router.admin[("GET", "/_sandbox/servicedeploy/timeline")] = self._timeline_endpoint

    def stop(self):
        self._cancel_all()

    def reset(self):
        self._cancel_all()
        with self.lock:
            self._clear()
            self._pending.clear()

    def status(self):
        return {"running": sorted(self._runs.keys())}

    def placements(self):
        """ECS deployment id -> the target group its tasks serve (for the data plane)."""
        with self.lock:
            return dict(self._placements)

    def wait_idle(self, timeout):
        return self._runs.wait_idle(timeout)

    def _cancel_all(self):
        self._runs.cancel_all()

    def finished(self, run):
        self._runs.finished(run.record["serviceDeploymentArn"], run)

    def note(self, record, event, **detail):
        with self.lock:
            record["_timeline"].append(dict(detail, event=event, at=model.now()))
        LOG.info("%s: %s %s", record["_id"], event, detail or "")

    # --- moto's ECS service (in-process) -------------------------------------------------------------

    @staticmethod
    def _backend(region):
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ecs.models import ecs_backends

        return ecs_backends[DEFAULT_ACCOUNT_ID][region]

    def _service(self, region, cluster, service):
        """moto's Service, or None (moto then answers the request with its own error)."""
        try:
            return self._backend(region)._get_service(cluster or "default", (service or "").split("/")[-1])
        except Exception:
            return None

    def _service_by_arn(self, region, service_arn):
        _, _, cluster, name = model.service_parts(service_arn)
        return self._service(region, cluster, name)

    def desired_count(self, region, service_arn):
        service = self._service_by_arn(region, service_arn)
        return int(service.desired_count) if service is not None else 0

    def _changed(self):
        # ECS state changed without a request: make the data plane's next discovery pass due
        self._router.writes += 1

    def count_deployments(self, region, service_arn, desired):
        from .. import moto_fidelity

        service = self._service_by_arn(region, service_arn)
        if service is None:
            return
        with self.lock:
            for deployment in service.deployments:
                running = moto_fidelity.running(deployment["id"], desired)
                deployment.update(desiredCount=desired, runningCount=running, pendingCount=max(0, desired - running))

    def scale_up(self, region, service_arn, green):
        service = self._service_by_arn(region, service_arn)
        now = model.now()
        with self.lock:
            for deployment in service.deployments:
                deployment["status"] = "ACTIVE"
            first = copy.deepcopy(service.deployments[0]) if service.deployments else {}
            first.update(
                id=green["deployment_id"],
                status="PRIMARY",
                taskDefinition=green["task_definition"],
                desiredCount=service.desired_count,
                runningCount=0,
                pendingCount=service.desired_count,
                failedTasks=0,
                createdAt=now,
                updatedAt=now,
                rolloutState="IN_PROGRESS",
                rolloutStateReason=f"ECS deployment {green['deployment_id']} in progress.",
            )
            service.deployments.insert(0, first)
            self._placements[green["deployment_id"]] = green["target_group"]
        self._changed()

    def retire(self, region, service_arn, blue_id, green):
        """CLEAN_UP: blue's tasks stop; green serves production from its target group."""
        service = self._service_by_arn(region, service_arn)
        with self.lock:
            if service is not None:
                service.deployments[:] = [item for item in service.deployments if item["id"] != blue_id]
                for deployment in service.deployments:
                    if deployment["id"] == green["deployment_id"]:
                        deployment.update(rolloutState="COMPLETED", rolloutStateReason=f"ECS deployment {green['deployment_id']} completed.")
            self._placements.pop(blue_id, None)
            self.services[service_arn] = {"live_tg": green["target_group"], "revision_arn": green["revision_arn"]}
        self._changed()

    def roll_back_service(self, region, service_arn, blue, green):
        """Green's tasks stop; the service is back on blue's task definition."""
        service = self._service_by_arn(region, service_arn)
        with self.lock:
            if service is not None:
                service.deployments[:] = [item for item in service.deployments if item["id"] != green["deployment_id"]]
                for deployment in service.deployments:
                    if deployment["id"] == blue["deployment_id"]:
                        deployment["status"] = "PRIMARY"
                service.task_definition = blue["task_definition"]
            self._placements.pop(green["deployment_id"], None)
        self._changed()

    # --- listener rules (through the sandbox's ELBv2 API, so the data plane hears of them) ------------

    @staticmethod
    def route(elbv2, arn, blue_tg, green_tg, green_percent):
        blue_weight, green_weight = model.rule_weights(green_percent)
        current = model.route_actions(elbv2, arn) or []
        sticky = next(((action.get("ForwardConfig") or {}).get("TargetGroupStickinessConfig") for action in current if action.get("Type") == "forward"), None)
        forward = {"TargetGroups": [{"TargetGroupArn": blue_tg, "Weight": blue_weight}, {"TargetGroupArn": green_tg, "Weight": green_weight}]}
        if sticky:
            forward["TargetGroupStickinessConfig"] = sticky
        ServiceDeployments.restore(elbv2, arn, [{"Type": "forward", "ForwardConfig": forward}])

    @staticmethod
    def restore(elbv2, arn, actions):
        if ":listener-rule/" in arn:
            elbv2.modify_rule(RuleArn=arn, Actions=actions)
        else:
            elbv2.modify_listener(ListenerArn=arn, DefaultActions=actions)

    # --- the API -------------------------------------------------------------------------------------

    def _intercept(self, request, region):
        target = request.headers.get("X-Amz-Target", "")
        if not target.startswith(ECS_TARGET):
            return None
        action = target[len(ECS_TARGET) :]
        handler = {
            "CreateService": self._before_create,
            "UpdateService": self._before_update,
            "ListServiceDeployments": self._list,
            "DescribeServiceDeployments": self._describe,
            "DescribeServiceRevisions": self._describe_revisions,
            "StopServiceDeployment": self._stop,
            "ContinueServiceDeployment": self._continue,
        }.get(action)
        if handler is None:
            return None
        try:
            params = json.loads(request.get_data(cache=True) or b"{}")
        except ValueError:
            return AwsError("SerializationException", "The request body is not valid JSON.").response()
        try:
            answer = handler(request, params, region)
        except AwsError as error:
            return error.response()
        return None if answer is None else json_response(answer)

    def _clients(self, region):
        return self.sandbox.clients("elbv2", region), self.sandbox.clients("iam", region)

    def _before_create(self, request, params, region):
        config = params.get("deploymentConfiguration")
        strategy = model.check_configuration(config)
        if strategy in model.NATIVE:
            controller = (params.get("deploymentController") or {}).get("type", "ECS")
            if controller != "ECS":
                raise model.invalid(f"The {strategy} deployment strategy needs deploymentController ECS (it is {controller}).")
            elbv2, iam = self._clients(region)
            model.check_load_balancers(elbv2, iam, params.get("loadBalancers") or [], strategy)
            self._pending[id(request)] = ("create", params)
        return None

    def _before_update(self, request, params, region):
        service = self._service(region, params.get("cluster"), params.get("service"))
        if service is None:
            return None
        config = params.get("deploymentConfiguration", getattr(service, "deployment_configuration", None))
        strategy = model.check_configuration(config)
        if strategy not in model.NATIVE:
            return None
        if (service.deployment_controller or {}).get("type", "ECS") != "ECS":
            raise model.invalid(
                f"The {strategy} deployment strategy needs deploymentController ECS (service {service.name} has {service.deployment_controller['type']})."
            )
        elbv2, iam = self._clients(region)
        model.check_load_balancers(elbv2, iam, params.get("loadBalancers", service.load_balancers), strategy)
        wanted = params.get("taskDefinition")
        changes = bool(params.get("forceNewDeployment")) or (wanted is not None and not _same_task_definition(wanted, service.task_definition))
        if changes:
            in_flight = self._in_flight(service.arn)
            if in_flight is not None:
                raise model.invalid(
                    f"Service deployment {in_flight['serviceDeploymentArn']} of service {service.name} is {in_flight['status']}; "
                    "a new deployment cannot start until it ends. Wait for it, or stop it with StopServiceDeployment."
                )
        self._pending[id(request)] = ("update", {"changes": changes, "previous": service.task_definition, "deployment_id": _primary_id(service)})
        return None

    def _observe(self, request, region):
        pending = self._pending.pop(id(request), None)
        if pending is None:
            return
        kind, detail = pending
        try:
            if kind == "create":
                self._created(region, detail)
            else:
                self._updated(region, request, detail)
        except Exception:  # never break moto's answer; the deployment is then missing, and the log says why
            LOG.exception("service deployments: could not follow %s", kind)

    def _created(self, region, params):
        service = self._service(region, params.get("cluster"), params.get("serviceName"))
        if service is None:
            return
        balancer = service.load_balancers[0]
        revision = self._new_revision(region, service)
        with self.lock:
            self.services[service.arn] = {"live_tg": balancer["targetGroupArn"], "revision_arn": revision["serviceRevisionArn"]}
            primary = _primary_id(service)
            if primary:
                self._placements[primary] = balancer["targetGroupArn"]
            record = self._new_record(service, None, revision, status="SUCCESSFUL")
            record.update(startedAt=record["createdAt"], finishedAt=record["createdAt"], statusReason=f"Service deployment {record['_id']} completed.")

    def _updated(self, region, request, detail):
        body = json.loads(request.get_data(cache=True) or b"{}")
        service = self._service(region, body.get("cluster"), body.get("service"))
        if service is None or not detail["changes"]:
            return
        if not body.get("forceNewDeployment") and service.task_definition == detail["previous"]:
            return  # the same task definition after all (a family name), or moto refused the update
        with self.lock:
            state = self.services.get(service.arn)
            balancer = service.load_balancers[0]
            if state is None:  # a service made ROLLING and switched later: its first revision is the one running
                state = self.services[service.arn] = {
                    "live_tg": balancer["targetGroupArn"],
                    "revision_arn": self._new_revision(region, service, detail["previous"])["serviceRevisionArn"],
                }
            blue_id = _primary_id(service)
            self._placements[blue_id] = state["live_tg"]
            # moto's forceNewDeployment renames the deployment it has: keep it placed
            if detail["deployment_id"] and detail["deployment_id"] != blue_id:
                self._placements.pop(detail["deployment_id"], None)
        pair = (balancer["targetGroupArn"], balancer["advancedConfiguration"]["alternateTargetGroupArn"])
        green_tg = pair[1] if state["live_tg"] == pair[0] else pair[0]
        revision = self._new_revision(region, service)
        blue_revision = self.revisions[state["revision_arn"]]
        blue = {
            "deployment_id": blue_id,
            "revision_arn": blue_revision["serviceRevisionArn"],
            "task_definition": blue_revision["taskDefinition"],
            "target_group": state["live_tg"],
        }
        green = {
            "deployment_id": f"ecs-svc/{model.new_id()[:19]}",
            "revision_arn": revision["serviceRevisionArn"],
            "task_definition": service.task_definition,
            "target_group": green_tg,
        }
        with self.lock:
            record = self._new_record(service, blue_revision, revision, status="PENDING")
            record["_balancer"] = copy.deepcopy(balancer)
            run = ServiceDeploymentRun(self, region, record, blue, green)
            self._runs.add(record["serviceDeploymentArn"], run)
        self.note(record, "plan", blue=blue, green=green, steps=model.traffic_steps(record["deploymentConfiguration"]))
        run.start()

    def _new_revision(self, region, service, task_definition=None):
        arn = model.revision_arn(service.arn, model.new_id())
        revision = {
            "serviceRevisionArn": arn,
            "serviceArn": service.arn,
            "clusterArn": service.cluster_arn,
            "taskDefinition": task_definition or service.task_definition,
            "launchType": service.launch_type,
            "platformFamily": "EC2" if service.launch_type == "EC2" else "Linux",
            "loadBalancers": copy.deepcopy(service.load_balancers),
            "guardDutyEnabled": False,
            "createdAt": model.now(),
        }
        if service.platform_version:
            revision["platformVersion"] = service.platform_version
        if getattr(service, "network_configuration", None):
            revision["networkConfiguration"] = copy.deepcopy(service.network_configuration)
        with self.lock:
            self.revisions[arn] = revision
        return revision

    def _new_record(self, service, source, target, status):
        """A service deployment from `source` (a revision or None) to `target` (under the lock)."""
        deployment_id = model.new_id()
        config = copy.deepcopy(getattr(service, "deployment_configuration", None) or {})
        alarms = config.get("alarms") or {}
        record = {
            "serviceDeploymentArn": model.deployment_arn(service.arn, deployment_id),
            "serviceArn": service.arn,
            "clusterArn": service.cluster_arn,
            "createdAt": model.now(),
            "updatedAt": model.now(),
            "sourceServiceRevisions": [model.revision_summary(source["serviceRevisionArn"], service.desired_count, 0, 100.0, 100.0)] if source else [],
            "targetServiceRevision": model.revision_summary(
                target["serviceRevisionArn"], service.desired_count if not source else 0, 0, 0.0 if source else 100.0, 0.0 if source else 100.0
            ),
            "status": status,
            "deploymentConfiguration": config,
            "deploymentCircuitBreaker": {"status": "DISABLED", "failureCount": 0, "threshold": 0},
            "alarms": {
                "status": "MONITORING" if alarms.get("enable") and alarms.get("alarmNames") else "DISABLED",
                "alarmNames": list(alarms.get("alarmNames") or []),
            },
            "_id": deployment_id,
            "_timeline": [],
        }
        self.deployments[record["serviceDeploymentArn"]] = record
        return record

    def _in_flight(self, service_arn):
        with self.lock:
            found = [record for record in self.deployments.values() if record["serviceArn"] == service_arn and record["status"] in model.IN_FLIGHT]
        return found[0] if found else None

    def _record(self, arn):
        with self.lock:
            record = self.deployments.get(arn or "")
        if record is None:
            raise AwsError("ServiceDeploymentNotFoundException", f"The service deployment {arn} does not exist.")
        return record

    def _list(self, request, params, region):
        if not params.get("service"):
            raise model.invalid("service is required.")
        backend = self._backend(region)
        try:
            backend._get_cluster(params.get("cluster") or "default")
        except Exception:
            raise AwsError("ClusterNotFoundException", "Cluster not found.") from None
        service = self._service(region, params.get("cluster"), params["service"])
        if service is None:
            raise AwsError("ServiceNotFoundException", "Service not found.")
        statuses = params.get("status") or []
        unknown = [status for status in statuses if status not in model.STATUSES]
        if unknown:
            raise model.invalid(f"status {unknown[0]!r} is not a service deployment status ({', '.join(model.STATUSES)}).")
        limit = params.get("maxResults") or DEFAULT_LIST
        if not 1 <= limit <= MAX_LIST:
            raise model.invalid(f"maxResults must be from 1 to {MAX_LIST}; got {limit}.")
        created = params.get("createdAt") or {}
        with self.lock:
            found = [
                model.brief(record)
                for record in self.deployments.values()
                if record["serviceArn"] == service.arn
                and (not statuses or record["status"] in statuses)
                and (created.get("after") is None or record["createdAt"] >= float(created["after"]))
                and (created.get("before") is None or record["createdAt"] <= float(created["before"]))
            ]
        found.sort(key=lambda item: item["createdAt"], reverse=True)
        try:
            start = int(params.get("nextToken") or 0)
        except ValueError:
            raise model.invalid("nextToken is not valid.") from None
        answer = {"serviceDeployments": found[start : start + limit]}
        if start + limit < len(found):
            answer["nextToken"] = str(start + limit)
        return answer

    def _describe(self, request, params, region):
        return self._described(params, "serviceDeploymentArns", "serviceDeployments", "service deployments", self.deployments, model.public)

    def _describe_revisions(self, request, params, region):
        return self._described(params, "serviceRevisionArns", "serviceRevisions", "service revisions", self.revisions, dict)

    def _described(self, params, asked, answered, what, store, view):
        """A Describe call of ECS: 1 to 20 ARNs; the ones found (as `view` shows them), the others as failures MISSING."""
        arns = params.get(asked) or []
        if not arns or len(arns) > MAX_DESCRIBE:
            raise model.invalid(f"{asked} must name 1 to {MAX_DESCRIBE} {what}.")
        found, failures = [], []
        with self.lock:
            for arn in arns:
                item = store.get(arn)
                if item is None:
                    failures.append({"arn": arn, "reason": "MISSING"})
                else:
                    found.append(copy.deepcopy(view(item)))
        return {answered: found, "failures": failures}

    def _stop(self, request, params, region):
        record = self._record(params.get("serviceDeploymentArn"))
        stop_type = params.get("stopType") or "ROLLBACK"
        if stop_type != "ROLLBACK":
            raise model.invalid(f"stopType {stop_type} is not supported; the valid value is ROLLBACK.")
        run = self._runs.get(record["serviceDeploymentArn"])
        with self.lock:
            if run is None or record["status"] not in ("PENDING", "IN_PROGRESS"):
                raise AwsError(
                    "ConflictException",
                    f"The service deployment {record['serviceDeploymentArn']} is {record['status']}; only a PENDING or IN_PROGRESS deployment can be stopped.",
                )
            record["status"] = "ROLLBACK_REQUESTED"
            record["updatedAt"] = model.now()
        run.request_stop("Service deployment rolled back by StopServiceDeployment.")
        return {"serviceDeploymentArn": record["serviceDeploymentArn"]}

    def _continue(self, request, params, region):
        record = self._record(params.get("serviceDeploymentArn"))
        action = params.get("action") or "CONTINUE"
        if action not in ("CONTINUE", "ROLLBACK"):
            raise model.invalid(f"action must be CONTINUE or ROLLBACK; got {action!r}.")
        run = self._runs.get(record["serviceDeploymentArn"])
        with self.lock:
            waiting = [detail["hookId"] for detail in record.get("lifecycleHookDetails") or [] if detail.get("status") == "AWAITING_ACTION"]
        hook_id = params.get("hookId")
        if not hook_id:
            raise model.invalid("hookId is required: the lifecycleHookDetails[].hookId of DescribeServiceDeployments.")
        if run is None or not waiting:
            raise model.invalid(f"The service deployment {record['serviceDeploymentArn']} is not paused at a lifecycle hook (status {record['status']}).")
        if hook_id not in waiting:
            raise model.invalid(f"hookId {hook_id} is not awaiting action; the deployment waits on {', '.join(waiting)}.")
        run.answer_hook(hook_id, action)
        return {"serviceDeploymentArn": record["serviceDeploymentArn"]}

    # --- timeline --------------------------------------------------------------------------------

    def _timeline_endpoint(self, request):
        with self.lock:
            record = self.deployments.get(request.args.get("arn", ""))
            found = (
                None
                if record is None
                else {
                    "serviceDeploymentArn": record["serviceDeploymentArn"],
                    "status": record["status"],
                    "timeline": [dict(item) for item in record["_timeline"]],
                }
            )
        if found is None:
            return Response(json.dumps({"message": "No such service deployment."}), status=404, content_type="application/json")
        return Response(json.dumps(found, default=str), content_type="application/json")


def _same_task_definition(wanted, current):
    """Whether an UpdateService taskDefinition (family, family:revision or ARN) names the current one."""
    if not current:
        return False
    if wanted == current:
        return True
    short = current.rsplit("/", 1)[-1]
    return wanted == short


def _primary_id(service):
    return next((item["id"] for item in service.deployments if item.get("status") == "PRIMARY"), service.deployments[0]["id"] if service.deployments else None)
