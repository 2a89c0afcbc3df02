# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The tags of one alarm or of many in a run: the alarms found with one DescribeAlarms a hundred
names, then each one's tags read and, with tags given, brought in line.

A run that would tag an alarm that does not exist fails before it changes any tag, naming
every missing alarm (in check mode an earlier task may be creating it: reported, not failed).
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.canary.ecs.plugins.module_utils._cloudwatch import api
from ansible_collections.canary.ecs.plugins.module_utils.common import fail
from ansible_collections.canary.ecs.plugins.module_utils.tags import reconcile_tags, tags_diff


def check_params(params):
    names = [params["alarm_name"]] if params["alarm_names"] is None else params["alarm_names"]
    blank = [index for index, name in enumerate(names) if not name or not name.strip()]
    if params["alarm_name"] is not None and blank:
        fail("alarm_name must not be empty")
    if blank:
        fail("alarm_names must not hold an empty name (item %s)" % ", ".join(str(index) for index in blank))
    repeated = sorted(set(name for name in names if names.count(name) > 1))
    if repeated:
        fail("alarm_names names %s more than once" % ", ".join(repeated))
    return names


def _named(name, function, *args):
    """function(*args), its error naming the alarm."""
    try:
        return function(*args)
    except AnsibleAWSError as error:
        error.message = "%s %s" % (error.message, name)
        raise


def alarm_tags(cloudwatch, name, arn, desired, purge, check_mode):
    """(One alarm's result: changed, exists, alarm_name, alarm_arn, tags after; its tags before)."""
    if arn is None:
        # only reached with tags in check mode (an earlier task of the run would create it), or to read
        return dict(changed=desired is not None, exists=False, alarm_name=name, tags=desired if desired is not None else {}), {}
    current = _named(name, api.list_tags, cloudwatch, arn)
    changed, after = reconcile_tags(
        check_mode,
        current,
        desired,
        purge,
        lambda to_set, to_remove: _named(name, api.apply_tags, cloudwatch, arn, to_set, to_remove),
        lambda: _named(name, api.list_tags, cloudwatch, arn),
    )
    return dict(changed=changed, exists=True, alarm_name=name, alarm_arn=arn, tags=after), current


def _missing_message(missing):
    if len(missing) == 1:
        return "Alarm %s does not exist: create it first (amazon.aws.cloudwatch_metric_alarm), then tag it. No tag was changed." % missing[0]
    return "Alarms %s do not exist: create them first (amazon.aws.cloudwatch_metric_alarm), then tag them. No tag was changed." % ", ".join(missing)


def ensure(module, cloudwatch):
    """The module's result: with alarm_name the alarm's fields at the top, with alarm_names a list `alarms`."""
    params = module.params
    names = check_params(params)
    desired = params["tags"]
    arns = api.describe_alarm_arns(cloudwatch, names)
    missing = [name for name in names if name not in arns]
    if desired is not None and missing and not module.check_mode:
        fail(_missing_message(missing))
    found = [alarm_tags(cloudwatch, name, arns.get(name), desired, params["purge_tags"], module.check_mode) for name in names]
    alarms = [alarm for alarm, _before in found]
    changed = [(alarm["alarm_name"], before, alarm["tags"]) for alarm, before in found if alarm["changed"]]
    if params["alarm_names"] is None:
        result = dict(alarms[0])
        if changed:
            result["diff"] = tags_diff(changed[0][1], changed[0][2])
        return result
    result = dict(changed=bool(changed), alarms=alarms)
    if changed:
        result["diff"] = dict(
            before=dict((name, dict(tags=before)) for name, before, _after in changed),
            after=dict((name, dict(tags=after)) for name, _before, after in changed),
        )
    return result
