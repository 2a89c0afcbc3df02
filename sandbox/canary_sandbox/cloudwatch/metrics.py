"""What an alarm watches, and reading it back through the CloudWatch API.

An alarm watches either one metric statistic (MetricName/Namespace/Dimensions/Statistic,
or Metrics=[one MetricStat]) or a metric math expression over several (math.py).
`read_series` reads every statistic one evaluation pass needs with as few GetMetricData
calls as possible: one per alarm period, up to 500 queries each. Percentiles come from
the raw values kept by samples.py (moto cannot compute them).

moto 5.2.5 matches dimensions by their *order* in GetMetricData (its Dimension sorting
is broken), while CloudWatch ignores order. A metric published with
[TargetGroup, LoadBalancer] is invisible to an alarm that lists [LoadBalancer,
TargetGroup]. So each statistic is asked for under every dimension order moto can tell
apart (2 or 3 dimensions; alarms have few) and the answers are merged.
"""

import itertools
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timezone

from .evaluation import (
    STATISTICS,
    Aggregate,
    UnsupportedAlarm,
    is_percentile,
    merge_aggregates,
    needed_statistics,
    percentile,
    percentile_rank,
)
from .math import Expression

LOG = logging.getLogger("canary_sandbox.cloudwatch")

MAX_QUERIES_PER_CALL = 500  # GetMetricData's limit
MAX_RESULTS = 100000  # a bound on the pages one batch may take, so a token loop cannot spin forever
MAX_PERMUTED_DIMENSIONS = 3  # beyond this, the alarm's own order only (3! = 6 queries at most)


@dataclass(frozen=True)
class MetricStat:
    namespace: str
    name: str
    dimensions: tuple  # ((name, value), ...) in the order the alarm gives them
    period: int
    statistic: str
    unit: str = None


@dataclass(frozen=True)
class AlarmSource:
    """The series an alarm compares: stats[result] itself, or an expression over stats."""

    period: int
    stats: dict  # query id -> MetricStat
    result: str
    expression: Expression = None
    statistic: str = None  # for StateReasonData; None for metric math

    def value(self, series, slot):
        """(value, sample count) of the alarm's series in one period slot."""
        if self.expression is None:
            return series.get(self.stats[self.result], {}).get(slot, (None, None))
        values = {query_id: series.get(stat, {}).get(slot, (None, None))[0] for query_id, stat in self.stats.items()}
        return self.expression.value(values), None


def _dimensions(items):
    return tuple((item["Name"], item["Value"]) for item in items or ())


def source_from_alarm(alarm):
    """The AlarmSource of a describe_alarms MetricAlarms entry; raises UnsupportedAlarm."""
    if alarm.get("Metrics"):
        return _math_source(alarm["Metrics"])
    statistic = alarm.get("Statistic") or alarm.get("ExtendedStatistic")
    _check_statistic(statistic)
    if not alarm.get("MetricName") or not alarm.get("Namespace"):
        raise UnsupportedAlarm("the alarm names no metric (MetricName and Namespace, or Metrics)")
    stat = MetricStat(
        alarm["Namespace"], alarm["MetricName"], _dimensions(alarm.get("Dimensions")), int(alarm.get("Period") or 0), statistic, alarm.get("Unit")
    )
    return AlarmSource(period=stat.period, stats={"m": stat}, result="m", statistic=statistic)


def _check_statistic(statistic):
    if statistic not in STATISTICS and not is_percentile(statistic):
        raise UnsupportedAlarm(f"statistic {statistic!r} is not evaluated by the sandbox (Sum, Average, Minimum, Maximum, SampleCount and percentiles pNN are)")


def _math_source(queries):
    returned = [query for query in queries if query.get("ReturnData", True)]
    if len(returned) != 1:
        raise UnsupportedAlarm("a metric math alarm must return exactly one query (ReturnData)")
    stats, expressions = {}, {}
    for query in queries:
        if "MetricStat" in query:
            stats[query["Id"]] = _metric_stat(query["MetricStat"])
        elif "Expression" in query:
            expressions[query["Id"]] = query["Expression"]
        else:
            raise UnsupportedAlarm(f"metric query {query.get('Id')!r} has neither MetricStat nor Expression")
    periods = {stat.period for stat in stats.values()}
    if len(periods) != 1:
        raise UnsupportedAlarm("the metric queries of a metric math alarm must share one period")
    result = returned[0]["Id"]
    if result in stats:
        return AlarmSource(period=periods.pop(), stats={result: stats[result]}, result=result, statistic=stats[result].statistic)
    if len(expressions) != 1:
        raise UnsupportedAlarm("only one expression per metric math alarm is evaluated (no nested expressions)")
    expression = Expression(expressions[result])
    unknown = expression.ids - set(stats)
    if unknown:
        raise UnsupportedAlarm(f"expression {expression.text!r} uses unknown query ids {sorted(unknown)}")
    return AlarmSource(period=periods.pop(), stats={key: stats[key] for key in expression.ids}, result=result, expression=expression)


