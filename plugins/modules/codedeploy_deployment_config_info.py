#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: codedeploy_deployment_config_info
short_description: Read AWS CodeDeploy deployment configs
version_added: 0.1.0
description:
  - Describe one CodeDeploy deployment config, or every config of the account and region
    (the predefined C(CodeDeployDefault.*) ones and the custom ones).
author:
  - canary.ecs contributors (@canary-ecs)
options:
  name:
    description:
      - Name of the config to describe. Without it, all configs are described.
      - A name that does not exist returns an empty list.
    type: str
    aliases: ['deployment_config_name']
    version_added: 0.1.0
  compute_platform:
    description:
      - Only return configs of this compute platform. V(all) returns every config.
    type: str
    default: ECS
    choices: ['ECS', 'Lambda', 'Server', 'all']
    version_added: 0.1.0
notes:
  - Read-only; safe in check mode.
seealso:
  - module: canary.ecs.codedeploy_deployment_config
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Describe one config
  canary.ecs.codedeploy_deployment_config_info:
    name: CodeDeployDefault.ECSCanary10Percent5Minutes
  register: config

- name: Every ECS config
  canary.ecs.codedeploy_deployment_config_info:
  register: configs

- name: Show their names
  ansible.builtin.debug:
    msg: "{{ configs.deployment_configs | map(attribute='deployment_config_name') | list }}"
"""

RETURN = r"""
deployment_configs:
  description: The configs found, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    deployment_config_name:
      description: Name of the config.
      type: str
      sample: CodeDeployDefault.ECSCanary10Percent5Minutes
    deployment_config_id:
      description: ID of the config.
      type: str
      sample: 8e3f2a14-5c1d-4b7e-9f60-2d8c1a0b3e57
    compute_platform:
      description: The compute platform of the config.
      type: str
      sample: ECS
    create_time:
      description: When the config was created.
      type: str
      sample: "2026-11-26T06:00:00+00:00"
    traffic_routing_config:
      description: How traffic shifts.
      type: dict
      sample: {"type": "TimeBasedCanary", "time_based_canary": {"canary_percentage": 10, "canary_interval": 5}}
"""

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.info import describe_deployment_configs
from ansible_collections.canary.ecs.plugins.module_utils.common import Clients, run_module
from ansible_collections.canary.ecs.plugins.module_utils.modules import AnsibleCanaryECSModule


def main():
    argument_spec = dict(
        name=dict(type="str", aliases=["deployment_config_name"]),
        compute_platform=dict(type="str", default="ECS", choices=["ECS", "Lambda", "Server", "all"]),
    )
    module = AnsibleCanaryECSModule(argument_spec=argument_spec, supports_check_mode=True)
    run_module(module, describe_deployment_configs, Clients(module)("codedeploy"), module.params["name"], module.params["compute_platform"])


if __name__ == "__main__":
    main()
