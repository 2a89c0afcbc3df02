#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: release_record_info
short_description: List the audit records of canary releases, filtered by service and time
version_added: 0.3.0
description:
  - Reads the release records that M(canary.ecs.ecs_deployment) (through M(canary.ecs.release_record)) keeps, from a
    directory of record files or from a CloudWatch Logs stream (the newest write of each deployment), and lists them oldest
    first, filtered by cluster, service, deployment and creation time; or from their S3 copies.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  directory:
    description:
      - Directory of the record files. One of O(directory), O(log_group) and O(s3_bucket) is needed.
    type: path
  log_group:
    description:
      - CloudWatch Logs group the records were appended to.
    type: str
  log_stream:
    description:
      - Stream of O(log_group) to read; needed with O(log_group).
    type: str
  s3_bucket:
    description:
      - S3 bucket the records were copied to.
    type: str
  s3_prefix:
    description:
      - Key prefix of the records in O(s3_bucket) (add the service's name and a C(/) to read one service's only).
    type: str
    default: release-records/
  cluster:
    description:
      - Only the records of services in this cluster.
    type: str
  service:
    description:
      - Only the records of this service.
    type: str
  deployment_id:
    description:
      - Only the record of this deployment.
    type: str
  since:
    description:
      - Only releases created at or after this moment (ISO 8601, e.g. V(2026-12-01) or V(2026-12-01T10:00:00Z)).
    type: str
  until:
    description:
      - Only releases created before this moment (ISO 8601).
    type: str
  details:
    description:
      - Return the whole records, not only their summaries.
    type: bool
    default: false
notes:
  - Read-only; supports check mode.
  - With O(log_group), needs C(logs:GetLogEvents); with O(s3_bucket), C(s3:ListBucket) and C(s3:GetObject).
seealso:
  - module: canary.ecs.release_record
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: This month's releases of one service
  canary.ecs.release_record_info:
    directory: "{{ playbook_dir }}/release-records"
    service: canary-canary-app-service
    since: "2026-12-01"
  register: releases

- name: The durable copy of one service's releases, whole
  canary.ecs.release_record_info:
    log_group: /canary-ecs/releases
    log_stream: canary-canary-app-service
    details: true
"""

RETURN = r"""
records:
  description: The records found, oldest first, as summaries (or whole with O(details)).
  returned: always
  type: list
  elements: dict
  contains:
    deployment_id:
      description: The deployment.
      type: str
    cluster:
      description: The service's cluster.
      type: str
    service:
      description: The service.
      type: str
    image:
      description: The image released.
      type: str
    change_ref:
      description: The change reference given with the release.
      type: str
    status:
      description: The deployment's status at the record's last write.
      type: str
    succeeded:
      description: Whether the release succeeded.
      type: bool
    rolled_back:
      description: Whether it was rolled back.
      type: bool
    started_by:
      description: The ARN of who started it (null when first recorded by an attach).
      type: str
    approved_by:
      description: The ARNs of who approved it.
      type: list
      elements: str
    created:
      description: When the deployment was created (ISO 8601, UTC).
      type: str
    ended:
      description: When it ended.
      type: str
"""

import datetime

from ansible_collections.canary.ecs.plugins.module_utils._record import build, store
from ansible_collections.canary.ecs.plugins.module_utils._release.observe import epoch
from ansible_collections.canary.ecs.plugins.module_utils.common import Clients, fail, run_module
from ansible_collections.canary.ecs.plugins.module_utils.modules import AnsibleCanaryECSModule


def _moment(option, value):
    """An ISO 8601 date or time as epoch seconds; a time without a zone is UTC."""
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        fail("%s must be an ISO 8601 date or time (2026-12-01 or 2026-12-01T10:00:00Z), got %r." % (option, value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def _wanted(params, since, until):
    def wanted(record):
        service = record.get("service") or {}
        created = epoch(record.get("created"))
        return (
            (not params["cluster"] or params["cluster"] in (service.get("cluster"), (service.get("cluster") or "").rsplit("/", 1)[-1]))
            and (not params["service"] or params["service"] in (service.get("service"), (service.get("service") or "").rsplit("/", 1)[-1]))
            and (not params["deployment_id"] or record.get("deployment_id") == params["deployment_id"])
            and (since is None or (created is not None and created >= since))
            and (until is None or (created is not None and created < until))
        )

    return wanted


def list_records(module):
    params = module.params
    since, until = _moment("since", params["since"]), _moment("until", params["until"])
    if params["directory"]:
        found = store.records(params["directory"])
    elif params["s3_bucket"]:
        found = store.s3_records(Clients(module)("s3"), params["s3_bucket"], params["s3_prefix"])
    else:
        found = store.logged(Clients(module)("logs"), params["log_group"], params["log_stream"])
    found = [record for record in found if _wanted(params, since, until)(record)]
    return {"changed": False, "records": found if params["details"] else [build.summary(record) for record in found]}


def main():
    argument_spec = dict(
        directory=dict(type="path"),
        log_group=dict(type="str"),
        log_stream=dict(type="str"),
        s3_bucket=dict(type="str"),
        s3_prefix=dict(type="str", default="release-records/"),
        cluster=dict(type="str"),
        service=dict(type="str"),
        deployment_id=dict(type="str"),
        since=dict(type="str"),
        until=dict(type="str"),
        details=dict(type="bool", default=False),
    )
    module = AnsibleCanaryECSModule(
        argument_spec=argument_spec,
        required_one_of=[("directory", "log_group", "s3_bucket")],
        mutually_exclusive=[("directory", "log_group", "s3_bucket")],
        required_together=[("log_group", "log_stream")],
        supports_check_mode=True,
    )
    run_module(module, list_records, module)


if __name__ == "__main__":
    main()
