"""The alarm evaluation rules, without a server: statistics, comparisons, M of N, missing data, reasons."""

import json
from datetime import datetime, timezone

import pytest

from canary_sandbox.cloudwatch.evaluation import (
    ALARM,
    INSUFFICIENT_DATA,
    OK,
    Aggregate,
    Datapoint,
    Rule,
    UnsupportedAlarm,
    evaluate,
    evaluation_range,
    merge_aggregates,
    needed_statistics,
    percentile,
    period_slots,
    rule_from_alarm,
    significant_sample_count,
)
from canary_sandbox.cloudwatch.math import Expression
from canary_sandbox.cloudwatch.metrics import MetricStat, query_orderings, source_from_alarm

T0 = datetime(2026, 11, 26, 5, 36, tzinfo=timezone.utc).timestamp()
BREACH, CALM = 10.0, 1.0  # against GreaterThanThreshold 5


def points(pattern, start=T0, period=60):
    """'0 - X' -> datapoints oldest first: 0 within the threshold, X breaching, - missing."""
    values = {"0": CALM, "X": BREACH, "-": None}
    return [Datapoint(start + index * period, values[mark], None if mark == "-" else 1.0) for index, mark in enumerate(pattern.split())]


def rule(m=3, n=3, treat="missing", comparison="GreaterThanThreshold", threshold=5.0, **kwargs):
    return Rule(
        comparison=comparison, threshold=threshold, evaluation_periods=n, datapoints_to_alarm=m, period=60, treat_missing=treat, statistic="Sum", **kwargs
    )


# --- AWS's tables ("Configuring how CloudWatch alarms treat missing data"); None = state kept ---------


@pytest.mark.parametrize(
    "m_of_n, pattern, missing, ignore, breaching, not_breaching",
    [
        # 3 out of 3
        ((3, 3), "0 - X - X", OK, OK, OK, OK),
        ((3, 3), "0 - - - -", OK, OK, OK, OK),
        ((3, 3), "- - - - -", INSUFFICIENT_DATA, None, ALARM, OK),
        ((3, 3), "0 X X - X", ALARM, ALARM, ALARM, ALARM),
        ((3, 3), "- - X - -", ALARM, None, ALARM, OK),
        # 2 out of 3
        ((2, 3), "0 - X - X", ALARM, ALARM, ALARM, ALARM),
        ((2, 3), "0 0 X 0 X", ALARM, ALARM, ALARM, ALARM),
        ((2, 3), "0 - X - -", OK, OK, ALARM, OK),
        ((2, 3), "- - - - 0", OK, OK, ALARM, OK),
        ((2, 3), "- - - X -", ALARM, None, ALARM, OK),
    ],
)
def test_m_of_n_matches_the_aws_table(m_of_n, pattern, missing, ignore, breaching, not_breaching):
    for treat, expected in zip(("missing", "ignore", "breaching", "notBreaching"), (missing, ignore, breaching, not_breaching), strict=True):
        assert evaluate(rule(*m_of_n, treat), points(pattern), OK, T0).state == expected, (m_of_n, pattern, treat)


def test_only_recent_breaches_too_few_to_alarm_keep_the_state():
    # one breaching point, one period old, in a 2-of-2 alarm: neither ALARM nor evidence for OK
    assert evaluate(rule(2, 2), points("- - - X"), INSUFFICIENT_DATA, T0).state is None


def test_m_of_n_uses_the_most_recent_n_real_datapoints():
    assert evaluate(rule(2, 3), points("X X 0 0 X"), OK, T0).state == OK
    assert evaluate(rule(2, 3), points("0 0 X 0 X"), OK, T0).state == ALARM
    assert evaluate(rule(1, 1), points("X X X X 0"), ALARM, T0).state == OK


@pytest.mark.parametrize(
    "comparison, value, expected",
    [
        ("GreaterThanOrEqualToThreshold", 5.0, ALARM),
        ("GreaterThanOrEqualToThreshold", 4.9, OK),
        ("GreaterThanThreshold", 5.0, OK),
        ("GreaterThanThreshold", 5.1, ALARM),
        ("LessThanThreshold", 5.0, OK),
        ("LessThanThreshold", 4.9, ALARM),
        ("LessThanOrEqualToThreshold", 5.0, ALARM),
        ("LessThanOrEqualToThreshold", 5.1, OK),
    ],
)
def test_each_comparison_operator(comparison, value, expected):
    datapoints = [Datapoint(T0, value, 1.0)]
    assert evaluate(rule(1, 1, comparison=comparison), datapoints, OK, T0).state == expected


# --- reasons, as AWS words them ------------------------------------------------------------


