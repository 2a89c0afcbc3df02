# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What canary.ecs.ecs_deployment does: release, follow, stop and continue ECS blue/green deployments.

    release()    preflight, then register the revision and start the deployment, or attach
                 to the same release in flight, or report that it is already live
    follow()     report on (and optionally wait for) one deployment by id
    stop()       stop the service's in-flight deployment, with rollback by default
    promote()    continue a deployment that waits for approval (or skip the termination wait)

Each returns the module result and whether the task failed. The AWS side of each step is
the backend's (codedeploy.CodeDeployBackend); waiting is watch.watch().
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.canary.ecs.plugins.module_utils._release import (
    alarms,
    backends,
    image_gate,
    judging,
    observe,
    outcome,
    pacing,
    preflight,
    progress,
    startup,
    taskdef,
)
from ansible_collections.canary.ecs.plugins.module_utils._release import api as aws
from ansible_collections.canary.ecs.plugins.module_utils._release.checked import Checked
from ansible_collections.canary.ecs.plugins.module_utils._release.codedeploy import target_id
from ansible_collections.canary.ecs.plugins.module_utils._release.context import Context, metric_time, minute_seconds
from ansible_collections.canary.ecs.plugins.module_utils._release.plan import describe_plan
from ansible_collections.canary.ecs.plugins.module_utils._release.watch import WaitTimeout, watch
from ansible_collections.canary.ecs.plugins.module_utils.common import Clients, fail

# ---------------------------------------------------------------------------- release


def read_release(module, backend):
    """Preflight: the service, its route, the live and the desired revision, the image; (ctx, desired, result)."""
    params = module.params
    ctx = Context(backend, params)
    clients = backend.clients
    ecs = clients("ecs")
    ctx.service = aws.describe_service(ecs, params["cluster"], params["service"])
    problem = backend.service_problem(ctx.service)
    if problem:
        fail(problem)
    ctx.find_group()
    ctx.container, ctx.port, problem = preflight.load_balanced_container(ctx.service, params.get("container"))
    if problem:
        fail(problem)
    live_arn = backend.live_revision(ctx.service)
    ctx.live, ctx.live_tags = aws.describe_task_definition(ecs, live_arn)
    desired = desired_task_definition(ctx)
    problem = preflight.container_problem(desired, ctx.container, ctx.port)
    if problem:
        fail(problem)
    image = taskdef.container_image(desired, ctx.container)
    registry, detail = check_image(clients, image)
    label = taskdef.image_label(image)
    gate = image_gate.settings(params.get("image_scan"))
    if params.get("pin_digest", True):
        # the revision names the image by digest: a tag pushed again later cannot change what runs
        image = image_gate.pinned(image, detail)
        taskdef.find_container(desired, ctx.container)["image"] = image
    scan = image_gate.check(clients("ecr", registry[1]) if registry else None, image, registry, detail, gate, minute_seconds(module))
    result = {
        "changed": False,
        "application_name": ctx.application_name,
        "deployment_group_name": ctx.group_name,
        "container": ctx.container,
        "image": image,
        "version": label,
        "image_digest": (detail or {}).get("imageDigest"),
        "image_scan": scan,
        "alarm_names": ctx.alarm_names(),
        "previous_task_definition_arn": ctx.live["taskDefinitionArn"],
        "warnings": preflight.alarm_warnings(ctx.group),
        "backend": backend.name,
    }
    return ctx, desired, result


