# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What canary.ecs.ecs_deployment_info reports: a service's live version, in-flight release and history."""

from ansible_collections.canary.ecs.plugins.module_utils import ecs_deployment_appspec as appspec
from ansible_collections.canary.ecs.plugins.module_utils import ecs_deployment_aws as aws
from ansible_collections.canary.ecs.plugins.module_utils import ecs_deployment_preflight as preflight
from ansible_collections.canary.ecs.plugins.module_utils import ecs_deployment_progress as progress
from ansible_collections.canary.ecs.plugins.module_utils import ecs_deployment_taskdef as taskdef
from ansible_collections.canary.ecs.plugins.module_utils.ecs_deployment_release import Context, target_id


def summary(info):
    """One deployment for people: ids, status, times (ISO), the task definition it releases, why it failed."""
    brief = progress.deployment_summary(info)
    for key in ("create_time", "start_time", "complete_time"):
        brief[key] = progress.iso(brief[key])
    brief["task_definition_arn"] = appspec.task_definition_of(info)
    brief["rolled_back"] = progress.rolled_back(brief)
    return brief


def report(module, clients):
    params = module.params
    ctx = Context(clients, params)
    ecs = clients("ecs")
    ctx.service = aws.describe_service(ecs, params["cluster"], params["service"])
    ctx.resolve_group()
    codedeploy = clients("codedeploy")
    alarm_names = preflight.alarm_names(ctx.group)
    live_arn = aws.live_task_definition_arn(ctx.service)
    live, _tags = aws.describe_task_definition(ecs, live_arn)
    container, _port, _problem = preflight.load_balanced_container(ctx.service, params.get("container"))
    images = dict((c.get("name"), c.get("image")) for c in live.get("containerDefinitions", []))
    if params.get("deployment_id"):
        history = [aws.get_deployment(codedeploy, params["deployment_id"])]
    else:
        history = aws.deployments_of_group(codedeploy, ctx.application_name, ctx.group_name, limit=params["max_deployments"])
    in_flight = [info for info in history if info.get("status") in progress.IN_FLIGHT]
    if not params.get("deployment_id") and not in_flight:
        in_flight = aws.in_flight(codedeploy, ctx.application_name, ctx.group_name)  # older than the history window
    result = {
        "changed": False,
        "application_name": ctx.application_name,
        "deployment_group_name": ctx.group_name,
        "deployment_config_name": ctx.group.get("deploymentConfigName"),
        "live_task_definition_arn": live_arn,
        "live_image": images.get(container),
        "live_version": _version(images.get(container)),
        "alarms": progress.alarm_summary(aws.describe_alarms(clients("cloudwatch"), alarm_names)) if alarm_names else {},
        "deployments": [summary(info) for info in history],
        "in_flight": None,
    }
    for alarm in result["alarms"].values():
        alarm["updated"] = progress.iso(alarm["updated"])
    if in_flight:
        snap = aws.poll(clients, in_flight[0]["deploymentId"], target_id(params), alarm_names)
        tracker = progress.Tracker()
        tracker.observe(snap)
        result["in_flight"] = dict(summary(in_flight[0]), progress=tracker.progress(snap), task_sets=snap.get("task_sets"),
                                   line=tracker.line(snap))
    return result


def _version(image):
    if not image:
        return None
    return taskdef.image_label(image)