def _metric_stat(metric_stat):
    metric = metric_stat.get("Metric", {})
    statistic = metric_stat.get("Stat")
    _check_statistic(statistic)
    return MetricStat(
        metric.get("Namespace"),
        metric.get("MetricName"),
        _dimensions(metric.get("Dimensions")),
        int(metric_stat.get("Period") or 0),
        statistic,
        metric_stat.get("Unit"),
    )


# --- reading -------------------------------------------------------------------------------


def query_orderings(dimensions):
    """The dimension orders under which moto may have stored this metric, one per order moto tells apart."""
    if not 2 <= len(dimensions) <= MAX_PERMUTED_DIMENSIONS:
        return [dimensions]
    from moto.cloudwatch.models import Dimension  # moto's own comparison decides what it can match

    distinct = {}
    for ordering in itertools.permutations(dimensions):
        key = tuple((item.name, item.value) for item in sorted(Dimension(name, value) for name, value in ordering))
        distinct.setdefault(key, ordering)
    return list(distinct.values())


def _query(query_id, stat, dimensions, statistic):
    metric_stat = {
        "Metric": {"Namespace": stat.namespace, "MetricName": stat.name, "Dimensions": [{"Name": name, "Value": value} for name, value in dimensions]},
        "Period": stat.period,
        "Stat": statistic,
    }
    if stat.unit:
        metric_stat["Unit"] = stat.unit
    return {"Id": query_id, "MetricStat": metric_stat, "ReturnData": True}


def _utc(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc)


def read_api_stats(cloudwatch, stats, start, end):
    """{MetricStat: {slot: (value, sample count)}} for standard statistics, via GetMetricData."""
    queries, meaning = [], {}
    for stat in stats:
        for ordering in query_orderings(stat.dimensions):
            for statistic in needed_statistics(stat.statistic):
                query_id = f"q{len(queries)}"
                queries.append(_query(query_id, stat, ordering, statistic))
                meaning[query_id] = (stat, ordering, statistic)
    parts = {}  # (stat, ordering) -> slot -> {statistic: value}
    for offset in range(0, len(queries), MAX_QUERIES_PER_CALL):
        for result in _get_metric_data(cloudwatch, queries[offset : offset + MAX_QUERIES_PER_CALL], start, end):
            stat, ordering, statistic = meaning[result["Id"]]
            for timestamp, value in zip(result.get("Timestamps", ()), result.get("Values", ()), strict=True):
                slot = int(round(timestamp.timestamp()))
                parts.setdefault((stat, ordering), {}).setdefault(slot, {})[statistic] = value
    series = {stat: {} for stat in stats}
    merged = {}
    for (stat, _ordering), slots in parts.items():
        for slot, values in slots.items():
            merged.setdefault((stat, slot), []).append(_aggregate(values))
    for (stat, slot), aggregates in merged.items():
        total = merge_aggregates(aggregates)
        series[stat][slot] = (total.value(stat.statistic), total.sample_count)
    return series


def _aggregate(values):
    return Aggregate(sample_count=values.get("SampleCount"), total=values.get("Sum"), minimum=values.get("Minimum"), maximum=values.get("Maximum"))


def _get_metric_data(cloudwatch, queries, start, end):
    """All MetricDataResults of one batch, every page (bounded)."""
    pages = cloudwatch.get_paginator("get_metric_data").paginate(
        MetricDataQueries=queries, StartTime=_utc(start), EndTime=_utc(end), ScanBy="TimestampAscending", PaginationConfig={"MaxItems": MAX_RESULTS}
    )
    return [result for page in pages for result in page.get("MetricDataResults", ())]


def read_percentiles(samples, region, stats, start, end):
    """{MetricStat: {slot: (value, sample count)}} for pNN statistics, from the raw values kept on the wire."""
    series = {}
    for stat in stats:
        buckets = {}
        for timestamp, pairs in samples.samples(
            region, stat.namespace, stat.name, [{"Name": name, "Value": value} for name, value in stat.dimensions], start, end, stat.unit
        ):
            slot = start + math.floor((timestamp - start) / stat.period) * stat.period
            buckets.setdefault(int(slot), []).extend(pairs)
        rank = percentile_rank(stat.statistic)
        series[stat] = {slot: (percentile(pairs, rank), sum(count for _, count in pairs)) for slot, pairs in buckets.items()}
    return series


def read_series(cloudwatch, samples, region, stats, start, end):
    """Every statistic of one period over [start, end): GetMetricData for standard ones, samples for percentiles."""
    percentiles = [stat for stat in stats if is_percentile(stat.statistic)]
    standard = [stat for stat in stats if not is_percentile(stat.statistic)]
    series = read_percentiles(samples, region, percentiles, start, end) if percentiles else {}
    if standard:
        series.update(read_api_stats(cloudwatch, standard, start, end))
    return series
