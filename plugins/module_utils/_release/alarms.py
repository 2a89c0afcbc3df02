# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which of the deployment group's alarms may stop a release: those that watch the canary.

The group lists alarms on both target groups of its blue/green pair, because the canary runs
in whichever one is not live, and the pair swaps on every release. Left as they are, the live
version's own alarms stop the release of any new version: a bad live version (its 5xx alarm
in ALARM) could never be repaired by releasing a fix. So each release watches only:

- alarms that read a target group other than the live one(s) (the canary's side), and
  alarms that read no target group at all (load balancer, business alarms): kept;
- comparison alarms (metric math whose query ids starting with "canary" name the side that
  must not be worse): kept only when their canary side is not live.

An alarm that reads only the live target group(s) is left out, through CreateDeployment's
overrideAlarmConfiguration, and said in a warning when it is in ALARM. Pure functions.
"""

CANARY_QUERY_PREFIX = "canary"


def _target_groups(dimensions):
    return [item["Value"] for item in dimensions or [] if item.get("Name") == "TargetGroup"]


def read_target_groups(alarm):
    """The TargetGroup dimension values (targetgroup/name/id) an alarm reads."""
    found = _target_groups(alarm.get("Dimensions"))
    for query in alarm.get("Metrics") or []:
        found += _target_groups(((query.get("MetricStat") or {}).get("Metric") or {}).get("Dimensions"))
    return set(found)


def canary_side(alarm):
    """For a comparison alarm, the target groups of its canary queries; None for any other alarm."""
    sides = set()
    for query in alarm.get("Metrics") or []:
        if str(query.get("Id", "")).startswith(CANARY_QUERY_PREFIX) and query.get("MetricStat"):
            sides.update(_target_groups(query["MetricStat"].get("Metric", {}).get("Dimensions")))
    return sides or None


def watches_only_the_live_version(alarm, live):
    """Whether this alarm judges only what already runs (and so must not stop a release of something else)."""
    side = canary_side(alarm)
    groups = side if side is not None else read_target_groups(alarm)
    return bool(groups) and groups <= set(live)


def for_release(group_alarm_names, described, live):
    """(watched names, left-out names) for a release, in the group's order; live: TargetGroup dimension values."""
    by_name = dict((alarm["AlarmName"], alarm) for alarm in described)
    left_out = [name for name in group_alarm_names if name in by_name and watches_only_the_live_version(by_name[name], live)]
    return [name for name in group_alarm_names if name not in left_out], left_out


def override(group, watched):
    """CreateDeployment's overrideAlarmConfiguration that watches only `watched`."""
    configuration = (group or {}).get("alarmConfiguration") or {}
    return {
        "enabled": bool(watched),
        "ignorePollAlarmFailure": bool(configuration.get("ignorePollAlarmFailure")),
        "alarms": [{"name": name} for name in watched],
    }


def configured_names(configuration):
    """The alarm names of an alarm configuration (a group's or a deployment's override); none when disabled."""
    if not (configuration or {}).get("enabled"):
        return []
    return [alarm["name"] for alarm in configuration.get("alarms") or [] if alarm.get("name")]