def test_alarm_reason_and_reason_data():
    datapoints = [Datapoint(T0 + 60 * index, value, 3.0) for index, value in enumerate([None, None, 1.0, 12.0, 13.0])]
    outcome = evaluate(rule(2, 2, comparison="GreaterThanOrEqualToThreshold"), datapoints, OK, T0 + 300)
    assert outcome.state == ALARM
    assert outcome.reason == (
        "Threshold Crossed: 2 out of the last 2 datapoints [13.0 (26/11/26 05:40:00), 12.0 (26/11/26 05:39:00)] "
        "were greater than or equal to the threshold (5.0) (minimum 2 datapoints for OK -> ALARM transition)."
    )
    data = outcome.reason_data
    assert json.loads(json.dumps(data)) == data
    assert data["statistic"] == "Sum" and data["period"] == 60 and data["threshold"] == 5.0
    assert data["startDate"] == "2026-11-26T05:36:00.000+0000"
    assert data["recentDatapoints"] == [1.0, 12.0, 13.0]
    assert data["evaluatedDatapoints"] == [
        {"timestamp": "2026-11-26T05:40:00.000+0000", "sampleCount": 3.0, "value": 13.0},
        {"timestamp": "2026-11-26T05:39:00.000+0000", "sampleCount": 3.0, "value": 12.0},
    ]


def test_ok_reason_names_the_datapoints_within_the_threshold():
    outcome = evaluate(rule(2, 2), points("X X X 0 0"), ALARM, T0)
    assert outcome.state == OK
    assert outcome.reason == (
        "Threshold Crossed: 2 out of the last 2 datapoints [1.0 (26/11/26 05:40:00), 1.0 (26/11/26 05:39:00)] "
        "were not greater than the threshold (5.0) (minimum 1 datapoint for ALARM -> OK transition)."
    )


@pytest.mark.parametrize(
    "treat, state, reason",
    [
        ("missing", INSUFFICIENT_DATA, "Insufficient Data: 2 datapoints were unknown."),
        ("breaching", ALARM, "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching]."),
        ("notBreaching", OK, "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [NonBreaching]."),
        ("ignore", None, "No datapoints: state kept (TreatMissingData=ignore)."),
    ],
)
def test_no_data_at_all(treat, state, reason):
    outcome = evaluate(rule(2, 2, treat), points("- - - -"), OK, T0)
    assert (outcome.state, outcome.reason) == (state, reason)


def test_filled_missing_datapoints_are_named_in_the_reason():
    outcome = evaluate(rule(2, 2, "breaching"), points("- - - X"), OK, T0)
    assert outcome.state == ALARM
    assert ", and 1 missing datapoint was treated as [Breaching] (minimum 2 datapoints" in outcome.reason
    assert len(outcome.reason_data["evaluatedDatapoints"]) == 2


def test_low_sample_percentile_keeps_the_state_when_asked_to():
    low = Rule("GreaterThanThreshold", 1.0, 1, 1, 60, statistic="p99", low_sample_minimum=1000.0)
    assert evaluate(low, [Datapoint(T0, 5.0, 20.0)], OK, T0).state is None
    assert evaluate(low, [Datapoint(T0, 5.0, 2000.0)], OK, T0).state == ALARM
    assert significant_sample_count(99.0) == pytest.approx(1000.0)
    assert significant_sample_count(10.0) == pytest.approx(100.0)


# --- statistics ----------------------------------------------------------------------------


def test_each_statistic_from_combinable_parts():
    aggregate = Aggregate(sample_count=4.0, total=10.0, minimum=1.0, maximum=4.0)
    assert [aggregate.value(name) for name in ("Sum", "Average", "Minimum", "Maximum", "SampleCount")] == [10.0, 2.5, 1.0, 4.0, 4.0]
    merged = merge_aggregates([aggregate, Aggregate(sample_count=1.0, total=10.0, minimum=10.0, maximum=10.0)])
    assert [merged.value(name) for name in ("Sum", "Average", "Minimum", "Maximum", "SampleCount")] == [20.0, 4.0, 1.0, 10.0, 5.0]
    assert needed_statistics("Average") == ("Sum", "SampleCount")
    with pytest.raises(UnsupportedAlarm):
        aggregate.value("tm99")


def test_percentiles_from_values_and_counts():
    samples = [(0.1, 90), (0.2, 9), (5.0, 1)]
    assert percentile(samples, 99.0) == 0.2
    assert percentile(samples, 100.0) == 5.0
    assert percentile(samples, 50.0) == 0.1
    assert percentile(samples + [(5.0, 1)], 99.0) == 5.0
    assert percentile([(3.0, 1)], 0.0) == 3.0
    assert percentile([], 99.0) is None


# --- time ----------------------------------------------------------------------------------


def test_evaluation_range_and_period_slots():
    assert evaluation_range(3) == 5 and evaluation_range(1) == 3 and evaluation_range(9) == 12
    # at 05:40:30 the last period that ended is 05:39:00-05:40:00
    assert period_slots(T0 + 270, 60, 2) == [T0 + 120, T0 + 180]
    # a period counts only once the grace after its end has passed
    assert period_slots(T0 + 245, 60, 1, grace=10) == [T0 + 120]


# --- alarm descriptions --------------------------------------------------------------------

