#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_deployment_info
short_description: Status and history of the blue/green deployments of an Amazon ECS service
version_added: 0.1.0
description:
  - Reports what an ECS service under the C(CODE_DEPLOY) controller runs (the live task definition
    and image), the deployment in flight with its progress (phase, traffic share on the new version,
    alarm states), the state of the deployment group's alarms, and the latest deployments with how
    each ended (succeeded, or failed and rolled back, and why).
  - The deployment group is found from the service unless given.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  cluster:
    description:
      - Name or ARN of the ECS cluster of the service.
    type: str
    required: true
  service:
    description:
      - Name or ARN of the ECS service.
    type: str
    required: true
  backend:
    description:
      - Who releases the service - V(codedeploy) (its deployment group's deployments), V(ecs) (ECS's own service
        deployments, whose ids are service deployment ARNs) or V(auto) (V(ecs) for a service with the ECS controller and
        a BLUE_GREEN, LINEAR or CANARY strategy, else V(codedeploy)).
    type: str
    default: auto
    choices: ['auto', 'codedeploy', 'ecs']
    version_added: 0.3.0
  container:
    description:
      - Container whose image is reported as RV(live_image). Defaults to the one behind the load balancer.
    type: str
  application_name:
    description:
      - CodeDeploy application of the deployment group. Found from the service when not given.
    type: str
  deployment_group_name:
    description:
      - CodeDeploy deployment group of the service. Found from the service when not given; needs O(application_name).
    type: str
  deployment_id:
    description:
      - Report on this deployment only.
    type: str
  max_deployments:
    description:
      - How many of the latest deployments to report.
    type: int
    default: 10
notes:
  - Read-only; supports check mode.
  - Needs C(ecs:DescribeServices), C(ecs:DescribeTaskDefinition), C(codedeploy:ListApplications), C(codedeploy:BatchGetApplications),
    C(codedeploy:ListDeploymentGroups), C(codedeploy:BatchGetDeploymentGroups), C(codedeploy:GetDeploymentGroup),
    C(codedeploy:ListDeployments), C(codedeploy:BatchGetDeployments), C(codedeploy:GetDeployment),
    C(codedeploy:BatchGetDeploymentTargets), C(cloudwatch:DescribeAlarms), and for an ECR image pinned by digest C(ecr:DescribeImages).
seealso:
  - module: canary.ecs.ecs_deployment
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: What runs, what is in flight, and the last five releases
  canary.ecs.ecs_deployment_info:
    cluster: canary-cluster
    service: canary-canary-app-service
    max_deployments: 5
  register: status

- name: Show the live version and the release in flight
  ansible.builtin.debug:
    msg: "{{ status.live_version }} is live; in flight: {{ status.in_flight.line | default('nothing') }}"
"""

RETURN = r"""
application_name:
  description: CodeDeploy application of the deployment group.
  returned: always
  type: str
  sample: canary-app
deployment_group_name:
  description: CodeDeploy deployment group of the service.
  returned: always
  type: str
  sample: canary-app-dg
deployment_config_name:
  description: The group's deployment config.
  returned: always
  type: str
  sample: CodeDeployDefault.ECSCanary10Percent15Minutes
live_task_definition_arn:
  description: The task definition serving production (the primary task set's).
  returned: always
  type: str
  sample: arn:aws:ecs:us-east-1:123456789012:task-definition/canary-app:7
live_image:
  description: The image of the load-balanced container (or O(container)) in the live task definition.
  returned: always
  type: str
  sample: canary-app:v2
live_version:
  description: The tag of RV(live_image); for an ECR image pinned by digest, its tag in ECR; else a short digest.
  returned: always
  type: str
  sample: v2
alarms:
  description: State of each alarm of the deployment group, by name (state, updated, reason).
  returned: always
  type: dict
  sample: {"Canary-5XX-Error-Alarm": {"state": "OK", "updated": "2026-11-26T06:00:00.00Z", "reason": "Threshold Crossed"}}
in_flight:
  description: The deployment in flight with its progress, or null.
  returned: always
  type: dict
  contains:
    deployment_id:
      description: Its id.
      type: str
    status:
      description: CodeDeploy status.
      type: str
    progress:
      description: Phase, traffic share on the new version, alarm states, elapsed and remaining seconds.
      type: dict
    task_sets:
      description: The original (Blue) and replacement (Green) task sets with traffic weights and counts.
      type: list
      elements: dict
    line:
      description: The progress in one line, as the ecs_deployment action plugin prints it.
      type: str
deployments:
  description: The latest deployments, newest first.
  returned: always
  type: list
  elements: dict
  contains:
    deployment_id:
      description: Its id.
      type: str
    status:
      description: CodeDeploy status.
      type: str
    create_time:
      description: When it was created (ISO 8601, UTC).
      type: str
    complete_time:
      description: When it ended (ISO 8601, UTC).
      type: str
    task_definition_arn:
      description: The task definition it released.
      type: str
    rolled_back:
      description: Whether traffic went back to the original task set.
      type: bool
    error_code:
      description: CodeDeploy's error code (ALARM_ACTIVE, MANUAL_STOP, ...).
      type: str
    error_message:
      description: CodeDeploy's error message.
      type: str
    rollback_deployment_id:
      description: The deployment that rolled it back.
      type: str
    creator:
      description: user, or codeDeployRollback for a rollback deployment.
      type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.canary.ecs.plugins.module_utils._release.history import report
from ansible_collections.canary.ecs.plugins.module_utils.modules import AnsibleCanaryECSModule


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        service=dict(type="str", required=True),
        backend=dict(type="str", default="auto", choices=["auto", "codedeploy", "ecs"]),
        container=dict(type="str"),
        application_name=dict(type="str"),
        deployment_group_name=dict(type="str"),
        deployment_id=dict(type="str"),
        max_deployments=dict(type="int", default=10),
    )
    module = AnsibleCanaryECSModule(argument_spec=argument_spec, required_by={"deployment_group_name": ("application_name",)}, supports_check_mode=True)
    if module.params["max_deployments"] < 1:
        module.fail_json(msg="max_deployments must be at least 1.")
    try:
        result = report(module)
    except AnsibleAWSError as error:
        module.fail_json_aws_error(error)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
