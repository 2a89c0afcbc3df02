"""Alarm evaluation end to end: boto3 against the sandbox, state read back with describe_alarms.

Metrics are published on the sandbox time axis into periods that have already ended, so
the evaluator can decide at its next pass. Alarms use 5-minute periods: at the test
clock (0.25 s per sandbox minute) a period lasts 1.25 real seconds, which leaves a
loaded machine time to run a pass before the datapoints age out of the evaluation range.
"""

import json
import math
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import botocore.session
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from canary_sandbox.cloudwatch.testing import sandbox_clock, wait_for_alarm_state

NAMESPACE = "AWS/ApplicationELB"
TG = [{"Name": "TargetGroup", "Value": "targetgroup/app-tg-green/0123456789abcdef"}, {"Name": "LoadBalancer", "Value": "app/canary-alb/fedcba9876543210"}]
PERIOD = 300
WAIT = 30  # real seconds: generous, the machine is shared


def in_period(sandbox, back, period=PERIOD):
    """The middle of the period that ended `back` periods ago (back=1: the last ended period), sandbox axis."""
    now = sandbox_clock(sandbox)["sandbox_now"]
    end = math.floor(now / period) * period
    return datetime.fromtimestamp(end - back * period + period / 2, timezone.utc)


def datum(name, timestamp, value=None, dimensions=TG, **extra):
    entry = {"MetricName": name, "Dimensions": dimensions, "Timestamp": timestamp, **extra}
    if value is not None:
        entry["Value"] = value
    return entry


def put(aws, *data):
    """One PutMetricData call, so the evaluator sees all of these datapoints or none."""
    aws("cloudwatch").put_metric_data(Namespace=NAMESPACE, MetricData=list(data))


