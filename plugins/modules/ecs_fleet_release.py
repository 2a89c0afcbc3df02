#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_fleet_release
short_description: Release many Amazon ECS services as canaries in one task, in waves, watched with batched reads
version_added: 0.3.0
description:
  - Releases a fleet of ECS services (each under the C(CODE_DEPLOY) controller with its CodeDeploy blue/green
    deployment group) from one description, as M(canary.ecs.ecs_deployment) releases one.
  - Before anything starts, the whole description is checked (every entry names a cluster, a service and what
    to release; no service twice; names unique; O(max_in_flight) at least 1) and every service is looked up in
    one batched read; a problem fails the task naming the entry (C(services[2] (orders))) and starts nothing.
  - Each release starts through M(canary.ecs.ecs_deployment) (its preflight, image gate and record included),
    so running the same fleet again after an interruption attaches to the releases in flight and reports the
    ones already live as such, starting nothing twice.
  - Releases start in the order listed, the optional O(first_wave) first (it must succeed before the rest
    start), at most O(max_in_flight) at once. After a release fails or rolls back, O(halt) says what happens.
  - One watcher follows every release in flight with one look for all of them (M(canary.ecs.ecs_fleet_info),
    C(BatchGetDeployments) 25 deployments a call, C(DescribeAlarms) 100 alarms a call, C(DescribeListeners)
    for the weights of every production listener), paced by the nearest change any plan has due
    (see M(canary.ecs.ecs_deployment)'s O(canary.ecs.ecs_deployment#module:poll_interval)). It prints a line
    when a service changes phase, share or alarm state, and a table (service, phase, share, alarms, time left)
    every few looks.
  - Each release's result is a single release's (outcome, alarm, share, timeline), with a summary of the fleet.
  - The judge (M(canary.ecs.ecs_deployment)'s O(canary.ecs.ecs_deployment#module:judge)) is not run on a
    fleet's releases; their deployment groups' alarms stop them, as CodeDeploy evaluates them. Release a
    service alone to have it judged.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  services:
    description:
      - The services to release, in order. Each entry is a dictionary of M(canary.ecs.ecs_deployment) options
        for what a release starts with, C(cluster), C(service), C(application_name), C(deployment_group_name),
        C(container), C(image), C(image_tag), C(task_definition), C(environment), C(secret_environment),
        C(deployment_config_name), C(description), and an optional C(name) (the service's name by default)
        labelling its lines and results.
      - Options missing from an entry come from O(defaults).
    type: list
    elements: dict
    required: true
  defaults:
    description:
      - M(canary.ecs.ecs_deployment) options every entry gets unless it sets its own, for example the C(cluster)
        or the C(image_tag) of a platform upgrade. Besides the entry options it may set how each release is
        followed, C(fail_on_rollback), C(poll_interval), C(fast_fail_minutes), C(pin_digest), C(image_scan),
        C(record) and C(wait_timeout).
      - An entry naming C(image), C(image_tag) or C(task_definition) replaces any of them in the defaults.
    type: dict
    default: {}
  first_wave:
    description:
      - Releases that must all succeed (or be already live) before the rest start, as a number (the first N
        entries) or a list of entry names. A failure in the first wave starts nothing more, whatever O(halt) says.
      - Leave out for none.
    type: raw
  max_in_flight:
    description:
      - At most this many releases run at once. All of them when left out.
    type: int
  halt:
    description:
      - What happens once a release fails or rolls back.
      - C(stop) starts no more releases; the ones in flight go on to their own end.
      - C(roll_back) starts no more and stops the ones in flight with rollback.
      - C(carry_on) starts the rest anyway.
    type: str
    choices: [stop, roll_back, carry_on]
    default: stop
  poll_interval:
    description:
      - Seconds between two looks at the fleet while no plan has a change due sooner (the nearest change of
        any release in flight sets the pace otherwise).
    type: int
    default: 15
  wait_timeout:
    description:
      - Seconds to follow the whole fleet. Releases still in flight then go on without the task (run it again
        to attach to them) and nothing more starts.
    type: int
    default: 7200
notes:
  - Runs through its action plugin; C(async) is not supported. In check mode it checks the description and the
    services and reports what each release would do (M(canary.ecs.ecs_deployment) in check mode), starting nothing.
  - A rolled-back or failed release fails the task unless C(fail_on_rollback=false) is in O(defaults); the
    result still has every release and the summary.
seealso:
  - module: canary.ecs.ecs_deployment
  - module: canary.ecs.ecs_fleet_info
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Release v4 to two services, the first alone first, then the rest two at a time
  canary.ecs.ecs_fleet_release:
    defaults:
      image_tag: v4
    services:
      - name: canary
        cluster: canary-cluster
        service: canary-canary-app-service
      - name: checkout
        cluster: prod
        service: checkout
        application_name: checkout-app
        deployment_group_name: checkout-canary
        environment: {LOG_LEVEL: info}
    first_wave: 1
    max_in_flight: 2
    halt: stop
  register: fleet

- name: Say what happened to each
  ansible.builtin.debug:
    msg: "{{ fleet.summary }}"
"""

RETURN = r"""
releases:
  description:
    - Each service's result by entry name, as M(canary.ecs.ecs_deployment) returns a release's (deployment_id,
      status, outcome, progress, timeline, live_task_definition_arn, ...).
    - A service that never started has C(status=not started) and a C(msg) saying why.
  returned: always, except when the description or the services are wrong
  type: dict
  sample: {"cart": {"deployment_id": "d-ABCDEF123", "status": "Succeeded", "msg": "The release of 2026.12 to cart succeeded."}}
summary:
  description: Which releases ended how, and why the bad ones did.
  returned: when releases were started (not in check mode)
  type: dict
  contains:
    succeeded:
      description: Names of the releases that succeeded.
      type: list
      elements: str
    already_live:
      description: Names of the services that already ran what was asked (nothing started).
      type: list
      elements: str
    rolled_back:
      description: Names of the releases that were rolled back (by an alarm, or by the fleet's O(halt=roll_back)).
      type: list
      elements: str
    failed:
      description: Names of the releases that failed without a rollback, or could not start.
      type: list
      elements: str
    not_started:
      description: Names of the services never started (the fleet halted first).
      type: list
      elements: str
    halted:
      description: Why no more releases started, or null.
      type: str
    reasons:
      description: Why each bad or not-started release ended so, by name.
      type: dict
  sample: {"succeeded": ["cart", "orders"], "already_live": [], "rolled_back": ["payments"], "failed": [], "not_started": ["search", "web"],
           "halted": "payments rolled back", "reasons": {"payments": "...", "search": "halted: payments rolled back"}}
api_calls_per_look:
  description: The AWS calls of each of the watcher's looks, by operation.
  returned: when releases were started (not in check mode)
  type: list
  elements: dict
  sample: [{"BatchGetDeployments": 1, "DescribeAlarms": 1, "DescribeListeners": 1}]
"""

from ansible_collections.canary.ecs.plugins.module_utils._fleet import spec
from ansible_collections.canary.ecs.plugins.module_utils.modules import AnsibleCanaryECSModule

ARGUMENT_SPEC = dict(
    services=dict(type="list", elements="dict", required=True),
    defaults=dict(type="dict", default={}),
    first_wave=dict(type="raw"),
    max_in_flight=dict(type="int"),
    halt=dict(type="str", choices=["stop", "roll_back", "carry_on"], default="stop"),
    poll_interval=dict(type="int", default=15),
    wait_timeout=dict(type="int", default=7200),
)


def main():
    # The action plugin of the same name does the work; run as a module, it can only check the description.
    module = AnsibleCanaryECSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    try:
        spec.parse(params["services"], params["defaults"], params["first_wave"], params["max_in_flight"], params["halt"])
    except spec.FleetError as error:
        module.fail_json(msg="Nothing was started: %s" % error)
    module.fail_json(msg="canary.ecs.ecs_fleet_release runs through its action plugin; call it as a task of a play (not with async).")


if __name__ == "__main__":
    main()
