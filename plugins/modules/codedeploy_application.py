#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: codedeploy_application
short_description: Manage AWS CodeDeploy applications for Amazon ECS
version_added: 0.1.0
description:
  - Create, tag and delete AWS CodeDeploy applications of the C(ECS) compute platform, the
    container of the blue/green deployment groups that canary releases run through.
  - Deleting an application also deletes all its deployment groups (AWS does so); the module
    returns their names in RV(deleted_deployment_groups).
  - An existing application of another compute platform (C(Server), C(Lambda)) is never changed;
    the module fails instead.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  name:
    description:
      - Name of the CodeDeploy application.
    type: str
    required: true
    aliases: ['application_name']
    version_added: 0.1.0
  state:
    description:
      - V(present) creates the application when it is missing and updates its tags.
      - V(absent) deletes the application and, with it, its deployment groups.
    type: str
    default: present
    choices: ['present', 'absent']
    version_added: 0.1.0
notes:
  - Supports check mode and diff mode. In check mode a deletion reports the deployment groups
    that would go with the application.
  - Needs C(codedeploy:GetApplication), C(codedeploy:CreateApplication), C(codedeploy:DeleteApplication),
    C(codedeploy:ListDeploymentGroups), C(codedeploy:ListTagsForResource), C(codedeploy:TagResource),
    C(codedeploy:UntagResource) and C(sts:GetCallerIdentity) (to build the ARN that tags need).
seealso:
  - module: canary.ecs.codedeploy_deployment_group
  - module: canary.ecs.codedeploy_deployment_config
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create the CodeDeploy application of a service
  canary.ecs.codedeploy_application:
    name: checkout-app
    tags:
      team: payments

- name: Add a tag and keep the others
  canary.ecs.codedeploy_application:
    name: checkout-app
    tags:
      cost-center: "4711"
    purge_tags: false

- name: Delete the application and its deployment groups
  canary.ecs.codedeploy_application:
    name: checkout-app
    state: absent
  register: deleted

- name: Show what went
  ansible.builtin.debug:
    msg: "{{ deleted.msg | default('nothing to delete') }}"
"""

RETURN = r"""
application:
  description:
    - The application. Empty when O(state=absent) found nothing to delete; the deleted application
      after a deletion.
  returned: always
  type: dict
  contains:
    application_name:
      description: Name of the application.
      type: str
      sample: checkout-app
    application_id:
      description: The application's ID (missing in check mode before creation).
      type: str
      sample: 0a5f7c3e-2b6d-4c0a-9a57-0c6e1d2b7f10
    application_arn:
      description: ARN of the application.
      type: str
      sample: arn:aws:codedeploy:us-east-1:123456789012:application:checkout-app
    compute_platform:
      description: The compute platform, always V(ECS) for applications this module creates.
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
      description: The application's tags (keys as given, not converted to snake_case).
      type: dict
      sample: {"team": "payments"}
deleted_deployment_groups:
  description: Names of the deployment groups deleted together with the application.
  returned: when O(state=absent)
  type: list
  elements: str
  sample: ["checkout-canary"]
msg:
  description: What was deleted.
  returned: when O(state=absent) and the application existed
  type: str
  sample: "Deleted CodeDeploy application checkout-app and its deployment groups: checkout-canary"
"""

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.application import ensure_application_absent, ensure_application_present
from ansible_collections.canary.ecs.plugins.module_utils.common import ArnBuilder, Clients, run_module
from ansible_collections.canary.ecs.plugins.module_utils.modules import AnsibleCanaryECSModule


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["application_name"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleCanaryECSModule(argument_spec=argument_spec, supports_check_mode=True)
    ensure = ensure_application_present if module.params["state"] == "present" else ensure_application_absent
    run_module(module, ensure, module, Clients(module)("codedeploy"), ArnBuilder(module))


if __name__ == "__main__":
    main()
