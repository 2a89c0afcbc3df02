# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One run of ecs_deployment with its record: what the module's main does, and ecs_fleet_start for each release."""

import time

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.canary.ecs.plugins.module_utils._record.save import check_settings, record_run
from ansible_collections.canary.ecs.plugins.module_utils._release.context import metric_time, real_time
from ansible_collections.canary.ecs.plugins.module_utils._release.observe import iso
from ansible_collections.canary.ecs.plugins.module_utils._release.release import run
from ansible_collections.canary.ecs.plugins.module_utils.common import Clients


def run_recorded(module):
    """(result, failed) of release.run(module), its record written when asked; the result's `warnings` are the caller's
    to show. An AnsibleAWSError of the run itself propagates (nothing was recorded)."""
    params = module.params
    began = iso(time.time())
    if params["record"]:
        # before anything is released: a release whose record cannot be kept does not start
        check_settings(params["record"])
    result, failed = run(module)
    if params["record"] and result.get("deployment_id") and not module.check_mode:
        try:
            result.update(record_run(Clients(module), params, result, began, (metric_time(module), real_time(module))))
        except AnsibleAWSError as error:
            result["release_record_error"] = error.message
            result.setdefault("warnings", []).append("The release record of %s could not be written: %s" % (result["deployment_id"], error.message))
    return result, failed