def release(module, backend):
    params = module.params
    clients = backend.clients
    ecs = clients("ecs")
    ctx, desired, result = read_release(module, backend)
    attach = in_flight_release(ctx, desired)
    if attach is None and aws.in_motion(ctx.service):
        # a deployment moving when the service was read has ended since: its outcome is what is live now
        ctx, desired, result = read_release(module, backend)
        attach = in_flight_release(ctx, desired)
    label, image = result["version"], result["image"]
    if attach is not None:
        ctx.watched = backend.alarm_names(ctx.group, attach)
        # changed: the service's version changes while this task follows the release it asked for
        result.update(
            alarm_names=ctx.watched,
            attached=True,
            changed=True,
            deployment_id=attach["deploymentId"],
            deployment_config_name=attach.get("deploymentConfigName"),
            task_definition_arn=backend.released_revision(attach),
            plan=backend.plan(ctx.group, attach.get("deploymentConfigName"), minute_seconds(module)),
        )
        return start_following(module, ctx, result, label, attach["deploymentId"])

    if taskdef.same_content(ctx.live, desired):
        result.update(
            task_definition_arn=ctx.live["taskDefinitionArn"],
            live_task_definition_arn=ctx.live["taskDefinitionArn"],
            status="Live",
            msg="%s (%s) is already live on ECS service %s and no deployment is in flight: nothing to do."
            % (label, taskdef.task_definition_label(ctx.live), params["service"]),
        )
        return result, False

    group_alarms = ctx.alarm_names()
    described = aws.describe_alarms(clients("cloudwatch"), group_alarms) if group_alarms else []
    ctx.watched, left_out = alarms.for_release(group_alarms, described, backend.live_target_groups(ctx.group)) if group_alarms else ([], [])
    problems = preflight.alarm_problems(ctx.group, described, ctx.watched)
    if problems:
        fail(" ".join(problems))
    result["warnings"].extend(preflight.left_out_warnings(left_out, described))
    result.update(alarm_names=ctx.watched, alarms_left_out=left_out)
    judging.check_metrics_exist(clients("cloudwatch"), judging.settings(params.get("judge")))

    config_name = params.get("deployment_config_name") or ctx.group.get("deploymentConfigName")
    the_plan = backend.plan(ctx.group, config_name, minute_seconds(module))
    if the_plan is None:
        fail(preflight.config_problem(config_name, given=bool(params.get("deployment_config_name")), group_name=ctx.group_name))
    result.update(deployment_config_name=config_name, plan=the_plan, changed=True)
    if module.check_mode:
        result.update(
            appspec=backend.appspec("(the new revision of %s)" % desired["family"], ctx.container, ctx.port, ctx.service),
            task_definition=desired,
            msg="Would register a revision of %s with %s and release it to ECS service %s through %s (%s)."
            % (desired["family"], image, params["service"], ctx.route_label, describe_plan(the_plan)),
        )
        return result, False

    registered = aws.register_task_definition(ecs, desired, ctx.live_tags)
    result["warnings"].extend(duplicates_withdrawn(ecs, registered, ctx.live))
    spec = backend.appspec(registered["taskDefinitionArn"], ctx.container, ctx.port, ctx.service)
    try:
        deployment_id = backend.start(
            ctx.group,
            spec,
            params.get("deployment_config_name"),
            params.get("description") or "canary.ecs release of %s" % label,
            alarms.override(ctx.group, ctx.watched) if left_out else None,
        )
    except AnsibleAWSError as error:
        ours = started_anyway(ctx, registered["taskDefinitionArn"])
        if ours is None:
            raise withdrawn(ecs, registered, error) from error
        # the answer was lost (or a retry of it was refused, naming this very deployment): follow it
        result["warnings"].append(
            "Starting the deployment answered an error (%s), but deployment %s of this very revision is in flight: it is this release's own, "
            "so it is followed." % (error.message, ours["deploymentId"])
        )
        deployment_id = ours["deploymentId"]
    result.update(appspec=spec, task_definition_arn=registered["taskDefinitionArn"], deployment_id=deployment_id, attached=False)
    return start_following(module, ctx, result, label, deployment_id)


def started_anyway(ctx, task_definition_arn):
    """The in-flight deployment of the group that releases exactly this new revision, if a lost answer hid it."""
    try:
        in_flight = ctx.backend.in_flight(ctx.group)
    except AnsibleAWSError:
        return None
    for deployment in in_flight:
        if ctx.backend.released_revision(deployment) == task_definition_arn:
            return deployment
    return None


def duplicates_withdrawn(ecs, registered, live):
    """Deregister the revisions a retried RegisterTaskDefinition left behind; returns warnings saying which.

    botocore retries a call whose answer was lost, and ECS registers the revision again: the
    revisions between the live one and ours with the same content, registered moments before
    ours, are such leftovers. Nothing else is touched.
    """
    revision = registered.get("revision") or 0
    live_revision = live.get("revision") or 0
    if revision - live_revision <= 1 or registered.get("family") != live.get("family"):
        return []
    warnings = []
    for arn in aws.newest_revisions(ecs, registered["family"], min(revision - live_revision, 10)):
        number = int(arn.rsplit(":", 1)[-1])
        if not live_revision < number < revision:
            continue
        described, _tags = aws.describe_task_definition(ecs, arn)
        if taskdef.same_content(described, registered) and _registered_just_before(described, registered):
            aws.deregister_task_definition(ecs, arn)
            warnings.append(
                "Deregistered %s: a retried registration had left it beside %s." % (taskdef.arn_label(arn), taskdef.task_definition_label(registered))
            )
    return warnings


