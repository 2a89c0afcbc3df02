#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: codedeploy_deployment_group
short_description: Manage AWS CodeDeploy blue/green deployment groups for Amazon ECS services
version_added: 0.1.0
description:
  - Create, update and delete the CodeDeploy deployment group of an ECS service that uses the
    C(CODE_DEPLOY) deployment controller. It holds which service, the blue/green target group pair, the
    production and test listeners, the service role, how traffic shifts (the deployment config),
    the CloudWatch alarms that stop a deployment, automatic rollback, when traffic is rerouted,
    how long the original task set is kept, SNS triggers and tags.
  - Options left out are left as they are on an existing group. Each given option is compared
    with the group and only the settings that differ are sent, in one update call; a run with
    nothing to change makes no write call and reports RV(ignore:changed=false).
  - Every name given (target groups, load balancer and listener port, role, ECS service, alarms,
    deployment config) is checked before anything is written; a wrong one fails with a message
    naming the option.
  - The deployment style is always blue/green with traffic control, the only one CodeDeploy allows for ECS.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  application_name:
    description:
      - Name of the CodeDeploy application (of the C(ECS) compute platform) the group belongs to.
      - The application must exist; see M(canary.ecs.codedeploy_application).
    type: str
    required: true
    version_added: 0.1.0
  name:
    description:
      - Name of the deployment group.
    type: str
    required: true
    aliases: ['deployment_group_name']
    version_added: 0.1.0
  state:
    description:
      - V(present) creates or updates the group; V(absent) deletes it.
    type: str
    default: present
    choices: ['present', 'absent']
    version_added: 0.1.0
  cluster:
    description:
      - Name or ARN of the ECS cluster of the service. Required to create a group; given together with O(service).
    type: str
    version_added: 0.1.0
  service:
    description:
      - Name or ARN of the ECS service to deploy. It must use the C(CODE_DEPLOY) deployment controller.
      - Required to create a group; given together with O(cluster).
    type: str
    version_added: 0.1.0
  service_role:
    description:
      - Name or ARN of the IAM role CodeDeploy uses to change the service, the listeners and the task sets
        (trusting C(codedeploy.amazonaws.com), usually with the C(AWSCodeDeployRoleForECS) managed policy).
      - A name is looked up in IAM; an ARN is used as given.
      - Required to create a group.
    type: str
    version_added: 0.1.0
  deployment_config_name:
    description:
      - How traffic shifts during a deployment, for example V(CodeDeployDefault.ECSCanary10Percent5Minutes)
        or a custom config made with M(canary.ecs.codedeploy_deployment_config).
      - A new group without it uses V(CodeDeployDefault.ECSAllAtOnce).
    type: str
    version_added: 0.1.0
  target_groups:
    description:
      - The blue/green pair, exactly two target groups, each by name or ARN. The first is the one the
        production listener serves when the group is created.
      - Required to create a group.
    type: list
    elements: str
    version_added: 0.1.0
  production_listener:
    description:
      - The listener that serves production traffic, by O(production_listener.arn) or by
        O(production_listener.load_balancer) and O(production_listener.port).
      - Required to create a group.
    type: dict
    version_added: 0.1.0
    suboptions:
      arn:
        description: ARN of the listener.
        type: str
        version_added: 0.1.0
      load_balancer:
        description: Name of the load balancer; the listener is the one on O(production_listener.port).
        type: str
        version_added: 0.1.0
      port:
        description: Port of the listener on O(production_listener.load_balancer).
        type: int
        version_added: 0.1.0
  test_listener:
    description:
      - An optional listener that sends test traffic to the new task set before production traffic moves,
        by O(test_listener.arn) or by O(test_listener.load_balancer) and O(test_listener.port).
      - An empty dict (V({})) removes the test listener from the group.
    type: dict
    version_added: 0.1.0
    suboptions:
      arn:
        description: ARN of the listener.
        type: str
        version_added: 0.1.0
      load_balancer:
        description: Name of the load balancer; the listener is the one on O(test_listener.port).
        type: str
        version_added: 0.1.0
      port:
        description: Port of the listener on O(test_listener.load_balancer).
        type: int
        version_added: 0.1.0
  alarms:
    description:
      - CloudWatch alarms that stop a deployment when one of them is in the C(ALARM) state.
      - Suboptions left out keep their current value on an existing group.
    type: dict
    version_added: 0.1.0
    suboptions:
      names:
        description:
          - Names of the alarms (at most 10). Each must exist. An empty list removes all alarms.
        type: list
        elements: str
        version_added: 0.1.0
      enabled:
        description:
          - Whether the alarms are watched. When left out it is V(true) if the group has alarm names, else V(false).
        type: bool
        version_added: 0.1.0
      ignore_poll_alarm_failure:
        description:
          - Whether a deployment goes on when CodeDeploy cannot read the alarms' states.
          - A new group without it uses V(false).
        type: bool
        version_added: 0.1.0
  auto_rollback:
    description:
      - Automatic rollback to the original task set.
      - Suboptions left out keep their current value on an existing group.
    type: dict
    version_added: 0.1.0
    suboptions:
      enabled:
        description:
          - Whether deployments roll back automatically. When left out it is V(true) if O(auto_rollback.events) is not empty.
        type: bool
        version_added: 0.1.0
      events:
        description:
          - The events that roll back a deployment.
        type: list
        elements: str
        choices: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST']
        version_added: 0.1.0
  deployment_ready:
    description:
      - When production traffic is rerouted to the new task set.
      - V(CONTINUE_DEPLOYMENT) reroutes at once. V(STOP_DEPLOYMENT) waits
        O(deployment_ready.wait_time_in_minutes) for someone to continue the deployment and stops it when nobody does.
      - A new group without it reroutes at once.
    type: dict
    version_added: 0.1.0
    suboptions:
      action_on_timeout:
        description:
          - V(CONTINUE_DEPLOYMENT) or V(STOP_DEPLOYMENT). When left out it is V(STOP_DEPLOYMENT) if
            O(deployment_ready.wait_time_in_minutes) is above 0, V(CONTINUE_DEPLOYMENT) if it is 0.
        type: str
        choices: ['CONTINUE_DEPLOYMENT', 'STOP_DEPLOYMENT']
        version_added: 0.1.0
      wait_time_in_minutes:
        description:
          - Minutes to wait for a manual continue (0 to 2880); only with V(STOP_DEPLOYMENT).
        type: int
        version_added: 0.1.0
  original_task_set_termination:
    description:
      - What happens to the original (blue) task set after a successful deployment.
      - A new group without it terminates the original task set after 5 minutes.
    type: dict
    version_added: 0.1.0
    suboptions:
      action:
        description:
          - V(TERMINATE) the original task set after O(original_task_set_termination.wait_time_in_minutes),
            or V(KEEP_ALIVE) to keep it.
        type: str
        choices: ['TERMINATE', 'KEEP_ALIVE']
        version_added: 0.1.0
      wait_time_in_minutes:
        description:
          - Minutes to keep the original task set before it is terminated (0 to 2880); it is where a
            rollback after the deployment goes back to.
        type: int
        version_added: 0.1.0
  triggers:
    description:
      - SNS notifications on deployment events. The list replaces the group's triggers; an empty list removes them all.
    type: list
    elements: dict
    version_added: 0.1.0
    suboptions:
      name:
        description: Name of the trigger, unique in the group.
        type: str
        required: true
        version_added: 0.1.0
      target_arn:
        description: ARN of the SNS topic notified.
        type: str
        required: true
        version_added: 0.1.0
      events:
        description: The events that notify the topic.
        type: list
        elements: str
        required: true
        choices: ['DeploymentStart', 'DeploymentSuccess', 'DeploymentFailure', 'DeploymentStop', 'DeploymentRollback', 'DeploymentReady']
        version_added: 0.1.0
