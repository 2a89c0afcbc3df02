"""AppSpec files of ECS deployments: parse (JSON or YAML), check, and normalise.

The shape follows the AWS CodeDeploy AppSpec reference for Amazon ECS:

    version: 0.0
    Resources:
      - TargetService:
          Type: AWS::ECS::Service
          Properties:
            TaskDefinition: arn:aws:ecs:...:task-definition/app:3
            LoadBalancerInfo: {ContainerName: web, ContainerPort: 80}
            PlatformVersion: LATEST                      # optional
            NetworkConfiguration: {AwsvpcConfiguration: {Subnets: [...], SecurityGroups: [...], AssignPublicIp: ENABLED}}
            CapacityProviderStrategy: [{CapacityProvider: FARGATE, Base: 0, Weight: 1}]
    Hooks:
      - BeforeInstall: LambdaFunctionName
      ...

Problems are raised as InvalidRevisionException (what CreateDeployment answers for a bad
revision), naming the field and what to do.
"""

import hashlib
import json

import yaml

from ..router import AwsError

ECS_SERVICE_TYPE = "AWS::ECS::Service"
# The hooks an ECS AppSpec may name, in lifecycle order.
ECS_HOOKS = ("BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic")


def invalid(message):
    return AwsError("InvalidRevisionException", message)


def revision_content(revision):
    """(content, sha256 or None) of an AppSpecContent or String revision."""
    if not isinstance(revision, dict) or not revision:
        raise AwsError("RevisionRequiredException", "The revision is missing: pass revision.appSpecContent.content.")
    kind = revision.get("revisionType")
    if kind == "AppSpecContent":
        body = revision.get("appSpecContent") or {}
    elif kind == "String":
        body = revision.get("string") or {}
    else:
        raise invalid(f"Revision type {kind!r} is not supported for the ECS compute platform: use AppSpecContent (or String) with the AppSpec in content.")
    content = body.get("content")
    if not isinstance(content, str) or not content.strip():
        raise invalid("The AppSpec content is empty: put the AppSpec JSON or YAML in revision.appSpecContent.content.")
    return content, body.get("sha256")


def check_sha256(content, expected):
    """AWS rejects a revision whose declared sha256 is not the content's."""
    if not expected:
        return
    actual = hashlib.sha256(content.encode("utf-8")).hexdigest()
    if actual != expected.lower():
        raise invalid(
            f"The SHA256 hash of the AppSpec content ({actual}) does not match the sha256 given ({expected}): "
            "send the hash of the exact content, or omit sha256."
        )


