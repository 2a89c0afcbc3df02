#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_service_role
short_description: Manage the IAM role an AWS service assumes, such as a task execution role or a CodeDeploy service role
version_added: 0.1.0
description:
  - Create, update and delete an IAM role that only AWS services assume (its trust policy names
    service principals, for example C(ecs-tasks.amazonaws.com) or C(codedeploy.amazonaws.com)),
    with its description, attached managed policies and tags.
  - Each part of the role is compared on its own and only what differs is changed; trust policies
    are compared by meaning, not by text.
  - A role that was just created is waited for until IAM answers for it, so the next task can use it.
  - Deleting a role first detaches its managed policies, deletes its inline policies and removes it
    from any instance profile, as IAM requires.
  - Unlike M(amazon.aws.iam_role), it never creates instance profiles and prints no deprecation warning.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  name:
    description:
      - Name of the role, 1 to 64 letters, digits or any of C(_+=,.@-).
    type: str
    required: true
    aliases: ['role_name']
    version_added: 0.1.0
  trusted_services:
    description:
      - The AWS service principals allowed to assume the role; the module writes the trust policy.
      - Required when O(state=present).
    type: list
    elements: str
    version_added: 0.1.0
  description:
    description:
      - Description of the role, at most 1000 characters. Left as it is when not given.
    type: str
    version_added: 0.1.0
  managed_policies:
    description:
      - ARNs of the managed policies attached to the role.
    type: list
    elements: str
    default: []
    aliases: ['managed_policy_arns']
    version_added: 0.1.0
  purge_managed_policies:
    description:
      - Detach managed policies not listed in O(managed_policies).
      - V(false) only attaches, for a role others may attach policies to as well.
    type: bool
    default: true
    version_added: 0.1.0
  state:
    description:
      - V(present) creates or updates the role, V(absent) deletes it.
    type: str
    default: present
    choices: ['present', 'absent']
    version_added: 0.1.0
notes:
  - Supports check mode and diff mode.
  - Needs C(iam:GetRole), C(iam:CreateRole), C(iam:UpdateRole), C(iam:UpdateAssumeRolePolicy),
    C(iam:ListAttachedRolePolicies), C(iam:AttachRolePolicy), C(iam:DetachRolePolicy),
    C(iam:ListRoleTags), C(iam:TagRole), C(iam:UntagRole), and for O(state=absent)
    C(iam:ListRolePolicies), C(iam:DeleteRolePolicy), C(iam:ListInstanceProfilesForRole),
    C(iam:RemoveRoleFromInstanceProfile) and C(iam:DeleteRole).
seealso:
  - module: amazon.aws.iam_role
  - module: amazon.aws.iam_role_info
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Task execution role of a service
  canary.ecs.iam_service_role:
    name: checkout-execution
    trusted_services:
      - ecs-tasks.amazonaws.com
    description: Pulls the image and writes the logs of the checkout tasks
    managed_policies:
      - arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy
    tags:
      team: payments
  register: execution_role

- name: Use its ARN
  ansible.builtin.debug:
    msg: "{{ execution_role.role.arn }}"

- name: CodeDeploy service role, keeping policies others attached
  canary.ecs.iam_service_role:
    name: checkout-codedeploy
    trusted_services:
      - codedeploy.amazonaws.com
    managed_policies:
      - arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS
    purge_managed_policies: false
    tags:
      cost-center: "4711"
    purge_tags: false

- name: Delete the roles
  canary.ecs.iam_service_role:
    name: "{{ item }}"
    state: absent
  loop:
    - checkout-execution
    - checkout-codedeploy
"""

RETURN = r"""
role:
  description:
    - The role; empty when O(state=absent) found nothing to delete, the deleted role after a deletion.
    - In check mode, before creation, only what the module would set.
  returned: always
  type: dict
  contains:
    role_name:
      description: Name of the role.
      type: str
      sample: checkout-execution
    arn:
      description: ARN of the role (missing in check mode before creation).
      type: str
      sample: arn:aws:iam::123456789012:role/checkout-execution
    role_id:
      description: The role's unique ID (missing in check mode before creation).
      type: str
      sample: AROA0EXAMPLE0ROLE0ID0
    path:
      description: Path of the role.
      type: str
      sample: /
    description:
      description: Description of the role.
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
      sample: {"team": "payments"}
msg:
  description: What was deleted.
  returned: when O(state=absent) and the role existed
  type: str
  sample: Deleted IAM role checkout-execution
"""

from ansible_collections.canary.ecs.plugins.module_utils._iam.role import ensure_role_absent, ensure_role_present
from ansible_collections.canary.ecs.plugins.module_utils.modules import resource_options, run_resource_module


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["role_name"]),
        trusted_services=dict(type="list", elements="str"),
        description=dict(type="str"),
        managed_policies=dict(type="list", elements="str", default=[], aliases=["managed_policy_arns"]),
        purge_managed_policies=dict(type="bool", default=True),
    )
    argument_spec.update(resource_options())
    run_resource_module(argument_spec, ensure_role_present, ensure_role_absent, "iam")


if __name__ == "__main__":
    main()
