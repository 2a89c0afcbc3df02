"""CodeDeploy applications: create, get, batch get, list, rename, delete.

store.applications[name] is the ApplicationInfo dict AWS returns. The sandbox is built
for the ECS compute platform; Server and Lambda applications are recorded and listed
the same way, but nothing else here serves them.
"""

import copy
import datetime
import uuid

from ..router import AwsError
from . import arns, validation
from .service import operation


def find(store, name):
    """The stored ApplicationInfo of `name` (not a copy), or AWS's error for a missing/invalid name."""
    validation.name(name, validation.APPLICATION)
    application = store.applications.get(name)
    if application is None:
        raise AwsError("ApplicationDoesNotExistException", f"No application found for name: {name}. Create it with CreateApplication first.")
    return application


def new_application(name, compute_platform):
    return {
        "applicationId": str(uuid.uuid4()),
        "applicationName": name,
        "createTime": datetime.datetime.now(datetime.timezone.utc),
        "linkedToGitHub": False,
        "computePlatform": compute_platform,
    }


@operation("CreateApplication")
def create_application(ctx, params):
    name = validation.name(params.get("applicationName"), validation.APPLICATION)
    platform = validation.compute_platform(params.get("computePlatform"))
    tags = validation.tags(params.get("tags"))
    if name in ctx.store.applications:
        raise AwsError("ApplicationAlreadyExistsException", f"An application named {name} already exists in {ctx.region}: pick another name or reuse it.")
    application = new_application(name, platform)
    ctx.store.applications[name] = application
    ctx.store.tag(arns.application_arn(ctx.region, name), tags)
    return {"applicationId": application["applicationId"]}


@operation("GetApplication")
def get_application(ctx, params):
    return {"application": copy.deepcopy(find(ctx.store, params.get("applicationName")))}


@operation("BatchGetApplications")
def batch_get_applications(ctx, params):
    names = validation.batch_names(params.get("applicationNames"), validation.APPLICATION)
    # AWS fails the whole call when one of the names is unknown
    return {"applicationsInfo": [copy.deepcopy(find(ctx.store, name)) for name in names]}


@operation("ListApplications")
def list_applications(ctx, params):
    return validation.listed("applications", validation.page(ctx.store.applications, params.get("nextToken")))


@operation("UpdateApplication")
def update_application(ctx, params):
    """Rename an application; its deployment groups and tags follow it."""
    old = params.get("applicationName")
    application = find(ctx.store, old)
    new = params.get("newApplicationName")
    if new is None or new == old:
        return {}
    validation.name(new, validation.APPLICATION)
    if new in ctx.store.applications:
        raise AwsError("ApplicationAlreadyExistsException", f"Cannot rename {old} to {new}: an application named {new} already exists.")
    rename(ctx.store, application, new)
    return {}


def rename(store, application, new):
    old = application["applicationName"]
    region = store.region
    store.applications[new] = store.applications.pop(old)
    application["applicationName"] = new
    store.move_tags(arns.application_arn(region, old), arns.application_arn(region, new))
    for app_name, group_name in [key for key in store.deployment_groups if key[0] == old]:
        group = store.deployment_groups.pop((app_name, group_name))
        group["applicationName"] = new
        store.deployment_groups[(new, group_name)] = group
        store.move_tags(arns.deployment_group_arn(region, old, group_name), arns.deployment_group_arn(region, new, group_name))


@operation("DeleteApplication")
def delete_application(ctx, params):
    """Delete an application and its deployment groups. Deleting a missing one succeeds, as on AWS.

    CodeDeploy's model has no error for deleting while a deployment runs, so neither does
    the sandbox. Deployment records stay in store.deployments (GetDeployment keeps
    answering for them on AWS too): the engine must expect a deployment's group to vanish.
    """
    name = validation.name(params.get("applicationName"), validation.APPLICATION)
    if ctx.store.applications.pop(name, None) is None:
        return {}
    ctx.store.drop_tags(arns.application_arn(ctx.region, name))
    for key in [key for key in ctx.store.deployment_groups if key[0] == name]:
        del ctx.store.deployment_groups[key]
        ctx.store.drop_tags(arns.deployment_group_arn(ctx.region, *key))
    return {}
