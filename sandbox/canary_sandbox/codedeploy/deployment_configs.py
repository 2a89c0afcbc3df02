"""Deployment configurations: the predefined ones AWS ships, and custom ones.

lookup(store, name) is what the rest of the sandbox uses: the DeploymentConfigInfo of a
predefined or custom config. Custom configs live in store.deployment_configs[name] in
exactly the shape GetDeploymentConfig returns.
"""

import copy
import datetime
import uuid

from ..router import AwsError
from . import validation
from .service import operation

PREDEFINED_PREFIX = "CodeDeployDefault."
TRAFFIC_ROUTING_TYPES = ("TimeBasedCanary", "TimeBasedLinear", "AllAtOnce")
MINIMUM_HEALTHY_HOSTS_TYPES = ("HOST_COUNT", "FLEET_PERCENT")
MAX_INTERVAL_MINUTES = 2880  # CodeDeploy waits at most two days between traffic shifts
_PREDEFINED_CREATED = datetime.datetime(2014, 11, 12, tzinfo=datetime.timezone.utc)


def _canary(percentage, interval):
    return {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": percentage, "canaryInterval": interval}}


def _linear(percentage, interval):
    return {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": percentage, "linearInterval": interval}}


_ALL_AT_ONCE = {"type": "AllAtOnce"}

# name -> (computePlatform, trafficRoutingConfig or None, minimumHealthyHosts or None)
_PREDEFINED = {
    "CodeDeployDefault.ECSAllAtOnce": ("ECS", _ALL_AT_ONCE, None),
    "CodeDeployDefault.ECSCanary10Percent5Minutes": ("ECS", _canary(10, 5), None),
    "CodeDeployDefault.ECSCanary10Percent15Minutes": ("ECS", _canary(10, 15), None),
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes": ("ECS", _linear(10, 1), None),
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes": ("ECS", _linear(10, 3), None),
    "CodeDeployDefault.LambdaAllAtOnce": ("Lambda", _ALL_AT_ONCE, None),
    "CodeDeployDefault.LambdaCanary10Percent5Minutes": ("Lambda", _canary(10, 5), None),
    "CodeDeployDefault.LambdaCanary10Percent10Minutes": ("Lambda", _canary(10, 10), None),
    "CodeDeployDefault.LambdaCanary10Percent15Minutes": ("Lambda", _canary(10, 15), None),
    "CodeDeployDefault.LambdaCanary10Percent30Minutes": ("Lambda", _canary(10, 30), None),
    "CodeDeployDefault.LambdaLinear10PercentEvery1Minute": ("Lambda", _linear(10, 1), None),
    "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes": ("Lambda", _linear(10, 2), None),
    "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes": ("Lambda", _linear(10, 3), None),
    "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes": ("Lambda", _linear(10, 10), None),
    # AWS reports OneAtATime with the type MOST_CONCURRENCY, which no caller may set
    "CodeDeployDefault.OneAtATime": ("Server", None, {"type": "MOST_CONCURRENCY", "value": 1}),
    "CodeDeployDefault.HalfAtATime": ("Server", None, {"type": "FLEET_PERCENT", "value": 50}),
    "CodeDeployDefault.AllAtOnce": ("Server", None, {"type": "HOST_COUNT", "value": 0}),
}

# The config a deployment group gets when it names none, per compute platform.
DEFAULT_FOR_PLATFORM = {
    "ECS": "CodeDeployDefault.ECSAllAtOnce",
    "Lambda": "CodeDeployDefault.LambdaAllAtOnce",
    "Server": "CodeDeployDefault.OneAtATime",
}


def _config_info(name, platform, traffic_routing, minimum_healthy_hosts, config_id, created):
    info = {"deploymentConfigId": config_id, "deploymentConfigName": name}
    if minimum_healthy_hosts is not None:
        info["minimumHealthyHosts"] = copy.deepcopy(minimum_healthy_hosts)
    info["createTime"] = created
    info["computePlatform"] = platform
    if traffic_routing is not None:
        info["trafficRoutingConfig"] = copy.deepcopy(traffic_routing)
    return info


def predefined(name):
    """The DeploymentConfigInfo of a predefined config, or None. Ids are stable per name."""
    if name not in _PREDEFINED:
        return None
    platform, traffic_routing, minimum_healthy_hosts = _PREDEFINED[name]
    config_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "codedeploy-config:" + name))
    return _config_info(name, platform, traffic_routing, minimum_healthy_hosts, config_id, _PREDEFINED_CREATED)


def predefined_names():
    return list(_PREDEFINED)


def is_predefined(name):
    return name in _PREDEFINED


def lookup(store, name):
    """DeploymentConfigInfo (a copy) of a predefined or custom config, or DeploymentConfigDoesNotExistException."""
    validation.name(name, validation.DEPLOYMENT_CONFIG)
    info = predefined(name)
    if info is None and name in store.deployment_configs:
        info = copy.deepcopy(store.deployment_configs[name])
    if info is None:
        raise AwsError(
            "DeploymentConfigDoesNotExistException", f"No deployment configuration found for name: {name}. Use a CodeDeployDefault.* name or create it first."
        )
    return info


# ---- custom configs: input checks -------------------------------------------------------------


