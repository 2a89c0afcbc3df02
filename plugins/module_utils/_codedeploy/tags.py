# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Tags of CodeDeploy applications and deployment groups (by ARN, with purge_tags), and their views with tags."""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.api import apply_tags
from ansible_collections.canary.ecs.plugins.module_utils.tags import reconcile_tags


def ensure_tags(client, check_mode, arn, current, desired, purge):
    """Make the resource's tags match; returns (changed, the tags it has afterwards)."""
    return reconcile_tags(check_mode, current, desired, purge, lambda to_set, to_remove: apply_tags(client, arn, to_set, to_remove))


def described(resource, arn_key, arn, tags):
    """The module's view of a resource: snake_case, with its ARN under `arn_key` and its tags (keys unchanged)."""
    result = camel_dict_to_snake_dict(resource)
    result[arn_key] = arn
    result["tags"] = dict(tags or {})
    return result
