#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_service
short_description: Create, scale and delete the ECS service that canary releases then update
version_added: 0.2.0
description:
  - Creates an ECS service with its deployment controller, load balancer, network configuration and tags, in one
    call; on an existing service corrects only what stays the operator's after the first release (the desired
    count, the health check grace period and the tags); deletes the service and waits until it is gone.
  - The task definition, load balancers, network configuration, launch type and tag propagation are used when the
    service is created. Afterwards a release (M(canary.ecs.ecs_deployment)) owns the task definition, and under
    V(CODE_DEPLOY) CodeDeploy owns the task sets that carry the rest; re-running a provision never reverts them.
  - A service whose deployment controller differs from O(deployment_controller) is refused before any change.
  - Unlike M(community.aws.ecs_service), it never returns the service as C(ansible_facts) (which sets host
    variables such as C(tags)), and it retries ECS's throttling.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  name:
    description:
      - Name of the service, 1 to 255 letters, digits, hyphens or underscores.
    type: str
    required: true
    aliases: ['service']
  cluster:
    description:
      - Name or ARN of the cluster of the service.
    type: str
    required: true
  task_definition:
    description:
      - The task definition the service starts with (ARN, C(family:revision) or family). Required to create it;
        not compared afterwards.
    type: str
  desired_count:
    description:
      - How many tasks the service runs. V(1) when a service is created without it; left as it is when not given.
    type: int
  launch_type:
    description:
      - Launch type of the service's tasks, at creation.
    type: str
    default: FARGATE
    choices: ['FARGATE', 'EC2', 'EXTERNAL']
  deployment_controller:
    description:
      - Who deploys new revisions. V(CODE_DEPLOY) for CodeDeploy blue/green deployments, V(ECS) for ECS's own
        rolling, blue/green, linear and canary deployments.
    type: str
    default: ECS
    choices: ['ECS', 'CODE_DEPLOY', 'EXTERNAL']
  load_balancers:
    description:
      - The target group the service's tasks register in, at creation. One under V(CODE_DEPLOY).
    type: list
    elements: dict
    suboptions:
      target_group_arn:
        description: ARN of the target group.
        type: str
        required: true
      container_name:
        description: The container that receives the traffic.
        type: str
        required: true
      container_port:
        description: Its port, 1 to 65535.
        type: int
        required: true
      alternate_target_group_arn:
        description:
          - The alternate (green) target group of ECS's own blue/green, linear and canary deployments
            (C(advancedConfiguration.alternateTargetGroupArn)). Required with a O(deployment_strategy) of
            V(BLUE_GREEN), V(LINEAR) or V(CANARY).
        type: str
      production_listener_rule_arn:
        description:
          - The listener rule whose weights ECS moves for production traffic; it must forward to both target groups
            (M(canary.ecs.elb_listener) O(canary.ecs.elb_listener#module:weighted_rule) makes one).
        type: str
      test_listener_rule_arn:
        description: The listener rule that sends test traffic to the new revision before production traffic moves.
        type: str
      role_arn:
        description: The IAM role ECS assumes to change the listener rules (trusting C(ecs.amazonaws.com)).
        type: str
  deployment_strategy:
    description:
      - ECS's own deployment strategy, with O(deployment_controller=ECS). V(CANARY) shifts O(canary.percent) of
        production traffic, bakes O(canary.bake_minutes), then shifts the rest; V(LINEAR) shifts
        O(linear.step_percent) every O(linear.step_bake_minutes); V(BLUE_GREEN) shifts everything at once. All three
        keep the old revision for O(bake_minutes) after the full shift, watching O(deployment_alarms).
      - Compared and corrected on every run (changing it starts no deployment). Not given, the service's is left alone.
    type: str
    choices: ['ROLLING', 'BLUE_GREEN', 'LINEAR', 'CANARY']
  canary:
    description: The canary step of V(CANARY).
    type: dict
    suboptions:
      percent:
        description: Share of production traffic on the new revision during the canary step, 0.1 to 100 in steps of 0.1 (ECS's default 5).
        type: float
      bake_minutes:
        description: Minutes the canary step lasts before the rest shifts, 0 to 1440 (ECS's default 10).
        type: int
  linear:
    description: The steps of V(LINEAR).
    type: dict
    suboptions:
      step_percent:
        description: Share of production traffic each step moves, 3 to 100 in steps of 0.1 (ECS's default 10).
        type: float
      step_bake_minutes:
        description: Minutes between two steps, 0 to 1440 (ECS's default 6).
        type: int
  bake_minutes:
    description: Minutes both revisions run after the full shift, the old one ready to take traffic back, 0 to 1440.
    type: int
  deployment_alarms:
    description: CloudWatch alarms that stop a deployment (and roll it back) when one is in ALARM.
    type: dict
    suboptions:
      names:
        description: The alarms' names.
        type: list
        elements: str
        required: true
      rollback:
        description: Roll back to the previous revision when an alarm fires.
        type: bool
        default: true
  pause_hooks:
    description:
      - Lifecycle hooks of type PAUSE - the deployment waits at these stages for C(ContinueServiceDeployment)
        (an approval), then takes O(pause_hooks[].timeout_action) after O(pause_hooks[].timeout_minutes).
    type: list
    elements: dict
    suboptions:
      stages:
        description: The lifecycle stages to pause at.
        type: list
        elements: str
        required: true
        choices: ['PRE_SCALE_UP', 'POST_SCALE_UP', 'TEST_TRAFFIC_SHIFT', 'POST_TEST_TRAFFIC_SHIFT', 'PRE_PRODUCTION_TRAFFIC_SHIFT',
                  'PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT']
      timeout_minutes:
        description: Minutes to wait, 1 to 20160.
        type: int
        default: 1440
      timeout_action:
        description: What ECS does when nobody answered in time.
        type: str
        default: ROLLBACK
        choices: ['ROLLBACK', 'CONTINUE']
  network_configuration:
    description:
      - The awsvpc network of the tasks, at creation.
    type: dict
    suboptions:
      subnets:
        description: Subnet IDs.
        type: list
        elements: str
        required: true
      security_groups:
        description: Security group IDs.
        type: list
        elements: str
      assign_public_ip:
        description: Whether tasks get a public IP.
        type: bool
        default: false
  health_check_grace_period_seconds:
    description:
      - Seconds the load balancer's health checks are ignored after a task starts, 0 to 2147483647. Left as it is
        when not given.
    type: int
  propagate_tags:
    description:
      - Where the tasks' tags come from, at creation.
    type: str
    default: SERVICE
    choices: ['SERVICE', 'TASK_DEFINITION', 'NONE']
  force_deletion:
    description:
      - Delete a service that still wants tasks (they are stopped). Without it, deleting a service whose desired
        count is above 0 is refused.
    type: bool
    default: false
  wait:
    description:
      - After a deletion, wait until the service is INACTIVE (its tasks stopped).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for that.
    type: int
    default: 600
  state:
    description:
      - V(present) creates or updates the service, V(absent) deletes it.
    type: str
    default: present
    choices: ['present', 'absent']
notes:
  - Supports check mode and diff mode.
  - Needs C(ecs:DescribeServices), C(ecs:CreateService), C(ecs:UpdateService), C(ecs:DeleteService),
    C(ecs:ListTagsForResource), C(ecs:TagResource), C(ecs:UntagResource) and C(iam:PassRole) for the roles the
    task definition names.
seealso:
  - module: community.aws.ecs_service
  - module: canary.ecs.ecs_deployment
  - module: canary.ecs.ecs_cluster
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The blue target group the service starts behind
  community.aws.elb_target_group_info:
    names: [checkout-blue]
  register: blue

- name: The subnets of its VPC
  amazon.aws.ec2_vpc_subnet_info:
    filters:
      vpc-id: "{{ blue.target_groups[0].vpc_id }}"
  register: subnets

- name: A service that CodeDeploy releases, behind the blue target group
  canary.ecs.ecs_service:
    name: checkout
    cluster: checkout
    task_definition: checkout-app:1
    desired_count: 2
    deployment_controller: CODE_DEPLOY
    load_balancers:
      - target_group_arn: "{{ blue.target_groups[0].target_group_arn }}"
        container_name: web
        container_port: 80
    network_configuration:
      subnets: "{{ subnets.subnets | map(attribute='subnet_id') | list }}"
    health_check_grace_period_seconds: 60
    tags:
      canary-ecs:stack: checkout
  register: service

- name: The green target group, for ECS's own blue/green, linear and canary deployments
  community.aws.elb_target_group_info:
    names: [checkout-green]
  register: green

- name: A listener with the rule ECS moves the weights of (blue 100, green 0 at creation)
  canary.ecs.elb_listener:
    load_balancer_name: checkout-alb
    port: 8081
    target_group_name: checkout-blue
    weighted_rule:
      alternate_target_group_name: checkout-green
  register: production

- name: The role ECS moves the rule with
  canary.ecs.iam_service_role:
    name: checkout-ecs-infrastructure
    trusted_services: [ecs.amazonaws.com]
    managed_policies: [arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers]
  register: ecs_infrastructure_role

- name: A service ECS releases itself, 10% canary for 15 minutes, rolled back by its alarm, paused for approval
  canary.ecs.ecs_service:
    name: orders
    cluster: checkout
    task_definition: checkout-app:1
    desired_count: 2
    deployment_controller: ECS
    deployment_strategy: CANARY
    canary:
      percent: 10
      bake_minutes: 15
    bake_minutes: 5
    deployment_alarms:
      names: [checkout-canary-5xx]
    pause_hooks:
      - stages: [POST_TEST_TRAFFIC_SHIFT]
        timeout_minutes: 60
    load_balancers:
      - target_group_arn: "{{ blue.target_groups[0].target_group_arn }}"
        alternate_target_group_arn: "{{ green.target_groups[0].target_group_arn }}"
        production_listener_rule_arn: "{{ production.rule.rule_arn }}"
        role_arn: "{{ ecs_infrastructure_role.role.arn }}"
        container_name: web
        container_port: 80
    network_configuration:
      subnets: "{{ subnets.subnets | map(attribute='subnet_id') | list }}"

- name: Scale it
  canary.ecs.ecs_service:
    name: checkout
    cluster: checkout
    desired_count: 4
    deployment_controller: CODE_DEPLOY

- name: Delete it with its tasks
  canary.ecs.ecs_service:
    name: checkout
    cluster: checkout
    force_deletion: true
    state: absent
"""

RETURN = r"""
service:
  description:
    - The service (without its event log); empty when O(state=absent) found nothing to delete, the deleted service
      after a deletion. In check mode, before creation, what the module would create.
  returned: always
  type: dict
  contains:
    service_name:
      description: Name of the service.
      type: str
      sample: checkout
    service_arn:
      description: ARN of the service (missing in check mode before creation).
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:service/checkout/checkout
    status:
      description: Status of the service.
      type: str
      sample: ACTIVE
    task_definition:
      description: The service's task definition (a release changes it; under CODE_DEPLOY the primary task set's is live).
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:task-definition/checkout:3
    desired_count:
      description: Tasks the service wants.
      type: int
      sample: 2
    deployment_controller:
      description: The deployment controller.
      type: dict
      sample: {"type": "CODE_DEPLOY"}
    deployment_configuration:
      description: The deployment configuration (with ECS's own strategies - the strategy and its settings).
      type: dict
      sample: {"strategy": "CANARY", "bake_time_in_minutes": 5, "canary_configuration": {"canary_percent": 10.0, "canary_bake_time_in_minutes": 15}}
    load_balancers:
      description: The service's load balancers.
      type: list
      elements: dict
      sample: [{"target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/checkout-blue/0123456789abcdef",
                "container_name": "web", "container_port": 80}]
    tags:
      description: The service's tags (keys as given, not converted to snake_case).
      type: dict
      sample: {"canary-ecs:stack": "checkout"}
msg:
  description: What was deleted.
  returned: when O(state=absent) and the service existed
  type: str
  sample: Deleted ECS service checkout in cluster checkout
"""

from ansible_collections.canary.ecs.plugins.module_utils._ecs.service import PAUSE_STAGES, ensure_service_absent, ensure_service_present
from ansible_collections.canary.ecs.plugins.module_utils.modules import resource_options, run_resource_module


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["service"]),
        cluster=dict(type="str", required=True),
        task_definition=dict(type="str"),
        desired_count=dict(type="int"),
        launch_type=dict(type="str", default="FARGATE", choices=["FARGATE", "EC2", "EXTERNAL"]),
        deployment_controller=dict(type="str", default="ECS", choices=["ECS", "CODE_DEPLOY", "EXTERNAL"]),
        load_balancers=dict(
            type="list",
            elements="dict",
            options=dict(
                target_group_arn=dict(type="str", required=True),
                container_name=dict(type="str", required=True),
                container_port=dict(type="int", required=True),
                alternate_target_group_arn=dict(type="str"),
                production_listener_rule_arn=dict(type="str"),
                test_listener_rule_arn=dict(type="str"),
                role_arn=dict(type="str"),
            ),
        ),
        deployment_strategy=dict(type="str", choices=["ROLLING", "BLUE_GREEN", "LINEAR", "CANARY"]),
        canary=dict(type="dict", options=dict(percent=dict(type="float"), bake_minutes=dict(type="int"))),
        linear=dict(type="dict", options=dict(step_percent=dict(type="float"), step_bake_minutes=dict(type="int"))),
        bake_minutes=dict(type="int"),
        deployment_alarms=dict(type="dict", options=dict(names=dict(type="list", elements="str", required=True), rollback=dict(type="bool", default=True))),
        pause_hooks=dict(
            type="list",
            elements="dict",
            options=dict(
                stages=dict(type="list", elements="str", required=True, choices=list(PAUSE_STAGES)),
                timeout_minutes=dict(type="int", default=1440),
                timeout_action=dict(type="str", default="ROLLBACK", choices=["ROLLBACK", "CONTINUE"]),
            ),
        ),
        network_configuration=dict(
            type="dict",
            options=dict(
                subnets=dict(type="list", elements="str", required=True),
                security_groups=dict(type="list", elements="str"),
                assign_public_ip=dict(type="bool", default=False),
            ),
        ),
        health_check_grace_period_seconds=dict(type="int"),
        propagate_tags=dict(type="str", default="SERVICE", choices=["SERVICE", "TASK_DEFINITION", "NONE"]),
        force_deletion=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
    )
    argument_spec.update(resource_options())
    run_resource_module(argument_spec, ensure_service_present, ensure_service_absent, "ecs")


if __name__ == "__main__":
    main()
