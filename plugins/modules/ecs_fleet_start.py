#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_fleet_start
short_description: Start (or attach to) the canary releases of many Amazon ECS services in one module run
version_added: 0.3.0
description:
  - Starts each release of O(releases) as M(canary.ecs.ecs_deployment) with C(wait=false) starts one (preflight,
    image gate, the next task definition revision, the CodeDeploy deployment, the record), up to eight side by side
    in one module run with shared clients, instead of one module run each. M(canary.ecs.ecs_fleet_release) starts the
    releases of a fleet with it.
  - A release already in flight for the same revision is attached to; a service already running what is asked is
    reported as live; a release that cannot start fails alone, with M(canary.ecs.ecs_deployment)'s message, and
    the others still start.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  releases:
    description:
      - The releases to start, up to eight side by side; the results keep this order. Each is a dictionary of M(canary.ecs.ecs_deployment) options for a release
        (C(cluster), C(service), C(image_tag), C(environment), C(deployment_config_name), C(record), ...), checked as
        that module checks them. C(state) must be C(deployed) and C(wait) is always false.
    type: list
    elements: dict
    required: true
notes:
  - Supports check mode (each release reports what it would do, as M(canary.ecs.ecs_deployment) does in check mode).
  - Values of C(secret_environment) are never returned or logged.
seealso:
  - module: canary.ecs.ecs_fleet_release
  - module: canary.ecs.ecs_deployment
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Start two releases without waiting (canary.ecs.ecs_fleet_info looks at them)
  canary.ecs.ecs_fleet_start:
    releases:
      - {cluster: canary-cluster, service: canary-canary-app-service, image_tag: v3, deployment_config_name: CodeDeployDefault.ECSAllAtOnce}
      - {cluster: prod, service: checkout, application_name: checkout-app, deployment_group_name: checkout-canary, image_tag: v5}
  register: started

- name: Say which started
  ansible.builtin.debug:
    msg: "{{ started.results | map(attribute='msg') | list }}"
"""

RETURN = r"""
results:
  description:
    - What M(canary.ecs.ecs_deployment) with C(wait=false) returns for each release, in the order of O(releases)
      (C(deployment_id), C(attached), C(status), C(plan), C(alarm_names), C(version), C(observation), C(msg), ...).
    - A release that could not start has C(failed=true) and C(msg) saying why.
  returned: always
  type: list
  elements: dict
  sample: [{"deployment_id": "d-ABCDEF123", "status": "Created", "version": "2026.12", "msg": "Started deployment d-ABCDEF123 ..."},
           {"failed": true, "msg": "ECS service orders does not exist in cluster shop."}]
"""

import threading
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.canary.ecs.plugins.module_utils._release.options import ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_BY, problem
from ansible_collections.canary.ecs.plugins.module_utils._release.recorded import run_recorded
from ansible_collections.canary.ecs.plugins.module_utils.modules import AnsibleCanaryECSModule

VALIDATOR = ArgumentSpecValidator(ARGUMENT_SPEC, mutually_exclusive=MUTUALLY_EXCLUSIVE, required_by=REQUIRED_BY)


PARALLEL = 8  # releases started side by side: each start is a dozen calls in a row, mostly waiting on AWS


class SharedClients(object):
    """Clients made once for all releases (making a boto3 client costs more than a start's calls), under a lock:
    making clients is not thread-safe, using them is."""

    def __init__(self, module):
        self._module = module
        self._made = {}
        self._lock = threading.Lock()

    def client(self, service, retry_decorator=None, **extra):
        key = (service, extra.get("region"))
        with self._lock:
            if key not in self._made:
                self._made[key] = self._module.client(service, retry_decorator=retry_decorator, **extra)
            return self._made[key]


class ReleaseModule(object):
    """The module as one release sees it: that release's params (with the module's connection options), the shared
    clients, the rest the module's."""

    def __init__(self, module, params, clients):
        self._module = module
        self.params = params
        self._clients = clients

    def client(self, service, retry_decorator=None, **extra):
        return self._clients.client(service, retry_decorator=retry_decorator, **extra)

    def __getattr__(self, name):
        return getattr(self._module, name)


def start_one(module, index, given, clients):
    """The release's ecs_deployment result (failed, with why, when it could not start)."""
    checked = VALIDATOR.validate(dict(given, wait=False))
    # secret values of every release stay out of the output, as ecs_deployment's no_log keeps them out of its own
    module.no_log_values.update(checked._no_log_values)  # pylint: disable=protected-access
    if checked.error_messages:
        return {"failed": True, "msg": "releases[%d]: %s" % (index, " ".join(checked.error_messages))}
    params = checked.validated_parameters
    if params["state"] != "deployed" or params.get("deployment_id"):
        return {"failed": True, "msg": "releases[%d]: only starts releases (state=deployed, no deployment_id)." % index}
    wrong = problem(params)
    if params.get("backend") == "ecs":
        wrong = (
            "backend=ecs: a fleet releases through CodeDeploy only (its batched look reads CodeDeploy deployments); release this service alone (deploy.yml)."
        )
    if wrong:
        return {"failed": True, "msg": "releases[%d]: %s" % (index, wrong)}
    params["backend"] = "codedeploy"  # the fleet's looks are CodeDeploy's
    params.update((key, value) for key, value in module.params.items() if key not in ARGUMENT_SPEC and key != "releases")
    try:
        result, failed = run_recorded(ReleaseModule(module, params, clients))
    except AnsibleAWSError as error:
        return {"failed": True, "msg": error.message}
    for warning in result.pop("warnings", []):
        module.warn("%s: %s" % (params["service"], warning))
    if failed:
        result["failed"] = True
    return result


def main():
    module = AnsibleCanaryECSModule(argument_spec=dict(releases=dict(type="list", elements="dict", required=True)), supports_check_mode=True)
    releases, clients = module.params["releases"], SharedClients(module)
    with ThreadPoolExecutor(max_workers=max(1, min(PARALLEL, len(releases)))) as pool:
        results = list(pool.map(lambda item: start_one(module, item[0], item[1], clients), enumerate(releases)))
    module.exit_json(changed=any(result.get("changed") for result in results), results=results)


if __name__ == "__main__":
    main()
