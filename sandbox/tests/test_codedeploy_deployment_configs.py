"""CodeDeploy deployment configurations through boto3: the predefined ones, custom ECS
traffic routing, and every misuse with AWS's error code."""

import datetime

import pytest

from canary_sandbox.codedeploy import deployment_configs
from canary_sandbox.codedeploy.store import Store
from canary_sandbox.router import AwsError
from canary_sandbox.stack import SharedStack, error_of, unvalidated_client

# a fresh sandbox for the module (conftest.empty_sandbox); each test clears CodeDeploy (conftest.codedeploy)
pytestmark = pytest.mark.usefixtures("empty_sandbox")

SHARED = SharedStack("cfg")

ECS_PREDEFINED = {
    "CodeDeployDefault.ECSAllAtOnce": {"type": "AllAtOnce"},
    "CodeDeployDefault.ECSCanary10Percent5Minutes": {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 5}},
    "CodeDeployDefault.ECSCanary10Percent15Minutes": {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 15}},
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes": {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 1}},
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes": {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 3}},
}
SERVER_PREDEFINED = {
    "CodeDeployDefault.OneAtATime": {"type": "MOST_CONCURRENCY", "value": 1},
    "CodeDeployDefault.HalfAtATime": {"type": "FLEET_PERCENT", "value": 50},
    "CodeDeployDefault.AllAtOnce": {"type": "HOST_COUNT", "value": 0},
}


def get_config(codedeploy, name):
    return codedeploy.get_deployment_config(deploymentConfigName=name)["deploymentConfigInfo"]


@pytest.mark.parametrize("name,routing", list(ECS_PREDEFINED.items()))
def test_predefined_ecs_configs(codedeploy, name, routing):
    info = get_config(codedeploy, name)
    assert info["deploymentConfigName"] == name
    assert info["computePlatform"] == "ECS"
    assert info["trafficRoutingConfig"] == routing
    assert "minimumHealthyHosts" not in info
    assert isinstance(info["createTime"], datetime.datetime)
    assert info["deploymentConfigId"] == get_config(codedeploy, name)["deploymentConfigId"]  # stable


@pytest.mark.parametrize("name,hosts", list(SERVER_PREDEFINED.items()))
def test_predefined_server_configs_resolve(codedeploy, name, hosts):
    info = get_config(codedeploy, name)
    assert (info["computePlatform"], info["minimumHealthyHosts"]) == ("Server", hosts)
    assert "trafficRoutingConfig" not in info


@pytest.mark.parametrize(
    "routing",
    [
        {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 20, "canaryInterval": 7}},
        {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 25, "linearInterval": 2}},
        {"type": "AllAtOnce"},
    ],
    ids=["canary", "linear", "all-at-once"],
)
def test_custom_ecs_config_round_trip(codedeploy, routing):
    before = datetime.datetime.now(datetime.timezone.utc)
    config_id = codedeploy.create_deployment_config(deploymentConfigName="Custom", computePlatform="ECS", trafficRoutingConfig=routing)["deploymentConfigId"]
    info = get_config(codedeploy, "Custom")
    assert info["deploymentConfigId"] == config_id
    assert (info["deploymentConfigName"], info["computePlatform"], info["trafficRoutingConfig"]) == ("Custom", "ECS", routing)
    assert info["createTime"] >= before - datetime.timedelta(seconds=5)
    assert "Custom" in codedeploy.list_deployment_configs()["deploymentConfigsList"]


def test_custom_server_config(codedeploy):
    codedeploy.create_deployment_config(deploymentConfigName="ThreeQuarters", minimumHealthyHosts={"type": "FLEET_PERCENT", "value": 75})
    info = get_config(codedeploy, "ThreeQuarters")
    assert (info["computePlatform"], info["minimumHealthyHosts"]) == ("Server", {"type": "FLEET_PERCENT", "value": 75})


