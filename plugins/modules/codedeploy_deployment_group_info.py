#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: codedeploy_deployment_group_info
short_description: Read AWS CodeDeploy deployment groups
version_added: 0.1.0
description:
  - Describe one deployment group of a CodeDeploy application, or all of them, with their ARNs and tags.
  - An application or group that does not exist returns an empty list.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  application_name:
    description:
      - Name of the CodeDeploy application.
    type: str
    required: true
    version_added: 0.1.0
  name:
    description:
      - Name of the deployment group. Without it, every group of the application is described.
    type: str
    aliases: ['deployment_group_name']
    version_added: 0.1.0
notes:
  - Read-only; safe in check mode.
seealso:
  - module: canary.ecs.codedeploy_deployment_group
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Describe one deployment group
  canary.ecs.codedeploy_deployment_group_info:
    application_name: checkout-app
    name: checkout-canary
  register: group

- name: Show its alarms
  ansible.builtin.debug:
    msg: "{{ group.deployment_groups[0].alarm_configuration.alarms | default([]) | map(attribute='name') | list }}"
  when: group.deployment_groups | length > 0

- name: Every deployment group of the application
  canary.ecs.codedeploy_deployment_group_info:
    application_name: checkout-app
  register: groups
"""

RETURN = r"""
deployment_groups:
  description:
    - The groups found, sorted by name, as CodeDeploy describes them in snake_case, with their ARN and tags.
      The keys are those of the C(deployment_group) return value of M(canary.ecs.codedeploy_deployment_group).
  returned: always
  type: list
  elements: dict
  contains:
    application_name:
      description: The application of the group.
      type: str
      sample: checkout-app
    deployment_group_name:
      description: Name of the group.
      type: str
      sample: checkout-canary
    deployment_group_arn:
      description: ARN of the group.
      type: str
      sample: arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:checkout-app/checkout-canary
    deployment_config_name:
      description: The deployment config.
      type: str
      sample: CodeDeployDefault.ECSCanary10Percent15Minutes
    ecs_services:
      description: The ECS service of the group.
      type: list
      elements: dict
      sample: [{"cluster_name": "prod", "service_name": "checkout"}]
    load_balancer_info:
      description: The target group pair and the production and test listeners.
      type: dict
      sample: {"target_group_pair_info_list": [{"target_groups": [{"name": "checkout-blue"}, {"name": "checkout-green"}]}]}
    alarm_configuration:
      description: The alarms watched during deployments.
      type: dict
      sample: {"enabled": true, "ignore_poll_alarm_failure": false, "alarms": [{"name": "checkout-canary-5xx"}]}
    auto_rollback_configuration:
      description: Automatic rollback.
      type: dict
      sample: {"enabled": true, "events": ["DEPLOYMENT_FAILURE"]}
    blue_green_deployment_configuration:
      description: When traffic is rerouted and what happens to the original task set.
      type: dict
      sample: {"deployment_ready_option": {"action_on_timeout": "CONTINUE_DEPLOYMENT", "wait_time_in_minutes": 0}}
    tags:
      description: The group's tags (keys as given).
      type: dict
      sample: {"team": "payments"}
"""

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.info import describe_deployment_groups
from ansible_collections.canary.ecs.plugins.module_utils.common import ArnBuilder, Clients, run_module
from ansible_collections.canary.ecs.plugins.module_utils.modules import AnsibleCanaryECSModule


def main():
    argument_spec = dict(
        application_name=dict(type="str", required=True),
        name=dict(type="str", aliases=["deployment_group_name"]),
    )
    module = AnsibleCanaryECSModule(argument_spec=argument_spec, supports_check_mode=True)
    run_module(
        module,
        describe_deployment_groups,
        Clients(module)("codedeploy"),
        ArnBuilder(module),
        module.params["application_name"],
        module.params["name"],
    )


if __name__ == "__main__":
    main()
