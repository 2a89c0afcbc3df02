#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_fleet_info
short_description: Look at many Amazon ECS services and their CodeDeploy releases at once, with batched reads
version_added: 0.3.0
description:
  - Reads many ECS services, or many CodeDeploy ECS deployments in flight, in as few calls as AWS allows,
    instead of several calls per service. M(canary.ecs.ecs_fleet_release) uses it to check a fleet before it
    starts and to watch the fleet's releases with one look for all of them.
  - With O(services), it tells which services exist and which deployment controller each uses
    (C(ecs:DescribeServices), 10 services a call per cluster).
  - With O(releases), it makes one look at every deployment
    (C(codedeploy:BatchGetDeployments) 25 a call, C(cloudwatch:DescribeAlarms) 100 names a call,
    C(elasticloadbalancing:DescribeListeners) for the traffic weights of every production listener at once),
    and, once per deployment, finds where it is routed (C(codedeploy:BatchGetDeploymentGroups) per application
    and C(ecs:DescribeServices) for the replacement task set's target group). Pass RV(routes) back in the next
    look to skip those.
  - A look here has the deployment's status, rollback, alarm states and traffic share; it has no lifecycle
    events and no judgement (M(canary.ecs.ecs_deployment) makes those looks).
author:
  - canary.ecs contributors (@canary-ecs)
options:
  services:
    description:
      - Services to describe.
    type: list
    elements: dict
    default: []
    suboptions:
      cluster:
        description: Name or ARN of the ECS cluster.
        type: str
        required: true
      service:
        description: Name or ARN of the ECS service.
        type: str
        required: true
  releases:
    description:
      - Deployments to look at.
    type: list
    elements: dict
    default: []
    suboptions:
      deployment_id:
        description: The CodeDeploy deployment.
        type: str
        required: true
      cluster:
        description: Name or ARN of the ECS cluster of the service it deploys.
        type: str
        required: true
      service:
        description: Name or ARN of the ECS service it deploys.
        type: str
        required: true
      alarm_names:
        description: The CloudWatch alarms that stop it (their states are part of the look).
        type: list
        elements: str
        default: []
      listener_arns:
        description: Its production listener(s), from RV(routes) of an earlier look; found from its deployment group when not given.
        type: list
        elements: str
      replacement_target_group:
        description: The ARN of the target group its new task set serves, from RV(routes) of an earlier look.
        type: str
notes:
  - Read-only; supports check mode.
seealso:
  - module: canary.ecs.ecs_fleet_release
  - module: canary.ecs.ecs_deployment_info
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Which of these services exist, and under which deployment controller
  canary.ecs.ecs_fleet_info:
    services:
      - {cluster: canary-cluster, service: canary-canary-app-service}
      - {cluster: prod, service: checkout}
  register: found

- name: What is in flight on a service
  canary.ecs.ecs_deployment_info:
    cluster: prod
    service: checkout
  register: status

- name: One look at its release in flight (pass routes back in the next look)
  canary.ecs.ecs_fleet_info:
    releases:
      - deployment_id: "{{ status.in_flight.deployment_id }}"
        cluster: prod
        service: checkout
        alarm_names: "{{ status.alarms.keys() | list }}"
  when: status.in_flight is not none
  register: seen
"""

RETURN = r"""
services:
  description: Each service asked for, in order.
  returned: always
  type: list
  elements: dict
  contains:
    cluster:
      description: The cluster as given.
      type: str
    service:
      description: The service as given.
      type: str
    exists:
      description: Whether the service exists (and is C(ACTIVE)).
      type: bool
    deployment_controller:
      description: Its deployment controller (C(CODE_DEPLOY), C(ECS) or C(EXTERNAL)); null when it does not exist.
      type: str
    task_definition:
      description: Its task definition; null when it does not exist.
      type: str
  sample: [{"cluster": "shop", "service": "cart", "exists": true, "deployment_controller": "CODE_DEPLOY",
            "task_definition": "arn:aws:ecs:us-east-1:123456789012:task-definition/cart:4"}]
observations:
  description:
    - One look at each deployment, by deployment id (null for one CodeDeploy does not know).
    - The fields of M(canary.ecs.ecs_deployment)'s RV(canary.ecs.ecs_deployment#module:observation), without lifecycle events.
  returned: always
  type: dict
  sample: {"d-ABCDEF123": {"status": "InProgress", "traffic_share": 10.0, "alarms": {"cart-5xx": {"state": "OK"}}}}
routes:
  description: Where each deployment is routed (its production listeners and replacement target group), to pass back in the next look.
  returned: always
  type: dict
  sample: {"d-ABCDEF123": {"listener_arns": ["arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/1/2"], "replacement_target_group": null}}
api_calls:
  description: The AWS calls this look made, by operation.
  returned: always
  type: dict
  sample: {"BatchGetDeployments": 1, "DescribeAlarms": 1, "DescribeListeners": 1}
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.canary.ecs.plugins.module_utils._fleet import look
from ansible_collections.canary.ecs.plugins.module_utils.common import Clients
from ansible_collections.canary.ecs.plugins.module_utils.modules import AnsibleCanaryECSModule


def report(module):
    clients, counter = Clients(module), look.Counter()
    wanted = [(item["cluster"], item["service"]) for item in module.params["services"]]
    found = look.services(clients, wanted, counter) if wanted else {}
    described = []
    for cluster, service in wanted:
        item = found.get((cluster, service))
        described.append(
            {
                "cluster": cluster,
                "service": service,
                "exists": item is not None,
                "deployment_controller": ((item or {}).get("deploymentController") or {}).get("type", "ECS") if item else None,
                "task_definition": (item or {}).get("taskDefinition"),
            }
        )
    releases = [dict(item) for item in module.params["releases"]]
    seen = look.look(clients, releases, counter) if releases else {}
    routes = dict(
        (item["deployment_id"], {"listener_arns": item.get("listener_arns") or [], "replacement_target_group": item.get("replacement_target_group")})
        for item in releases
    )
    return {"changed": False, "services": described, "observations": seen, "routes": routes, "api_calls": counter.calls}


def main():
    argument_spec = dict(
        services=dict(type="list", elements="dict", default=[], options=dict(cluster=dict(type="str", required=True), service=dict(type="str", required=True))),
        releases=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                deployment_id=dict(type="str", required=True),
                cluster=dict(type="str", required=True),
                service=dict(type="str", required=True),
                alarm_names=dict(type="list", elements="str", default=[]),
                listener_arns=dict(type="list", elements="str", no_log=False),
                replacement_target_group=dict(type="str"),
            ),
        ),
    )
    module = AnsibleCanaryECSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        result = report(module)
    except AnsibleAWSError as error:
        module.fail_json_aws_error(error)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
