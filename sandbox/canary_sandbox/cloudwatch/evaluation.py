"""How CloudWatch decides a metric alarm's state, as pure functions (no AWS calls).

The rules follow AWS's documentation ("Evaluating an alarm", "Configuring how
CloudWatch alarms treat missing data", "Avoiding premature transitions to alarm
state"); the tables in those pages are this module's unit tests.

Vocabulary:
    period slot   one alarm period on the sandbox time axis, named by its start (epoch seconds)
    datapoint     a slot with its statistic value, or None when no data arrived in it
    evaluation range   the slots read per evaluation: EvaluationPeriods plus a few older
                       ones, so that missing data can be looked past (AWS does the same)
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone

OK = "OK"
ALARM = "ALARM"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"

COMPARISONS = {
    "GreaterThanOrEqualToThreshold": (lambda value, threshold: value >= threshold, "greater than or equal to"),
    "GreaterThanThreshold": (lambda value, threshold: value > threshold, "greater than"),
    "LessThanThreshold": (lambda value, threshold: value < threshold, "less than"),
    "LessThanOrEqualToThreshold": (lambda value, threshold: value <= threshold, "less than or equal to"),
}
# Anomaly-detection bands need a model CloudWatch trains on weeks of data: out of scope.
BAND_COMPARISONS = ("LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold")

TREAT_MISSING = ("missing", "notBreaching", "breaching", "ignore")
STATISTICS = ("Sum", "Average", "Minimum", "Maximum", "SampleCount")


class UnsupportedAlarm(ValueError):
    """The alarm uses a feature the sandbox does not evaluate; it is left in its state."""


@dataclass(frozen=True)
class Rule:
    """What an alarm compares: threshold, operator, M of N, missing-data treatment."""

    comparison: str
    threshold: float
    evaluation_periods: int
    datapoints_to_alarm: int
    period: int
    treat_missing: str = "missing"
    statistic: str = None  # Sum, Average, ... or an extended statistic such as p99 (reason data)
    unit: str = None
    low_sample_minimum: float = None  # percentile alarms with EvaluateLowSampleCountPercentile=ignore

    @property
    def breaches(self):
        return COMPARISONS[self.comparison][0]

    @property
    def wording(self):
        return COMPARISONS[self.comparison][1]


def rule_from_alarm(alarm, period=None, statistic=None):
    """A Rule from a describe_alarms MetricAlarms entry; raises UnsupportedAlarm with the reason."""
    comparison = alarm.get("ComparisonOperator")
    if comparison in BAND_COMPARISONS:
        raise UnsupportedAlarm(f"anomaly detection band alarms ({comparison}) are not evaluated by the sandbox")
    if comparison not in COMPARISONS:
        raise UnsupportedAlarm(f"unknown ComparisonOperator {comparison!r}")
    if alarm.get("Threshold") is None:
        raise UnsupportedAlarm("the alarm has no static Threshold (ThresholdMetricId alarms are not evaluated)")
    treat_missing = alarm.get("TreatMissingData") or "missing"
    if treat_missing not in TREAT_MISSING:
        raise UnsupportedAlarm(f"unknown TreatMissingData {treat_missing!r}")
    evaluation_periods = int(alarm.get("EvaluationPeriods") or 1)
    datapoints_to_alarm = int(alarm.get("DatapointsToAlarm") or evaluation_periods)
    if not 1 <= datapoints_to_alarm <= evaluation_periods:
        raise UnsupportedAlarm(f"DatapointsToAlarm {datapoints_to_alarm} is not between 1 and EvaluationPeriods {evaluation_periods}")
    period = int(period or alarm.get("Period") or 0)
    if period <= 0:
        raise UnsupportedAlarm("the alarm has no Period")
    statistic = statistic or alarm.get("Statistic") or alarm.get("ExtendedStatistic")
    low_sample_minimum = None
    if alarm.get("EvaluateLowSampleCountPercentile") == "ignore" and is_percentile(statistic):
        low_sample_minimum = significant_sample_count(percentile_rank(statistic))
    return Rule(
        comparison=comparison,
        threshold=float(alarm["Threshold"]),
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=datapoints_to_alarm,
        period=period,
        treat_missing=treat_missing,
        statistic=statistic,
        unit=alarm.get("Unit"),
        low_sample_minimum=low_sample_minimum,
    )


# --- statistics ----------------------------------------------------------------------------


def is_percentile(statistic):
    return percentile_rank(statistic) is not None


def percentile_rank(statistic):
    """99.0 for "p99", 99.9 for "p99.9"; None for anything that is not a pNN statistic."""
    if not statistic or statistic[0] not in "pP":
        return None
    try:
        rank = float(statistic[1:])
    except ValueError:
        return None
    return rank if 0.0 <= rank <= 100.0 else None


def percentile(samples, rank):
    """Nearest-rank percentile of (value, count) pairs: the smallest value with at least rank% of the samples at or below it.

    CloudWatch's own percentiles are approximations; nearest-rank is exact, simple and
    agrees with them on the cases tests care about (a 1% tail is p99's business, not p98's).
    """
    pairs = sorted((value, count) for value, count in samples if count > 0)
    total = sum(count for _, count in pairs)
    if total <= 0:
        return None
    needed = max(1.0, math.ceil(rank / 100.0 * total - 1e-9))
    seen = 0.0
    for value, count in pairs:
        seen += count
        if seen >= needed:
            return value
    return pairs[-1][0]


def significant_sample_count(rank):
    """Samples a percentile needs to be statistically significant, per AWS: 10/(1-p) above the median, 10/p below."""
    fraction = rank / 100.0
    if fraction >= 1.0 or fraction <= 0.0:
        return 1.0
    return 10.0 / (1.0 - fraction) if fraction >= 0.5 else 10.0 / fraction


@dataclass(frozen=True)
class Aggregate:
    """Combinable statistics of one metric in one period: what get_metric_data can return per query."""

    sample_count: float = None
    total: float = None
    minimum: float = None
    maximum: float = None

    def value(self, statistic):
        if statistic == "Sum":
            return self.total
        if statistic == "SampleCount":
            return self.sample_count
        if statistic == "Minimum":
            return self.minimum
        if statistic == "Maximum":
            return self.maximum
        if statistic == "Average":
            if self.total is None or not self.sample_count:
                return None
            return self.total / self.sample_count
        raise UnsupportedAlarm(f"unknown statistic {statistic!r}")


def needed_statistics(statistic):
    """The combinable statistics to ask for so that `statistic` can be computed after merging."""
    if statistic == "Average":
        return ("Sum", "SampleCount")
    if statistic == "SampleCount":
        return ("SampleCount",)
    return (statistic, "SampleCount")


def merge_aggregates(parts):
    """One Aggregate from several (the same metric stored under different dimension orders)."""

    def combine(values, how):
        values = [value for value in values if value is not None]
        return how(values) if values else None

    return Aggregate(
        sample_count=combine([part.sample_count for part in parts], sum),
        total=combine([part.total for part in parts], sum),
        minimum=combine([part.minimum for part in parts], min),
        maximum=combine([part.maximum for part in parts], max),
    )


# --- time ----------------------------------------------------------------------------------


def evaluation_range(evaluation_periods):
    """How many periods one evaluation reads: N plus a few older ones (AWS reads 5 for N=3)."""
    return evaluation_periods + max(evaluation_periods // 3, 2)


def period_slots(now, period, count, grace=0.0):
    """Starts of the last `count` periods that ended at least `grace` seconds before `now`, oldest first."""
    end = math.floor((now - grace) / period) * period
    return [end - period * (count - index) for index in range(count)]


def aws_time(epoch):
    """2026-11-26T05:40:00.000+0000, the form of timestamps in StateReasonData."""
    moment = datetime.fromtimestamp(epoch, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def reason_time(epoch):
    """26/11/26 05:40:00, the form of timestamps in StateReason texts."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%d/%m/%y %H:%M:%S")


