# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What canary.ecs.ecs_deployment does: release, follow, stop and continue ECS blue/green deployments.

    release()    preflight, then register the revision and start the deployment, or attach
                 to the same release in flight, or report that it is already live
    follow()     report on (and optionally wait for) one deployment by id
    stop()       stop the service's in-flight deployment, with rollback by default
    promote()    continue a deployment that waits for approval (or skip the termination wait)

Each returns the module result and whether the task failed.
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.canary.ecs.plugins.module_utils import ecs_deployment_appspec as appspec
from ansible_collections.canary.ecs.plugins.module_utils import ecs_deployment_aws as aws
from ansible_collections.canary.ecs.plugins.module_utils import ecs_deployment_preflight as preflight
from ansible_collections.canary.ecs.plugins.module_utils import ecs_deployment_progress as progress
from ansible_collections.canary.ecs.plugins.module_utils import ecs_deployment_taskdef as taskdef
from ansible_collections.canary.ecs.plugins.module_utils.codedeploy_common import fail
from ansible_collections.canary.ecs.plugins.module_utils.codedeploy_deployment_config import get_deployment_config
from ansible_collections.canary.ecs.plugins.module_utils.ecs_deployment_wait import WaitTimeout
from ansible_collections.canary.ecs.plugins.module_utils.ecs_deployment_wait import follow as wait_for


def target_id(params):
    """CodeDeploy names the ECS target of a deployment 'cluster:service'."""
    return "%s:%s" % (aws._name(params["cluster"]), aws._name(params["service"]))


class Context(object):
    """What a release learned about the service: read once, used by every step."""

    def __init__(self, clients, params):
        self.clients = clients
        self.params = params
        self.service = None
        self.group = None
        self.container = None
        self.port = None
        self.live = None  # described live task definition
        self.live_tags = []
        self.warnings = []

    def resolve_group(self):
        params = self.params
        codedeploy = self.clients("codedeploy")
        if params.get("deployment_group_name"):
            if not params.get("application_name"):
                fail("deployment_group_name needs application_name too (a group name is only unique within its application).")
            group = aws.get_deployment_group(codedeploy, params["application_name"], params["deployment_group_name"])
            problem = preflight.group_problem(group, params["cluster"], params["service"], params["application_name"],
                                              params["deployment_group_name"])
            if problem:
                fail(problem)
            self.group = group
        else:
            groups = aws.groups_of_service(codedeploy, params["cluster"], params["service"], params.get("application_name"))
            problem = preflight.groups_found_problem(groups, params["cluster"], params["service"])
            if problem:
                fail(problem)
            self.group = groups[0]
        return self.group

    @property
    def application_name(self):
        return self.group["applicationName"]

    @property
    def group_name(self):
        return self.group["deploymentGroupName"]

    def alarm_names(self):
        return preflight.alarm_names(self.group)


# ---------------------------------------------------------------------------- release