def parse(content):
    """The AppSpec document as a dict; JSON is tried first, then YAML (a superset)."""
    try:
        document = json.loads(content)
    except ValueError:
        try:
            document = yaml.safe_load(content)
        except yaml.YAMLError as error:
            raise invalid(f"The AppSpec content is neither valid JSON nor valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise invalid("The AppSpec content must be a mapping with 'version', 'Resources' and optionally 'Hooks'.")
    return document


def target_service(document):
    """The Properties of the single TargetService resource, after the structural checks."""
    resources = document.get("Resources")
    if not isinstance(resources, list) or not resources:
        raise invalid("The AppSpec has no Resources: add one TargetService of Type AWS::ECS::Service.")
    if len(resources) != 1:
        raise invalid(f"The AppSpec lists {len(resources)} resources; an ECS deployment takes exactly one TargetService.")
    resource = resources[0]
    if not isinstance(resource, dict) or not isinstance(resource.get("TargetService"), dict):
        raise invalid("Resources[0] must be a mapping named TargetService.")
    service = resource["TargetService"]
    if service.get("Type") != ECS_SERVICE_TYPE:
        raise invalid(f"Resources[0].TargetService.Type is {service.get('Type')!r}; it must be {ECS_SERVICE_TYPE}.")
    properties = service.get("Properties")
    if not isinstance(properties, dict):
        raise invalid("Resources[0].TargetService.Properties is missing: give TaskDefinition and LoadBalancerInfo.")
    return properties


def _required_string(mapping, key, where):
    value = mapping.get(key)
    if not isinstance(value, str) or not value:
        raise invalid(f"{where}.{key} is missing or not a string.")
    return value


def _port(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _hooks(document):
    """[(event, function)] of the Hooks section; unknown event names are errors, as on AWS."""
    hooks = document.get("Hooks") or []
    if not isinstance(hooks, list):
        raise invalid("Hooks must be a list of {LifecycleEvent: LambdaFunction} mappings.")
    found = []
    for hook in hooks:
        if not isinstance(hook, dict) or len(hook) != 1:
            raise invalid("Each entry of Hooks must be one {LifecycleEvent: LambdaFunction} mapping.")
        ((event, function),) = hook.items()
        if event not in ECS_HOOKS:
            raise invalid(f"Hook {event!r} is not an ECS lifecycle hook; use one of {', '.join(ECS_HOOKS)}.")
        found.append((event, str(function)))
    return found


def _network_configuration(properties):
    """The AppSpec's NetworkConfiguration in ECS API shape (camelCase), or None."""
    network = properties.get("NetworkConfiguration")
    if network is None:
        return None
    awsvpc = network.get("AwsvpcConfiguration") if isinstance(network, dict) else None
    if not isinstance(awsvpc, dict) or not awsvpc.get("Subnets"):
        raise invalid("NetworkConfiguration.AwsvpcConfiguration.Subnets is required when NetworkConfiguration is given.")
    converted = {"subnets": list(awsvpc["Subnets"])}
    if awsvpc.get("SecurityGroups"):
        converted["securityGroups"] = list(awsvpc["SecurityGroups"])
    if awsvpc.get("AssignPublicIp"):
        if awsvpc["AssignPublicIp"] not in ("ENABLED", "DISABLED"):
            raise invalid("NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp must be ENABLED or DISABLED.")
        converted["assignPublicIp"] = awsvpc["AssignPublicIp"]
    return {"awsvpcConfiguration": converted}


def _capacity_provider_strategy(properties):
    strategy = properties.get("CapacityProviderStrategy")
    if strategy is None:
        return None
    if not isinstance(strategy, list) or not all(isinstance(item, dict) and item.get("CapacityProvider") for item in strategy):
        raise invalid("CapacityProviderStrategy must be a list of {CapacityProvider, Base, Weight} mappings.")
    converted = []
    for item in strategy:
        entry = {"capacityProvider": item["CapacityProvider"]}
        for key in ("Base", "Weight"):
            if key in item:
                entry[key.lower()] = int(item[key])
        converted.append(entry)
    return converted


def read(content):
    """Parse and check an AppSpec without AWS calls: the normalised spec as a dict.

    {taskDefinition, containerName, containerPort, platformVersion, networkConfiguration,
     capacityProviderStrategy, hooks: [(event, function)]}
    """
    document = parse(content)
    properties = target_service(document)
    where = "Resources[0].TargetService.Properties"
    task_definition = _required_string(properties, "TaskDefinition", where)
    load_balancer = properties.get("LoadBalancerInfo")
    if not isinstance(load_balancer, dict):
        raise invalid(f"{where}.LoadBalancerInfo is missing: give ContainerName and ContainerPort of the container behind the load balancer.")
    container_name = _required_string(load_balancer, "ContainerName", where + ".LoadBalancerInfo")
    container_port = _port(load_balancer.get("ContainerPort"))
    if container_port is None:
        raise invalid(f"{where}.LoadBalancerInfo.ContainerPort must be a port number.")
    return {
        "taskDefinition": task_definition,
        "containerName": container_name,
        "containerPort": container_port,
        "platformVersion": properties.get("PlatformVersion"),
        "networkConfiguration": _network_configuration(properties),
        "capacityProviderStrategy": _capacity_provider_strategy(properties),
        "hooks": _hooks(document),
    }


def check_against_task_definition(spec, ecs):
    """The task definition must exist and expose ContainerName:ContainerPort. Returns its ARN."""
    try:
        task_definition = ecs.describe_task_definition(taskDefinition=spec["taskDefinition"])["taskDefinition"]
    except Exception:  # botocore ClientError: any failure means AWS could not find it
        raise invalid(
            f"The task definition {spec['taskDefinition']} in the AppSpec does not exist: register it first "
            "(ecs register_task_definition) and put its ARN in TaskDefinition."
        ) from None
    containers = {container["name"]: container for container in task_definition.get("containerDefinitions", [])}
    container = containers.get(spec["containerName"])
    if container is None:
        raise invalid(
            f"The container name {spec['containerName']!r} in LoadBalancerInfo is not in task definition "
            f"{task_definition['taskDefinitionArn']} (containers: {', '.join(sorted(containers)) or 'none'})."
        )
    ports = [mapping.get("containerPort") for mapping in container.get("portMappings", [])]
    if spec["containerPort"] not in ports:
        raise invalid(
            f"The container port {spec['containerPort']} in LoadBalancerInfo is not a port mapping of container "
            f"{spec['containerName']!r} in task definition {task_definition['taskDefinitionArn']} "
            f"(ports: {', '.join(str(port) for port in ports) or 'none'})."
        )
    return task_definition["taskDefinitionArn"]