ALARM_DESCRIPTION = {
    "AlarmName": "a",
    "ComparisonOperator": "GreaterThanThreshold",
    "Threshold": 5.0,
    "EvaluationPeriods": 3,
    "Period": 60,
    "Statistic": "Sum",
    "MetricName": "m",
    "Namespace": "n",
    "Dimensions": [],
}


def test_rule_from_alarm_defaults_and_refusals():
    parsed = rule_from_alarm(ALARM_DESCRIPTION)
    assert (parsed.datapoints_to_alarm, parsed.treat_missing) == (3, "missing")
    with pytest.raises(UnsupportedAlarm, match="anomaly detection"):
        rule_from_alarm(dict(ALARM_DESCRIPTION, ComparisonOperator="LessThanLowerOrGreaterThanUpperThreshold"))
    with pytest.raises(UnsupportedAlarm, match="Threshold"):
        rule_from_alarm({key: value for key, value in ALARM_DESCRIPTION.items() if key != "Threshold"})
    with pytest.raises(UnsupportedAlarm, match="DatapointsToAlarm"):
        rule_from_alarm(dict(ALARM_DESCRIPTION, DatapointsToAlarm=4))
    percentile_rule = rule_from_alarm(dict(ALARM_DESCRIPTION, Statistic=None, ExtendedStatistic="p90", EvaluateLowSampleCountPercentile="ignore"))
    assert percentile_rule.low_sample_minimum == pytest.approx(100.0)


def _stat(metric_id, name):
    return {
        "Id": metric_id,
        "ReturnData": False,
        "MetricStat": {"Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": name, "Dimensions": []}, "Period": 60, "Stat": "Sum"},
    }


def test_metric_math_alarm_source():
    alarm = {
        "Metrics": [{"Id": "e1", "Expression": "100 * m2 / m1", "ReturnData": True}, _stat("m1", "RequestCount"), _stat("m2", "HTTPCode_Target_5XX_Count")]
    }
    source = source_from_alarm(alarm)
    assert source.period == 60 and set(source.stats) == {"m1", "m2"}
    m1, m2 = source.stats["m1"], source.stats["m2"]
    series = {m1: {T0: (200.0, 1.0), T0 + 60: (0.0, 1.0)}, m2: {T0: (30.0, 1.0), T0 + 60: (0.0, 1.0)}}
    assert source.value(series, T0) == (15.0, None)
    assert source.value(series, T0 + 60) == (None, None)  # 0/0: no value, as in CloudWatch
    assert source.value(series, T0 + 120) == (None, None)


def test_metric_math_beyond_what_the_sandbox_evaluates_is_refused():
    for text in ("FILL(m1, REPEAT)", "SUM(METRICS())", "IF(m1, m2)", "m1 > 2 > 1", "m1 AND m2", "RATE(m1)"):
        with pytest.raises(UnsupportedAlarm, match="more than the sandbox evaluates"):
            Expression(text)
    with pytest.raises(UnsupportedAlarm, match="unknown query ids"):
        source_from_alarm({"Metrics": [{"Id": "e1", "Expression": "m9 * 2", "ReturnData": True}, _stat("m1", "RequestCount")]})
    assert Expression("-(m1 + 2) * 3").value({"m1": 1.0}) == -9.0


def test_if_fill_and_comparisons_work_datapoint_by_datapoint():
    # a rate comparison with a minimum sample: canary (m1 requests, m2 errors) against baseline (m3, m4)
    rate = Expression("IF(m1 >= 20, 100 * FILL(m2, 0) / m1 - 100 * FILL(m4, 0) / FILL(m3, 1), 0)")
    assert rate.ids == {"m1", "m2", "m3", "m4"}
    assert rate.value({"m1": 40.0, "m2": 4.0, "m3": 360.0, "m4": 3.6}) == 9.0  # 10% against 1%
    assert rate.value({"m1": 40.0, "m2": None, "m3": 360.0, "m4": None}) == 0.0  # no 5xx datapoint on either side: 0
    assert rate.value({"m1": 40.0, "m2": 2.0, "m3": None, "m4": None}) == 5.0  # no baseline traffic at all
    assert rate.value({"m1": 10.0, "m2": 10.0, "m3": 360.0, "m4": None}) == 0.0  # under the minimum sample
    assert rate.value({"m1": None, "m2": None, "m3": 360.0, "m4": None}) is None  # no canary datapoint: missing
    assert Expression("m1 != 0").value({"m1": 0.0}) == 0.0 and Expression("m1 < -1").value({"m1": -2.0}) == 1.0
    assert Expression("FILL(m1, -1)").value({}) == -1.0


def test_query_orderings_cover_what_moto_tells_apart():
    two = (("TargetGroup", "targetgroup/tg/1"), ("LoadBalancer", "app/lb/2"))
    assert sorted(query_orderings(two)) == sorted([two, tuple(reversed(two))])
    assert query_orderings((("TargetGroup", "tg"),)) == [(("TargetGroup", "tg"),)]
    assert len(query_orderings(tuple((f"D{index}", f"v{index}") for index in range(4)))) == 1
    assert MetricStat("n", "m", two, 60, "Sum") == MetricStat("n", "m", two, 60, "Sum")
