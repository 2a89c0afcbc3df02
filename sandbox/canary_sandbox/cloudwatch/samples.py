"""Raw metric values as they were published, for percentile statistics.

moto 5.2.5 keeps every value of PutMetricData (Values/Counts are expanded one datum per
count) but no API gives them back: GetMetricData with Stat "p99" fails with HTTP 500
(float(None) in moto's serializer) and GetMetricStatistics silently drops
ExtendedStatistics. So the sandbox watches PutMetricData on the wire (the request still
goes on to moto unchanged) and keeps the (value, count) pairs here, keyed like
CloudWatch keys a metric: namespace, name and the *set* of dimensions.
StatisticValues (pre-aggregated sets) carry no individual values and are not kept:
a percentile over them is missing data, as it is in CloudWatch for such periods.
"""

import threading
import time
from collections import defaultdict

# Alarms look back at most EvaluationPeriods x Period <= one day (AWS's limit).
DEFAULT_RETENTION_SECONDS = 24 * 3600


def metric_key(region, namespace, name, dimensions):
    """CloudWatch's identity of a metric: dimension order never matters."""
    return (region, namespace, name, frozenset((item["Name"], item["Value"]) for item in dimensions or ()))


def epoch_seconds(timestamp, default):
    if timestamp is None:
        return default
    if hasattr(timestamp, "timestamp"):
        return timestamp.timestamp()
    return float(timestamp)


def datum_samples(datum):
    """The (value, count) pairs of one PutMetricData MetricDatum; empty for statistic sets."""
    if datum.get("Values"):
        counts = datum.get("Counts") or [1.0] * len(datum["Values"])
        if len(counts) != len(datum["Values"]):
            return []  # moto refuses the request: keep nothing either
        return [(float(value), float(count)) for value, count in zip(datum["Values"], counts, strict=True)]
    if datum.get("StatisticValues"):
        return []
    if datum.get("Value") is not None:
        return [(float(datum["Value"]), 1.0)]
    return []


class SampleStore:
    def __init__(self, retention_seconds=DEFAULT_RETENTION_SECONDS):
        self.retention_seconds = retention_seconds
        self._lock = threading.Lock()
        self._entries = defaultdict(list)  # metric key -> [(timestamp, unit, [(value, count), ...])]

    def add(self, region, namespace, metric_data, received=None):
        """Keep the raw values of one PutMetricData request (parsed parameters)."""
        received = time.time() if received is None else received  # CloudWatch stamps untimed data on arrival
        with self._lock:
            for datum in metric_data or ():
                samples = datum_samples(datum)
                if not samples:
                    continue
                key = metric_key(region, namespace, datum.get("MetricName"), datum.get("Dimensions"))
                timestamp = epoch_seconds(datum.get("Timestamp"), received)
                entries = self._entries[key]
                entries.append((timestamp, datum.get("Unit"), samples))
                self._prune(entries, timestamp)

    def _prune(self, entries, newest):
        horizon = newest - self.retention_seconds
        if entries and entries[0][0] < horizon:
            entries[:] = [entry for entry in entries if entry[0] >= horizon]

    def samples(self, region, namespace, name, dimensions, start, end, unit=None):
        """(timestamp, [(value, count), ...]) published for exactly this metric in [start, end)."""
        key = metric_key(region, namespace, name, dimensions)
        with self._lock:
            entries = list(self._entries.get(key, ()))
        return [(timestamp, samples) for timestamp, entry_unit, samples in entries if start <= timestamp < end and (unit is None or entry_unit == unit)]

    def clear(self):
        with self._lock:
            self._entries.clear()

    def size(self):
        with self._lock:
            return sum(len(entries) for entries in self._entries.values())
