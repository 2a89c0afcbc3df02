# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The base class of every canary.ecs module.

It is amazon.aws's AnsibleAWSModule (credentials, region, endpoint_url, retries,
snake_case helpers) that also names canary.ecs and its version in the boto user
agent, the way community.aws does, so AWS-side logs show which tool made a call.
"""

from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.canary.ecs.plugins.module_utils.common import CANARY_ECS_COLLECTION_NAME, CANARY_ECS_COLLECTION_VERSION, Clients, run_module


class AnsibleCanaryECSModule(AnsibleAWSModule):
    def __init__(self, **kwargs):
        super(AnsibleCanaryECSModule, self).__init__(**kwargs)
        set_collection_info(
            collection_name=CANARY_ECS_COLLECTION_NAME,
            collection_version=CANARY_ECS_COLLECTION_VERSION,
        )


def resource_options():
    """The options every resource module ends with: state, tags and purge_tags."""
    return dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )


def run_resource_module(argument_spec, ensure_present, ensure_absent, service):
    """A resource module's main: check mode supported; state picks ensure_present(module, client) or ensure_absent."""
    module = AnsibleCanaryECSModule(argument_spec=argument_spec, supports_check_mode=True)
    ensure = ensure_present if module.params["state"] == "present" else ensure_absent
    run_module(module, ensure, module, Clients(module)(service))
