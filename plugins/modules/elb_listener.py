#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: elb_listener
short_description: An ALB listener whose traffic CodeDeploy owns after the first release
version_added: 0.1.0
description:
  - Creates, updates or deletes one listener of an Application Load Balancer, found by its port.
  - At creation the listener forwards 100% of its traffic to I(target_group_arn) or I(target_group_name)
    (the blue target group of an ECS blue/green service).
  - Afterwards the default action is never changed unless I(manage_traffic=true). CodeDeploy rewrites it on
    every release (the target group pair and their weights), and after a release the other target group may
    be the live one. Re-running a playbook must not move that traffic back.
  - Everything else the listener has (protocol, certificates, TLS policy, tags) is compared and corrected on
    every run.
  - Why not M(amazon.aws.elb_application_lb) with I(listeners)? Its listener comparison ignores weighted
    C(ForwardConfig), so it reports a change on every run and rewrites the action to what the playbook says,
    which resets the weights CodeDeploy set. There is no standalone listener module in amazon.aws or community.aws.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  state:
    description:
      - C(present) creates the listener or corrects its settings; C(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  load_balancer_arn:
    description:
      - ARN of the load balancer. One of I(load_balancer_arn) or I(load_balancer_name) is required.
    type: str
  load_balancer_name:
    description:
      - Name of the load balancer.
    type: str
  port:
    description:
      - The port the listener listens on. It identifies the listener on its load balancer.
    type: int
    required: true
  protocol:
    description:
      - The listener protocol.
    type: str
    choices: [HTTP, HTTPS]
    default: HTTP
  certificates:
    description:
      - ARNs of the ACM or IAM certificates of an HTTPS listener. Required when I(protocol=HTTPS).
    type: list
    elements: str
  ssl_policy:
    description:
      - The TLS security policy of an HTTPS listener. When omitted AWS picks its default and the module keeps
        whatever policy the listener has.
    type: str
  target_group_arn:
    description:
      - ARN of the target group that receives 100% of the traffic when the listener is created.
      - One of I(target_group_arn) or I(target_group_name) is required with I(state=present).
    type: str
  target_group_name:
    description:
      - Name of the target group that receives 100% of the traffic when the listener is created.
    type: str
  manage_traffic:
    description:
      - When C(false) (the default) the default action is set only at creation; afterwards it belongs to
        CodeDeploy and the module only reports, in RV(traffic_drift), when no traffic reaches the initial group.
      - When C(true) the default action is reset on every run to forward 100% to the target group. This moves
        live traffic, so use it only on a listener that no deployment group uses.
    type: bool
    default: false
  weighted_rule:
    description:
      - A listener rule that forwards by weight to the target group (100) and to an alternate target group (0), for
        ECS's own blue/green, linear and canary deployments (the service's
        C(advancedConfiguration.productionListenerRule) or C(testListenerRule)), whose weights ECS moves.
      - Created with the listener, or added to an existing one; afterwards its action is never changed (a re-run
        must not move live traffic). A rule of that priority that does not forward to both groups is refused.
    type: dict
    suboptions:
      alternate_target_group_arn:
        description: ARN of the alternate (green) target group. One of this or O(weighted_rule.alternate_target_group_name).
        type: str
      alternate_target_group_name:
        description: Name of the alternate target group.
        type: str
      priority:
        description: The rule's priority, 1 to 50000. It identifies the rule on its listener.
        type: int
        default: 1
      path_patterns:
        description: The path patterns the rule matches.
        type: list
        elements: str
        default: ['/*']
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Production listener, 100% to blue at creation, CodeDeploy owns the weights afterwards
  canary.ecs.elb_listener:
    load_balancer_name: canary-alb
    port: 80
    target_group_name: canary-app-tg-blue
    tags:
      canary-ecs:stack: canary

- name: Find the site's certificate in ACM
  community.aws.acm_certificate_info:
    domain_name: app.example.com
    statuses:
      - ISSUED
  register: site_certificate

- name: HTTPS listener; certificate and TLS policy are corrected on every run
  canary.ecs.elb_listener:
    load_balancer_name: canary-alb
    port: 443
    protocol: HTTPS
    certificates:
      - "{{ site_certificate.certificates[0].certificate_arn }}"
    ssl_policy: ELBSecurityPolicy-TLS13-1-2-2021-06
    target_group_name: canary-app-tg-blue

- name: Production listener for ECS's own canary deployments, its weighted rule 100/0 at creation
  canary.ecs.elb_listener:
    load_balancer_name: canary-alb
    port: 80
    target_group_name: canary-app-tg-blue
    weighted_rule:
      alternate_target_group_name: canary-app-tg-green
  register: production

- name: Remove the test listener
  canary.ecs.elb_listener:
    load_balancer_name: canary-alb
    port: 8080
    state: absent
