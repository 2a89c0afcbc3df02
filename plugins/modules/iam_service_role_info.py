#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_service_role_info
short_description: Read an IAM role with its trust policy, managed policies and tags
version_added: 0.1.0
description:
  - Reads one IAM role the way M(canary.ecs.iam_service_role) describes it, for example to see who
    owns it (its tags) before deleting it.
  - Unlike M(amazon.aws.iam_role_info), it prints no deprecation warning.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  name:
    description:
      - Name of the role.
    type: str
    required: true
    aliases: ['role_name']
    version_added: 0.1.0
notes:
  - Needs C(iam:GetRole), C(iam:ListAttachedRolePolicies) and C(iam:ListRoleTags).
seealso:
  - module: canary.ecs.iam_service_role
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create a role to read
  canary.ecs.iam_service_role:
    name: checkout-execution
    trusted_services:
      - ecs-tasks.amazonaws.com
    tags:
      owner: checkout

- name: Read it
  canary.ecs.iam_service_role_info:
    name: checkout-execution
  register: found

- name: Show its owner
  ansible.builtin.debug:
    msg: "{{ found.roles | map(attribute='tags.owner') | first | default('nobody') }}"

- name: Delete it only when it is ours
  canary.ecs.iam_service_role:
    name: checkout-execution
    state: absent
  when: found.roles | selectattr('tags.owner', 'defined') | selectattr('tags.owner', 'equalto', 'checkout') | list | length > 0
"""

RETURN = r"""
roles:
  description: The role, in a list of one; empty when no role has that name.
  returned: always
  type: list
  elements: dict
  contains:
    role_name:
      description: Name of the role.
      type: str
      sample: checkout-execution
    arn:
      description: ARN of the role.
      type: str
      sample: arn:aws:iam::123456789012:role/checkout-execution
    role_id:
      description: The role's unique ID.
      type: str
      sample: AROA0EXAMPLE0ROLE0ID0
    path:
      description: Path of the role.
      type: str
      sample: /
    description:
      description: Description of the role, when it has one.
      type: str
      sample: Pulls the image and writes the logs of the checkout tasks
    create_date:
      description: When the role was created.
      type: str
      sample: "2026-12-03T06:00:00+00:00"
    max_session_duration:
      description: Longest session, in seconds, of whoever assumes the role.
      type: int
      sample: 3600
    assume_role_policy_document:
      description: The trust policy, as IAM holds it.
      type: dict
      sample: {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    managed_policies:
      description: ARNs of the attached managed policies.
      type: list
      elements: str
      sample: ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]
    tags:
      description: The role's tags (keys as given, not converted to snake_case).
      type: dict
      sample: {"owner": "checkout"}
"""

from ansible_collections.canary.ecs.plugins.module_utils._iam.role import role_info
from ansible_collections.canary.ecs.plugins.module_utils.common import Clients, run_module
from ansible_collections.canary.ecs.plugins.module_utils.modules import AnsibleCanaryECSModule


def main():
    module = AnsibleCanaryECSModule(argument_spec=dict(name=dict(type="str", required=True, aliases=["role_name"])), supports_check_mode=True)
    run_module(module, role_info, module, Clients(module)("iam"))


if __name__ == "__main__":
    main()