# --- evaluation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Datapoint:
    timestamp: float  # start of the period on the sandbox time axis
    value: float = None  # None: no data in this period
    sample_count: float = None


@dataclass(frozen=True)
class Outcome:
    """What an evaluation concluded. state None means: keep whatever state the alarm is in."""

    state: str
    reason: str
    reason_data: dict = field(default_factory=dict)


def evaluate(rule, datapoints, current_state, query_time):
    """The state an alarm should be in, given the datapoints of its evaluation range (oldest first)."""
    real = [point for point in datapoints if point.value is not None]
    if not real:
        return _all_missing(rule, datapoints, query_time)
    if rule.low_sample_minimum is not None:
        recent = real[-rule.evaluation_periods :]
        if any((point.sample_count or 0) < rule.low_sample_minimum for point in recent):
            return Outcome(None, "Low sample count for the percentile: state kept (EvaluateLowSampleCountPercentile=ignore).")
    needed = rule.evaluation_periods
    if len(real) >= needed:
        return _decide(rule, real[-needed:], 0, datapoints, current_state, query_time)
    if rule.treat_missing in ("breaching", "notBreaching"):
        return _decide(rule, real, needed - len(real), datapoints, current_state, query_time)
    all_breaching = all(rule.breaches(point.value, rule.threshold) for point in real)
    if all_breaching and _oldest_age(datapoints) >= rule.datapoints_to_alarm:
        # AWS's premature alarm: breaching data M periods back, nothing but breaches or gaps since
        if rule.treat_missing == "ignore":
            return Outcome(None, "Breaching datapoints followed by missing data: state kept (TreatMissingData=ignore).")
        return _decide(rule, real, 0, datapoints, current_state, query_time, premature=True)
    if all_breaching:
        # too few and too recent to alarm, and nothing says OK either: wait for more data
        return Outcome(None, "Too few breaching datapoints so far: state kept until more data arrives.")
    return _decide(rule, real, 0, datapoints, current_state, query_time)