notes:
  - Supports check mode and diff mode. Names are resolved in check mode too, so a wrong name fails the same way.
  - Needs C(codedeploy:GetApplication), C(codedeploy:GetDeploymentGroup), C(codedeploy:CreateDeploymentGroup),
    C(codedeploy:UpdateDeploymentGroup), C(codedeploy:DeleteDeploymentGroup), C(codedeploy:GetDeploymentConfig),
    the CodeDeploy tagging calls, C(elasticloadbalancing:DescribeTargetGroups), C(elasticloadbalancing:DescribeLoadBalancers),
    C(elasticloadbalancing:DescribeListeners), C(iam:GetRole) (for a role name), C(iam:PassRole), C(ecs:DescribeServices),
    C(cloudwatch:DescribeAlarms) and C(sts:GetCallerIdentity).
seealso:
  - module: canary.ecs.codedeploy_application
  - module: canary.ecs.codedeploy_deployment_config
  - module: canary.ecs.codedeploy_deployment_group_info
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Canary deployment group of an ECS service
  canary.ecs.codedeploy_deployment_group:
    application_name: checkout-app
    name: checkout-canary
    cluster: prod
    service: checkout
    service_role: codedeploy-ecs
    deployment_config_name: CodeDeployDefault.ECSCanary10Percent15Minutes
    target_groups:
      - checkout-blue
      - checkout-green
    production_listener:
      load_balancer: checkout-alb
      port: 80
    test_listener:
      load_balancer: checkout-alb
      port: 8080
    alarms:
      names:
        - checkout-canary-5xx
    auto_rollback:
      events:
        - DEPLOYMENT_FAILURE
        - DEPLOYMENT_STOP_ON_ALARM
    deployment_ready:
      action_on_timeout: CONTINUE_DEPLOYMENT
    original_task_set_termination:
      action: TERMINATE
      wait_time_in_minutes: 10
    tags:
      team: payments

