"""The ALB's CloudWatch metrics, counted per sandbox minute and published like AWS does.

Requests are counted into the sandbox minute (Clock.sandbox_now) they happened in. Once
that minute is over, each target group's counts go to CloudWatch in one put_metric_data
call (namespace AWS/ApplicationELB, dimensions TargetGroup + LoadBalancer), and
errors the load balancer made itself (502/503/504) in one call per load balancer
(dimension LoadBalancer). As in AWS, a metric is only reported for a minute in which it
has a nonzero value: no traffic means no datapoints, and a minute without 5XX has no
HTTPCode_Target_5XX_Count datapoint (alarms treat that as missing data).
"""

import collections
import dataclasses
import datetime
import logging
import threading

from .discovery import load_balancer_dimension, target_group_dimension

LOG = logging.getLogger("canary_sandbox.dataplane.extension")

NAMESPACE = "AWS/ApplicationELB"
MAX_METRICS_PER_CALL = 1000  # put_metric_data's limit on MetricData entries
MAX_VALUES_PER_METRIC = 150  # put_metric_data's limit on Values per entry
ELB_ERROR_CODES = (502, 503, 504)


@dataclasses.dataclass
class TargetGroupStats:
    requests: int = 0
    target_codes: collections.Counter = dataclasses.field(default_factory=collections.Counter)  # "5XX" -> count
    latencies: collections.Counter = dataclasses.field(default_factory=collections.Counter)  # seconds -> count


@dataclasses.dataclass
class MinuteStats:
    target_groups: dict = dataclasses.field(default_factory=dict)  # (target group arn, load balancer arn) -> stats
    elb_errors: dict = dataclasses.field(default_factory=dict)  # load balancer arn -> Counter(status -> count)


def minute_start(sandbox_seconds):
    return int(sandbox_seconds // 60) * 60


def status_class(status):
    return f"{status // 100}XX"


def quantize(seconds):
    """Latency kept to 3 significant digits: percentiles stay exact to 0.5%, distinct values stay few."""
    return float(f"{seconds:.3g}")


class MetricsRecorder:
    """Counts per sandbox minute; thread-safe (listener handler threads record, one thread publishes)."""

    def __init__(self, now):
        self._now = now
        self._lock = threading.Lock()
        self._minutes = {}  # minute start (sandbox epoch seconds) -> MinuteStats

    def _minute(self):
        return self._minutes.setdefault(minute_start(self._now()), MinuteStats())

    def record_target(self, load_balancer_arn, target_group_arn, status, latency):
        """A request a target of the group handled; status and latency are None if it never answered."""
        with self._lock:
            stats = self._minute().target_groups.setdefault((target_group_arn, load_balancer_arn), TargetGroupStats())
            stats.requests += 1
            if status is not None:
                stats.target_codes[status_class(status)] += 1
            if latency is not None:
                stats.latencies[quantize(latency)] += 1

    def record_elb_error(self, load_balancer_arn, status):
        with self._lock:
            self._minute().elb_errors.setdefault(load_balancer_arn, collections.Counter())[status] += 1

    def take_finished(self):
        """[(minute start, MinuteStats)] for every minute that is over, oldest first; forgets them."""
        current = minute_start(self._now())
        with self._lock:
            finished = sorted(minute for minute in self._minutes if minute < current)
            return [(minute, self._minutes.pop(minute)) for minute in finished]

    def clear(self):
        with self._lock:
            self._minutes = {}


def _datum(name, dimensions, timestamp, unit, value=None, values=None, counts=None):
    datum = {"MetricName": name, "Dimensions": dimensions, "Timestamp": timestamp, "Unit": unit}
    if values is None:
        datum["Value"] = float(value)
    else:
        datum["Values"] = values
        datum["Counts"] = counts
    return datum


def target_group_metric_data(timestamp, target_group_arn, load_balancer_arn, stats):
    """MetricData for one target group behind one load balancer in one minute (nonzero metrics only)."""
    dimensions = [
        {"Name": "TargetGroup", "Value": target_group_dimension(target_group_arn)},
        {"Name": "LoadBalancer", "Value": load_balancer_dimension(load_balancer_arn)},
    ]
    data = []
    if stats.requests:
        data.append(_datum("RequestCount", dimensions, timestamp, "Count", stats.requests))
    for code in ("2XX", "3XX", "4XX", "5XX"):
        if stats.target_codes[code]:
            data.append(_datum(f"HTTPCode_Target_{code}_Count", dimensions, timestamp, "Count", stats.target_codes[code]))
    # Every latency goes in (as value + count), so the evaluator can compute percentiles such as p99.
    latencies = sorted(stats.latencies.items())
    for start in range(0, len(latencies), MAX_VALUES_PER_METRIC):
        chunk = latencies[start : start + MAX_VALUES_PER_METRIC]
        data.append(
            _datum("TargetResponseTime", dimensions, timestamp, "Seconds", values=[value for value, _ in chunk], counts=[float(count) for _, count in chunk])
        )
    return data


def load_balancer_metric_data(timestamp, load_balancer_arn, errors):
    """HTTPCode_ELB_5XX_Count and the per-code counts for errors the load balancer itself answered."""
    dimensions = [{"Name": "LoadBalancer", "Value": load_balancer_dimension(load_balancer_arn)}]
    data = []
    total = sum(count for status, count in errors.items() if 500 <= status < 600)
    if total:
        data.append(_datum("HTTPCode_ELB_5XX_Count", dimensions, timestamp, "Count", total))
    for status in ELB_ERROR_CODES:
        if errors.get(status):
            data.append(_datum(f"HTTPCode_ELB_{status}_Count", dimensions, timestamp, "Count", errors[status]))
    return data


def calls_for_minute(minute, stats):
    """The put_metric_data MetricData lists for one finished minute: one per target group, one per load balancer."""
    timestamp = datetime.datetime.fromtimestamp(minute, tz=datetime.timezone.utc)
    per_group = collections.defaultdict(list)
    for (group_arn, balancer_arn), group_stats in sorted(stats.target_groups.items()):
        per_group[group_arn].extend(target_group_metric_data(timestamp, group_arn, balancer_arn, group_stats))
    calls = list(per_group.values())
    for balancer_arn, errors in sorted(stats.elb_errors.items()):
        calls.append(load_balancer_metric_data(timestamp, balancer_arn, errors))
    # A call holds at most MAX_METRICS_PER_CALL entries; only a flood of distinct latencies needs a split.
    return [data[start : start + MAX_METRICS_PER_CALL] for data in calls if data for start in range(0, len(data), MAX_METRICS_PER_CALL)]


def publish(cloudwatch, finished):
    """Send the finished minutes; a failed call is logged and dropped (metrics are best effort, like AWS's)."""
    sent = 0
    for minute, stats in finished:
        for data in calls_for_minute(minute, stats):
            try:
                cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data)
                sent += 1
            except Exception as error:  # the sandbox may be resetting or stopping
                LOG.warning("data plane: could not publish %d ALB metrics for minute %s: %s", len(data), minute, error)
    return sent
