#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: codedeploy_application_info
short_description: Read AWS CodeDeploy applications
version_added: 0.1.0
description:
  - Describe one CodeDeploy application, or every application of the account and region, with its ARN and tags.
  - An application that does not exist returns an empty list.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  name:
    description:
      - Name of the application. Without it, every application is described.
    type: str
    aliases: ['application_name']
    version_added: 0.1.0
  compute_platform:
    description:
      - Only return applications of this compute platform. V(all) returns every application.
    type: str
    default: ECS
    choices: ['ECS', 'Lambda', 'Server', 'all']
    version_added: 0.1.0
notes:
  - Read-only; safe in check mode.
seealso:
  - module: canary.ecs.codedeploy_application
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Describe one application
  canary.ecs.codedeploy_application_info:
    name: checkout-app
  register: application

- name: Every ECS application
  canary.ecs.codedeploy_application_info:
  register: applications
"""

RETURN = r"""
applications:
  description: The applications found, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    application_name:
      description: Name of the application.
      type: str
      sample: checkout-app
    application_id:
      description: ID of the application.
      type: str
      sample: 0a5f7c3e-2b6d-4c0a-9a57-0c6e1d2b7f10
    application_arn:
      description: ARN of the application.
      type: str
      sample: arn:aws:codedeploy:us-east-1:123456789012:application:checkout-app
    compute_platform:
      description: The compute platform.
      type: str
      sample: ECS
    create_time:
      description: When the application was created.
      type: str
      sample: "2026-11-26T06:00:00+00:00"
    linked_to_git_hub:
      description: Whether the application is linked to a GitHub account.
      type: bool
      sample: false
    tags:
      description: The application's tags (keys as given).
      type: dict
      sample: {"team": "payments"}
"""

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.info import describe_applications
from ansible_collections.canary.ecs.plugins.module_utils.common import ArnBuilder, Clients, run_module
from ansible_collections.canary.ecs.plugins.module_utils.modules import AnsibleCanaryECSModule


def main():
    argument_spec = dict(
        name=dict(type="str", aliases=["application_name"]),
        compute_platform=dict(type="str", default="ECS", choices=["ECS", "Lambda", "Server", "all"]),
    )
    module = AnsibleCanaryECSModule(argument_spec=argument_spec, supports_check_mode=True)
    run_module(module, describe_applications, Clients(module)("codedeploy"), ArnBuilder(module), module.params["name"], module.params["compute_platform"])


if __name__ == "__main__":
    main()