"""

RETURN = r"""
listener:
  description: The listener as AWS describes it after the run (empty when absent).
  returned: always
  type: dict
  contains:
    listener_arn:
      description: ARN of the listener.
      type: str
      sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/canary-alb/50dc6c495c0c9188/f2f7dc8efc522ab2
    port:
      description: The listener port.
      type: int
      sample: 80
    protocol:
      description: The listener protocol.
      type: str
      sample: HTTP
    default_actions:
      description: The default actions, as CodeDeploy or the module left them.
      type: list
      elements: dict
    tags:
      description: The listener's tags.
      type: dict
      sample: {"canary-ecs:stack": "canary"}
rule:
  description:
    - The weighted rule as AWS describes it after the run (ECS may have moved its weights since its creation).
  returned: with O(weighted_rule) and O(state=present), unless check mode would create the listener
  type: dict
  contains:
    rule_arn:
      description: ARN of the rule (the service's productionListenerRule or testListenerRule).
      type: str
      sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/canary-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee
    priority:
      description: Its priority.
      type: str
      sample: "1"
    forwards_to:
      description: Target group ARN -> weight.
      type: dict
      sample: {"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/canary-app-tg-blue/0123456789abcdef": 100}
traffic_drift:
  description:
    - Set when the default action no longer forwards to the initial target group, which is expected after a
      CodeDeploy release; the module left the action alone.
  returned: when the listener exists and I(manage_traffic=false)
  type: str
  sample: listener on port 80 forwards to arn:...:targetgroup/canary-app-tg-green/..., not to the initial target group ...
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.canary.ecs.plugins.module_utils.common import retry_decorator
from ansible_collections.canary.ecs.plugins.module_utils.elb_listener import (
    ListenerClient,
    desired_settings,
    forward_action,
    forwarded_target_groups,
    owned_settings,
    rule_problem,
    settings_update,
    traffic_drift,
    weighted_actions,
)
from ansible_collections.canary.ecs.plugins.module_utils.modules import AnsibleCanaryECSModule


def describe(listener, tags):
    if not listener:
        return {}
    result = camel_dict_to_snake_dict(listener)
    result["tags"] = tags
    return result


def diff_view(listener, tags):
    """What --diff shows: the settings the module owns, and where traffic goes."""
    if not listener:
        return {}
    view = camel_dict_to_snake_dict(owned_settings(listener))
    view["port"] = listener.get("Port")
    view["tags"] = tags
    view["forwards_to"] = forwarded_target_groups(listener)
    return view


def planned_view(before, desired, desired_tags):
    """The diff's after side in check mode: before with the desired settings applied."""
    after = dict(before, **dict((key, value) for key, value in camel_dict_to_snake_dict(desired).items() if value is not None))
    if desired_tags is not None:
        after["tags"] = desired_tags
    return after


def rule_view(rule):
    return dict(rule_arn=rule.get("RuleArn"), priority=rule.get("Priority"), forwards_to=forwarded_target_groups({"DefaultActions": rule.get("Actions")}))


def rule_alternate(module, listeners, target_group_arn):
    """The alternate target group of O(weighted_rule), its settings checked (before anything is created); None without it."""
    wanted = module.params["weighted_rule"]
    if not wanted:
        return None
    if wanted["priority"] is None or not 1 <= wanted["priority"] <= 50000:
        module.fail_json(msg="weighted_rule.priority must be 1 to 50000, got %s" % wanted["priority"])
    if not wanted["path_patterns"]:
        module.fail_json(msg="weighted_rule.path_patterns must name at least one path pattern, such as /*")
    alternate = wanted["alternate_target_group_arn"] or listeners.target_group_arn(wanted["alternate_target_group_name"])
    if alternate == target_group_arn:
        module.fail_json(msg="weighted_rule.alternate_target_group_* must name another target group than the listener's (%s)" % target_group_arn)
    return alternate


def ensure_rule(module, listeners, listener_arn, target_group_arn, alternate, tags):
    """(changed, the rule's view) for O(weighted_rule); (False, None) without it. Its action is set only at creation."""
    if alternate is None:
        return False, None
    wanted = module.params["weighted_rule"]
    rule = listeners.find_rule(listener_arn, wanted["priority"])
    if rule is not None:
        problem = rule_problem(rule, target_group_arn, alternate)
        if problem:
            module.fail_json(msg="The listener's %s. Give weighted_rule.priority a free priority, or change or remove that rule." % problem)
        return False, rule_view(rule)
    actions = weighted_actions(target_group_arn, alternate)
    if module.check_mode:
        return True, rule_view({"Priority": str(wanted["priority"]), "Actions": actions})
    return True, rule_view(listeners.create_rule(listener_arn, wanted["priority"], wanted["path_patterns"], actions, tags))


def ensure_absent(module, listeners, load_balancer_arn):
    listener = listeners.find(load_balancer_arn, module.params["port"]) if load_balancer_arn else None
    if not listener:
        module.exit_json(changed=False, listener={})
    tags = listeners.tags(listener["ListenerArn"])
    if not module.check_mode:
        listeners.delete(listener["ListenerArn"])
    module.exit_json(changed=True, listener={}, diff=dict(before=diff_view(listener, tags), after={}))


def ensure_present(module, listeners, load_balancer_arn):
    params = module.params
    port = params["port"]
    target_group_arn = params["target_group_arn"] or listeners.target_group_arn(params["target_group_name"])
    alternate = rule_alternate(module, listeners, target_group_arn)
    desired = desired_settings(params)
    desired_tags = params["tags"]
    listener = listeners.find(load_balancer_arn, port)

    if not listener:
        if module.check_mode:
            after = dict(camel_dict_to_snake_dict(desired), port=port, tags=desired_tags or {}, forwards_to={target_group_arn: 1})
            module.exit_json(changed=True, listener={}, diff=dict(before={}, after=after))
        created = listeners.create(load_balancer_arn, port, desired, target_group_arn, desired_tags)
        tags = listeners.tags(created["ListenerArn"])
        rule = ensure_rule(module, listeners, created["ListenerArn"], target_group_arn, alternate, desired_tags)[1]
        result = dict(changed=True, listener=describe(created, tags), diff=dict(before={}, after=diff_view(created, tags)))
        if rule is not None:
            result["rule"] = rule
        module.exit_json(**result)

    listener_arn = listener["ListenerArn"]
    tags = listeners.tags(listener_arn)
    before = diff_view(listener, tags)
    update = settings_update(owned_settings(listener), desired)
    if params["manage_traffic"] and forwarded_target_groups(listener) != {target_group_arn: 1}:
        update["DefaultActions"] = forward_action(target_group_arn)
    changed = bool(update)
    if update and not module.check_mode:
        listeners.modify(listener_arn, update)
    if desired_tags is not None:
        changed |= listeners.update_tags(listener_arn, tags, desired_tags, params["purge_tags"])

    rule_changed, rule = ensure_rule(module, listeners, listener_arn, target_group_arn, alternate, desired_tags)
    changed |= rule_changed
    if changed and not module.check_mode:
        listener = listeners.find(load_balancer_arn, port)
        tags = listeners.tags(listener_arn)
    result = dict(changed=changed, listener=describe(listener, tags))
    if rule is not None:
        result["rule"] = rule
    if not params["manage_traffic"]:
        drift = traffic_drift(listener, target_group_arn)
        if drift:
            result["traffic_drift"] = drift
    if changed:
        result["diff"] = dict(before=before, after=diff_view(listener, tags) if not module.check_mode else planned_view(before, desired, desired_tags))
    module.exit_json(**result)


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        load_balancer_arn=dict(type="str"),
        load_balancer_name=dict(type="str"),
        port=dict(type="int", required=True),
        protocol=dict(type="str", choices=["HTTP", "HTTPS"], default="HTTP"),
        certificates=dict(type="list", elements="str"),
        ssl_policy=dict(type="str"),
        target_group_arn=dict(type="str"),
        target_group_name=dict(type="str"),
        manage_traffic=dict(type="bool", default=False),
        weighted_rule=dict(
            type="dict",
            options=dict(
                alternate_target_group_arn=dict(type="str"),
                alternate_target_group_name=dict(type="str"),
                priority=dict(type="int", default=1),
                path_patterns=dict(type="list", elements="str", default=["/*"]),
            ),
            required_one_of=[("alternate_target_group_arn", "alternate_target_group_name")],
            mutually_exclusive=[("alternate_target_group_arn", "alternate_target_group_name")],
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleCanaryECSModule(
        argument_spec=argument_spec,
        required_one_of=[("load_balancer_arn", "load_balancer_name")],
        mutually_exclusive=[("load_balancer_arn", "load_balancer_name"), ("target_group_arn", "target_group_name")],
        required_if=[
            ("state", "present", ("target_group_arn", "target_group_name"), True),
            ("protocol", "HTTPS", ("certificates",)),
        ],
        supports_check_mode=True,
    )
    if not 1 <= module.params["port"] <= 65535:
        module.fail_json(msg="port must be between 1 and 65535, got %s" % module.params["port"])

    client = module.client("elbv2", retry_decorator=retry_decorator("elbv2"))
    listeners = ListenerClient(module, client)
    load_balancer_arn = module.params["load_balancer_arn"]
    if module.params["state"] == "absent":
        if not load_balancer_arn:
            load_balancer_arn = listeners.load_balancer_arn(module.params["load_balancer_name"], missing_ok=True)
        ensure_absent(module, listeners, load_balancer_arn)
    if not load_balancer_arn:
        load_balancer_arn = listeners.load_balancer_arn(module.params["load_balancer_name"])
    ensure_present(module, listeners, load_balancer_arn)


if __name__ == "__main__":
    main()
