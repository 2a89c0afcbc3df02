"""GetMetricData for percentile statistics, which moto cannot answer.

moto 5.2.5 fails GetMetricData with HTTP 500 as soon as one query asks for a pNN statistic
(samples.py). CloudWatch answers it, and a canary judge reads per-minute p99 latency that
way. So a request with a percentile MetricStat is answered here: percentile queries from
the raw values samples.py keeps, the other MetricStat queries through moto (metrics.py,
which also merges the dimension orders moto keeps apart). A request without percentiles,
or with metric math next to a percentile, goes to moto unchanged.

The answer has CloudWatch's shape: one MetricDataResult per query with ReturnData (Id,
Label, Timestamps, Values, StatusCode Complete), periods aligned to the period, newest
first unless ScanBy says TimestampAscending, and no NextToken (a sandbox series is short).
"""

import math
from datetime import datetime, timezone

from .evaluation import is_percentile
from .metrics import MetricStat, read_series
from .protocol import PASS


def _stat(query):
    metric_stat = query.get("MetricStat")
    if not metric_stat:
        return None
    metric = metric_stat.get("Metric") or {}
    return MetricStat(
        metric.get("Namespace"),
        metric.get("MetricName"),
        tuple((item["Name"], item["Value"]) for item in metric.get("Dimensions") or ()),
        int(metric_stat.get("Period") or 60),
        metric_stat.get("Stat"),
        metric_stat.get("Unit"),
    )


def _epoch(value):
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def get_metric_data(cloudwatch, samples, region, params):
    """The GetMetricData answer for a request with a percentile MetricStat; PASS for any other request."""
    queries = params.get("MetricDataQueries") or []
    stats = dict((query["Id"], _stat(query)) for query in queries)
    if not any(stat is not None and is_percentile(stat.statistic) for stat in stats.values()):
        return PASS
    if any(stat is None for stat in stats.values()):
        return PASS  # metric math beside a percentile: moto's answer (an error), as before
    start, end = _epoch(params["StartTime"]), _epoch(params["EndTime"])
    by_period = {}
    for stat in set(stats.values()):
        by_period.setdefault(stat.period, []).append(stat)
    series = {}
    for period, group in by_period.items():
        aligned = math.floor(start / period) * period  # CloudWatch aligns a period's datapoints to the period
        series.update(read_series(cloudwatch, samples, region, group, aligned, end))
    newest_first = params.get("ScanBy") != "TimestampAscending"
    results = []
    for query in queries:
        if not query.get("ReturnData", True):
            continue
        stat = stats[query["Id"]]
        points = sorted(((slot, value) for slot, (value, _count) in series.get(stat, {}).items() if value is not None), reverse=newest_first)
        results.append(
            {
                "Id": query["Id"],
                "Label": query.get("Label") or stat.name,
                "Timestamps": [datetime.fromtimestamp(slot, timezone.utc) for slot, _value in points],
                "Values": [value for _slot, value in points],
                "StatusCode": "Complete",
            }
        )
    return {"MetricDataResults": results, "Messages": []}