def release(module, clients):
    params = module.params
    ctx = Context(clients, params)
    ecs = clients("ecs")
    ctx.service = aws.describe_service(ecs, params["cluster"], params["service"])
    problem = preflight.controller_problem(ctx.service)
    if problem:
        fail(problem)
    ctx.resolve_group()
    ctx.container, ctx.port, problem = preflight.load_balanced_container(ctx.service, params.get("container"))
    if problem:
        fail(problem)
    live_arn = aws.live_task_definition_arn(ctx.service)
    ctx.live, ctx.live_tags = aws.describe_task_definition(ecs, live_arn)
    desired = desired_task_definition(ctx)
    problem = preflight.container_problem(desired, ctx.container, ctx.port)
    if problem:
        fail(problem)
    image = taskdef.container_image(desired, ctx.container)
    check_image(clients, image)
    label = taskdef.image_label(image)
    result = {
        "changed": False,
        "application_name": ctx.application_name,
        "deployment_group_name": ctx.group_name,
        "container": ctx.container,
        "image": image,
        "version": label,
        "alarm_names": ctx.alarm_names(),
        "previous_task_definition_arn": ctx.live["taskDefinitionArn"],
        "warnings": preflight.alarm_warnings(ctx.group),
    }

    attach = in_flight_release(ctx, desired)
    if attach is not None:
        # changed: the service's version changes while this task follows the release it asked for
        result.update(attached=True, changed=True, deployment_id=attach["deploymentId"], deployment_config_name=attach.get("deploymentConfigName"),
                      task_definition_arn=appspec.task_definition_of(attach), plan=release_plan(clients, ctx, attach.get("deploymentConfigName")))
        return start_following(module, clients, ctx, result, label, attach["deploymentId"])

    if taskdef.same_content(ctx.live, desired):
        result.update(
            task_definition_arn=ctx.live["taskDefinitionArn"],
            live_task_definition_arn=ctx.live["taskDefinitionArn"],
            status="Live",
            msg="%s (%s) is already live on ECS service %s and no deployment is in flight: nothing to do."
            % (label, taskdef.task_definition_label(ctx.live), params["service"]),
        )
        return result, False

    problems = preflight.alarm_problems(ctx.group, aws.describe_alarms(clients("cloudwatch"), ctx.alarm_names()))
    if problems:
        fail(" ".join(problems))

    config_name = params.get("deployment_config_name") or ctx.group.get("deploymentConfigName")
    the_plan = release_plan(clients, ctx, config_name)
    result.update(deployment_config_name=config_name, plan=the_plan, changed=True)
    if module.check_mode:
        spec = appspec.build("(the new revision of %s)" % desired["family"], ctx.container, ctx.port, ctx.service)
        result.update(
            appspec=spec,
            task_definition=desired,
            msg="Would register a revision of %s with %s and release it to ECS service %s through %s/%s (%s)."
            % (desired["family"], image, params["service"], ctx.application_name, ctx.group_name, progress.describe_plan(the_plan)),
        )
        return result, False

    registered = aws.register_task_definition(ecs, desired, ctx.live_tags)
    spec = appspec.build(registered["taskDefinitionArn"], ctx.container, ctx.port, ctx.service)
    try:
        deployment_id = aws.create_deployment(clients("codedeploy"), ctx.application_name, ctx.group_name, appspec.revision(spec),
                                              params.get("deployment_config_name"), params.get("description") or "canary.ecs release of %s" % label)
    except AnsibleAWSError as error:
        raise withdrawn(ecs, registered, error)
    result.update(appspec=spec, task_definition_arn=registered["taskDefinitionArn"], deployment_id=deployment_id, attached=False)
    return start_following(module, clients, ctx, result, label, deployment_id)


def withdrawn(ecs, registered, error):
    """The error of a create_deployment that failed, once the revision registered for it is taken back.

    Only when CodeDeploy answered with an error: after a timeout the deployment may exist
    and use the revision, so it stays (the next run attaches to such a deployment).
    """
    label = taskdef.task_definition_label(registered)
    if not isinstance(getattr(error.exception, "response", None), dict):
        note = "the revision %s registered for it is kept, in case the deployment started anyway" % label
    else:
        try:
            aws.deregister_task_definition(ecs, registered["taskDefinitionArn"])
            note = "the revision %s registered for it was deregistered again; nothing else changed" % label
        except AnsibleAWSError as cleanup:
            note = "the revision %s registered for it could not be deregistered (%s): deregister it by hand" % (label, cleanup)
    return type(error)(message="%s (%s)" % (error.message, note), exception=error.exception)


def release_plan(clients, ctx, config_name):
    config = get_deployment_config(clients("codedeploy"), config_name) if config_name else None
    return progress.plan(config, ctx.group, ctx.params.get("minute_seconds"))


def desired_task_definition(ctx):
    params = ctx.params
    try:
        if params.get("task_definition"):
            return taskdef.from_full_definition(params["task_definition"], ctx.live["family"])
        image = params.get("image")
        if params.get("image_tag"):
            image = taskdef.image_with_tag(taskdef.container_image(ctx.live, ctx.container), params["image_tag"])
        return taskdef.derive(ctx.live, ctx.container, image=image, environment=params.get("environment"))
    except taskdef.TaskDefinitionError as error:
        fail(str(error))


def check_image(clients, image):
    registry = taskdef.ecr_repository(image)
    if registry is None:
        return
    account, region, repository = registry
    _repository, tag, digest = taskdef.split_image(image)
    detail = aws.ecr_image(clients("ecr", region), account, repository, tag=tag, digest=digest)
    problem = preflight.image_problem(image, detail, registry)
    if problem:
        fail(problem)


