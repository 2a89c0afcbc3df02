# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read-only views for the *_info modules: applications, deployment configs and deployment groups."""

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.api import (
    batch_get_applications,
    batch_get_deployment_groups,
    deployment_groups,
    get_application,
    get_deployment_config,
    list_application_names,
    list_deployment_config_names,
    list_tags,
)
from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.application import describe_application
from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.deployment_config import describe_deployment_config
from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.deployment_group import describe_deployment_group


def describe_deployment_configs(client, name=None, compute_platform="ECS"):
    names = [name] if name else list_deployment_config_names(client)
    configs = []
    for config_name in sorted(names):
        config = get_deployment_config(client, config_name)
        if config is None:
            continue
        if compute_platform != "all" and config.get("computePlatform") != compute_platform:
            continue
        configs.append(describe_deployment_config(config))
    return dict(changed=False, deployment_configs=configs)


def describe_deployment_groups(client, arns, application_name, name=None):
    """The application's deployment groups (or the one named), with ARNs and tags; [] when none exist."""
    if get_application(client, application_name) is None:
        return dict(changed=False, deployment_groups=[])
    found = batch_get_deployment_groups(client, application_name, [name]) if name else deployment_groups(client, [application_name])
    groups = []
    for group in sorted(found, key=lambda item: item["deploymentGroupName"]):
        arn = arns.deployment_group(application_name, group["deploymentGroupName"])
        groups.append(describe_deployment_group(group, arn, list_tags(client, arn)))
    return dict(changed=False, deployment_groups=groups)


def describe_applications(client, arns, name=None, compute_platform="ECS"):
    """The applications (or the one named), with ARNs and tags; [] when it does not exist."""
    if name:
        found = get_application(client, name)
        applications = [found] if found else []
    else:
        names = list_application_names(client)
        applications = batch_get_applications(client, names) if names else []
    result = []
    for application in sorted(applications, key=lambda item: item["applicationName"]):
        if compute_platform != "all" and application.get("computePlatform", "Server") != compute_platform:
            continue
        arn = arns.application(application["applicationName"])
        result.append(describe_application(application, arn, list_tags(client, arn)))
    return dict(changed=False, applications=result)
