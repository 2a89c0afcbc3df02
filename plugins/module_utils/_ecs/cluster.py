# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ECS clusters: checked, created with their tags in one call, brought in line, deleted.

A cluster's state here is its capacity providers, its default capacity provider strategy
and its tags; each is compared on its own, so a run changes only what differs.
"""

import re

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.canary.ecs.plugins.module_utils._ecs import api
from ansible_collections.canary.ecs.plugins.module_utils.common import diff_result, fail
from ansible_collections.canary.ecs.plugins.module_utils.tags import reconcile_tags

# ECS's rules (CreateCluster, CapacityProviderStrategyItem).
NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
MAX_WEIGHT = 1000
MAX_BASE = 100000


def check_name(option, value, what):
    if not NAME.match(value or ""):
        fail("%s must be 1 to 255 letters, digits, hyphens or underscores (ECS's rule for %s names), got %r" % (option, what, value))


def strategy_request(items):
    """capacity_provider_strategy (snake_case) -> ECS's items, None when not given."""
    if items is None:
        return None
    return [{"capacityProvider": item["capacity_provider"], "weight": item["weight"], "base": item["base"]} for item in items]


def check_params(params):
    """Every option checked before the first call, each error naming its option."""
    check_name("name", params["name"], "cluster")
    if params["state"] == "absent":
        return
    providers = params["capacity_providers"] or []
    for provider in providers:
        check_name("capacity_providers", provider, "capacity provider")
    if len(set(providers)) != len(providers):
        fail("capacity_providers names %s more than once" % ", ".join(sorted(p for p in set(providers) if providers.count(p) > 1)))
    strategy = params["capacity_provider_strategy"] or []
    for item in strategy:
        name = item["capacity_provider"]
        # without purge the cluster's own providers count too: checked once they are known
        if params["capacity_providers"] is not None and params["purge_capacity_providers"] and name not in providers:
            fail("capacity_provider_strategy names %s, which is not in capacity_providers (%s): add it there" % (name, ", ".join(providers) or "none"))
        if not 0 <= item["weight"] <= MAX_WEIGHT:
            fail("capacity_provider_strategy weight of %s must be 0 to %d, got %d" % (name, MAX_WEIGHT, item["weight"]))
        if not 0 <= item["base"] <= MAX_BASE:
            fail("capacity_provider_strategy base of %s must be 0 to %d, got %d" % (name, MAX_BASE, item["base"]))
    if sum(1 for item in strategy if item["base"] > 0) > 1:
        fail("capacity_provider_strategy may give a base above 0 to one capacity provider only (ECS's rule)")
    if strategy and not any(item["weight"] > 0 for item in strategy):
        fail("capacity_provider_strategy needs a weight above 0 for at least one capacity provider")


def reconcile_ecs_tags(module, client, arn, current):
    """(changed, tags afterwards) of an ECS resource, by the module's tags and purge_tags."""
    params = module.params
    return reconcile_tags(
        module.check_mode,
        current,
        params["tags"],
        params["purge_tags"],
        lambda to_set, to_remove: api.apply_tags(client, arn, to_set, to_remove),
        read=lambda: api.list_tags(client, arn),
    )


def describe_cluster(cluster, tags=None):
    """The module's view: snake_case, tags as a dict (keys unchanged)."""
    if not cluster:
        return {}
    view = camel_dict_to_snake_dict(dict((key, value) for key, value in cluster.items() if key not in ("tags",)))
    view["tags"] = dict(api.tag_dict(cluster.get("tags")) if tags is None else tags)
    return view


def _diff_view(cluster, tags=None):
    if not cluster:
        return {}
    return {
        "cluster_name": cluster.get("clusterName"),
        "capacity_providers": list(cluster.get("capacityProviders") or []),
        "default_capacity_provider_strategy": strategy_key(cluster.get("defaultCapacityProviderStrategy")),
        "tags": dict(api.tag_dict(cluster.get("tags")) if tags is None else tags),
    }


def strategy_key(items):
    """A strategy in a comparable form: items sorted by provider, base 0 when left out."""
    return sorted(
        ({"capacity_provider": i["capacityProvider"], "weight": i.get("weight", 0), "base": i.get("base", 0)} for i in items or []),
        key=lambda i: i["capacity_provider"],
    )


def ensure_cluster_present(module, client):
    params = module.params
    check_params(params)
    name = params["name"]
    wanted_providers = params["capacity_providers"]
    wanted_strategy = strategy_request(params["capacity_provider_strategy"])
    existing = api.describe_cluster(client, name)

    if existing is None:
        planned = {
            "clusterName": name,
            "status": "ACTIVE",
            "capacityProviders": wanted_providers or [],
            "defaultCapacityProviderStrategy": wanted_strategy or [],
        }
        planned["tags"] = api.ecs_tags(params["tags"])
        cluster = planned if module.check_mode else api.create_cluster(client, name, wanted_providers, wanted_strategy, params["tags"])
        return dict(changed=True, cluster=describe_cluster(cluster, params["tags"] or {}), diff=diff_result({}, _diff_view(cluster, params["tags"] or {})))

    current_tags = api.tag_dict(existing.get("tags"))
    current_providers = list(existing.get("capacityProviders") or [])
    current_strategy = existing.get("defaultCapacityProviderStrategy") or []
    after = dict(existing)
    changed = False
    providers = current_providers
    if wanted_providers is not None:
        if params["purge_capacity_providers"]:
            providers = list(wanted_providers)
        else:
            providers = current_providers + [p for p in wanted_providers if p not in current_providers]
    strategy = current_strategy if wanted_strategy is None else wanted_strategy
    if set(providers) != set(current_providers) or strategy_key(strategy) != strategy_key(current_strategy):
        missing = [item["capacityProvider"] for item in strategy if item["capacityProvider"] not in providers]
        if missing:
            fail(
                "capacity_provider_strategy of cluster %s would name %s, which the cluster would not have: add it to capacity_providers"
                % (name, ", ".join(missing))
            )
        changed = True
        after.update(capacityProviders=providers, defaultCapacityProviderStrategy=strategy)
        if not module.check_mode:
            after = api.put_capacity_providers(client, name, providers, strategy)

    tags_changed, after_tags = reconcile_ecs_tags(module, client, existing["clusterArn"], current_tags)
    changed = changed or tags_changed
    if changed and not module.check_mode:
        after = api.describe_cluster(client, name) or after
    return dict(
        changed=changed,
        cluster=describe_cluster(after, after_tags),
        diff=diff_result(_diff_view(existing, current_tags), _diff_view(after, after_tags)),
    )


def ensure_cluster_absent(module, client):
    """Delete the cluster, refusing (before any call that changes something) while it still has services."""
    check_params(module.params)
    name = module.params["name"]
    existing = api.describe_cluster(client, name)
    if existing is None:
        return dict(changed=False, cluster={}, diff=diff_result({}, {}))
    # Services are refused here, naming them; tasks still stopping are ECS's to refuse (ClusterContainsTasksException).
    services = existing.get("activeServicesCount") or 0
    if services:
        fail("ECS cluster %s still has %d service(s): delete them first (canary.ecs.ecs_service state=absent), then the cluster." % (name, services))
    if not module.check_mode:
        api.delete_cluster(client, name)
    return dict(
        changed=True,
        msg="%s ECS cluster %s" % ("Would have deleted" if module.check_mode else "Deleted", name),
        cluster=describe_cluster(existing),
        diff=diff_result(_diff_view(existing), {}),
    )
