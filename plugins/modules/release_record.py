#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: release_record
short_description: Write the audit record of a canary release, with an HTML report
version_added: 0.3.0
description:
  - Keeps the record of one release of M(canary.ecs.ecs_deployment) that change management asks for (SOC 2 CC8.1, SOX change
    control) what changed (service, image, task definition before and after, deployment config, environment variable names),
    who started, approved or stopped it (the caller's ARN from STS), why (a change reference and the description), when
    (creation, each phase, end), every alarm transition and judge verdict with its numbers, the traffic timeline, and how it
    ended (the outcome, and the rollback reason).
  - One JSON file per deployment in O(directory) (C(<deployment id>.json)), merged with what earlier runs of the same release
    wrote (a start, an attach after an interruption, an approval, a stop each add their run), and beside it a self-contained
    HTML report (C(<deployment id>.html)) with a timeline picture. Optionally each write is also appended, whole, to a
    CloudWatch Logs stream (O(log_group)), the durable copy.
  - M(canary.ecs.ecs_deployment) runs this module itself at the end of each of its runs when given its C(record) option, so
    a playbook rarely calls it; use it to write a record made elsewhere (the RV(canary.ecs.ecs_deployment#module:release_record) of a registered result).
  - Secret values are never recorded; M(canary.ecs.ecs_deployment) records the names of O(canary.ecs.ecs_deployment#module:secret_environment) only.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  record:
    description:
      - The release record of one run, as RV(canary.ecs.ecs_deployment#module:release_record) returns it.
    type: dict
    required: true
  directory:
    description:
      - Directory of the record files (created when missing). At least one of O(directory), O(log_group) and O(s3_bucket) is needed.
    type: path
  report:
    description:
      - Also write the HTML report beside the record file.
    type: bool
    default: true
  log_group:
    description:
      - CloudWatch Logs group that each write of the record is appended to, one event holding the whole record as JSON
        (the timeline is left out of an event over the 256 KiB CloudWatch Logs allows; the file keeps it). Created when missing.
    type: str
  log_stream:
    description:
      - Stream of O(log_group). Defaults to the service's name.
    type: str
  s3_bucket:
    description:
      - S3 bucket that holds a copy of the record, one object per release (C(<s3_prefix><service>/<deployment id>.json)),
        replaced by each write; version the bucket to keep every write. Without O(directory), the object is the record
        so far that a new run is merged into.
    type: str
  s3_prefix:
    description:
      - Key prefix of the records in O(s3_bucket).
    type: str
    default: release-records/
  metrics:
    description:
      - Once the release ended, read the requests and 5xx errors of each version per minute (one C(GetMetricData) call) for the
        record and the report's picture.
    type: bool
    default: true
notes:
  - Supports check mode (reports what would be written, writes nothing).
  - Without O(directory), every run appends to the log stream (there is no earlier record to compare with).
  - Needs C(sts:GetCallerIdentity); with O(metrics), C(elasticloadbalancing:DescribeTargetGroups), C(cloudwatch:GetMetricData) and
    C(codedeploy:GetDeploymentGroup) (the original version's target group, when the release did not see it);
    with O(log_group), C(logs:PutLogEvents), and C(logs:CreateLogGroup) and C(logs:CreateLogStream) the first time; with
    O(s3_bucket), C(s3:GetObject) and C(s3:PutObject).
seealso:
  - module: canary.ecs.ecs_deployment
  - module: canary.ecs.release_record_info
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Release, keeping the record and its report in ./release-records (ecs_deployment writes it)
  canary.ecs.ecs_deployment:
    cluster: canary-cluster
    service: canary-canary-app-service
    image_tag: v4
    record:
      directory: "{{ playbook_dir }}/release-records"
      change_ref: CHG-1234
      log_group: /canary-ecs/releases
  register: release

- name: Keep a second copy of the record, without the report
  canary.ecs.release_record:
    record: "{{ release.release_record }}"
    directory: "{{ playbook_dir }}/audit-copy"
    report: false
"""

RETURN = r"""
record:
  description: The record as written (merged with the earlier runs' record of the same deployment).
  returned: always
  type: dict
  contains:
    schema:
      description: C(canary.ecs/release-record/1).
      type: str
    deployment_id:
      description: The deployment.
      type: str
    backend:
      description: C(codedeploy).
      type: str
    service:
      description: cluster, service, application_name, deployment_group_name.
      type: dict
    change:
      description: change_ref and description.
      type: dict
    release:
      description: container, image, image_tag, image_digest, task_definition_before, task_definition_after,
        deployment_config_name, environment (values), secret_environment_names (names only).
      type: dict
    created:
      description: When the deployment was created (ISO 8601, UTC).
      type: str
    ended:
      description: When it ended, null while in flight.
      type: str
    status:
      description: The deployment's status at the last write.
      type: str
    runs:
      description: Each run of the release (action started, attached, followed, approved or stopped; at; by, the caller's ARN; failed; message).
      type: list
      elements: dict
    approvals:
      description: Each approval (at, by, wait_type).
      type: list
      elements: dict
    timeline:
      description:
        - Everything seen, in time order (kind status, traffic, alarm, judge, startup or rollback; at; message; traffic_share ...).
        - A traffic step of the plan that began and ended between two looks has C(between_looks) true, at the moment the plan puts it.
      type: list
      elements: dict
    outcome:
      description: How it ended, as M(canary.ecs.ecs_deployment) reports it, with rollback_reason when rolled back.
      type: dict
    metrics:
      description: Per minute requests and errors of the new and old versions (at, requests, errors), once ended.
      type: dict
    summary:
      description: The record in one listing line (what M(canary.ecs.release_record_info) returns).
      type: dict
path:
  description: The record file, null without O(directory).
  returned: always
  type: str
  sample: /srv/audit/releases/d-ABCDEF123.json
report_path:
  description: The HTML report, null when not written.
  returned: always
  type: str
  sample: /srv/audit/releases/d-ABCDEF123.html
log_group:
  description: The log group appended to, or null.
  returned: always
  type: str
log_stream:
  description: The log stream appended to, or null.
  returned: always
  type: str
s3_bucket:
  description: The bucket of the record's S3 copy, or null.
  returned: always
  type: str
s3_key:
  description: The key of the record's S3 copy, or null.
  returned: always
  type: str
  sample: release-records/canary-canary-app-service/d-ABCDEF123.json
"""

from ansible_collections.canary.ecs.plugins.module_utils._record.save import save, store_options
from ansible_collections.canary.ecs.plugins.module_utils._release.context import metric_time, real_time
from ansible_collections.canary.ecs.plugins.module_utils.common import Clients, run_module
from ansible_collections.canary.ecs.plugins.module_utils.modules import AnsibleCanaryECSModule


def main():
    argument_spec = dict(store_options(), record=dict(type="dict", required=True))
    module = AnsibleCanaryECSModule(argument_spec=argument_spec, supports_check_mode=True)
    settings = dict((key, module.params[key]) for key in store_options())
    clock = (metric_time(module), real_time(module))
    run_module(module, save, Clients(module), settings, module.params["record"], clock, module.check_mode)


if __name__ == "__main__":
    main()