- name: Wait for an approval before production traffic moves; leave the rest as it is
  canary.ecs.codedeploy_deployment_group:
    application_name: checkout-app
    name: checkout-canary
    deployment_ready:
      action_on_timeout: STOP_DEPLOYMENT
      wait_time_in_minutes: 60

- name: Remove the test listener
  canary.ecs.codedeploy_deployment_group:
    application_name: checkout-app
    name: checkout-canary
    test_listener: {}

- name: Delete the group
  canary.ecs.codedeploy_deployment_group:
    application_name: checkout-app
    name: checkout-canary
    state: absent
"""

RETURN = r"""
deployment_group:
  description:
    - The deployment group as CodeDeploy describes it, in snake_case. Empty when O(state=absent) found
      nothing to delete; the deleted group after a deletion. In check mode, the group as it would be.
  returned: always
  type: dict
  contains:
    application_name:
      description: The application of the group.
      type: str
      sample: checkout-app
    deployment_group_name:
      description: Name of the group.
      type: str
      sample: checkout-canary
    deployment_group_id:
      description: ID of the group (missing in check mode before creation).
      type: str
      sample: 3b1f6c2a-8d4e-4f0a-b7c9-5e2d1a0c6f84
    deployment_group_arn:
      description: ARN of the group.
      type: str
      sample: arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:checkout-app/checkout-canary
    compute_platform:
      description: Always V(ECS).
      type: str
      sample: ECS
    service_role_arn:
      description: ARN of the service role.
      type: str
      sample: arn:aws:iam::123456789012:role/codedeploy-ecs
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
      sample:
        target_group_pair_info_list:
          - target_groups: [{"name": "checkout-blue"}, {"name": "checkout-green"}]
            prod_traffic_route: {"listener_arns": ["arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/checkout-alb/0f1e/9a8b"]}
            test_traffic_route: {"listener_arns": ["arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/checkout-alb/0f1e/7c6d"]}
    alarm_configuration:
      description: The alarms watched during deployments.
      type: dict
      sample: {"enabled": true, "ignore_poll_alarm_failure": false, "alarms": [{"name": "checkout-canary-5xx"}]}
    auto_rollback_configuration:
      description: Automatic rollback.
      type: dict
      sample: {"enabled": true, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]}
    blue_green_deployment_configuration:
      description: When traffic is rerouted and what happens to the original task set.
      type: dict
      sample:
        deployment_ready_option: {"action_on_timeout": "CONTINUE_DEPLOYMENT", "wait_time_in_minutes": 0}
        terminate_blue_instances_on_deployment_success: {"action": "TERMINATE", "termination_wait_time_in_minutes": 10}
    deployment_style:
      description: Always blue/green with traffic control.
      type: dict
      sample: {"deployment_type": "BLUE_GREEN", "deployment_option": "WITH_TRAFFIC_CONTROL"}
    trigger_configurations:
      description: SNS triggers.
      type: list
      elements: dict
      sample: [{"trigger_name": "ops", "trigger_target_arn": "arn:aws:sns:us-east-1:123456789012:ops", "trigger_events": ["DeploymentFailure"]}]
    tags:
      description: The group's tags (keys as given, not converted to snake_case).
      type: dict
      sample: {"team": "payments"}
