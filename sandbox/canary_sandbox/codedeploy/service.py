"""CodeDeploy's JSON API (target prefix CodeDeploy_20141006) served by the sandbox.

Operation handlers live in one module per concern (applications, deployment groups,
deployment configs, tags, deployments) and register themselves with @operation.
botocore's service model is the contract: names, shapes and error codes.
"""

import importlib
import threading

from ..router import AwsError
from ..server import Extension
from .store import Store

TARGET_PREFIX = "CodeDeploy_20141006"
OPERATIONS = {}  # "CreateApplication" -> function(ctx, params) -> dict

# Handler modules, imported for their @operation registrations.
HANDLER_MODULES = ("applications", "deployment_groups", "deployment_configs", "tags", "deployments")


def operation(name):
    def register(function):
        OPERATIONS[name] = function
        return function

    return register


def _not_served(action):
    """An operation of CodeDeploy's model the sandbox does not emulate answers a modelled error a client
    can catch (OperationNotSupportedException); a name outside the model answers what AWS answers
    for an unknown X-Amz-Target (UnknownOperationException)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("codedeploy")
    if action in model.operation_names:
        return AwsError(
            "OperationNotSupportedException",
            f"The sandbox does not emulate CodeDeploy {action}: it serves applications, deployment groups, deployment configs, tags and ECS deployments.",
        )
    return AwsError("UnknownOperationException", f"Unknown operation {action}.")


class Context:
    """What a handler gets: the store for the request's region, the sandbox, the region."""

    def __init__(self, extension, region):
        self.extension = extension
        self.sandbox = extension.sandbox
        self.region = region
        self.store = extension.store(region)

    def client(self, service):
        return self.sandbox.clients(service, self.region)


class CodeDeployExtension(Extension):
    name = "codedeploy"

    def __init__(self):
        self._stores = {}
        self.lock = threading.RLock()  # one writer at a time across regions keeps handlers simple
        for module in HANDLER_MODULES:
            try:
                importlib.import_module(f"{__package__}.{module}")
            except ModuleNotFoundError as error:
                if error.name != f"{__package__}.{module}":
                    raise

    def attach(self, sandbox, router):
        super().attach(sandbox, router)
        router.json_services[TARGET_PREFIX] = self

    def store(self, region):
        with self.lock:
            if region not in self._stores:
                self._stores[region] = Store(region)
            return self._stores[region]

    def reset(self):
        with self.lock:
            for store in self._stores.values():
                store.close()
            self._stores = {}

    def stop(self):
        self.reset()

    def status(self):
        return {"operations": len(OPERATIONS), "regions": sorted(self._stores)}

    def handle(self, action, params, region):
        function = OPERATIONS.get(action)
        if function is None:
            raise _not_served(action)
        with self.lock:
            return function(Context(self, region), params)
