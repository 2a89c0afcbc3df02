# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""canary.ecs.ecs_deployment's options, shared with the modules that start releases for it (ecs_fleet_start).

ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_BY   as AnsibleModule takes them
problem(params)                                  what AnsibleModule cannot check, as a message, or None
"""

from ansible_collections.canary.ecs.plugins.module_utils._record.save import store_options
from ansible_collections.canary.ecs.plugins.module_utils._release.watch import DEFAULT_INTERVAL, DEFAULT_TIMEOUT

ARGUMENT_SPEC = dict(
    cluster=dict(type="str", required=True),
    service=dict(type="str", required=True),
    state=dict(type="str", default="deployed", choices=["deployed", "stopped", "continued"]),
    backend=dict(type="str", default="auto", choices=["auto", "codedeploy", "ecs"]),
    container=dict(type="str"),
    image=dict(type="str"),
    image_tag=dict(type="str"),
    environment=dict(type="dict"),
    secret_environment=dict(type="dict", no_log=True),
    task_definition=dict(type="dict"),
    application_name=dict(type="str"),
    deployment_group_name=dict(type="str"),
    deployment_config_name=dict(type="str"),
    description=dict(type="str"),
    deployment_id=dict(type="str"),
    look=dict(type="str", default="full", choices=["full", "glance"]),
    rollback=dict(type="bool", default=True),
    wait_type=dict(type="str", default="ready_wait", choices=["ready_wait", "termination_wait"]),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=DEFAULT_TIMEOUT),
    poll_interval=dict(type="int", default=DEFAULT_INTERVAL),
    fail_on_rollback=dict(type="bool", default=True),
    fast_fail_minutes=dict(type="float", default=10.0),
    judge=dict(
        type="dict",
        options=dict(
            enabled=dict(type="bool", default=False),
            confidence=dict(type="float", default=0.95),
            error_margin=dict(type="float", default=0.0),
            min_requests=dict(type="int", default=50),
            latency=dict(type="bool", default=True),
            latency_statistic=dict(type="str", default="p50"),
            latency_margin=dict(type="float", default=0.0),
            min_periods=dict(type="int", default=6),
            metrics=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(
                    name=dict(type="str", required=True),
                    namespace=dict(type="str", required=True),
                    metric_name=dict(type="str", required=True),
                    canary_dimensions=dict(type="dict", required=True),
                    baseline_dimensions=dict(type="dict", required=True),
                    statistic=dict(type="str", default="Average"),
                    worse_when=dict(type="str", choices=["higher", "lower"], default="higher"),
                    margin=dict(type="float", default=0.0),
                    critical=dict(type="bool", default=False),
                ),
            ),
            pass_score=dict(type="float", default=95.0, no_log=False),
            marginal_score=dict(type="float", default=75.0),
            not_enough_data=dict(type="str", choices=["rollback", "proceed"], default="rollback"),
        ),
    ),
    pin_digest=dict(type="bool", default=True),
    image_scan=dict(
        type="dict",
        options=dict(
            severity=dict(type="str", choices=["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"]),
            unscanned=dict(type="str", choices=["refuse", "wait", "allow"], default="refuse"),
            wait_minutes=dict(type="float", default=10.0),
        ),
    ),
    record=dict(type="dict", options=dict(store_options(), change_ref=dict(type="str"))),
)

MUTUALLY_EXCLUSIVE = [
    ("image", "image_tag", "task_definition"),
    ("deployment_id", "image"),
    ("deployment_id", "image_tag"),
    ("deployment_id", "task_definition"),
    ("task_definition", "environment"),
    ("task_definition", "secret_environment"),
]
REQUIRED_BY = {"deployment_group_name": ("application_name",)}


def problem(params):
    """What is wrong with a release's params that the argument spec cannot say; None when nothing is."""
    what = ("image", "image_tag", "task_definition", "deployment_id", "environment", "secret_environment")
    if params["state"] == "deployed" and not any(params.get(key) for key in what):
        return "state=deployed needs what to release: image, image_tag, task_definition, environment or secret_environment (or deployment_id to follow one)."
    if params["wait_timeout"] < 1 or params["poll_interval"] < 1:
        return "wait_timeout and poll_interval must be at least 1 second."
    return None