def in_flight_release(ctx, desired):
    """The in-flight deployment of this same revision (attach to it), None if nothing is in flight.

    Anything else in flight fails the release, naming it: CodeDeploy runs one deployment
    per group at a time, and stopping someone else's release is not this module's call.
    """
    ecs = ctx.clients("ecs")
    for deployment in aws.in_flight(ctx.clients("codedeploy"), ctx.application_name, ctx.group_name):
        arn = appspec.task_definition_of(deployment)
        if arn:
            described, _tags = aws.describe_task_definition(ecs, arn)
            if taskdef.same_content(described, desired):
                return deployment
        fail("Deployment %s (%s, created %s by %s) is already in flight in %s/%s and releases %s, not %s. Wait for it, or stop it "
             "(canary.ecs.ecs_deployment state=stopped, playbooks/rollback.yml), then release again." % (
                 deployment["deploymentId"], deployment.get("status"), progress.iso(progress.epoch(deployment.get("createTime"))),
                 deployment.get("creator") or "user", ctx.application_name, ctx.group_name, taskdef.arn_label(arn) or "an unknown revision",
                 taskdef.container_image(desired, ctx.container)))
    return None


def start_following(module, clients, ctx, result, label, deployment_id):
    """After starting or attaching: one look, then wait when asked to."""
    params = module.params
    release_label = "the release of %s to %s" % (label, params["service"])
    tracker = progress.Tracker(result.get("plan"), label)
    snap = aws.poll(clients, deployment_id, target_id(params), ctx.alarm_names())
    tracker.observe(snap)
    if not params["wait"]:
        result.update(status=snap["status"], phase=progress.phase(snap), progress=tracker.progress(snap), observation=snap,
                      timeline=tracker.public_timeline(),
                      msg="%s deployment %s for %s (%s)." % (
                          "Attached to" if result.get("attached") else "Started", deployment_id, release_label, snap["status"]))
        return result, False
    return wait_and_finish(clients, params, tracker, result, deployment_id, ctx.alarm_names(), snap, release_label)


def wait_and_finish(clients, params, tracker, result, deployment_id, alarm_names, snap, release_label):
    try:
        snap = wait_for(clients, tracker, deployment_id, target_id(params), alarm_names, params["wait_timeout"],
                        params["poll_interval"], first=None if snap is None else snap)
    except WaitTimeout as timeout:
        result.update(status=timeout.snapshot["status"], progress=tracker.progress(timeout.snapshot), timeline=tracker.public_timeline(),
                      observation=timeout.snapshot, msg=progress.timeout_message(deployment_id, params["wait_timeout"], timeout.snapshot))
        return result, True
    return progress.finish(result, tracker, snap, release_label, params["fail_on_rollback"])


# ---------------------------------------------------------------------------- follow / stop / continue

def follow(module, clients):
    """state=deployed with deployment_id: report on one deployment of this service, waiting if asked.

    With alarm_names given (the action plugin passes them on every look) a look is the three
    calls of a poll and nothing else.
    """
    params = module.params
    deployment_id = params["deployment_id"]
    alarm_names = params.get("alarm_names")
    result = {"changed": False, "attached": True, "deployment_id": deployment_id}
    if alarm_names is None:
        codedeploy = clients("codedeploy")
        info = aws.get_deployment(codedeploy, deployment_id)
        group = aws.get_deployment_group(codedeploy, info["applicationName"], info["deploymentGroupName"])
        alarm_names = preflight.alarm_names(group)
        result["task_definition_arn"] = appspec.task_definition_of(info)
    result["alarm_names"] = alarm_names
    tracker = progress.Tracker()
    release_label = "deployment %s" % deployment_id
    if not params["wait"]:
        snap = aws.poll(clients, deployment_id, target_id(params), alarm_names)
        tracker.observe(snap)
        result.update(status=snap["status"], phase=progress.phase(snap), progress=tracker.progress(snap), observation=snap,
                      application_name=snap["application_name"], deployment_group_name=snap["deployment_group_name"],
                      terminal=progress.is_terminal(snap), msg="%s is %s (%s)." % (release_label.capitalize(), snap["status"], progress.phase(snap)))
        return result, False
    result, failed = wait_and_finish(clients, params, tracker, result, deployment_id, alarm_names, None, release_label)
    observation = result.get("observation") or {}
    result.update(application_name=observation.get("application_name"), deployment_group_name=observation.get("deployment_group_name"))
    return result, failed


