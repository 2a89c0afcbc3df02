# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The traffic plan of a release: steps from the deployment config, the share due at a time, what is left."""


def plan(deployment_config=None, deployment_group=None, minute_seconds=60):
    """How long shifting and the original task set's termination wait last, from the config and group.

    `minute_seconds` turns CodeDeploy minutes into real seconds (60 against AWS).
    """
    routing = (deployment_config or {}).get("trafficRoutingConfig") or {}
    kind = routing.get("type") or "AllAtOnce"
    steps = []  # (share after the step, minutes before the next step)
    if kind == "TimeBasedCanary":
        canary = routing.get("timeBasedCanary") or {}
        steps = [(float(canary.get("canaryPercentage", 0)), float(canary.get("canaryInterval", 0))), (100.0, 0.0)]
    elif kind == "TimeBasedLinear":
        linear = routing.get("timeBasedLinear") or {}
        percent = float(linear.get("linearPercentage") or 100)
        interval = float(linear.get("linearInterval", 0))
        share = 0.0
        while share < 100:
            share = min(100.0, share + percent)
            steps.append((share, interval if share < 100 else 0.0))
    else:
        steps = [(100.0, 0.0)]
    blue_green = (deployment_group or {}).get("blueGreenDeploymentConfiguration") or {}
    termination = blue_green.get("terminateBlueInstancesOnDeploymentSuccess") or {}
    ready = blue_green.get("deploymentReadyOption") or {}
    return {
        "type": kind,
        "steps": [{"share": share, "minutes": minutes} for share, minutes in steps],
        "shift_minutes": sum(minutes for _share, minutes in steps),
        "termination_wait_minutes": float(termination.get("terminationWaitTimeInMinutes", 0) or 0),
        "wait_for_approval": ready.get("actionOnTimeout") == "STOP_DEPLOYMENT",
        "minute_seconds": float(minute_seconds or 60),
    }


def planned_share(the_plan, shift_started, when):
    """The share the plan gives the replacement at `when`, the shift having started at `shift_started`; None if unknown."""
    if not the_plan or shift_started is None or when is None:
        return None
    if when < shift_started:
        return 0.0
    elapsed = (when - shift_started) / the_plan["minute_seconds"]
    passed = 0.0
    for step in the_plan["steps"]:
        if not step["minutes"] or elapsed < passed + step["minutes"]:
            return step["share"]
        passed += step["minutes"]
    return 100.0


def describe_plan(the_plan):
    if not the_plan:
        return ""
    parts = []
    for step in the_plan["steps"]:
        if step["minutes"]:
            parts.append("%g%% for %g min" % (step["share"], step["minutes"]))
        else:
            parts.append("%g%%" % step["share"])
    text = " -> ".join(parts)
    if the_plan.get("termination_wait_minutes"):
        text += ", original task set kept %g min" % the_plan["termination_wait_minutes"]
    return text


def remaining(the_plan, snap, shifted_at):
    """Real seconds left until the deployment should end, or None when it cannot be told.

    `shifted_at` maps each traffic share to the time it was first observed.
    """
    if not the_plan or snap.get("status") not in ("InProgress", "Created", "Queued", "Baking"):
        return None
    minute = the_plan["minute_seconds"]
    now = snap.get("observed_at")
    share = snap.get("traffic_share") or 0.0
    termination = the_plan["termination_wait_minutes"] * minute
    if share >= 100:
        started = shifted_at.get(100.0)
        return max(0.0, termination - (now - started)) if started is not None and now is not None else termination
    left = termination
    current_seen = False
    for step in the_plan["steps"]:
        if step["share"] <= share and share > 0:
            if step["share"] == share:
                current_seen = True
                started = shifted_at.get(share)
                elapsed = (now - started) if started is not None and now is not None else 0.0
                left += max(0.0, step["minutes"] * minute - elapsed)
            continue
        if current_seen or share == 0:
            left += step["minutes"] * minute
    return left