def _oldest_age(datapoints):
    """How many periods back the oldest real datapoint is (the newest period is 1 back)."""
    return max(len(datapoints) - index for index, point in enumerate(datapoints) if point.value is not None)


def _decide(rule, evaluated, filled, datapoints, current_state, query_time, premature=False):
    """ALARM when enough of the evaluated datapoints (real, plus `filled` missing ones) breach, else OK."""
    breaching = [point for point in evaluated if rule.breaches(point.value, rule.threshold)]
    filled_breaching = filled if rule.treat_missing == "breaching" else 0
    minimum = min(rule.datapoints_to_alarm, len(evaluated)) if premature else rule.datapoints_to_alarm
    alarm = len(breaching) + filled_breaching >= minimum
    state = ALARM if alarm else OK
    shown = breaching if alarm else [point for point in evaluated if not rule.breaches(point.value, rule.threshold)]
    reason = _threshold_reason(rule, state, shown, len(evaluated) + filled, filled, current_state)
    return Outcome(state, reason, _reason_data(rule, datapoints, evaluated, filled, query_time))


def _all_missing(rule, datapoints, query_time):
    periods = rule.evaluation_periods
    data = _reason_data(rule, datapoints, [], periods, query_time)
    if rule.treat_missing == "ignore":
        return Outcome(None, "No datapoints: state kept (TreatMissingData=ignore).", data)
    if rule.treat_missing == "missing":
        return Outcome(INSUFFICIENT_DATA, f"Insufficient Data: {_count(periods, 'datapoint')} {_was(periods)} unknown.", data)
    state, label = (ALARM, "Breaching") if rule.treat_missing == "breaching" else (OK, "NonBreaching")
    reason = (
        f"Threshold Crossed: no datapoints were received for {_count(periods, 'period')} and "
        f"{_count(periods, 'missing datapoint')} {_was(periods)} treated as [{label}]."
    )
    return Outcome(state, reason, data)


def _threshold_reason(rule, state, shown, total, filled, current_state):
    """AWS's wording: Threshold Crossed: 2 out of the last 2 datapoints [12.0 (26/11/26 05:40:00), ...] were ..."""
    listed = ", ".join(f"{_number(point.value)} ({reason_time(point.timestamp)})" for point in reversed(shown))
    negation = "" if state == ALARM else "not "
    needed = rule.datapoints_to_alarm if state == ALARM else rule.evaluation_periods - rule.datapoints_to_alarm + 1
    text = (
        f"Threshold Crossed: {len(shown)} out of the last {_count(total, 'datapoint')} [{listed}] "
        f"{_was(len(shown))} {negation}{rule.wording} the threshold ({_number(rule.threshold)})"
    )
    if filled:
        label = "Breaching" if rule.treat_missing == "breaching" else "NonBreaching"
        text += f", and {_count(filled, 'missing datapoint')} {_was(filled)} treated as [{label}]"
    origin = current_state or INSUFFICIENT_DATA
    return text + f" (minimum {_count(needed, 'datapoint')} for {origin} -> {state} transition)."


def _reason_data(rule, datapoints, evaluated, filled, query_time):
    """StateReasonData as AWS writes it (JSON object; serialised by the caller)."""
    data = {
        "version": "1.0",
        "queryDate": aws_time(query_time),
        "startDate": aws_time(datapoints[0].timestamp) if datapoints else aws_time(query_time),
    }
    if rule.statistic:
        data["extendedStatistic" if is_percentile(rule.statistic) else "statistic"] = rule.statistic
    if rule.unit:
        data["unit"] = rule.unit
    data["period"] = rule.period
    data["recentDatapoints"] = [point.value for point in datapoints if point.value is not None]
    data["threshold"] = rule.threshold
    evaluated_entries = [_evaluated_entry(point) for point in reversed(evaluated)]
    missing_slots = [point for point in reversed(datapoints) if point.value is None][:filled]
    evaluated_entries += [{"timestamp": aws_time(point.timestamp)} for point in missing_slots]
    data["evaluatedDatapoints"] = evaluated_entries
    return data


def _evaluated_entry(point):
    entry = {"timestamp": aws_time(point.timestamp)}
    if point.sample_count is not None:
        entry["sampleCount"] = point.sample_count
    entry["value"] = point.value
    return entry


def _number(value):
    return repr(float(value))


def _count(number, noun):
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _was(number):
    return "was" if number == 1 else "were"
