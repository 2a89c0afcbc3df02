# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One look at many releases with batched reads, instead of three calls per release.

    services(clients, wanted)    the services a fleet names, DescribeServices 10 at a time per cluster
    look(clients, releases)      a snapshot (observe.snapshot) per release:
        BatchGetDeployments      25 deployments a call (with the rollback deployments it learns of)
        DescribeAlarms           100 alarm names a call
        DescribeListeners        the production listeners' weights, 20 listeners a call
      and, once per release, where it is routed (cached by the caller, passed back in each look):
        BatchGetDeploymentGroups the production listeners (one call per application)
        DescribeServices         the replacement task set's target group (its externalId is the deployment id)

The share on the new version is the production listener's weight on the replacement target
group, as CodeDeploy sets it; a look here carries no lifecycle events and no judgement.
"""

import time

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy import api as codedeploy_api
from ansible_collections.canary.ecs.plugins.module_utils._release import api as release_api
from ansible_collections.canary.ecs.plugins.module_utils._release import appspec, observe
from ansible_collections.canary.ecs.plugins.module_utils._release.codedeploy import CodeDeployBackend, target_id
from ansible_collections.canary.ecs.plugins.module_utils._release.observe import ORIGINAL, REPLACEMENT, replacement_share, snapshot
from ansible_collections.canary.ecs.plugins.module_utils.common import ECSErrorHandler, ELBv2ErrorHandler, short_name

BATCH_SERVICES = 10  # DescribeServices
BATCH_LISTENERS = 20  # DescribeListeners: kept small, AWS states no maximum for ListenerArns
NOT_STARTED = ("Created", "Queued")


def _chunks(items, size):
    items = list(items)
    return [items[start : start + size] for start in range(0, len(items), size)]


class Counter(object):
    """The AWS calls a look made, by operation (the fleet's cost is reported per look)."""

    def __init__(self):
        self.calls = {}

    def add(self, operation, count=1):
        if count:
            self.calls[operation] = self.calls.get(operation, 0) + count


@ECSErrorHandler.common_error_handler("describe the ECS services")
def _describe_services(ecs, cluster, names):
    response = ecs.describe_services(aws_retry=True, cluster=cluster, services=list(names))
    return response.get("services", []), response.get("failures", [])


@ELBv2ErrorHandler.common_error_handler("read the production listeners")
def _describe_listeners(elbv2, arns):
    return elbv2.describe_listeners(aws_retry=True, ListenerArns=list(arns))["Listeners"]


def services(clients, wanted, counter=None):
    """{(cluster, service): the ECS service as described, or None when it does not exist}; wanted: [(cluster, service)]."""
    counter = counter or Counter()
    by_cluster, found = {}, {}
    for cluster, service in wanted:
        by_cluster.setdefault(cluster, []).append(service)
    for cluster, names in by_cluster.items():
        for chunk in _chunks(names, BATCH_SERVICES):
            described, _failures = _describe_services(clients("ecs"), cluster, chunk)
            counter.add("DescribeServices")
            active = dict((short_name(item["serviceName"]), item) for item in described if item.get("status") == "ACTIVE")
            for name in chunk:
                found[(cluster, name)] = active.get(short_name(name))
    return found


def _routes(clients, releases, infos, counter):
    """Fill each release's listener_arns (from its deployment group) where the caller did not pass them."""
    wanted = {}
    for release in releases:
        info = infos.get(release["deployment_id"])
        # only a release in progress has weights worth reading
        if release.get("listener_arns") or info is None or info.get("status") != "InProgress":
            continue
        wanted.setdefault(info["applicationName"], set()).add(info["deploymentGroupName"])
    groups = {}
    for application, names in wanted.items():
        for group in codedeploy_api.batch_get_deployment_groups(clients("codedeploy"), application, sorted(names)):
            groups[(application, group["deploymentGroupName"])] = group
        counter.add("BatchGetDeploymentGroups", len(_chunks(names, codedeploy_api.BATCH_GROUPS)))
    for release in releases:
        info = infos.get(release["deployment_id"])
        if release.get("listener_arns") or info is None or info.get("status") != "InProgress":
            continue
        group = groups.get((info["applicationName"], info["deploymentGroupName"])) or {}
        pair = ((group.get("loadBalancerInfo") or {}).get("targetGroupPairInfoList") or [{}])[0]
        release["listener_arns"] = list((pair.get("prodTrafficRoute") or {}).get("listenerArns") or [])


def _replacements(clients, releases, infos, counter):
    """Fill each started release's replacement_target_group from its service's task sets, where not known yet."""
    wanted = [
        release
        for release in releases
        if not release.get("replacement_target_group") and (infos.get(release["deployment_id"]) or {}).get("status") == "InProgress"
    ]
    if not wanted:
        return
    described = services(clients, [(release["cluster"], release["service"]) for release in wanted], counter)
    for release in wanted:
        service = described.get((release["cluster"], release["service"])) or {}
        for task_set in service.get("taskSets") or []:
            if task_set.get("externalId") == release["deployment_id"] and task_set.get("loadBalancers"):
                release["replacement_target_group"] = task_set["loadBalancers"][0].get("targetGroupArn")


def _weights(clients, releases, counter):
    """{listener arn: {target group arn: weight}} of the production listeners' forward actions."""
    arns = sorted(set(arn for release in releases for arn in release.get("listener_arns") or []))
    weights = {}
    for chunk in _chunks(arns, BATCH_LISTENERS):
        for listener in _describe_listeners(clients("elbv2"), chunk):
            weights[listener["ListenerArn"]] = release_api.forward_weights(listener)
        counter.add("DescribeListeners")
    return weights


def _task_sets(release, weights):
    """The two task sets as a look at the target would label them, with the listener's weights in percent."""
    replacement = release.get("replacement_target_group")
    listeners = [weights[arn] for arn in release.get("listener_arns") or [] if arn in weights]
    if not replacement or not listeners:
        return []
    forward = listeners[0]
    total = sum(forward.values())
    if not total:
        return []
    green = 100.0 * forward.get(replacement, 0) / total
    original = [arn for arn in forward if arn != replacement]
    sets = [{"label": REPLACEMENT, "traffic_weight": round(green, 3), "target_group": replacement.rsplit("/", 2)[-2]}]
    sets.append({"label": ORIGINAL, "traffic_weight": round(100.0 - green, 3), "target_group": original[0].rsplit("/", 2)[-2] if original else None})
    return sets


def _final_look(clients, release, counter):
    """The single release's full look (codedeploy.CodeDeployBackend.look), its calls counted."""
    snap = CodeDeployBackend(clients).look(release["deployment_id"], target_id(release["cluster"], release["service"]), release.get("alarm_names") or [])
    counter.add("GetDeployment", 2 if snap.get("rollback_deployment_id") else 1)
    counter.add("GetDeploymentTarget")
    counter.add("DescribeAlarms", 1 if release.get("alarm_names") else 0)
    if snap.get("error_code") == "ALARM_ACTIVE":
        counter.add("DescribeAlarmHistory", len(release.get("alarm_names") or []))
    return snap


def _ended(info, infos):
    """Whether the deployment ended, and its rollback deployment too (observe.is_terminal of its raw answers)."""
    rollback = infos.get((info.get("rollbackInfo") or {}).get("rollbackDeploymentId"))
    return observe.is_terminal(
        {
            "status": info.get("status"),
            "rollback_deployment_id": (info.get("rollbackInfo") or {}).get("rollbackDeploymentId"),
            "rollback_status": (rollback or {}).get("status"),
        }
    )


def look(clients, releases, counter=None):
    """{deployment id: snapshot} of every release; releases: [{deployment_id, cluster, service, alarm_names,
    listener_arns?, replacement_target_group?}] (the route keys are filled in place when missing)."""
    counter = counter or Counter()
    ids = [release["deployment_id"] for release in releases]
    infos = dict((info["deploymentId"], info) for info in codedeploy_api.batch_get_deployments(clients("codedeploy"), ids))
    counter.add("BatchGetDeployments", len(_chunks(ids, codedeploy_api.BATCH_DEPLOYMENTS)))
    rollbacks = [
        (info.get("rollbackInfo") or {}).get("rollbackDeploymentId") for info in infos.values() if (info.get("rollbackInfo") or {}).get("rollbackDeploymentId")
    ]
    if rollbacks:
        infos.update((info["deploymentId"], info) for info in codedeploy_api.batch_get_deployments(clients("codedeploy"), rollbacks))
        counter.add("BatchGetDeployments", len(_chunks(rollbacks, codedeploy_api.BATCH_DEPLOYMENTS)))
    _routes(clients, releases, infos, counter)
    _replacements(clients, releases, infos, counter)
    in_progress = [release for release in releases if (infos.get(release["deployment_id"]) or {}).get("status") == "InProgress"]
    weights = _weights(clients, in_progress, counter) if in_progress else {}
    names = sorted(set(name for release in releases for name in release.get("alarm_names") or []))
    described = dict((alarm["AlarmName"], alarm) for alarm in release_api.describe_alarms(clients("cloudwatch"), names)) if names else {}
    counter.add("DescribeAlarms", len(_chunks(names, release_api.BATCH_ALARMS)))
    now, seen = time.time(), {}
    for release in releases:
        info = infos.get(release["deployment_id"])
        if info is None:
            seen[release["deployment_id"]] = None
            continue
        if _ended(info, infos):
            # its end: the single release's full look once (target, rollback, when an alarm fired), for its outcome
            seen[release["deployment_id"]] = dict(_final_look(clients, release, counter), final=True)
            continue
        alarms = [described[name] for name in release.get("alarm_names") or [] if name in described]
        rollback = infos.get((info.get("rollbackInfo") or {}).get("rollbackDeploymentId"))
        snap = snapshot(info, None, alarms, observed_at=now, rollback_info=rollback)
        if info.get("status") == "InProgress":
            snap["task_sets"] = _task_sets(release, weights)
            snap["target_status"] = "InProgress"
        snap["traffic_share"] = replacement_share(snap)
        snap["revision"] = appspec.task_definition_of(info)
        snap["batched"] = True
        seen[release["deployment_id"]] = snap
    return seen
