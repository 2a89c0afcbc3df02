"""The alarm history store and the raw-value store, without a server."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from moto.cloudwatch.exceptions import InvalidParameterValue

from canary_sandbox.cloudwatch.history import AlarmHistory, InvalidNextToken, state_update_data
from canary_sandbox.cloudwatch.samples import SampleStore

T0 = datetime(2026, 11, 26, 5, 0, tzinfo=timezone.utc)


@pytest.fixture
def history():
    store = AlarmHistory()
    for minute in range(5):
        store.record("us-east-1", "a", "StateUpdate", f"change {minute}", {"minute": minute}, timestamp=T0 + timedelta(minutes=minute))
    store.record("us-east-1", "a", "ConfigurationUpdate", 'Alarm "a" created', {}, timestamp=T0 - timedelta(minutes=1))
    store.record("us-east-1", "b", "StateUpdate", "other alarm", {}, timestamp=T0)
    store.record("eu-west-1", "a", "StateUpdate", "other region", {}, timestamp=T0)
    return store


def summaries(answer):
    return [item["HistorySummary"] for item in answer["AlarmHistoryItems"]]


def test_filters_by_alarm_type_and_dates(history):
    answer = history.describe(
        "us-east-1", {"AlarmName": "a", "HistoryItemType": "StateUpdate", "StartDate": T0 + timedelta(minutes=1), "EndDate": T0 + timedelta(minutes=3)}
    )
    assert summaries(answer) == ["change 3", "change 2", "change 1"]  # newest first by default
    assert json.loads(answer["AlarmHistoryItems"][0]["HistoryData"]) == {"minute": 3}
    assert answer["AlarmHistoryItems"][0]["AlarmType"] == "MetricAlarm"
    assert summaries(history.describe("us-east-1", {"AlarmName": "a", "AlarmTypes": ["CompositeAlarm"]})) == []
    assert len(history.describe("us-east-1", {})["AlarmHistoryItems"]) == 7
    assert summaries(history.describe("eu-west-1", {})) == ["other region"]


def test_pages_with_next_token_in_both_orders(history):
    for order, expected in (
        ("TimestampAscending", ["change 0", "change 1", "change 2", "change 3", "change 4"]),
        ("TimestampDescending", ["change 4", "change 3", "change 2", "change 1", "change 0"]),
    ):
        seen, params = [], {"AlarmName": "a", "HistoryItemType": "StateUpdate", "MaxRecords": 2, "ScanBy": order}
        for _ in range(5):
            answer = history.describe("us-east-1", params)
            assert len(answer["AlarmHistoryItems"]) <= 2
            seen += summaries(answer)
            if "NextToken" not in answer:
                break
            params["NextToken"] = answer["NextToken"]
        assert seen == expected


def test_bad_parameters_are_aws_errors(history):
    with pytest.raises(InvalidNextToken):
        history.describe("us-east-1", {"NextToken": "not-a-token"})
    with pytest.raises(InvalidParameterValue, match="MaxRecords"):
        history.describe("us-east-1", {"MaxRecords": 101})
    with pytest.raises(InvalidParameterValue, match="HistoryItemType"):
        history.describe("us-east-1", {"HistoryItemType": "Nonsense"})


def test_clear_forgets_everything(history):
    history.clear()
    assert history.describe("us-east-1", {})["AlarmHistoryItems"] == []


def test_state_update_data_is_what_aws_writes():
    old = {"stateValue": "OK", "stateReason": "fine", "stateReasonData": '{"version": "1.0"}'}
    new = {"stateValue": "ALARM", "stateReason": "forced", "stateReasonData": None}
    assert state_update_data(old, new) == {
        "version": "1.0",
        "oldState": {"stateValue": "OK", "stateReason": "fine", "stateReasonData": {"version": "1.0"}},
        "newState": {"stateValue": "ALARM", "stateReason": "forced"},
    }


def test_sample_store_keys_metrics_by_dimension_set_and_unit():
    store = SampleStore()
    dimensions = [{"Name": "TargetGroup", "Value": "tg"}, {"Name": "LoadBalancer", "Value": "lb"}]
    store.add(
        "us-east-1",
        "AWS/ApplicationELB",
        [
            {"MetricName": "TargetResponseTime", "Dimensions": dimensions, "Timestamp": T0, "Values": [0.1, 5.0], "Counts": [99, 1], "Unit": "Seconds"},
            {"MetricName": "TargetResponseTime", "Dimensions": dimensions, "Timestamp": T0, "Value": 0.3, "Unit": "Seconds"},
            {
                "MetricName": "TargetResponseTime",
                "Dimensions": dimensions,
                "Timestamp": T0,
                "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1},
            },
        ],
    )
    start, end = T0.timestamp(), T0.timestamp() + 60
    found = store.samples("us-east-1", "AWS/ApplicationELB", "TargetResponseTime", list(reversed(dimensions)), start, end)
    assert found == [(start, [(0.1, 99.0), (5.0, 1.0)]), (start, [(0.3, 1.0)])]
    assert store.samples("us-east-1", "AWS/ApplicationELB", "TargetResponseTime", dimensions, start, end, unit="Milliseconds") == []
    assert store.samples("us-east-1", "AWS/ApplicationELB", "TargetResponseTime", dimensions[:1], start, end) == []
    assert store.samples("us-east-1", "AWS/ApplicationELB", "TargetResponseTime", dimensions, end, end + 60) == []


def test_sample_store_drops_values_older_than_its_retention():
    store = SampleStore(retention_seconds=120)
    for minute in range(5):
        store.add("us-east-1", "n", [{"MetricName": "m", "Timestamp": T0 + timedelta(minutes=minute), "Value": minute}])
    kept = store.samples("us-east-1", "n", "m", [], 0, T0.timestamp() + 3600)
    assert [pairs[0][0] for _, pairs in kept] == [2.0, 3.0, 4.0]
