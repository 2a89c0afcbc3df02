#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatch_alarm_tags
short_description: Read or set the tags of a CloudWatch alarm
version_added: 0.1.0
description:
  - Reads the tags of a CloudWatch metric or composite alarm, and with I(tags) makes them match.
  - M(amazon.aws.cloudwatch_metric_alarm) (10.x) creates alarms without tags. canary.ecs tags every resource it
    creates with its stack, and its cleanup removes only what carries that tag, so the alarms need this module.
  - Without I(tags) the module only reads, which is how a cleanup checks ownership before deleting an alarm.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  alarm_name:
    description:
      - Name of the alarm.
    type: str
    required: true
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

- name: Read the tags before deleting the alarm
  canary.ecs.cloudwatch_alarm_tags:
    alarm_name: canary-Canary-5XX-Error-Alarm-blue
  register: alarm

- name: Delete it only when this stack owns it
  amazon.aws.cloudwatch_metric_alarm:
    name: canary-Canary-5XX-Error-Alarm-blue
    state: absent
  when: alarm.exists and alarm.tags['canary-ecs:stack'] | default('') == 'canary'
"""

RETURN = r"""
exists:
  description: Whether the alarm exists.
  returned: always
  type: bool
  sample: true
alarm_name:
  description: Name of the alarm.
  returned: always
  type: str
  sample: canary-Canary-5XX-Error-Alarm-blue
alarm_arn:
  description: ARN of the alarm.
  returned: when the alarm exists
  type: str
  sample: arn:aws:cloudwatch:us-east-1:123456789012:alarm:canary-Canary-5XX-Error-Alarm-blue
tags:
  description: The alarm's tags after the run (in check mode, the tags it would have).
  returned: always
  type: dict
  sample: {"canary-ecs:stack": "canary"}
"""

from functools import partial

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.canary.ecs.plugins.module_utils.common import retry_decorator
from ansible_collections.canary.ecs.plugins.module_utils.modules import AnsibleCanaryECSModule
from ansible_collections.canary.ecs.plugins.module_utils.tags import apply_tag_changes, reconcile_tags, tags_diff


def find_alarm_arn(module, client, name):
    try:
        found = client.describe_alarms(aws_retry=True, AlarmNames=[name], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    except Exception as error:  # pylint: disable=broad-except
        module.fail_json_aws(error, msg="Could not describe alarm %s" % name)
    alarms = found.get("MetricAlarms", []) + found.get("CompositeAlarms", [])
    return alarms[0]["AlarmArn"] if alarms else None


def read_tags(module, client, arn):
    try:
        return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(aws_retry=True, ResourceARN=arn)["Tags"])
    except Exception as error:  # pylint: disable=broad-except
        module.fail_json_aws(error, msg="Could not read the tags of alarm %s" % arn)


def apply_tags(module, client, arn, to_set, to_remove):
    try:
        apply_tag_changes(
            to_set, to_remove, partial(client.untag_resource, aws_retry=True, ResourceARN=arn), partial(client.tag_resource, aws_retry=True, ResourceARN=arn)
        )
    except Exception as error:  # pylint: disable=broad-except
        module.fail_json_aws(error, msg="Could not update the tags of alarm %s" % arn)


def main():
    module = AnsibleCanaryECSModule(
        argument_spec=dict(
            alarm_name=dict(type="str", required=True),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    name = module.params["alarm_name"]
    desired = module.params["tags"]
    client = module.client("cloudwatch", retry_decorator=retry_decorator("cloudwatch"))

    arn = find_alarm_arn(module, client, name)
    if arn is None:
        if desired is not None and module.check_mode:
            # An earlier task of the same check-mode run would have created it.
            module.exit_json(changed=True, exists=False, alarm_name=name, tags=desired, diff=tags_diff({}, desired))
        if desired is not None:
            module.fail_json(msg="Alarm %s does not exist: create it first (amazon.aws.cloudwatch_metric_alarm), then tag it." % name)
        module.exit_json(changed=False, exists=False, alarm_name=name, tags={})

    current = read_tags(module, client, arn)
    if desired is None:
        module.exit_json(changed=False, exists=True, alarm_name=name, alarm_arn=arn, tags=current)

    changed, after = reconcile_tags(
        module.check_mode,
        current,
        desired,
        module.params["purge_tags"],
        lambda to_set, to_remove: apply_tags(module, client, arn, to_set, to_remove),
        lambda: read_tags(module, client, arn),
    )
    result = dict(changed=changed, exists=True, alarm_name=name, alarm_arn=arn, tags=after)
    if changed:
        result["diff"] = tags_diff(current, after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
