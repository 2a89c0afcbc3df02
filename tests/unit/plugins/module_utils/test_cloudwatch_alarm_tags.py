# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""cloudwatch_alarm_tags: one alarm or many in a run, the alarms found in batches, nothing tagged when one is missing."""

import pytest

from ansible_collections.canary.ecs.plugins.module_utils._cloudwatch import alarm_tags
from ansible_collections.canary.ecs.plugins.module_utils.common import AnsibleCanaryECSError
from ansible_collections.canary.ecs.tests.unit.plugins.module_utils.fakes import FakeModule, client_error

ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:%s"


class FakeCloudWatch:
    """Alarms by name with their tags; DescribeAlarms pages of at most MaxRecords, as CloudWatch answers."""

    def __init__(self, tags_by_name, fail_on=None):
        self.tags = dict((ARN % name, dict(tags)) for name, tags in tags_by_name.items())
        self.calls = []
        self.fail_on = fail_on

    def describe_alarms(self, aws_retry=False, AlarmNames=(), AlarmTypes=(), MaxRecords=50, NextToken=None):
        self.calls.append(("describe_alarms", len(AlarmNames)))
        assert len(AlarmNames) <= 100, "DescribeAlarms takes at most 100 names"
        found = [name for name in AlarmNames if ARN % name in self.tags]
        start = int(NextToken or 0)
        page = found[start : start + MaxRecords]
        answer = {"MetricAlarms": [{"AlarmName": name, "AlarmArn": ARN % name} for name in page], "CompositeAlarms": []}
        if start + MaxRecords < len(found):
            answer["NextToken"] = str(start + MaxRecords)
        return answer

    def list_tags_for_resource(self, aws_retry=False, ResourceARN=None):
        self.calls.append(("list_tags_for_resource", ResourceARN))
        if self.fail_on == ResourceARN:
            raise client_error("AccessDenied", "ListTagsForResource", "not allowed")
        return {"Tags": [{"Key": key, "Value": value} for key, value in self.tags[ResourceARN].items()]}

    def tag_resource(self, aws_retry=False, ResourceARN=None, Tags=()):
        self.calls.append(("tag_resource", ResourceARN))
        self.tags[ResourceARN].update((tag["Key"], tag["Value"]) for tag in Tags)

    def untag_resource(self, aws_retry=False, ResourceARN=None, TagKeys=()):
        self.calls.append(("untag_resource", ResourceARN))
        for key in TagKeys:
            self.tags[ResourceARN].pop(key, None)

    def writes(self):
        return [call for call in self.calls if call[0] in ("tag_resource", "untag_resource")]


def module(check_mode=False, **params):
    defaults = {"alarm_name": None, "alarm_names": None, "tags": None, "purge_tags": True}
    return FakeModule(check_mode=check_mode, defaults=defaults, **params)


def test_many_alarms_are_found_with_one_call_and_tagged_in_the_order_given():
    cloudwatch = FakeCloudWatch({"a": {}, "b": {"stack": "s"}, "c": {"team": "x"}})
    result = alarm_tags.ensure(module(alarm_names=["c", "a", "b"], tags={"stack": "s"}, purge_tags=False), cloudwatch)
    assert [alarm["alarm_name"] for alarm in result["alarms"]] == ["c", "a", "b"]
    assert [alarm["changed"] for alarm in result["alarms"]] == [True, True, False]
    assert result["changed"] is True
    assert [call for call in cloudwatch.calls if call[0] == "describe_alarms"] == [("describe_alarms", 3)]
    assert cloudwatch.tags[ARN % "c"] == {"team": "x", "stack": "s"} and cloudwatch.tags[ARN % "a"] == {"stack": "s"}
    assert result["diff"] == {
        "before": {"c": {"tags": {"team": "x"}}, "a": {"tags": {}}},
        "after": {"c": {"tags": {"team": "x", "stack": "s"}}, "a": {"tags": {"stack": "s"}}},
    }
    again = alarm_tags.ensure(module(alarm_names=["c", "a", "b"], tags={"stack": "s"}, purge_tags=False), FakeCloudWatch(cloudwatch_tags(cloudwatch)))
    assert again["changed"] is False and "diff" not in again


