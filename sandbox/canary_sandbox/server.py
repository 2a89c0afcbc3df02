"""The sandbox process: moto plus canary_sandbox's extensions behind one loopback port."""

import json
import logging
import os
import threading

from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from . import DEFAULT_REGION, moto_fidelity
from .awsclients import Clients
from .clock import Clock
from .guard import assert_loopback
from .router import Router

LOG = logging.getLogger("canary_sandbox")


class Extension:
    """A piece of the sandbox with its own state or threads (engine, alarms, data plane).

    The sandbox calls attach() once before it serves, start() once it serves, reset()
    on /moto-api/reset before moto resets and after_reset() once moto has, and stop() on
    shutdown.
    """

    name = "extension"

    def attach(self, sandbox, router):
        self.sandbox = sandbox

    def start(self):
        pass

    def reset(self):
        pass

    def after_reset(self):
        pass

    def stop(self):
        pass

    def status(self):
        return {}


# The AWS managed policies a canary.ecs stack attaches. moto would load all ~1,580 of them
# into every IAM backend it builds, and it rebuilds them after each reset: seconds of CPU
# per test. Users attaching another managed policy add its name here.
MANAGED_POLICIES = (
    "AWSCodeDeployRoleForECS",
    "AWSCodeDeployRoleForECSLimited",
    "AmazonECSTaskExecutionRolePolicy",
    "AmazonEC2ContainerRegistryReadOnly",
    "CloudWatchReadOnlyAccess",
    "AmazonECSInfrastructureRolePolicyForLoadBalancers",
)


def _load_only_needed_managed_policies():
    import moto.iam.models as iam_models

    every = json.loads(iam_models.aws_managed_policies_data)
    iam_models.aws_managed_policies_data = json.dumps({name: every[name] for name in MANAGED_POLICIES if name in every})


def default_extensions():
    """Every extension the sandbox runs, in start order: the CodeDeploy control plane, alarm
    evaluation (moto never evaluates alarms), the data plane (listener ports, tasks, ALB
    metrics), the engine that runs CodeDeploy ECS deployments through their lifecycle, ECS's own
    service deployments (blue/green, linear, canary), and ECR's scan findings as seeded."""
    from .cloudwatch.alarms import AlarmEvaluator
    from .codedeploy.service import CodeDeployExtension
    from .dataplane.extension import DataPlane
    from .ecr import ScanFindings
    from .engine.extension import DeploymentEngine
    from .servicedeploy.extension import ServiceDeployments

    return [CodeDeployExtension(), AlarmEvaluator(), DataPlane(), DeploymentEngine(), ServiceDeployments(), ScanFindings()]


class Sandbox:
    # moto keeps every backend in module globals: two sandboxes in one process would share one
    # AWS state, and each one's engine and data plane would act on the other's resources.
    _running = None
    _running_lock = threading.Lock()

    def __init__(self, host="127.0.0.1", port=0, minute_seconds=None, region=DEFAULT_REGION, extensions=None):
        assert_loopback(f"http://{host}:{port or 1}", what="sandbox listen address")
        # Attaching AWS managed policies (AWSCodeDeployRoleForECS) needs them loaded.
        os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        _load_only_needed_managed_policies()
        moto_fidelity.apply()
        self.host = host
        self.port = port
        self.region = region
        self.clock = Clock(minute_seconds)
        self.extensions = default_extensions() if extensions is None else extensions
        self.endpoint = None
        self.clients = None
        self._server = None
        self._thread = None
        self._lock = threading.Lock()

    def extension(self, name):
        for extension in self.extensions:
            if extension.name == name:
                return extension
        raise KeyError(name)

    def start(self):
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

        with Sandbox._running_lock:
            if Sandbox._running is not None:
                raise RuntimeError(
                    f"a sandbox already runs in this process ({Sandbox._running.endpoint}); moto's state is per process, "
                    "so a second one would share it. Start another in its own process: "
                    "python -m canary_sandbox start --background (canary_sandbox.testing.sandbox_process does this)."
                )
            Sandbox._running = self
        try:
            self._serve(DomainDispatcherApplication(create_backend_app), MotoRequestHandler)
        except BaseException:
            self.stop()
            raise
        LOG.info("sandbox serving on %s (one sandbox minute = %ss)", self.endpoint, self.clock.minute_seconds)
        return self

    def _serve(self, moto_app, request_handler):
        router = self.router = Router(self, moto_app)
        router.admin[("GET", "/_sandbox/status")] = lambda request: self._json(self.status())
        for extension in self.extensions:
            extension.attach(self, router)
        self._server = make_server(self.host, self.port, router, threaded=True, request_handler=request_handler)
        self.port = self._server.server_address[1]
        self.endpoint = f"http://{self.host}:{self.port}"
        self.clients = Clients(self.endpoint)
        self._thread = threading.Thread(target=self._server.serve_forever, name="sandbox-http", daemon=True)
        self._thread.start()
        for extension in self.extensions:
            extension.start()

    def stop(self):
        self.clock.stop()
        for extension in reversed(self.extensions):
            extension.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = None
        with Sandbox._running_lock:
            if Sandbox._running is self:
                Sandbox._running = None

    def reset(self):
        """Forget all state: the extensions' and moto's."""
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST"), timeout=30).read()

    def reset_extensions(self):
        with self._lock:
            for extension in self.extensions:
                extension.reset()

    def after_reset_extensions(self):
        for extension in self.extensions:
            extension.after_reset()

    def status(self):
        return {
            "endpoint": self.endpoint,
            "region": self.region,
            "minute_seconds": self.clock.minute_seconds,
            "clock_origin": self.clock.origin,
            "pid": os.getpid(),
            "extensions": {extension.name: extension.status() for extension in self.extensions},
        }

    @staticmethod
    def _json(payload):
        return Response(json.dumps(payload), content_type="application/json")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