def _targets(module, clients):
    """The deployment(s) state=stopped/continued act on: the one named, or the group's in-flight ones.

    No service or no deployment group means nothing can be in flight: an empty list, so that
    stopping is a no-op during a cleanup that already removed them.
    """
    params = module.params
    ctx = Context(clients, params)
    if params.get("deployment_id"):
        return ctx, [aws.get_deployment(clients("codedeploy"), params["deployment_id"])]
    codedeploy = clients("codedeploy")
    if params.get("deployment_group_name"):
        ctx.group = aws.get_deployment_group(codedeploy, params["application_name"], params["deployment_group_name"])
    else:
        groups = aws.groups_of_service(codedeploy, params["cluster"], params["service"], params.get("application_name"))
        if len(groups) > 1:
            fail(preflight.groups_found_problem(groups, params["cluster"], params["service"]))
        ctx.group = groups[0] if groups else None
    if ctx.group is None:
        return ctx, []
    return ctx, aws.in_flight(codedeploy, ctx.application_name, ctx.group_name)


def stop(module, clients):
    params = module.params
    ctx, deployments = _targets(module, clients)
    deployments = [d for d in deployments if d.get("status") in progress.IN_FLIGHT]
    result = {"changed": bool(deployments), "stopped": [d["deploymentId"] for d in deployments], "rollback": params["rollback"]}
    if not deployments:
        result["msg"] = "No deployment of ECS service %s is in flight: nothing to stop." % params["service"]
        return result, False
    ids = ", ".join(result["stopped"])
    if module.check_mode:
        result["msg"] = "Would stop deployment %s%s." % (ids, " and roll back" if params["rollback"] else "")
        return result, False
    # one that ended between the listing and the stop is no longer in flight: nothing to do for it
    deployments = [d for d in deployments if aws.stop_deployment(clients("codedeploy"), d["deploymentId"], params["rollback"])]
    result.update(changed=bool(deployments), stopped=[d["deploymentId"] for d in deployments])
    if not deployments:
        result["msg"] = "Deployment %s ended on its own before it could be stopped: nothing to stop." % ids
        return result, False
    ids = ", ".join(result["stopped"])
    result.update(deployment_id=deployments[0]["deploymentId"], alarm_names=ctx.alarm_names())
    if not params["wait"]:
        result["msg"] = "Asked CodeDeploy to stop deployment %s%s." % (ids, " with rollback" if params["rollback"] else "")
        return result, False
    alarm_names = ctx.alarm_names() if ctx.group else []
    result, _failed = wait_and_finish(clients, params, progress.Tracker(), result, deployments[0]["deploymentId"], alarm_names, None,
                                      "deployment %s" % deployments[0]["deploymentId"])
    result["msg"] = "Stopped deployment %s%s; it is %s. %s" % (
        ids, " with rollback" if params["rollback"] else "", result.get("status"), result.get("msg", ""))
    return result, result.get("status") not in progress.TERMINAL


def promote(module, clients):
    params = module.params
    ctx, deployments = _targets(module, clients)
    wait_type = params["wait_type"].upper()
    ready_status = "Ready" if wait_type == "READY_WAIT" else "InProgress"
    waiting = [d for d in deployments if d.get("status") == ready_status]
    result = {"changed": bool(waiting), "continued": [d["deploymentId"] for d in waiting], "wait_type": params["wait_type"]}
    if not waiting:
        busy = ", ".join("%s (%s)" % (d["deploymentId"], d.get("status")) for d in deployments)
        result["msg"] = "No deployment of ECS service %s is waiting %s: nothing to continue.%s" % (
            params["service"], "for approval" if wait_type == "READY_WAIT" else "to terminate its original task set",
            (" In flight: %s." % busy) if busy else "")
        return result, False
    deployment_id = waiting[0]["deploymentId"]
    result.update(deployment_id=deployment_id, alarm_names=ctx.alarm_names())
    if module.check_mode:
        result["msg"] = "Would continue deployment %s (%s)." % (deployment_id, params["wait_type"])
        return result, False
    if not aws.continue_deployment(clients("codedeploy"), deployment_id, wait_type):
        result.update(changed=False, msg="Deployment %s stopped waiting before it could be continued: nothing to continue." % deployment_id)
        return result, False
    if not params["wait"]:
        result["msg"] = "Continued deployment %s (%s)." % (deployment_id, params["wait_type"])
        return result, False
    alarm_names = ctx.alarm_names() if ctx.group else []
    return wait_and_finish(clients, params, progress.Tracker(), result, deployment_id, alarm_names, None,
                           "deployment %s" % deployment_id)


def run(module):
    clients = aws.Clients(module)
    state = module.params["state"]
    if state == "stopped":
        return stop(module, clients)
    if state == "continued":
        return promote(module, clients)
    if module.params.get("deployment_id"):
        return follow(module, clients)
    return release(module, clients)