def alarm(aws, name, metric="HTTPCode_Target_5XX_Count", periods=2, **settings):
    arguments = dict(
        AlarmName=name,
        Namespace=NAMESPACE,
        MetricName=metric,
        Dimensions=TG,
        Statistic="Sum",
        Period=PERIOD,
        EvaluationPeriods=periods,
        Threshold=5.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    arguments.update(settings)
    aws("cloudwatch").put_metric_alarm(**{key: value for key, value in arguments.items() if value is not None})


def math_alarm(aws, name, threshold, *metrics):
    """A one-period alarm above `threshold` on a metric-math expression over `metrics`."""
    aws("cloudwatch").put_metric_alarm(
        AlarmName=name, EvaluationPeriods=1, Threshold=threshold, ComparisonOperator="GreaterThanThreshold", Metrics=list(metrics)
    )


def history(aws, name, **filters):
    return aws("cloudwatch").describe_alarm_history(AlarmName=name, **filters)["AlarmHistoryItems"]


def evaluator_status(sandbox):
    with urllib.request.urlopen(sandbox.endpoint + "/_sandbox/status", timeout=10) as answer:
        return json.loads(answer.read())["extensions"]["cloudwatch_alarms"]


def wait_passes(sandbox, count):
    """Block until the evaluator completed `count` more passes."""
    target = evaluator_status(sandbox)["passes"] + count
    deadline = time.monotonic() + WAIT
    while evaluator_status(sandbox)["passes"] < target:
        assert time.monotonic() < deadline, f"the alarm evaluator did not complete {count} passes in {WAIT}s"
        time.sleep(0.05)


def test_over_the_threshold_goes_to_alarm_and_back_under_to_ok(sandbox, aws):
    cloudwatch = aws("cloudwatch")
    # the alarm lists the dimensions in the other order than the publisher: CloudWatch ignores order
    alarm(aws, "Canary-5XX-Error-Alarm", Dimensions=list(reversed(TG)))
    wait_for_alarm_state(cloudwatch, "Canary-5XX-Error-Alarm", "INSUFFICIENT_DATA", WAIT)

    older, newer = in_period(sandbox, 3), in_period(sandbox, 2)
    put(aws, datum("HTTPCode_Target_5XX_Count", older, 12.0), datum("HTTPCode_Target_5XX_Count", newer, 13.0))
    found = wait_for_alarm_state(cloudwatch, "Canary-5XX-Error-Alarm", "ALARM", WAIT)
    assert found["StateReason"].startswith("Threshold Crossed: 2 out of the last 2 datapoints [13.0 (")
    assert found["StateReason"].endswith("were greater than or equal to the threshold (5.0) (minimum 2 datapoints for INSUFFICIENT_DATA -> ALARM transition).")
    reason_data = json.loads(found["StateReasonData"])
    assert reason_data["statistic"] == "Sum" and reason_data["period"] == PERIOD
    assert [point["value"] for point in reason_data["evaluatedDatapoints"]] == [13.0, 12.0]

    # newer datapoints under the threshold (the next two periods): the most recent two decide
    put(
        aws,
        datum("HTTPCode_Target_5XX_Count", newer + timedelta(seconds=PERIOD), 1.0),
        datum("HTTPCode_Target_5XX_Count", newer + timedelta(seconds=2 * PERIOD), 0.0),
    )
    found = wait_for_alarm_state(cloudwatch, "Canary-5XX-Error-Alarm", "OK", WAIT)
    assert "not greater than or equal to the threshold (5.0)" in found["StateReason"]
    assert "(minimum 1 datapoint for ALARM -> OK transition)." in found["StateReason"]

    items = history(aws, "Canary-5XX-Error-Alarm", HistoryItemType="StateUpdate", ScanBy="TimestampAscending")
    # a new alarm starts INSUFFICIENT_DATA, as in AWS: no data is no transition
    assert [item["HistorySummary"] for item in items] == [
        "Alarm updated from INSUFFICIENT_DATA to ALARM",
        "Alarm updated from ALARM to OK",
    ]
    change = json.loads(items[0]["HistoryData"])
    assert change["oldState"]["stateValue"] == "INSUFFICIENT_DATA"
    assert change["newState"]["stateValue"] == "ALARM"
    assert change["newState"]["stateReason"].startswith("Threshold Crossed: 2 out of the last 2 datapoints")
    assert change["newState"]["stateReasonData"]["threshold"] == 5.0
    assert items[0]["AlarmName"] == "Canary-5XX-Error-Alarm" and items[0]["AlarmType"] == "MetricAlarm"


def test_a_new_alarm_starts_insufficient_data_and_an_update_keeps_its_state(sandbox, aws):
    cloudwatch = aws("cloudwatch")
    alarm(aws, "fresh", periods=1)
    found = cloudwatch.describe_alarms(AlarmNames=["fresh"])["MetricAlarms"][0]
    assert (found["StateValue"], found["StateReason"]) == ("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation")
    wait_passes(sandbox, 2)  # still no data: no transition, only the creation in the history
    assert [item["HistoryItemType"] for item in history(aws, "fresh")] == ["ConfigurationUpdate"]

    put(aws, datum("HTTPCode_Target_5XX_Count", in_period(sandbox, 1), 50.0))
    fired = wait_for_alarm_state(cloudwatch, "fresh", "ALARM", WAIT)
    alarm(aws, "fresh", periods=1, AlarmDescription="now described")  # PutMetricAlarm on an existing alarm
    wait_passes(sandbox, 2)
    updated = cloudwatch.describe_alarms(AlarmNames=["fresh"])["MetricAlarms"][0]
    assert updated["AlarmDescription"] == "now described"
    assert (updated["StateValue"], updated["StateReason"]) == ("ALARM", fired["StateReason"])
    assert updated["StateUpdatedTimestamp"] == fired["StateUpdatedTimestamp"]
    summaries = [item["HistorySummary"] for item in history(aws, "fresh", ScanBy="TimestampAscending")]
    assert summaries == ['Alarm "fresh" created', "Alarm updated from INSUFFICIENT_DATA to ALARM", 'Alarm "fresh" updated']


def test_no_data_follows_treat_missing_data(sandbox, aws):
    cloudwatch = aws("cloudwatch")
    for treatment in ("breaching", "notBreaching", "missing"):
        alarm(aws, f"no-data-{treatment}", metric="QuietMetric", periods=1, TreatMissingData=treatment)
    found = wait_for_alarm_state(cloudwatch, "no-data-breaching", "ALARM", WAIT)
    assert found["StateReason"] == ("Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [Breaching].")
    wait_for_alarm_state(cloudwatch, "no-data-missing", "INSUFFICIENT_DATA", WAIT)

    # notBreaching goes to OK with no data: drive it to ALARM with data, then let the data age out
    put(aws, datum("QuietMetric", in_period(sandbox, 1), 50.0))
    wait_for_alarm_state(cloudwatch, "no-data-notBreaching", "ALARM", WAIT)
    found = wait_for_alarm_state(cloudwatch, "no-data-notBreaching", "OK", WAIT)
    assert found["StateReason"] == ("Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].")
    found = wait_for_alarm_state(cloudwatch, "no-data-missing", "INSUFFICIENT_DATA", WAIT)
    assert found["StateReason"] == "Insufficient Data: 1 datapoint was unknown."
    # the history item follows the state change (eventually, as in AWS): waited for, briefly
    expected = ["Alarm updated from INSUFFICIENT_DATA to ALARM", "Alarm updated from ALARM to INSUFFICIENT_DATA"]

    def summaries():
        return [item["HistorySummary"] for item in history(aws, "no-data-missing", HistoryItemType="StateUpdate", ScanBy="TimestampAscending")]

    deadline = time.monotonic() + 10
    while summaries() != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    assert summaries() == expected


def test_p99_target_response_time_alarm(sandbox, aws):
    cloudwatch = aws("cloudwatch")
    for name, statistic in (("latency-p99", {"Statistic": None, "ExtendedStatistic": "p99"}), ("latency-average", {"Statistic": "Average"})):
        alarm(aws, name, "TargetResponseTime", periods=1, Threshold=1.0, Unit="Seconds", ComparisonOperator="GreaterThanThreshold", **statistic)
    wait_for_alarm_state(cloudwatch, "latency-p99", "INSUFFICIENT_DATA", WAIT)

    # 1 request in 100 is slow: p99 is still fast
    put(aws, datum("TargetResponseTime", in_period(sandbox, 2), Values=[0.1, 0.2, 5.0], Counts=[90, 9, 1], Unit="Seconds"))
    found = wait_for_alarm_state(cloudwatch, "latency-p99", "OK", WAIT)
    assert "[0.2 (" in found["StateReason"]
    # 5 in 100: p99 is slow, the average is not
    put(aws, datum("TargetResponseTime", in_period(sandbox, 1), Values=[0.1, 5.0], Counts=[95, 5], Unit="Seconds"))
    found = wait_for_alarm_state(cloudwatch, "latency-p99", "ALARM", WAIT)
    assert found["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoint [5.0 (")
    reason_data = json.loads(found["StateReasonData"])
    assert reason_data["extendedStatistic"] == "p99" and reason_data["unit"] == "Seconds"
    assert reason_data["evaluatedDatapoints"][0]["sampleCount"] == 100.0
    wait_passes(sandbox, 1)
    assert cloudwatch.describe_alarms(AlarmNames=["latency-average"])["MetricAlarms"][0]["StateValue"] == "OK"


def test_metric_math_error_rate_alarm(sandbox, aws):
    cloudwatch = aws("cloudwatch")

    def stat(metric_id, name):
        return {
            "Id": metric_id,
            "ReturnData": False,
            "MetricStat": {"Metric": {"Namespace": NAMESPACE, "MetricName": name, "Dimensions": TG}, "Period": PERIOD, "Stat": "Sum"},
        }

    math_alarm(
        aws,
        "error-rate",
        10.0,
        {"Id": "rate", "Expression": "100 * errors / requests", "ReturnData": True},
        stat("requests", "RequestCount"),
        stat("errors", "HTTPCode_Target_5XX_Count"),
    )
    wait_for_alarm_state(cloudwatch, "error-rate", "INSUFFICIENT_DATA", WAIT)
    moment = in_period(sandbox, 1)
    put(aws, datum("RequestCount", moment, 200.0), datum("HTTPCode_Target_5XX_Count", moment, 30.0))
    found = wait_for_alarm_state(cloudwatch, "error-rate", "ALARM", WAIT)
    assert "[15.0 (" in found["StateReason"]


def test_unsupported_alarm_is_left_alone_and_reported(sandbox, aws):
    cloudwatch = aws("cloudwatch")
    math_alarm(
        aws,
        "filled",
        1.0,
        {"Id": "e", "Expression": "FILL(m, REPEAT)", "ReturnData": True},
        {"Id": "m", "ReturnData": False, "MetricStat": {"Metric": {"Namespace": NAMESPACE, "MetricName": "RequestCount"}, "Period": PERIOD, "Stat": "Sum"}},
    )
    wait_passes(sandbox, 3)
    found = cloudwatch.describe_alarms(AlarmNames=["filled"])["MetricAlarms"][0]
    assert (found["StateValue"], found["StateReason"]) == ("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation")
    assert "more than the sandbox evaluates" in evaluator_status(sandbox)["unsupported"]["us-east-1/filled"]


def test_a_state_set_by_hand_sticks_until_the_data_changes(sandbox, aws):
    cloudwatch = aws("cloudwatch")
    slow = 2 * PERIOD  # the datapoints below must stay in the evaluation range for a few passes
    alarm(aws, "forced", periods=1, TreatMissingData="notBreaching", Period=slow)
    wait_for_alarm_state(cloudwatch, "forced", "OK", WAIT)  # evaluated: no data, not breaching, OK
    cloudwatch.set_alarm_state(AlarmName="forced", StateValue="ALARM", StateReason="forced by the test")
    wait_passes(sandbox, 5)
    found = cloudwatch.describe_alarms(AlarmNames=["forced"])["MetricAlarms"][0]
    assert (found["StateValue"], found["StateReason"]) == ("ALARM", "forced by the test")
    manual = history(aws, "forced", HistoryItemType="StateUpdate")
    assert [item["HistorySummary"] for item in manual] == ["Alarm updated from OK to ALARM", "Alarm updated from INSUFFICIENT_DATA to OK"]
    assert json.loads(manual[0]["HistoryData"])["newState"]["stateReason"] == "forced by the test"

    # the data says ALARM (already so: nothing written), then says OK: the evaluator writes OK
    put(aws, datum("HTTPCode_Target_5XX_Count", in_period(sandbox, 2, slow), 9.0))
    wait_passes(sandbox, 2)
    assert cloudwatch.describe_alarms(AlarmNames=["forced"])["MetricAlarms"][0]["StateReason"] == "forced by the test"
    put(aws, datum("HTTPCode_Target_5XX_Count", in_period(sandbox, 1, slow), 1.0))
    found = wait_for_alarm_state(cloudwatch, "forced", "OK", WAIT)
    assert found["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoint [1.0 (")


def test_describe_alarm_history_filters_and_pages(sandbox, aws):
    cloudwatch = aws("cloudwatch")
    alarm(aws, "paged", periods=1)
    wait_passes(sandbox, 2)
    for state in ("ALARM", "OK", "ALARM", "OK"):
        cloudwatch.set_alarm_state(AlarmName="paged", StateValue=state, StateReason=f"to {state}")
        wait_passes(sandbox, 2)  # a pass sees each change made by others
    items = history(aws, "paged", HistoryItemType="StateUpdate")
    assert len(items) >= 4
    assert items == sorted(items, key=lambda item: item["Timestamp"], reverse=True)  # newest first by default
    assert history(aws, "paged", HistoryItemType="ConfigurationUpdate")[0]["HistorySummary"] == 'Alarm "paged" created'

    pages, kwargs = [], {"AlarmName": "paged", "HistoryItemType": "StateUpdate", "MaxRecords": 2}
    for _ in range(10):
        answer = cloudwatch.describe_alarm_history(**kwargs)
        pages.append(answer["AlarmHistoryItems"])
        if "NextToken" not in answer:
            break
        kwargs["NextToken"] = answer["NextToken"]
    assert all(len(page) <= 2 for page in pages) and sum(pages, []) == items

    newest = items[0]["Timestamp"]
    assert history(aws, "paged", StartDate=newest + timedelta(seconds=1)) == []
    assert history(aws, "paged", HistoryItemType="StateUpdate", EndDate=newest) == items
    with pytest.raises(ClientError) as error:
        cloudwatch.describe_alarm_history(AlarmName="paged", NextToken="garbage")
    assert error.value.response["Error"]["Code"] == "InvalidNextToken"


def test_describe_alarm_history_in_the_query_protocol(sandbox, aws):
    """Older clients speak the query protocol; the answer must come back in it too."""
    alarm(aws, "query-protocol", periods=1)
    wait_passes(sandbox, 2)
    session = botocore.session.get_session()
    model = session.get_service_model("cloudwatch")
    operation = model.operation_model("DescribeAlarmHistory")
    from botocore.parsers import create_parser
    from botocore.serialize import create_serializer

    wire = create_serializer("query").serialize_to_request({"AlarmName": "query-protocol", "HistoryItemType": "ConfigurationUpdate"}, operation)
    request = AWSRequest(method="POST", url=sandbox.endpoint + "/", data=wire["body"], headers=wire["headers"])
    SigV4Auth(Credentials("testing", "testing"), "monitoring", "us-east-1").add_auth(request)
    prepared = request.prepare()
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    with urllib.request.urlopen(urllib.request.Request(prepared.url, data=body, headers=dict(prepared.headers), method="POST"), timeout=10) as answer:
        body, headers, status = answer.read(), dict(answer.headers), answer.status
    assert status == 200 and headers["Content-Type"].startswith("text/xml")
    parsed = create_parser("query").parse({"body": body, "headers": headers, "status_code": status}, operation.output_shape)
    assert [item["HistorySummary"] for item in parsed["AlarmHistoryItems"]] == ['Alarm "query-protocol" created']
    assert isinstance(parsed["AlarmHistoryItems"][0]["Timestamp"], datetime)
    assert json.loads(parsed["AlarmHistoryItems"][0]["HistoryData"])["createdAlarm"]["alarmName"] == "query-protocol"


def test_history_survives_deletion_and_reset_forgets_it(sandbox, aws):
    cloudwatch = aws("cloudwatch")
    alarm(aws, "short-lived", periods=1)
    wait_passes(sandbox, 2)
    cloudwatch.delete_alarms(AlarmNames=["short-lived"])
    wait_passes(sandbox, 2)
    summaries = [item["HistorySummary"] for item in history(aws, "short-lived", HistoryItemType="ConfigurationUpdate")]
    assert summaries == ['Alarm "short-lived" deleted', 'Alarm "short-lived" created']
    sandbox.reset()
    assert history(aws, "short-lived") == []


def test_sandbox_clock_endpoint(sandbox):
    with urllib.request.urlopen(sandbox.endpoint + "/_sandbox/clock", timeout=10) as answer:
        clock = json.loads(answer.read())
    assert clock["minute_seconds"] > 0
    # the sandbox axis runs ahead of (or with) real time, never behind
    assert clock["sandbox_now"] >= time.time() - 5
    # the helper reads the same clock through the endpoint when it has no in-process one
    remote = sandbox_clock(SimpleNamespace(endpoint=sandbox.endpoint))
    assert remote["minute_seconds"] == clock["minute_seconds"]
    assert 0 <= remote["sandbox_now"] - clock["sandbox_now"] < 60 * 60 * 24


def test_alarms_on_the_data_plane_metrics(sandbox, aws):
    """The whole chain: requests through a listener port, the data plane's ALB metrics, the evaluator."""
    import threading

    from canary_sandbox.dataplane.discovery import load_balancer_dimension, target_group_dimension
    from canary_sandbox.dataplane.extension import listener_url
    from canary_sandbox.stack import create_task_set, make_ecs_stack, register_version

    stack = make_ecs_stack(aws, "cwdp")
    ecs, elbv2, cloudwatch = aws("ecs"), aws("elbv2"), aws("cloudwatch")
    failing = register_version(ecs, "cwdp-app", "v3", {"SANDBOX_FAILURE_RATE": "1.0", "SANDBOX_LATENCY_MS": "20"})
    create_task_set(ecs, stack, stack.green_target_group_arn, failing)
    elbv2.modify_listener(ListenerArn=stack.prod_listener_arn, DefaultActions=[{"Type": "forward", "TargetGroupArn": stack.green_target_group_arn}])
    # dimensions in AWS's console order, not the data plane's
    green = [
        {"Name": "LoadBalancer", "Value": load_balancer_dimension(stack.load_balancer_arn)},
        {"Name": "TargetGroup", "Value": target_group_dimension(stack.green_target_group_arn)},
    ]
    common = dict(Dimensions=green, Period=60, TreatMissingData="notBreaching")
    alarm(aws, "dp-5xx", **common)
    alarm(
        aws,
        "dp-p99",
        "TargetResponseTime",
        periods=1,
        Statistic=None,
        ExtendedStatistic="p99",
        Threshold=0.015,
        ComparisonOperator="GreaterThanThreshold",
        **common,
    )

    url = listener_url(sandbox.endpoint, "cwdp-alb", 80, timeout=WAIT)
    done = threading.Event()

    def traffic():
        while not done.is_set():
            try:
                urllib.request.urlopen(url + "/", timeout=5).read()
            except Exception:  # 500s are the point
                pass

    senders = [threading.Thread(target=traffic, daemon=True) for _ in range(4)]
    for sender in senders:
        sender.start()
    try:
        errors = wait_for_alarm_state(cloudwatch, "dp-5xx", "ALARM", WAIT)
        latency = wait_for_alarm_state(cloudwatch, "dp-p99", "ALARM", WAIT)
    finally:
        done.set()
        for sender in senders:
            sender.join(timeout=10)
    assert errors["StateReason"].startswith("Threshold Crossed: 2 out of the last 2 datapoints [")
    assert json.loads(latency["StateReasonData"])["extendedStatistic"] == "p99"


def test_a_pass_that_could_change_nothing_is_skipped_and_a_period_end_still_moves_the_alarm(sandbox, aws):
    """With no write and no period ended, a pass would find what the last one found: it is skipped.
    The evaluation range moving past data (a period ending) is still seen, with no write at all."""
    cloudwatch = aws("cloudwatch")
    alarm(aws, "ages-out", periods=1, TreatMissingData="notBreaching")
    put(aws, datum("HTTPCode_Target_5XX_Count", in_period(sandbox, 1), 50.0))
    wait_for_alarm_state(cloudwatch, "ages-out", "ALARM", WAIT)
    skipped = evaluator_status(sandbox)["skipped"]
    wait_passes(sandbox, 3)  # the clock runs at 0.25 s a minute: several passes inside one 5-minute period
    assert evaluator_status(sandbox)["skipped"] > skipped, "no pass was skipped though nothing was written"
    # nothing is written from here on: the datapoint leaves the one-period range when the next period ends
    wait_for_alarm_state(cloudwatch, "ages-out", "OK", WAIT)


def test_get_metric_data_answers_percentiles_beside_sums(sandbox, aws):
    """moto fails GetMetricData with a pNN statistic (HTTP 500); CloudWatch, and so the sandbox, answers it."""
    minute = 60
    now = sandbox_clock(sandbox)["sandbox_now"]
    first = math.floor(now / minute) * minute - 3 * minute
    stamps = [datetime.fromtimestamp(first + offset * minute + 5, timezone.utc) for offset in range(2)]
    put(
        aws,
        datum("TargetResponseTime", stamps[0], Values=[0.1, 0.2, 3.0], Counts=[90.0, 9.0, 1.0], Unit="Seconds"),
        datum("TargetResponseTime", stamps[1], Values=[0.4], Counts=[10.0], Unit="Seconds"),
        datum("RequestCount", stamps[0], 100.0),
        datum("RequestCount", stamps[1], 10.0),
    )

    def query(query_id, name, stat, dimensions=TG):
        return {
            "Id": query_id,
            "MetricStat": {"Metric": {"Namespace": NAMESPACE, "MetricName": name, "Dimensions": dimensions}, "Period": minute, "Stat": stat},
        }

    answer = aws("cloudwatch").get_metric_data(
        MetricDataQueries=[
            query("p99", "TargetResponseTime", "p99"),
            query("p50", "TargetResponseTime", "p50", list(reversed(TG))),  # CloudWatch ignores dimension order
            query("requests", "RequestCount", "Sum"),
            dict(query("hidden", "RequestCount", "SampleCount"), ReturnData=False),
        ],
        StartTime=datetime.fromtimestamp(first + 30, timezone.utc),  # aligned down to the period, as CloudWatch does
        EndTime=datetime.fromtimestamp(first + 3 * minute, timezone.utc),
        ScanBy="TimestampAscending",
    )
    results = {result["Id"]: result for result in answer["MetricDataResults"]}
    assert sorted(results) == ["p50", "p99", "requests"]
    assert [stamp.timestamp() for stamp in results["p99"]["Timestamps"]] == [first, first + minute]
    assert results["p99"]["Values"] == [0.2, 0.4] and results["p50"]["Values"] == [0.1, 0.4]
    assert results["requests"]["Values"] == [100.0, 10.0]
    assert all(result["StatusCode"] == "Complete" for result in results.values()) and results["p99"]["Label"] == "TargetResponseTime"
    newest_first = aws("cloudwatch").get_metric_data(
        MetricDataQueries=[query("p99", "TargetResponseTime", "p99")],
        StartTime=datetime.fromtimestamp(first, timezone.utc),
        EndTime=datetime.fromtimestamp(first + 3 * minute, timezone.utc),
    )
    assert newest_first["MetricDataResults"][0]["Values"] == [0.4, 0.2]