def test_list_pages_through_predefined_and_custom(codedeploy):
    customs = [f"Custom{index:03d}" for index in range(95)]
    for name in customs:
        codedeploy.create_deployment_config(deploymentConfigName=name, computePlatform="ECS", trafficRoutingConfig={"type": "AllAtOnce"})
    first = codedeploy.list_deployment_configs()
    assert len(first["deploymentConfigsList"]) == 100 and first["nextToken"]
    second = codedeploy.list_deployment_configs(nextToken=first["nextToken"])
    assert "nextToken" not in second
    everything = first["deploymentConfigsList"] + second["deploymentConfigsList"]
    assert everything == sorted(set(everything))
    assert set(ECS_PREDEFINED) | set(SERVER_PREDEFINED) | set(customs) <= set(everything)
    assert error_of(codedeploy.list_deployment_configs, nextToken="forged") == "InvalidNextTokenException"


def _canary(percentage, interval):
    return {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": percentage, "canaryInterval": interval}}


def _linear(percentage, interval):
    return {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": percentage, "linearInterval": interval}}


ALL_AT_ONCE = {"type": "AllAtOnce"}


def _ecs(routing=ALL_AT_ONCE, name="C", **more):
    """create_deployment_config arguments of an ECS configuration (routing None: none given)."""
    args = {"deploymentConfigName": name, "computePlatform": "ECS", **more}
    if routing is not None:
        args["trafficRoutingConfig"] = routing
    return args


# (what is wrong, create_deployment_config arguments, AWS's error code)
MISUSES = [
    ("reserved prefix", _ecs(name="CodeDeployDefault.Mine"), "InvalidDeploymentConfigNameException"),
    ("predefined name", _ecs(name="CodeDeployDefault.ECSAllAtOnce"), "InvalidDeploymentConfigNameException"),
    ("name with a space", _ecs(name="my config"), "InvalidDeploymentConfigNameException"),
    ("name too long", _ecs(name="c" * 101), "InvalidDeploymentConfigNameException"),
    ("empty name", _ecs(name=""), "DeploymentConfigNameRequiredException"),
    ("unknown platform", dict(_ecs(), computePlatform="EKS"), "InvalidComputePlatformException"),
    ("no routing for ECS", _ecs(routing=None), "InvalidTrafficRoutingConfigurationException"),
    ("unknown routing type", _ecs({"type": "Exponential"}), "InvalidTrafficRoutingConfigurationException"),
    ("canary 0 percent", _ecs(_canary(0, 5)), "InvalidTrafficRoutingConfigurationException"),
    ("canary 100 percent", _ecs(_canary(100, 5)), "InvalidTrafficRoutingConfigurationException"),
    ("canary interval 0", _ecs(_canary(10, 0)), "InvalidTrafficRoutingConfigurationException"),
    ("linear 0 percent", _ecs(_linear(0, 1)), "InvalidTrafficRoutingConfigurationException"),
    ("linear interval 0", _ecs(_linear(10, 0)), "InvalidTrafficRoutingConfigurationException"),
    (
        "canary type, linear settings",
        _ecs({"type": "TimeBasedCanary", "timeBasedLinear": _linear(10, 1)["timeBasedLinear"]}),
        "InvalidTrafficRoutingConfigurationException",
    ),
    ("canary without settings", _ecs({"type": "TimeBasedCanary"}), "InvalidTrafficRoutingConfigurationException"),
    (
        "all at once with settings",
        _ecs({"type": "AllAtOnce", "timeBasedCanary": _canary(10, 5)["timeBasedCanary"]}),
        "InvalidTrafficRoutingConfigurationException",
    ),
    ("healthy hosts on ECS", _ecs(minimumHealthyHosts={"type": "HOST_COUNT", "value": 1}), "InvalidMinimumHealthyHostValueException"),
    (
        "routing on Server",
        dict(_ecs(minimumHealthyHosts={"type": "HOST_COUNT", "value": 1}), computePlatform="Server"),
        "InvalidTrafficRoutingConfigurationException",
    ),
    ("Server without healthy hosts", dict(_ecs(routing=None), computePlatform="Server"), "InvalidMinimumHealthyHostValueException"),
]


@pytest.mark.parametrize("args,code", [pytest.param(case[1], case[2], id=case[0]) for case in MISUSES])
def test_misuse_creates_nothing(sandbox, codedeploy, args, code):
    assert error_of(unvalidated_client(sandbox, "codedeploy").create_deployment_config, **args) == code
    assert [name for name in codedeploy.list_deployment_configs()["deploymentConfigsList"] if not name.startswith("CodeDeployDefault.")] == []


def test_duplicate_keeps_the_first(codedeploy):
    first = codedeploy.create_deployment_config(deploymentConfigName="Mine", computePlatform="ECS", trafficRoutingConfig=_canary(10, 5))
    assert (
        error_of(codedeploy.create_deployment_config, deploymentConfigName="Mine", computePlatform="ECS", trafficRoutingConfig=_linear(10, 1))
        == "DeploymentConfigAlreadyExistsException"
    )
    info = get_config(codedeploy, "Mine")
    assert (info["deploymentConfigId"], info["trafficRoutingConfig"]) == (first["deploymentConfigId"], _canary(10, 5))


def test_get_errors(sandbox, codedeploy):
    assert error_of(codedeploy.get_deployment_config, deploymentConfigName="Nope") == "DeploymentConfigDoesNotExistException"
    assert error_of(codedeploy.get_deployment_config, deploymentConfigName="bad name") == "InvalidDeploymentConfigNameException"
    assert error_of(unvalidated_client(sandbox, "codedeploy").get_deployment_config, deploymentConfigName="") == "DeploymentConfigNameRequiredException"


def test_delete_custom(codedeploy):
    codedeploy.create_deployment_config(deploymentConfigName="Mine", computePlatform="ECS", trafficRoutingConfig=_canary(10, 5))
    codedeploy.delete_deployment_config(deploymentConfigName="Mine")
    assert error_of(codedeploy.get_deployment_config, deploymentConfigName="Mine") == "DeploymentConfigDoesNotExistException"
    assert "Mine" not in codedeploy.list_deployment_configs()["deploymentConfigsList"]
    codedeploy.delete_deployment_config(deploymentConfigName="Mine")  # again: nothing to do, as on AWS


def test_predefined_cannot_be_deleted(codedeploy):
    assert error_of(codedeploy.delete_deployment_config, deploymentConfigName="CodeDeployDefault.ECSAllAtOnce") == "InvalidOperationException"
    assert get_config(codedeploy, "CodeDeployDefault.ECSAllAtOnce")["trafficRoutingConfig"] == {"type": "AllAtOnce"}


def test_config_in_use_by_a_group(sandbox, codedeploy):
    stack = SHARED.get(sandbox.clients)
    codedeploy.create_application(applicationName="shop", computePlatform="ECS")
    codedeploy.create_deployment_config(deploymentConfigName="Canary20", computePlatform="ECS", trafficRoutingConfig=_canary(20, 3))
    codedeploy.create_deployment_group(**stack.deployment_group_args("shop", "web", deploymentConfigName="Canary20"))
    assert codedeploy.get_deployment_group(applicationName="shop", deploymentGroupName="web")["deploymentGroupInfo"]["deploymentConfigName"] == "Canary20"

    assert error_of(codedeploy.delete_deployment_config, deploymentConfigName="Canary20") == "DeploymentConfigInUseException"
    assert get_config(codedeploy, "Canary20")["trafficRoutingConfig"] == _canary(20, 3)

    codedeploy.update_deployment_group(applicationName="shop", currentDeploymentGroupName="web", deploymentConfigName="CodeDeployDefault.ECSAllAtOnce")
    codedeploy.delete_deployment_config(deploymentConfigName="Canary20")
    assert error_of(codedeploy.get_deployment_config, deploymentConfigName="Canary20") == "DeploymentConfigDoesNotExistException"


def test_lookup_contract():
    """What the engine calls: predefined and custom configs by name, AWS's error otherwise."""
    store = Store("us-east-1")
    assert deployment_configs.lookup(store, "CodeDeployDefault.ECSCanary10Percent15Minutes")["trafficRoutingConfig"]["timeBasedCanary"] == {
        "canaryPercentage": 10,
        "canaryInterval": 15,
    }
    store.deployment_configs["Mine"] = {"deploymentConfigName": "Mine", "computePlatform": "ECS", "trafficRoutingConfig": {"type": "AllAtOnce"}}
    found = deployment_configs.lookup(store, "Mine")
    found["trafficRoutingConfig"]["type"] = "changed"  # a copy: callers cannot change the store by accident
    assert store.deployment_configs["Mine"]["trafficRoutingConfig"]["type"] == "AllAtOnce"
    with pytest.raises(AwsError) as error:
        deployment_configs.lookup(store, "Nope")
    assert error.value.code == "DeploymentConfigDoesNotExistException"