def _registered_just_before(earlier, later, seconds=300):
    first, second = observe.epoch(earlier.get("registeredAt")), observe.epoch(later.get("registeredAt"))
    return first is not None and second is not None and 0 <= second - first <= seconds


def withdrawn(ecs, registered, error):
    """The error of a start that failed, once the revision registered for it is taken back.

    Only when AWS answered with an error: after a timeout the deployment may exist
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


def desired_task_definition(ctx):
    params = ctx.params
    try:
        if params.get("task_definition"):
            return taskdef.from_full_definition(params["task_definition"], ctx.live["family"])
        image = params.get("image")
        if params.get("image_tag"):
            image = taskdef.image_with_tag(taskdef.container_image(ctx.live, ctx.container), params["image_tag"])
        environment = taskdef.joined_environment(params.get("environment"), params.get("secret_environment"))
        return taskdef.derive(ctx.live, ctx.container, image=image, environment=environment)
    except taskdef.TaskDefinitionError as error:
        fail(str(error))


def check_image(clients, image):
    """(registry, ECR image detail) of an ECR image, which must exist; (None, None) for an image elsewhere."""
    registry = taskdef.ecr_repository(image)
    if registry is None:
        return None, None
    account, region, repository = registry
    _repository, tag, digest = taskdef.split_image(image)
    detail = aws.ecr_image(clients("ecr", region), account, repository, tag=tag, digest=digest)
    problem = preflight.image_problem(image, detail, registry)
    if problem:
        fail(problem)
    return registry, detail


def in_flight_release(ctx, desired):
    """The in-flight deployment of this same revision (attach to it), None if nothing is in flight.

    Anything else in flight fails the release, naming it: CodeDeploy runs one deployment
    per group at a time, and stopping someone else's release is not this module's call.
    """
    ecs = ctx.clients("ecs")
    for deployment in ctx.backend.in_flight(ctx.group):
        arn = ctx.backend.released_revision(deployment)
        if arn:
            described, _tags = aws.describe_task_definition(ecs, arn)
            if taskdef.same_content(described, desired):
                return deployment
        fail(
            "Deployment %s (%s, created %s by %s) is already in flight in %s and releases %s, not %s. Wait for it, or stop it "
            "(canary.ecs.ecs_deployment state=stopped, playbooks/rollback.yml), then release again."
            % (
                deployment["deploymentId"],
                deployment.get("status"),
                observe.iso(observe.epoch(deployment.get("createTime"))),
                deployment.get("creator") or "user",
                ctx.route_label,
                taskdef.arn_label(arn) or "an unknown revision",
                taskdef.container_image(desired, ctx.container),
            )
        )
    return None


def start_following(module, ctx, result, label, deployment_id):
    """After starting or attaching: one look, then wait when asked to."""
    params = module.params
    release_label = "the release of %s to %s" % (label, params["service"])
    tracker = progress.Tracker(result.get("plan"), label)
    snap = ctx.backend.look(deployment_id, target_id(params["cluster"], params["service"]), ctx.alarm_names())
    tracker.observe(snap)
    if not params["wait"]:
        result.update(
            status=snap["status"],
            phase=observe.phase(snap),
            progress=tracker.progress(snap),
            observation=snap,
            timeline=tracker.public_timeline(),
            msg="%s deployment %s for %s (%s)." % ("Attached to" if result.get("attached") else "Started", deployment_id, release_label, snap["status"]),
        )
        return result, False
    return wait_and_finish(ctx.backend, params, tracker, result, deployment_id, ctx.alarm_names(), snap, release_label)


def wait_and_finish(backend, params, tracker, result, deployment_id, alarm_names, snap, release_label):
    """The module's own wait (under async, or wait=true without the action plugin): watch() with AWS looks."""
    target = target_id(params["cluster"], params["service"])

    judged = judging.settings(params.get("judge"))["enabled"]
    look = pacing.Looks(tracker, lambda: backend.look(deployment_id, target, alarm_names), lambda: backend.glance(deployment_id, target), judged, first=snap)
    try:
        snap = watch(
            look,
            observe.is_terminal,
            params["wait_timeout"],
            pacing.paced(tracker, params["poll_interval"], judged),
            first=look() if snap is None else snap,
            on_look=tracker.observe,
            errors=(AnsibleAWSError,),
        )
    except WaitTimeout as timeout:
        result.update(timed_out(tracker, deployment_id, params["wait_timeout"], timeout.snapshot))
        return result, True
    return outcome.finish(result, tracker, snap, release_label, params["fail_on_rollback"])


