# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Tag reconciliation shared by every module that manages tags, whatever the service.

Services differ in how tags are read and written (Key/Value or key/value, ARN parameter
names), so callers pass those as functions; what to change, check mode, reading back and
the diff are the same everywhere.
"""

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list, compare_aws_tags


def plan_tags(current, desired, purge):
    """(tags to set, keys to remove, resulting tags); desired None means leave tags alone."""
    current = current or {}
    if desired is None:
        return {}, [], dict(current)
    to_set, to_remove = compare_aws_tags(current, desired, purge_tags=purge)
    result = dict((key, value) for key, value in current.items() if key not in to_remove)
    result.update(to_set)
    return to_set, to_remove, result


def reconcile_tags(check_mode, current, desired, purge, apply, read=None):
    """Make a resource's tags match; returns (changed, the tags it has afterwards).

    apply(to_set, to_remove) writes the change; read(), when given, reads the tags back
    after a write so the result is what AWS holds, not what was planned.
    """
    to_set, to_remove, after = plan_tags(current, desired, purge)
    if not to_set and not to_remove:
        return False, after
    if not check_mode:
        apply(to_set, to_remove)
        if read is not None:
            after = read()
    return True, after


def apply_tag_changes(to_set, to_remove, untag, tag, ecs=False):
    """Remove, then set, with the service's two calls (the resource already bound, e.g. with
    functools.partial): untag(TagKeys=...) and tag(Tags=[{Key, Value}]); ECS spells them
    tagKeys and tags=[{key, value}]."""
    if to_remove:
        untag(**{"tagKeys" if ecs else "TagKeys": list(to_remove)})
    if to_set:
        names = ("key", "value") if ecs else ("Key", "Value")
        tag(**{"tags" if ecs else "Tags": ansible_dict_to_boto3_tag_list(to_set, tag_name_key_name=names[0], tag_value_key_name=names[1])})


def tags_diff(before, after):
    return dict(before=dict(tags=before), after=dict(tags=after))
