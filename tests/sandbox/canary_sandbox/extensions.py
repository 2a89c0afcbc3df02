"""The sandbox's extensions beyond the CodeDeploy control plane, in start order.

Each lives in its own module and is optional here so the pieces can land one by one:
    cloudwatch.alarms.AlarmEvaluator     evaluates metric alarms (moto never does)
    dataplane.extension.DataPlane        listener ports, tasks, ALB metrics
    engine.extension.DeploymentEngine    runs CodeDeploy ECS deployments through their lifecycle
"""

import importlib

EXTENSIONS = (
    ("cloudwatch.alarms", "AlarmEvaluator"),
    ("dataplane.extension", "DataPlane"),
    ("engine.extension", "DeploymentEngine"),
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