changed_settings:
  description: The settings an update changed (or would change in check mode), in snake_case.
  returned: when O(state=present) and the group existed
  type: list
  elements: str
  sample: ["alarm_configuration", "blue_green_deployment_configuration"]
"""

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.deployment_group import ensure_deployment_group_absent, ensure_deployment_group_present
from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.references import References
from ansible_collections.canary.ecs.plugins.module_utils.common import ArnBuilder, Clients, run_module
from ansible_collections.canary.ecs.plugins.module_utils.modules import AnsibleCanaryECSModule


def listener_options():
    return dict(arn=dict(type="str"), load_balancer=dict(type="str"), port=dict(type="int"))


def main():
    argument_spec = dict(
        application_name=dict(type="str", required=True),
        name=dict(type="str", required=True, aliases=["deployment_group_name"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        cluster=dict(type="str"),
        service=dict(type="str"),
        service_role=dict(type="str"),
        deployment_config_name=dict(type="str"),
        target_groups=dict(type="list", elements="str"),
        production_listener=dict(type="dict", options=listener_options()),
        test_listener=dict(type="dict", options=listener_options()),
        alarms=dict(
            type="dict",
            options=dict(
                names=dict(type="list", elements="str"),
                enabled=dict(type="bool"),
                ignore_poll_alarm_failure=dict(type="bool"),
            ),
        ),
        auto_rollback=dict(
            type="dict",
            options=dict(
                enabled=dict(type="bool"),
                events=dict(type="list", elements="str", choices=["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"]),
            ),
        ),
        deployment_ready=dict(
            type="dict",
            options=dict(
                action_on_timeout=dict(type="str", choices=["CONTINUE_DEPLOYMENT", "STOP_DEPLOYMENT"]),
                wait_time_in_minutes=dict(type="int"),
            ),
        ),
        original_task_set_termination=dict(
            type="dict",
            options=dict(
                action=dict(type="str", choices=["TERMINATE", "KEEP_ALIVE"]),
                wait_time_in_minutes=dict(type="int"),
            ),
        ),
        triggers=dict(
            type="list",
            elements="dict",
            options=dict(
                name=dict(type="str", required=True),
                target_arn=dict(type="str", required=True),
                events=dict(
                    type="list",
                    elements="str",
                    required=True,
                    choices=["DeploymentStart", "DeploymentSuccess", "DeploymentFailure", "DeploymentStop", "DeploymentRollback", "DeploymentReady"],
                ),
            ),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleCanaryECSModule(
        argument_spec=argument_spec,
        required_together=[("cluster", "service")],
        supports_check_mode=True,
    )
    clients = Clients(module)
    client = clients("codedeploy")
    arns = ArnBuilder(module)
    if module.params["state"] == "absent":
        run_module(module, ensure_deployment_group_absent, module, client, arns)
    else:
        references = References(clients)
        run_module(module, ensure_deployment_group_present, module, client, references, arns)


if __name__ == "__main__":
    main()
