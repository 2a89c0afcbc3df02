# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""IAM roles that AWS services assume: checked, created, brought in line, deleted.

A role's state is its trust policy (which services may assume it), description, attached
managed policies and tags; each is compared and changed on its own, so a run changes only
what differs and the diff shows exactly that.
"""

import re

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

from ansible_collections.canary.ecs.plugins.module_utils._iam import api
from ansible_collections.canary.ecs.plugins.module_utils.common import diff_result, fail
from ansible_collections.canary.ecs.plugins.module_utils.tags import reconcile_tags

# IAM's limits (CreateRole): names of 1 to 64 of these characters, descriptions up to 1000.
_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_MAX_DESCRIPTION = 1000
_SERVICE_PRINCIPAL = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$")
_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/.+")


def trust_policy(services):
    """The trust policy that lets these AWS services (and nobody else) assume the role."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": sorted(services) if len(services) > 1 else services[0]}, "Action": "sts:AssumeRole"}],
    }


def check_name(name):
    if not _NAME.match(name or ""):
        fail("name must be 1 to 64 letters, digits or any of _+=,.@- (IAM's rule for role names), got %r" % name)


def check_params(params):
    """Every option checked before the first call, each error naming its option."""
    check_name(params["name"])
    if params["state"] == "absent":
        return
    services = params["trusted_services"] or []
    if not services:
        fail("trusted_services must name at least one AWS service principal, such as ecs-tasks.amazonaws.com")
    bad = [service for service in services if not _SERVICE_PRINCIPAL.match(service or "")]
    if bad:
        fail("trusted_services must be AWS service principals ending in .amazonaws.com (e.g. codedeploy.amazonaws.com), got %s" % ", ".join(map(repr, bad)))
    description = params["description"]
    if description is not None and len(description) > _MAX_DESCRIPTION:
        fail("description may be at most %d characters, got %d" % (_MAX_DESCRIPTION, len(description)))
    bad = [arn for arn in params["managed_policies"] or [] if not _POLICY_ARN.match(arn or "")]
    if bad:
        fail("managed_policies must be IAM policy ARNs (arn:aws:iam::aws:policy/NAME or arn:aws:iam::ACCOUNT:policy/NAME), got %s" % ", ".join(map(repr, bad)))


def describe_role(role, policies, tags):
    """The module's view: snake_case, the trust policy as AWS holds it, policy ARNs, tags (keys unchanged)."""
    if not role:
        return {}
    view = camel_dict_to_snake_dict(dict((key, value) for key, value in role.items() if key not in ("AssumeRolePolicyDocument", "Tags", "RoleLastUsed")))
    view["assume_role_policy_document"] = role.get("AssumeRolePolicyDocument")
    view["managed_policies"] = sorted(policies)
    view["tags"] = dict(tags or {})
    return view


_DIFF_KEYS = ("role_name", "description", "assume_role_policy_document", "managed_policies", "tags")


def _diff_view(role, policies, tags):
    view = describe_role(role, policies, tags)
    return dict((key, view.get(key)) for key in _DIFF_KEYS) if view else {}


def _create(module, client, name, policy, description, policies, tags):
    planned = {"RoleName": name, "AssumeRolePolicyDocument": policy, "Path": "/"}
    if description is not None:
        planned["Description"] = description
    if module.check_mode:
        return planned
    api.create_role(client, name, policy, description, tags)
    for arn in policies:
        api.attach_policy(client, name, arn)
    return api.get_role(client, name) or planned


def ensure_role_present(module, client):
    params = module.params
    check_params(params)
    name, description = params["name"], params["description"]
    policy = trust_policy(params["trusted_services"])
    wanted_policies = sorted(set(params["managed_policies"] or []))
    existing = api.get_role(client, name)

    if existing is None:
        role = _create(module, client, name, policy, description, wanted_policies, params["tags"])
        tags = params["tags"] or {}
        return dict(changed=True, role=describe_role(role, wanted_policies, tags), diff=diff_result({}, _diff_view(role, wanted_policies, tags)))

    current_policies = api.list_attached(client, name, api.MANAGED_POLICIES)
    current_tags = api.list_tags(client, name)
    changed = False
    after = dict(existing)
    if compare_policies(existing.get("AssumeRolePolicyDocument") or {}, policy):
        changed = True
        after["AssumeRolePolicyDocument"] = policy
        if not module.check_mode:
            api.update_trust_policy(client, name, policy)
    if description is not None and description != existing.get("Description", ""):
        changed = True
        after["Description"] = description
        if not module.check_mode:
            api.update_description(client, name, description)

    to_attach = [arn for arn in wanted_policies if arn not in current_policies]
    to_detach = [arn for arn in current_policies if arn not in wanted_policies] if params["purge_managed_policies"] else []
    if to_attach or to_detach:
        changed = True
        if not module.check_mode:
            for arn in to_attach:
                api.attach_policy(client, name, arn)
            for arn in to_detach:
                api.remove_attached(client, name, api.MANAGED_POLICIES, arn)
    after_policies = sorted(set(current_policies) - set(to_detach) | set(to_attach))

    tags_changed, after_tags = reconcile_tags(
        module.check_mode,
        current_tags,
        params["tags"],
        params["purge_tags"],
        lambda to_set, to_remove: api.apply_tags(client, name, to_set, to_remove),
        read=lambda: api.list_tags(client, name),
    )
    changed = changed or tags_changed
    if changed and not module.check_mode:
        after = api.get_role(client, name) or after
        after_policies = sorted(api.list_attached(client, name, api.MANAGED_POLICIES))
    return dict(
        changed=changed,
        role=describe_role(after, after_policies, after_tags),
        diff=diff_result(_diff_view(existing, current_policies, current_tags), _diff_view(after, after_policies, after_tags)),
    )


def ensure_role_absent(module, client):
    """Delete the role with what IAM requires gone first: managed policies, inline policies, instance profiles."""
    check_params(module.params)
    name = module.params["name"]
    existing = api.get_role(client, name)
    if existing is None:
        return dict(changed=False, role={}, diff=diff_result({}, {}))
    policies = api.list_attached(client, name, api.MANAGED_POLICIES)
    tags = api.list_tags(client, name)
    if not module.check_mode:
        for arn in policies:
            api.remove_attached(client, name, api.MANAGED_POLICIES, arn)
        for kind in (api.INLINE_POLICIES, api.INSTANCE_PROFILES):
            for item in api.list_attached(client, name, kind):
                api.remove_attached(client, name, kind, item)
        api.delete_role(client, name)
    return dict(
        changed=True,
        msg="%s IAM role %s" % ("Would have deleted" if module.check_mode else "Deleted", name),
        role=describe_role(existing, policies, tags),
        diff=diff_result(_diff_view(existing, policies, tags), {}),
    )


def role_info(module, client):
    """The named role as the present/absent results describe it, in a list: empty when it does not exist."""
    name = module.params["name"]
    check_name(name)
    role = api.get_role(client, name)
    if role is None:
        return dict(changed=False, roles=[])
    return dict(changed=False, roles=[describe_role(role, api.list_attached(client, name, api.MANAGED_POLICIES), api.list_tags(client, name))])
