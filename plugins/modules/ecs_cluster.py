#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_cluster
short_description: Manage an ECS cluster with its capacity providers and tags
version_added: 0.2.0
description:
  - Create, update and delete an ECS cluster, its capacity providers, its default capacity provider strategy and its tags.
  - The tags are given in the call that creates the cluster, so a run interrupted right after it never leaves an
    untagged cluster behind (canary.ecs's cleanup removes only what carries its stack's tag).
    M(community.aws.ecs_cluster) cannot set tags.
  - Deleting a cluster that still runs services or tasks is refused before any change, naming what is left.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  name:
    description:
      - Name of the cluster, 1 to 255 letters, digits, hyphens or underscores.
    type: str
    required: true
    aliases: ['cluster_name']
  capacity_providers:
    description:
      - The capacity providers of the cluster, such as V(FARGATE) and V(FARGATE_SPOT).
      - Left as they are when not given.
    type: list
    elements: str
  purge_capacity_providers:
    description:
      - Remove capacity providers not listed in O(capacity_providers).
      - V(false) only adds, for a cluster others may add capacity providers to.
    type: bool
    default: true
  capacity_provider_strategy:
    description:
      - The default capacity provider strategy of the cluster. Left as it is when not given.
      - Each provider it names must be one of the cluster's capacity providers.
    type: list
    elements: dict
    suboptions:
      capacity_provider:
        description: Name of the capacity provider.
        type: str
        required: true
      weight:
        description: Relative share of the tasks, 0 to 1000.
        type: int
        default: 0
      base:
        description: Tasks that run on this provider first, 0 to 100000; one provider at most may have a base above 0.
        type: int
        default: 0
  state:
    description:
      - V(present) creates or updates the cluster, V(absent) deletes it.
    type: str
    default: present
    choices: ['present', 'absent']
notes:
  - Supports check mode and diff mode.
  - Needs C(ecs:DescribeClusters), C(ecs:CreateCluster), C(ecs:PutClusterCapacityProviders), C(ecs:ListTagsForResource),
    C(ecs:TagResource), C(ecs:UntagResource) and C(ecs:DeleteCluster).
seealso:
  - module: community.aws.ecs_cluster
  - module: canary.ecs.ecs_service
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: A Fargate cluster owned by a stack
  canary.ecs.ecs_cluster:
    name: checkout
    capacity_providers: [FARGATE, FARGATE_SPOT]
    capacity_provider_strategy:
      - capacity_provider: FARGATE
        weight: 1
    purge_capacity_providers: false
    tags:
      canary-ecs:stack: checkout
    purge_tags: false
  register: cluster

- name: Use its ARN
  ansible.builtin.debug:
    msg: "{{ cluster.cluster.cluster_arn }}"

- name: Delete a cluster no longer used (refused while it still has services)
  canary.ecs.ecs_cluster:
    name: checkout-staging
    state: absent
"""

RETURN = r"""
cluster:
  description:
    - The cluster; empty when O(state=absent) found nothing to delete, the deleted cluster after a deletion.
    - In check mode, before creation, only what the module would set.
  returned: always
  type: dict
  contains:
    cluster_name:
      description: Name of the cluster.
      type: str
      sample: checkout
    cluster_arn:
      description: ARN of the cluster (missing in check mode before creation).
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:cluster/checkout
    status:
      description: Status of the cluster.
      type: str
      sample: ACTIVE
    capacity_providers:
      description: Capacity providers of the cluster.
      type: list
      elements: str
      sample: [FARGATE, FARGATE_SPOT]
    default_capacity_provider_strategy:
      description: The default capacity provider strategy.
      type: list
      elements: dict
      sample: [{"capacity_provider": "FARGATE", "weight": 1, "base": 0}]
    active_services_count:
      description: Services the cluster runs.
      type: int
      sample: 1
    running_tasks_count:
      description: Tasks running in the cluster.
      type: int
      sample: 2
    tags:
      description: The cluster's tags (keys as given, not converted to snake_case).
      type: dict
      sample: {"canary-ecs:stack": "checkout"}
msg:
  description: What was deleted.
  returned: when O(state=absent) and the cluster existed
  type: str
  sample: Deleted ECS cluster checkout
"""

from ansible_collections.canary.ecs.plugins.module_utils._ecs.cluster import ensure_cluster_absent, ensure_cluster_present
from ansible_collections.canary.ecs.plugins.module_utils.modules import resource_options, run_resource_module


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["cluster_name"]),
        capacity_providers=dict(type="list", elements="str"),
        purge_capacity_providers=dict(type="bool", default=True),
        capacity_provider_strategy=dict(
            type="list",
            elements="dict",
            options=dict(
                capacity_provider=dict(type="str", required=True),
                weight=dict(type="int", default=0),
                base=dict(type="int", default=0),
            ),
        ),
    )
    argument_spec.update(resource_options())
    run_resource_module(argument_spec, ensure_cluster_present, ensure_cluster_absent, "ecs")


if __name__ == "__main__":
    main()
