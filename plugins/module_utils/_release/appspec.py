# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The AppSpec of an ECS blue/green deployment, built from the live service, and read back.

CodeDeploy takes the AppSpec as a string (YAML or JSON; JSON here, so building and
reading need nothing beyond the standard library) with its sha256.
"""

import hashlib
import json

APPSPEC_VERSION = 0.0


def network_configuration(service):
    """The service's awsvpc configuration in AppSpec's PascalCase, or None."""
    awsvpc = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration")
    if not awsvpc:
        return None
    config = {"Subnets": list(awsvpc.get("subnets", []))}
    if awsvpc.get("securityGroups"):
        config["SecurityGroups"] = list(awsvpc["securityGroups"])
    if awsvpc.get("assignPublicIp"):
        config["AssignPublicIp"] = awsvpc["assignPublicIp"]
    return {"AwsvpcConfiguration": config}


def build(task_definition_arn, container_name, container_port, service=None, hooks=None):
    """The AppSpec dict: the new task definition behind the service's load-balanced container.

    The replacement task set keeps the service's network configuration, platform version
    and capacity providers, so a release changes the image and nothing else.
    """
    properties = {
        "TaskDefinition": task_definition_arn,
        "LoadBalancerInfo": {"ContainerName": container_name, "ContainerPort": int(container_port)},
    }
    service = service or {}
    network = network_configuration(service)
    if network:
        properties["NetworkConfiguration"] = network
    if service.get("platformVersion"):
        properties["PlatformVersion"] = service["platformVersion"]
    strategy = service.get("capacityProviderStrategy")
    if strategy:
        properties["CapacityProviderStrategy"] = [dict((key[0].upper() + key[1:], value) for key, value in item.items()) for item in strategy]
    appspec = {"version": APPSPEC_VERSION, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": properties}}]}
    if hooks:
        appspec["Hooks"] = [{event: function} for event, function in sorted(hooks.items())]
    return appspec


def content(appspec):
    """The canonical JSON text of an AppSpec (sorted keys: the same release gives the same sha256)."""
    return json.dumps(appspec, sort_keys=True, separators=(",", ":"))


def revision(appspec):
    """The create_deployment `revision` for an AppSpec."""
    text = content(appspec)
    return {
        "revisionType": "AppSpecContent",
        "appSpecContent": {"content": text, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()},
    }


def parse(text):
    """An AppSpec from a deployment's revision content: JSON, or the simple YAML that people write by hand."""
    text = (text or "").strip()
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        import yaml  # only for AppSpecs written by other tools; PyYAML comes with ansible-core
    except ImportError:
        return {}
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def target_properties(appspec):
    for resource in appspec.get("Resources") or appspec.get("resources") or []:
        for value in resource.values():
            if isinstance(value, dict) and value.get("Type") == "AWS::ECS::Service":
                return value.get("Properties", {})
    return {}


def task_definition_of(deployment):
    """The task definition ARN a deployment releases, from its AppSpec revision (None if unknown)."""
    revision_info = deployment.get("revision") or {}
    appspec_content = revision_info.get("appSpecContent") or {}
    return target_properties(parse(appspec_content.get("content"))).get("TaskDefinition")
