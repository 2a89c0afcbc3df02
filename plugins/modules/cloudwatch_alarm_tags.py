#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatch_alarm_tags
short_description: Read or set the tags of CloudWatch alarms
version_added: 0.1.0
description:
  - Reads the tags of CloudWatch metric or composite alarms, and with O(tags) makes them match.
  - M(amazon.aws.cloudwatch_metric_alarm) (10.x) creates alarms without tags. canary.ecs tags every resource it
    creates with its stack, and its cleanup removes only what carries that tag, so the alarms need this module.
  - Without O(tags) the module only reads, which is how a cleanup checks ownership before deleting an alarm.
  - With O(alarm_names), one run handles many alarms (one DescribeAlarms call a hundred names instead of a task
    per alarm); with tags given, it fails before changing any tag when one of them does not exist.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  alarm_name:
    description:
      - Name of the alarm. The result has its fields at the top level.
      - Exactly one of O(alarm_name) and O(alarm_names) is required.
    type: str
  alarm_names:
    description:
      - Names of several alarms, read (and with O(tags), tagged) in one run. The result lists them in RV(alarms),
        in this order.
      - Exactly one of O(alarm_name) and O(alarm_names) is required.
    type: list
    elements: str
    version_added: 0.3.0
  tags:
    description:
      - The tags every alarm named should have. Without it, the module only reads.
  purge_tags:
    description:
      - Whether tags not in O(tags) are removed.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Tag an alarm with its stack
  canary.ecs.cloudwatch_alarm_tags:
    alarm_name: canary-Canary-5XX-Error-Alarm-blue
    tags:
      canary-ecs:stack: canary
    purge_tags: false

- name: Tag every alarm of the stack in one task
  canary.ecs.cloudwatch_alarm_tags:
    alarm_names:
      - canary-Canary-5XX-Error-Alarm-blue
      - canary-Canary-5XX-Error-Alarm-green
    tags:
      canary-ecs:stack: canary
    purge_tags: false

- name: Read the tags before deleting the alarm
  canary.ecs.cloudwatch_alarm_tags:
    alarm_name: canary-Canary-5XX-Error-Alarm-blue
  register: alarm

- name: Delete it only when this stack owns it
  amazon.aws.cloudwatch_metric_alarm:
    name: canary-Canary-5XX-Error-Alarm-blue
    state: absent
  when: alarm.exists and alarm.tags['canary-ecs:stack'] | default('') == 'canary'

- name: Read the tags of several alarms
  canary.ecs.cloudwatch_alarm_tags:
    alarm_names:
      - canary-Canary-5XX-Error-Alarm-blue
      - canary-Canary-5XX-Error-Alarm-green
  register: found

- name: The names of those this stack owns
  ansible.builtin.debug:
    msg: "{{ found.alarms | selectattr('exists') | selectattr('tags.canary-ecs:stack', 'defined')
             | selectattr('tags.canary-ecs:stack', 'equalto', 'canary') | map(attribute='alarm_name') | list }}"
"""

RETURN = r"""
exists:
  description: Whether the alarm exists.
  returned: with O(alarm_name)
  type: bool
  sample: true
alarm_name:
  description: Name of the alarm.
  returned: with O(alarm_name)
  type: str
  sample: canary-Canary-5XX-Error-Alarm-blue
alarm_arn:
  description: ARN of the alarm.
  returned: with O(alarm_name), when the alarm exists
  type: str
  sample: arn:aws:cloudwatch:us-east-1:123456789012:alarm:canary-Canary-5XX-Error-Alarm-blue
tags:
  description: The alarm's tags after the run (in check mode, the tags it would have).
  returned: with O(alarm_name)
  type: dict
  sample: {"canary-ecs:stack": "canary"}
alarms:
  description: Each alarm of O(alarm_names), in that order.
  returned: with O(alarm_names)
  type: list
  elements: dict
  contains:
    alarm_name:
      description: Name of the alarm.
      type: str
      returned: always
      sample: canary-Canary-5XX-Error-Alarm-green
    exists:
      description: Whether the alarm exists.
      type: bool
      returned: always
      sample: true
    alarm_arn:
      description: ARN of the alarm.
      type: str
      returned: when the alarm exists
      sample: arn:aws:cloudwatch:us-east-1:123456789012:alarm:canary-Canary-5XX-Error-Alarm-green
    tags:
      description: The alarm's tags after the run (in check mode, the tags it would have).
      type: dict
      returned: always
      sample: {"canary-ecs:stack": "canary"}
    changed:
      description: Whether this alarm's tags were (in check mode, would be) changed.
      type: bool
      returned: always
      sample: false
"""

from ansible_collections.canary.ecs.plugins.module_utils._cloudwatch.alarm_tags import ensure
from ansible_collections.canary.ecs.plugins.module_utils.common import Clients, run_module
from ansible_collections.canary.ecs.plugins.module_utils.modules import AnsibleCanaryECSModule


def main():
    module = AnsibleCanaryECSModule(
        argument_spec=dict(
            alarm_name=dict(type="str"),
            alarm_names=dict(type="list", elements="str"),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        mutually_exclusive=[("alarm_name", "alarm_names")],
        required_one_of=[("alarm_name", "alarm_names")],
        supports_check_mode=True,
    )
    run_module(module, ensure, module, Clients(module)("cloudwatch"))


if __name__ == "__main__":
    main()