def timed_out(tracker, deployment_id, wait_timeout, snap):
    """The result members of a watch that gave up at its deadline (the deployment goes on)."""
    return dict(
        status=(snap or {}).get("status"),
        progress=tracker.progress(snap) if snap else None,
        timeline=tracker.public_timeline(),
        observation=snap,
        msg=outcome.timeout_message(deployment_id, wait_timeout, snap),
    )


# ---------------------------------------------------------------------------- follow / stop / continue


def follow(module, backend):
    """state=deployed with deployment_id: report on one deployment of this service, waiting if asked.

    A look is three calls when the deployment's alarms are known, one more to read its group's otherwise;
    a glance (look=glance, no wait) is one call while the target is in progress.
    """
    params = module.params
    deployment_id = params["deployment_id"]
    result = {"changed": False, "attached": True, "deployment_id": deployment_id}
    tracker = progress.Tracker()
    release_label = "deployment %s" % deployment_id
    target = target_id(params["cluster"], params["service"])
    if not params["wait"]:
        glanced = backend.glance(deployment_id, target) if params.get("look") == "glance" else None
        if glanced is not None:
            # what the target alone tells: the caller updates its last full look with it
            result.update(status=glanced["status"], observation=glanced, terminal=False, msg="%s is InProgress (glance)." % release_label.capitalize())
            return result, False
        snap = backend.look(deployment_id, target, None)
        tracker.observe(snap)
        result.update(
            status=snap["status"],
            phase=observe.phase(snap),
            progress=tracker.progress(snap),
            observation=snap,
            application_name=snap["application_name"],
            deployment_group_name=snap["deployment_group_name"],
            terminal=observe.is_terminal(snap),
            msg="%s is %s (%s)." % (release_label.capitalize(), snap["status"], observe.phase(snap)),
        )
        return result, False
    info = backend.get(deployment_id)
    alarm_names = backend.alarm_names(backend.group_of(info), info)
    result.update(task_definition_arn=backend.released_revision(info), alarm_names=alarm_names)
    result, failed = wait_and_finish(backend, params, tracker, result, deployment_id, alarm_names, None, release_label)
    observation = result.get("observation") or {}
    result.update(application_name=observation.get("application_name"), deployment_group_name=observation.get("deployment_group_name"))
    return result, failed


def _targets(module, backend):
    """The deployment(s) state=stopped/continued act on: the one named, or the group's in-flight ones.

    No service or no deployment group means nothing can be in flight: an empty list, so that
    stopping is a no-op during a cleanup that already removed them.
    """
    params = module.params
    ctx = Context(backend, params)
    if params.get("deployment_id"):
        return ctx, [backend.get(params["deployment_id"])]
    if ctx.find_group(required=False) is None:
        return ctx, []
    return ctx, backend.in_flight(ctx.group)


