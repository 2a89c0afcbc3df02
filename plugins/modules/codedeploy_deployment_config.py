#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: codedeploy_deployment_config
short_description: Manage custom AWS CodeDeploy deployment configs for Amazon ECS
version_added: 0.1.0
description:
  - Create and delete custom CodeDeploy deployment configs of the C(ECS) compute platform, which say how a
    blue/green deployment shifts production traffic to the new task set.
  - V(canary) shifts O(percentage) percent of the traffic, waits O(interval) minutes, then shifts the rest.
  - V(linear) shifts O(percentage) percent more every O(interval) minutes.
  - V(all_at_once) shifts all the traffic in one step.
  - AWS never changes a deployment config once it exists. Asking for a different definition under
    an existing name fails and says what to do (create it under a new name, or delete the old one
    first). Deleting a config that deployment groups use fails and names those groups.
  - The configs predefined by AWS (names starting with C(CodeDeployDefault.)) are read-only; use them
    directly in M(canary.ecs.codedeploy_deployment_group).
author:
  - canary.ecs contributors (@canary-ecs)
options:
  name:
    description:
      - Name of the deployment config.
    type: str
    required: true
    aliases: ['deployment_config_name']
    version_added: 0.1.0
  state:
    description:
      - V(present) creates the config when it is missing; V(absent) deletes it.
    type: str
    default: present
    choices: ['present', 'absent']
    version_added: 0.1.0
  traffic_routing:
    description:
      - How traffic moves to the new task set.
      - Required when O(state=present).
    type: str
    choices: ['canary', 'linear', 'all_at_once']
    version_added: 0.1.0
  percentage:
    description:
      - Percentage of the traffic shifted in the first step (V(canary)) or in each step (V(linear)), 1 to 99 (a step of 100 is V(all_at_once)).
      - Required for V(canary) and V(linear); not allowed with V(all_at_once).
    type: int
    version_added: 0.1.0
  interval:
    description:
      - Minutes between the first and the second step (V(canary)) or between steps (V(linear)), 1 to 2880.
      - Required for V(canary) and V(linear); not allowed with V(all_at_once).
    type: int
    version_added: 0.1.0
notes:
  - Supports check mode and diff mode.
  - Deleting looks through every deployment group of the account and region (to name the ones that
    use the config), which needs C(codedeploy:ListApplications), C(codedeploy:ListDeploymentGroups)
    and C(codedeploy:BatchGetDeploymentGroups).
seealso:
  - module: canary.ecs.codedeploy_deployment_config_info
  - module: canary.ecs.codedeploy_deployment_group
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Ten percent first, the rest after 15 minutes of baking
  canary.ecs.codedeploy_deployment_config:
    name: Canary10Percent15Minutes
    traffic_routing: canary
    percentage: 10
    interval: 15

- name: Twenty percent more every 5 minutes
  canary.ecs.codedeploy_deployment_config:
    name: Linear20PercentEvery5Minutes
    traffic_routing: linear
    percentage: 20
    interval: 5

- name: Delete a config no deployment group uses any more
  canary.ecs.codedeploy_deployment_config:
    name: Linear20PercentEvery5Minutes
    state: absent
"""

RETURN = r"""
deployment_config:
  description:
    - The deployment config. Empty when O(state=absent) found nothing to delete; the deleted
      config after a deletion.
  returned: always
  type: dict
  contains:
    deployment_config_name:
      description: Name of the config.
      type: str
      sample: Canary10Percent15Minutes
    deployment_config_id:
      description: ID of the config (missing in check mode before creation).
      type: str
      sample: 8e3f2a14-5c1d-4b7e-9f60-2d8c1a0b3e57
    compute_platform:
      description: Always V(ECS).
      type: str
      sample: ECS
    create_time:
      description: When the config was created.
      type: str
      sample: "2026-11-26T06:00:00+00:00"
    traffic_routing_config:
      description: How traffic shifts.
      type: dict
      sample: {"type": "TimeBasedCanary", "time_based_canary": {"canary_percentage": 10, "canary_interval": 15}}
"""

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.deployment_config import ensure_deployment_config_absent, ensure_deployment_config_present
from ansible_collections.canary.ecs.plugins.module_utils.common import Clients, run_module
from ansible_collections.canary.ecs.plugins.module_utils.modules import AnsibleCanaryECSModule


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["deployment_config_name"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        traffic_routing=dict(type="str", choices=["canary", "linear", "all_at_once"]),
        percentage=dict(type="int"),
        interval=dict(type="int"),
    )
    module = AnsibleCanaryECSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["traffic_routing"])],
        supports_check_mode=True,
    )
    ensure = ensure_deployment_config_present if module.params["state"] == "present" else ensure_deployment_config_absent
    run_module(module, ensure, module, Clients(module)("codedeploy"))


if __name__ == "__main__":
    main()
