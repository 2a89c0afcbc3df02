"""The sandbox's extensions beyond the CodeDeploy control plane, in start order.

Each lives in its own module and is optional here so the pieces can land one by one:
    cloudwatch_alarms.AlarmEvaluator   evaluates metric alarms (moto never does)
    dataplane.DataPlane                listener ports, tasks, ALB metrics
    engine.DeploymentEngine            runs CodeDeploy ECS deployments through their lifecycle
"""

import importlib

EXTENSIONS = (
    ("cloudwatch_alarms", "AlarmEvaluator"),
    ("dataplane", "DataPlane"),
    ("engine", "DeploymentEngine"),
)


def more_extensions():
    found = []
    for module_name, class_name in EXTENSIONS:
        try:
            module = importlib.import_module(f"{__package__}.{module_name}")
        except ModuleNotFoundError as error:
            if error.name != f"{__package__}.{module_name}":
                raise
            continue
        found.append(getattr(module, class_name)())
    return found
