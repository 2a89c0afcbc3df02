#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_resource_tags
short_description: Read or set the tags of an ECS cluster, service or task definition
version_added: 0.1.0
description:
  - Reads the tags of an ECS cluster, service or task definition revision, and with I(tags) makes them match.
  - canary.ecs tags every resource it creates with its stack, and its cleanup removes only what carries that tag.
    M(community.aws.ecs_cluster) and M(community.aws.ecs_taskdefinition) create without tags, and
    M(community.aws.ecs_tag) fails on a resource that has no tag yet when the API leaves the C(tags) key out of
    its answer (moto does), and cannot tell a missing resource from an error.
  - Without I(tags) the module only reads, which is how a cleanup checks ownership before deleting.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  resource_type:
    description:
      - The kind of resource.
    type: str
    choices: [cluster, service, task_definition]
    required: true
  cluster:
    description:
      - Name or ARN of the cluster; the cluster itself when I(resource_type=cluster), the service's cluster when
        I(resource_type=service).
    type: str
  resource:
    description:
      - Name or ARN of the service, or C(family:revision) or ARN of the task definition.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Tag a cluster with its stack
  canary.ecs.ecs_resource_tags:
    resource_type: cluster
    cluster: canary-cluster
    tags:
      canary-ecs:stack: canary
    purge_tags: false

- name: Read the tags of a task definition revision
  canary.ecs.ecs_resource_tags:
    resource_type: task_definition
    resource: canary-app:1
  register: revision
"""

RETURN = r"""
exists:
  description: Whether the resource exists (an INACTIVE service or cluster counts as missing).
  returned: always
  type: bool
  sample: true
arn:
  description: ARN of the resource.
  returned: when the resource exists
  type: str
  sample: arn:aws:ecs:us-east-1:123456789012:cluster/canary-cluster
status:
  description: Status of the resource, such as C(ACTIVE) or C(INACTIVE) for a task definition.
  returned: when the resource exists
  type: str
  sample: ACTIVE
tags:
  description: The resource's tags after the run (in check mode, the tags it would have).
  returned: always
  type: dict
  sample: {"canary-ecs:stack": "canary"}
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.canary.ecs.plugins.module_utils._ecs import api
from ansible_collections.canary.ecs.plugins.module_utils.common import retry_decorator
from ansible_collections.canary.ecs.plugins.module_utils.modules import AnsibleCanaryECSModule
from ansible_collections.canary.ecs.plugins.module_utils.tags import reconcile_tags, tags_diff


def find_resource(module, client, resource_type, cluster, resource):
    """(arn, status) of the resource, or (None, None) when it does not exist (an INACTIVE one counts as missing)."""
    if resource_type == "cluster":
        found = _or_fail(module, api.describe_cluster, client, cluster)
        return (found["clusterArn"], found.get("status")) if found else (None, None)
    if resource_type == "service":
        found = _or_fail(module, api.describe_service, client, cluster, resource)
        return (found["serviceArn"], found.get("status")) if found else (None, None)
    try:
        found = client.describe_task_definition(aws_retry=True, taskDefinition=resource)["taskDefinition"]
        return found["taskDefinitionArn"], found.get("status")
    except is_boto3_error_code("ClientException"):
        # describe_task_definition answers ClientException for a revision that does not exist
        return None, None
    except Exception as error:  # pylint: disable=broad-except
        module.fail_json_aws(error, msg="Could not describe task definition %s" % resource)


def _or_fail(module, call, *args):
    try:
        return call(*args)
    except AnsibleAWSError as error:
        module.fail_json_aws_error(error)


def list_tags(module, client, arn):
    return _or_fail(module, api.list_tags, client, arn)


def main():
    module = AnsibleCanaryECSModule(
        argument_spec=dict(
            resource_type=dict(type="str", required=True, choices=["cluster", "service", "task_definition"]),
            cluster=dict(type="str"),
            resource=dict(type="str"),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        required_if=[
            ("resource_type", "cluster", ("cluster",)),
            ("resource_type", "service", ("cluster", "resource")),
            ("resource_type", "task_definition", ("resource",)),
        ],
        supports_check_mode=True,
    )
    params = module.params
    desired = params["tags"]
    client = module.client("ecs", retry_decorator=retry_decorator("ecs"))
    name = params["resource"] or params["cluster"]

    arn, status = find_resource(module, client, params["resource_type"], params["cluster"], params["resource"])
    if arn is None:
        if desired is not None and module.check_mode:
            # An earlier task of the same check-mode run would have created it.
            module.exit_json(changed=True, exists=False, tags=desired, diff=tags_diff({}, desired))
        if desired is not None:
            module.fail_json(msg="ECS %s %s does not exist: create it first, then tag it." % (params["resource_type"], name))
        module.exit_json(changed=False, exists=False, tags={})

    current = list_tags(module, client, arn)
    if desired is None:
        module.exit_json(changed=False, exists=True, arn=arn, status=status, tags=current)

    changed, after = reconcile_tags(
        module.check_mode,
        current,
        desired,
        params["purge_tags"],
        lambda to_set, to_remove: _or_fail(module, api.apply_tags, client, arn, to_set, to_remove),
        lambda: list_tags(module, client, arn),
    )
    result = dict(changed=changed, exists=True, arn=arn, status=status, tags=after)
    if changed:
        result["diff"] = tags_diff(current, after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
