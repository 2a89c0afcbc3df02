# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""CodeDeploy applications of the ECS compute platform: read, create, tag, delete."""

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.api import (
    ECS,
    create_application,
    delete_application,
    get_application,
    list_deployment_group_names,
    list_tags,
)
from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.tags import described, ensure_tags
from ansible_collections.canary.ecs.plugins.module_utils.common import check_name, diff_result, fail


def describe_application(application, arn, tags):
    return described(application, "application_arn", arn, tags)


def _diff_view(application, tags):
    if not application:
        return {}
    return {"application_name": application["applicationName"], "compute_platform": application.get("computePlatform"), "tags": dict(tags)}


def ensure_application_present(module, client, arns):
    name = module.params["name"]
    tags, purge_tags = module.params["tags"], module.params["purge_tags"]
    check_name("name", name)
    arn = arns.application(name)
    existing = get_application(client, name)

    if existing is None:
        planned = {"applicationName": name, "computePlatform": ECS}
        if not module.check_mode:
            planned["applicationId"] = create_application(client, name, tags)
            planned = get_application(client, name) or planned
        after_tags = tags or {}
        return dict(
            changed=True,
            application=describe_application(planned, arn, after_tags),
            diff=diff_result({}, _diff_view(planned, after_tags)),
        )

    if existing.get("computePlatform", ECS) != ECS:
        fail(
            "CodeDeploy application %s exists with compute platform %s; this module manages ECS applications only. "
            "Choose another name, or delete the existing application first." % (name, existing.get("computePlatform"))
        )
    current_tags = list_tags(client, arn)
    changed, after_tags = ensure_tags(client, module.check_mode, arn, current_tags, tags, purge_tags)
    return dict(
        changed=changed,
        application=describe_application(existing, arn, after_tags),
        diff=diff_result(_diff_view(existing, current_tags), _diff_view(existing, after_tags)),
    )


def ensure_application_absent(module, client, arns):
    name = module.params["name"]
    check_name("name", name)
    existing = get_application(client, name)
    if existing is None:
        return dict(changed=False, application={}, deleted_deployment_groups=[], diff=diff_result({}, {}))
    # AWS deletes an application's deployment groups with it: say which ones went.
    groups = sorted(list_deployment_group_names(client, name))
    arn = arns.application(name)
    current_tags = list_tags(client, arn)
    if not module.check_mode:
        delete_application(client, name)
    msg = "Deleted CodeDeploy application %s" % name
    if groups:
        msg += " and its deployment groups: %s" % ", ".join(groups)
    if module.check_mode:
        msg = "Would have d" + msg[1:]
    return dict(
        changed=True,
        msg=msg,
        application=describe_application(existing, arn, current_tags),
        deleted_deployment_groups=groups,
        diff=diff_result(_diff_view(existing, current_tags), {}),
    )