def _traffic_routing(raw):
    """A TrafficRoutingConfig for an ECS or Lambda config, normalised to what AWS echoes."""
    code = "InvalidTrafficRoutingConfigurationException"
    if not raw:
        raise AwsError(code, "A trafficRoutingConfig is required for ECS and Lambda deployment configurations.")
    kind = validation.enum(raw.get("type"), TRAFFIC_ROUTING_TYPES, code, "trafficRoutingConfig.type")
    present = [key for key in ("timeBasedCanary", "timeBasedLinear") if raw.get(key) is not None]
    if kind == "AllAtOnce":
        if present:
            raise AwsError(code, f"An AllAtOnce trafficRoutingConfig takes no {present[0]}.")
        return {"type": "AllAtOnce"}
    member, prefix = ("timeBasedCanary", "canary") if kind == "TimeBasedCanary" else ("timeBasedLinear", "linear")
    other = [key for key in present if key != member]
    if other:
        raise AwsError(code, f"A {kind} trafficRoutingConfig takes {member}, not {other[0]}.")
    settings = raw.get(member)
    if not settings:
        raise AwsError(code, f"A {kind} trafficRoutingConfig needs {member} with {prefix}Percentage and {prefix}Interval.")
    percentage = validation.integer(settings.get(f"{prefix}Percentage"), 1, 99, code, f"{member}.{prefix}Percentage")
    interval = validation.integer(settings.get(f"{prefix}Interval"), 1, MAX_INTERVAL_MINUTES, code, f"{member}.{prefix}Interval")
    return {"type": kind, member: {f"{prefix}Percentage": percentage, f"{prefix}Interval": interval}}


def _minimum_healthy_hosts(raw):
    """MinimumHealthyHosts of a Server config: HOST_COUNT >= 0, or FLEET_PERCENT 0-99."""
    code = "InvalidMinimumHealthyHostValueException"
    if not raw:
        raise AwsError(code, "A Server deployment configuration needs minimumHealthyHosts {type, value}.")
    kind = validation.enum(raw.get("type"), MINIMUM_HEALTHY_HOSTS_TYPES, code, "minimumHealthyHosts.type")
    high = 99 if kind == "FLEET_PERCENT" else None
    value = validation.integer(raw.get("value"), 0, high, code, "minimumHealthyHosts.value")
    return {"type": kind, "value": value}


def _settings_for_platform(platform, params):
    """(trafficRoutingConfig, minimumHealthyHosts) of a new config, each None when not used."""
    if platform == "Server":
        if params.get("trafficRoutingConfig"):
            raise AwsError(
                "InvalidTrafficRoutingConfigurationException", "Server deployment configurations take minimumHealthyHosts, not trafficRoutingConfig."
            )
        return None, _minimum_healthy_hosts(params.get("minimumHealthyHosts"))
    if params.get("minimumHealthyHosts"):
        raise AwsError("InvalidMinimumHealthyHostValueException", f"{platform} deployment configurations take trafficRoutingConfig, not minimumHealthyHosts.")
    if params.get("zonalConfig"):
        raise AwsError("InvalidZonalDeploymentConfigurationException", f"zonalConfig applies to Server deployment configurations, not {platform}.")
    return _traffic_routing(params.get("trafficRoutingConfig")), None


def _groups_using(store, name):
    return sorted(f"{app}/{group}" for (app, group), info in store.deployment_groups.items() if info.get("deploymentConfigName") == name)


_FINISHED = ("Succeeded", "Failed", "Stopped")


def _deployments_using(store, name):
    return sorted(
        deployment_id
        for deployment_id, deployment in store.deployments.items()
        if deployment.get("deploymentConfigName") == name and deployment.get("status") not in _FINISHED
    )


# ---- operations -----------------------------------------------------------------------------


@operation("CreateDeploymentConfig")
def create_deployment_config(ctx, params):
    name = validation.name(params.get("deploymentConfigName"), validation.DEPLOYMENT_CONFIG)
    if name.startswith(PREDEFINED_PREFIX):
        raise AwsError(
            "InvalidDeploymentConfigNameException", f"{name}: names starting with {PREDEFINED_PREFIX} are reserved for the predefined configurations."
        )
    platform = validation.compute_platform(params.get("computePlatform"))
    traffic_routing, minimum_healthy_hosts = _settings_for_platform(platform, params)
    if name in ctx.store.deployment_configs:
        raise AwsError("DeploymentConfigAlreadyExistsException", f"A deployment configuration named {name} already exists.")
    info = _config_info(name, platform, traffic_routing, minimum_healthy_hosts, str(uuid.uuid4()), datetime.datetime.now(datetime.timezone.utc))
    ctx.store.deployment_configs[name] = info
    return {"deploymentConfigId": info["deploymentConfigId"]}


@operation("GetDeploymentConfig")
def get_deployment_config(ctx, params):
    return {"deploymentConfigInfo": lookup(ctx.store, params.get("deploymentConfigName"))}


@operation("ListDeploymentConfigs")
def list_deployment_configs(ctx, params):
    return validation.listed("deploymentConfigsList", validation.page(predefined_names() + list(ctx.store.deployment_configs), params.get("nextToken")))


@operation("DeleteDeploymentConfig")
def delete_deployment_config(ctx, params):
    """Delete a custom config; predefined ones and configs in use stay. A missing name is a no-op, as on AWS."""
    name = validation.name(params.get("deploymentConfigName"), validation.DEPLOYMENT_CONFIG)
    if is_predefined(name):
        raise AwsError("InvalidOperationException", f"{name} is a predefined deployment configuration and cannot be deleted.")
    users = _groups_using(ctx.store, name)
    if users:
        raise AwsError(
            "DeploymentConfigInUseException",
            f"The deployment configuration {name} is used by deployment group(s) {', '.join(users)}: point them at another config first.",
        )
    running = _deployments_using(ctx.store, name)
    if running:
        raise AwsError("DeploymentConfigInUseException", f"The deployment configuration {name} is used by deployment(s) in progress: {', '.join(running)}.")
    ctx.store.deployment_configs.pop(name, None)
    return {}
