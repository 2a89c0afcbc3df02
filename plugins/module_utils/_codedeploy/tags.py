# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Tags of CodeDeploy applications and deployment groups (by ARN, with purge_tags)."""

from ansible_collections.canary.ecs.plugins.module_utils._codedeploy.api import apply_tags
from ansible_collections.canary.ecs.plugins.module_utils.tags import reconcile_tags


def ensure_tags(client, check_mode, arn, current, desired, purge):
    """Make the resource's tags match; returns (changed, the tags it has afterwards)."""
    return reconcile_tags(check_mode, current, desired, purge, lambda to_set, to_remove: apply_tags(client, arn, to_set, to_remove))