def cloudwatch_tags(cloudwatch):
    return dict((arn.rsplit(":", 1)[1], tags) for arn, tags in cloudwatch.tags.items())


def test_more_than_a_hundred_names_are_asked_a_hundred_at_a_time_and_every_page_is_read():
    names = ["alarm-%03d" % index for index in range(230)]
    cloudwatch = FakeCloudWatch(dict((name, {}) for name in names))
    result = alarm_tags.ensure(module(alarm_names=names), cloudwatch)
    assert all(alarm["exists"] for alarm in result["alarms"]) and len(result["alarms"]) == 230
    assert [call for call in cloudwatch.calls if call[0] == "describe_alarms"] == [("describe_alarms", 100)] * 2 + [("describe_alarms", 30)]


def test_reading_changes_nothing_and_reports_the_missing():
    cloudwatch = FakeCloudWatch({"a": {"stack": "s"}})
    result = alarm_tags.ensure(module(alarm_names=["a", "gone"]), cloudwatch)
    assert result == {
        "changed": False,
        "alarms": [
            {"changed": False, "exists": True, "alarm_name": "a", "alarm_arn": ARN % "a", "tags": {"stack": "s"}},
            {"changed": False, "exists": False, "alarm_name": "gone", "tags": {}},
        ],
    }
    assert cloudwatch.writes() == []


def test_tagging_fails_before_any_change_when_an_alarm_is_missing_naming_every_missing_one():
    cloudwatch = FakeCloudWatch({"a": {}})
    with pytest.raises(AnsibleCanaryECSError, match=r"Alarms gone-1, gone-2 do not exist: create them first .* No tag was changed"):
        alarm_tags.ensure(module(alarm_names=["a", "gone-1", "gone-2"], tags={"stack": "s"}), cloudwatch)
    assert cloudwatch.writes() == [] and cloudwatch.tags[ARN % "a"] == {}
    with pytest.raises(AnsibleCanaryECSError, match=r"^Alarm gone does not exist: create it first"):
        alarm_tags.ensure(module(alarm_name="gone", tags={"stack": "s"}), cloudwatch)


def test_check_mode_reports_what_would_change_and_writes_nothing_a_missing_alarm_included():
    cloudwatch = FakeCloudWatch({"a": {"old": "1"}})
    result = alarm_tags.ensure(module(check_mode=True, alarm_names=["a", "new"], tags={"stack": "s"}), cloudwatch)
    assert result["changed"] is True
    assert result["alarms"][0]["tags"] == {"stack": "s"} and result["alarms"][1] == {
        "changed": True,
        "exists": False,
        "alarm_name": "new",
        "tags": {"stack": "s"},
    }
    assert cloudwatch.writes() == []


def test_one_alarm_keeps_its_fields_at_the_top_of_the_result():
    cloudwatch = FakeCloudWatch({"a": {"old": "1"}})
    result = alarm_tags.ensure(module(alarm_name="a", tags={"stack": "s"}), cloudwatch)
    assert result == {
        "changed": True,
        "exists": True,
        "alarm_name": "a",
        "alarm_arn": ARN % "a",
        "tags": {"stack": "s"},
        "diff": {"before": {"tags": {"old": "1"}}, "after": {"tags": {"stack": "s"}}},
    }


@pytest.mark.parametrize(
    "params, message",
    [
        ({"alarm_names": ["a", ""]}, r"alarm_names must not hold an empty name \(item 1\)"),
        ({"alarm_names": ["a", "b", "a"]}, r"alarm_names names a more than once"),
        ({"alarm_name": " "}, r"alarm_name must not be empty"),
    ],
)
def test_bad_names_fail_naming_the_option_before_any_call(params, message):
    cloudwatch = FakeCloudWatch({"a": {}})
    with pytest.raises(AnsibleCanaryECSError, match=message):
        alarm_tags.ensure(module(**params), cloudwatch)
    assert cloudwatch.calls == []


def test_an_error_on_one_alarm_names_it():
    cloudwatch = FakeCloudWatch({"a": {}, "b": {}}, fail_on=ARN % "b")
    with pytest.raises(AnsibleCanaryECSError) as error:
        alarm_tags.ensure(module(alarm_names=["a", "b"]), cloudwatch)
    assert error.value.message.endswith("CloudWatch alarm b")
