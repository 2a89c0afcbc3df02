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

from ansible_collections.canary.ecs.plugins.module_utils.common import CANARY_ECS_COLLECTION_NAME, CANARY_ECS_COLLECTION_VERSION


class AnsibleCanaryECSModule(AnsibleAWSModule):
    def __init__(self, **kwargs):
        super(AnsibleCanaryECSModule, self).__init__(**kwargs)
        set_collection_info(
            collection_name=CANARY_ECS_COLLECTION_NAME,
            collection_version=CANARY_ECS_COLLECTION_VERSION,
        )