def stop(module, backend):
    params = module.params
    ctx, deployments = _targets(module, backend)
    deployments = [d for d in deployments if d.get("status") in observe.IN_FLIGHT]
    result = {"changed": bool(deployments), "stopped": [d["deploymentId"] for d in deployments], "rollback": params["rollback"]}
    if not deployments:
        result["msg"] = "No deployment of ECS service %s is in flight: nothing to stop." % params["service"]
        return result, False
    ids = ", ".join(result["stopped"])
    if module.check_mode:
        result["msg"] = "Would stop deployment %s%s." % (ids, " and roll back" if params["rollback"] else "")
        return result, False
    # one that ended between the listing and the stop is no longer in flight: nothing to do for it
    deployments = [d for d in deployments if backend.stop(d["deploymentId"], params["rollback"])]
    result.update(changed=bool(deployments), stopped=[d["deploymentId"] for d in deployments])
    if not deployments:
        result["msg"] = "Deployment %s ended on its own before it could be stopped: nothing to stop." % ids
        return result, False
    result.update(deployment_id=deployments[0]["deploymentId"], alarm_names=ctx.alarm_names())
    if not params["wait"]:
        result["msg"] = "Asked %s to stop deployment %s%s." % (
            "ECS" if backend.name == "ecs" else "CodeDeploy",
            ", ".join(result["stopped"]),
            " with rollback" if params["rollback"] else "",
        )
        return result, False
    result, _failed = wait_and_finish(
        backend, params, progress.Tracker(), result, deployments[0]["deploymentId"], ctx.alarm_names(), None, "deployment %s" % deployments[0]["deploymentId"]
    )
    result["msg"] = stopped_message(result["stopped"], params["rollback"], result)
    return result, result.get("status") not in observe.TERMINAL


def stopped_message(stopped, rollback, result):
    """The message of a stop that was followed to its end (the module's and the action plugin's)."""
    return "Stopped deployment %s%s; it is %s. %s" % (", ".join(stopped), " with rollback" if rollback else "", result.get("status"), result.get("msg", ""))


def promote(module, backend):
    params = module.params
    ctx, deployments = _targets(module, backend)
    wait_type = params["wait_type"].upper()
    ready_status = "Ready" if wait_type == "READY_WAIT" else "InProgress"
    waiting = [d for d in deployments if d.get("status") == ready_status]
    result = {"changed": bool(waiting), "continued": [d["deploymentId"] for d in waiting], "wait_type": params["wait_type"]}
    if not waiting:
        busy = ", ".join("%s (%s)" % (d["deploymentId"], d.get("status")) for d in deployments)
        result["msg"] = "No deployment of ECS service %s is waiting %s: nothing to continue.%s" % (
            params["service"],
            "for approval" if wait_type == "READY_WAIT" else "to terminate its original task set",
            (" In flight: %s." % busy) if busy else "",
        )
        return result, False
    deployment_id = waiting[0]["deploymentId"]
    result.update(deployment_id=deployment_id, alarm_names=ctx.alarm_names())
    if module.check_mode:
        result["msg"] = "Would continue deployment %s (%s)." % (deployment_id, params["wait_type"])
        return result, False
    if not backend.resume(deployment_id, wait_type):
        result.update(changed=False, msg="Deployment %s stopped waiting before it could be continued: nothing to continue." % deployment_id)
        return result, False
    if not params["wait"]:
        result["msg"] = "Continued deployment %s (%s)." % (deployment_id, params["wait_type"])
        return result, False
    return wait_and_finish(backend, params, progress.Tracker(), result, deployment_id, ctx.alarm_names(), None, "deployment %s" % deployment_id)


def checked(module, backend):
    """The backend with the release's checks on every look: fast fail during Install, then the judge.

    Both read the replacement task set (its tasks, its target group): CodeDeploy's; with ECS's own
    deployments they are not run (a judge asked for there is refused, naming the option)."""
    if backend.name == "ecs":
        if judging.settings(module.params.get("judge"))["enabled"]:
            fail(
                "judge is not available with backend=ecs yet (it compares the replacement task set's target group with the original's): "
                "release with backend=codedeploy to judge, or rely on the service's alarms."
            )
        return backend
    checks = []
    fast_fail = startup.settings(module.params.get("fast_fail_minutes"))
    if fast_fail:
        checks.append(lambda snap: startup.look(backend.clients, backend, fast_fail, snap, minute_seconds(module)))
    options = judging.settings(module.params.get("judge"))
    if options["enabled"]:
        timing = judging.Timing(metric_time(module), minute_seconds(module), module.params["poll_interval"])
        checks.append(lambda snap: judging.look(backend.clients, backend, options, snap, timing))
    return Checked(backend, checks) if checks else backend


def run(module):
    backend = checked(module, backends.choose(module.params, Clients(module)))
    state = module.params["state"]
    if state == "stopped":
        return stop(module, backend)
    if state == "continued":
        return promote(module, backend)
    if module.params.get("deployment_id"):
        return follow(module, backend)
    return release(module, backend)
