# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What canary.ecs.ecs_deployment_info reports: a service's live version, in-flight release and history."""

from ansible_collections.canary.ecs.plugins.module_utils._release import api as aws
from ansible_collections.canary.ecs.plugins.module_utils._release import backends, observe, preflight, progress, taskdef
from ansible_collections.canary.ecs.plugins.module_utils._release.codedeploy import target_id
from ansible_collections.canary.ecs.plugins.module_utils._release.context import Context
from ansible_collections.canary.ecs.plugins.module_utils.common import Clients


def summary(info, backend):
    """One deployment for people: ids, status, times (ISO), the task definition it releases, why it failed."""
    brief = observe.deployment_summary(info)
    for key in ("create_time", "start_time", "complete_time"):
        brief[key] = observe.iso(brief[key])
    brief["task_definition_arn"] = backend.released_revision(info)
    brief["rolled_back"] = observe.rolled_back(brief)
    return brief


def report(module):
    params = module.params
    backend = backends.choose(params, Clients(module))
    clients = backend.clients
    ctx = Context(backend, params)
    ecs = clients("ecs")
    ctx.service = aws.describe_service(ecs, params["cluster"], params["service"])
    ctx.find_group()
    alarm_names = ctx.alarm_names()
    live_arn = backend.live_revision(ctx.service)
    live, _tags = aws.describe_task_definition(ecs, live_arn)
    container, _port, _problem = preflight.load_balanced_container(ctx.service, params.get("container"))
    images = dict((c.get("name"), c.get("image")) for c in live.get("containerDefinitions", []))
    if params.get("deployment_id"):
        history = [backend.get(params["deployment_id"])]
    else:
        history = backend.history(ctx.group, limit=params["max_deployments"])
    in_flight = [info for info in history if info.get("status") in observe.IN_FLIGHT]
    if not params.get("deployment_id") and not in_flight:
        in_flight = backend.in_flight(ctx.group)  # older than the history window
    result = {
        "changed": False,
        "application_name": ctx.application_name,
        "deployment_group_name": ctx.group_name,
        "deployment_config_name": ctx.group.get("deploymentConfigName"),
        "live_task_definition_arn": live_arn,
        "live_image": images.get(container),
        "live_version": _version(clients, images.get(container)),
        "alarms": observe.alarm_summary(aws.describe_alarms(clients("cloudwatch"), alarm_names)) if alarm_names else {},
        "deployments": [summary(info, backend) for info in history],
        "backend": backend.name,
        "in_flight": None,
    }
    for alarm in result["alarms"].values():
        alarm["updated"] = observe.iso(alarm["updated"])
    if in_flight:
        snap = backend.look(in_flight[0]["deploymentId"], target_id(params["cluster"], params["service"]), alarm_names)
        tracker = progress.Tracker()
        tracker.observe(snap)
        result["in_flight"] = dict(summary(in_flight[0], backend), progress=tracker.progress(snap), task_sets=snap.get("task_sets"), line=tracker.line(snap))
    return result


def _version(clients, image):
    """The live version in people's words: the tag; for an ECR image pinned by digest, the image's tag in ECR
    (one DescribeImages); else a short digest."""
    if not image:
        return None
    registry = taskdef.ecr_repository(image)
    _repository, tag, digest = taskdef.split_image(image)
    if registry and digest and not tag:
        detail = aws.ecr_image(clients("ecr", registry[1]), registry[0], registry[2], digest=digest)
        tags = sorted((detail or {}).get("imageTags") or [])
        if tags:
            return tags[0]
    return taskdef.image_label(image)
