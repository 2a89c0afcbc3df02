"""The CodeDeploy deployment engine: runs ECS blue/green deployments through their lifecycle.

CreateDeployment hands each new deployment to launch(); a DeploymentRun thread
(engine/run.py) then drives it with boto3 calls against the sandbox itself. Stop and
continue requests reach the run through stop_deployment() and continue_deployment().

A light reconciler also gives every CODE_DEPLOY service without task sets the PRIMARY
task set AWS creates together with such a service (moto does not), so the original
version serves, and the data plane sees it, before the first deployment.

GET /_sandbox/engine/timeline?deploymentId=d-...[&region=...] returns a deployment's
internal timeline (traffic shifts, task sets, waits, stops) as JSON.
"""

import json
import logging
import threading

from werkzeug.wrappers import Response

from ..background import Every, Runs
from ..router import WriteWatch
from ..server import Extension
from . import aws
from .run import DeploymentRun

LOG = logging.getLogger("canary_sandbox.engine.extension")

RECONCILE_SECONDS = 0.5  # real seconds between two looks at whether a scan for services without a task set is due
# A scan is due after a request that may have changed state (a new service comes with one), else
# this often anyway (a bootstrap that failed is tried again): an idle sandbox need not list its
# services twice a second.
RECONCILE_QUIET_SECONDS = 5.0
JOIN_SECONDS = 5.0


class DeploymentEngine(Extension):
    name = "engine"

    def __init__(self):
        self._runs = Runs(JOIN_SECONDS)  # (region, deployment id) -> DeploymentRun, while its thread lives
        self._bootstrap_lock = threading.Lock()  # one primary task set per service, reconciler or run
        self._reconciler = Every(RECONCILE_SECONDS, self._reconcile_regions, name="engine-reconciler", join_seconds=JOIN_SECONDS)
        self._bootstrap_failures = {}  # (region, service ARN) -> error text, logged once
        self._due = None  # WriteWatch: is a scan due (made in attach)

    @property
    def codedeploy(self):
        return self.sandbox.extension("codedeploy")

    def attach(self, sandbox, router):
        super().attach(sandbox, router)
        router.admin[("GET", "/_sandbox/engine/timeline")] = self._timeline_endpoint
        self._due = WriteWatch(router, RECONCILE_QUIET_SECONDS)

    def start(self):
        self._reconciler.start()

    def stop(self):
        self._reconciler.stop()
        self._cancel_all()

    def reset(self):
        self._cancel_all()
        self._bootstrap_failures.clear()

    def status(self):
        return {"running": sorted(deployment_id for _, deployment_id in self._runs.keys())}

    # --- deployments -----------------------------------------------------------------------

    def launch(self, region, deployment_id):
        """Start the lifecycle of a Created deployment (called by CreateDeployment)."""
        run = DeploymentRun(self, region, deployment_id)
        self._runs.add((region, deployment_id), run)
        run.start()

    def stop_deployment(self, region, deployment_id, rollback):
        """Ask a running deployment to stop; False if no run holds it."""
        run = self._run(region, deployment_id)
        if run is None:
            return False
        run.request_stop(rollback)
        return True

    def continue_deployment(self, region, deployment_id, wait_type):
        run = self._run(region, deployment_id)
        if run is not None:
            run.request_continue(wait_type)

    def finished(self, run):
        self._runs.finished((run.region, run.deployment_id), run)

    def wait_idle(self, timeout):
        """Join every running deployment (tests and shutdown); True if all ended in time."""
        return self._runs.wait_idle(timeout)

    def _run(self, region, deployment_id):
        return self._runs.get((region, deployment_id))

    def _cancel_all(self):
        self._runs.cancel_all()

    # --- primary task sets -----------------------------------------------------------------

    def ensure_primary_task_set(self, region, cluster, service_name):
        """The service description, after giving it its PRIMARY task set if it had none."""
        ecs = self.sandbox.clients("ecs", region)
        with self._bootstrap_lock:
            service = aws.describe_service(ecs, _Named(cluster, service_name))
            created = aws.ensure_primary_task_set(ecs, cluster, service)
        if created is not None:
            LOG.info("primary task set %s created for service %s/%s", created["id"], cluster, service_name)
        return service

    def _reconcile_regions(self):
        if self._due is not None and not self._due.due():
            return
        for region in self._regions():
            try:
                self._reconcile(region)
            except Exception as error:  # the sandbox may be resetting: try again next round
                LOG.debug("reconciler in %s: %s", region, error)

    def _regions(self):
        regions = {self.sandbox.region}
        try:
            regions.update(self.codedeploy.status().get("regions", []))
        except KeyError:
            pass
        return sorted(regions)

    def _reconcile(self, region):
        ecs = self.sandbox.clients("ecs", region)
        for cluster_arn in ecs.list_clusters().get("clusterArns", []):
            service_arns = ecs.list_services(cluster=cluster_arn).get("serviceArns", [])
            for start in range(0, len(service_arns), 10):
                batch = ecs.describe_services(cluster=cluster_arn, services=service_arns[start : start + 10])["services"]
                for service in batch:
                    if _needs_primary(service):
                        self._bootstrap(region, cluster_arn, service)

    def _bootstrap(self, region, cluster_arn, service):
        key = (region, service["serviceArn"])
        try:
            self.ensure_primary_task_set(region, cluster_arn.rsplit("/", 1)[-1], service["serviceName"])
            self._bootstrap_failures.pop(key, None)
        except Exception as error:  # e.g. a task definition moto cannot scale: say so once, retry quietly
            if self._bootstrap_failures.get(key) != str(error):
                LOG.warning("cannot create the primary task set of %s: %s", service["serviceArn"], error)
            self._bootstrap_failures[key] = str(error)

    # --- timeline --------------------------------------------------------------------------

    def timeline(self, region, deployment_id):
        codedeploy = self.codedeploy
        with codedeploy.lock:
            record = codedeploy.store(region).deployments.get(deployment_id)
            if record is None:
                return None
            return {"deploymentId": deployment_id, "status": record["status"], "timeline": [dict(entry) for entry in record["_timeline"]]}

    def _timeline_endpoint(self, request):
        region = request.args.get("region") or self.sandbox.region
        found = self.timeline(region, request.args.get("deploymentId", ""))
        if found is None:
            return Response(json.dumps({"message": "No such deployment."}), status=404, content_type="application/json")
        return Response(json.dumps(found), content_type="application/json")


class _Named:
    """The (cluster, service) pair engine_aws.describe_service expects as a target."""

    def __init__(self, cluster, service):
        self.cluster = cluster
        self.service = service


def _needs_primary(service):
    return (
        service.get("status") == "ACTIVE"
        and (service.get("deploymentController") or {}).get("type") == "CODE_DEPLOY"
        and not service.get("taskSets")
        and bool(service.get("loadBalancers"))
    )
