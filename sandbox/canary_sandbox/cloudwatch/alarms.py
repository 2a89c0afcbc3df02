"""CloudWatch metric alarm evaluation for the sandbox (moto stores alarms but never evaluates them).

A background thread evaluates every metric alarm every `interval_minutes` sandbox
minutes (a quarter minute by default), on the sandbox time axis (clock.sandbox_now()):
an alarm with Period=60 is evaluated over sandbox minutes. Everything goes through the
public API, like CloudWatch's own evaluator: describe_alarms, get_metric_data (one
batch per alarm period per pass) and set_alarm_state. Percentiles come from the raw
values seen on the wire (samples.py), because moto cannot compute them.

When the evaluator writes. It remembers, per alarm, the state it last *computed* and
calls set_alarm_state only when a new computation differs from that (not from the
alarm's current state). So a state set by hand (set_alarm_state in a test, or a user
forcing ALARM to try a rollback) stays until the metric data says something new; an
alarm changed by hand before its first evaluation keeps that state too. CloudWatch
itself would overwrite a manual state at the next period; the sandbox keeps it so tests
can force states without racing the evaluator. Changing an alarm (put_metric_alarm)
starts its memory afresh.

History. Every state change the evaluator makes, every change made by others that a
pass observes (set_alarm_state between two passes; only the last of several is seen),
and alarm creation, update and deletion are recorded and served as DescribeAlarmHistory
(history.py, protocol.py).

Admin: GET /_sandbox/clock answers {"sandbox_now": epoch seconds, "minute_seconds": ...}
so tests against an external sandbox can publish on the sandbox time axis.
"""

import contextlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError
from werkzeug.wrappers import Response

from ..router import WriteWatch
from ..server import Extension
from .evaluation import (
    Datapoint,
    UnsupportedAlarm,
    evaluate,
    evaluation_range,
    period_slots,
    rule_from_alarm,
)
from .history import AlarmHistory, state_update_data
from .metrics import read_series, source_from_alarm
from .protocol import PASS, Interceptor
from .query import get_metric_data
from .samples import SampleStore

LOG = logging.getLogger("canary_sandbox.cloudwatch")

DEFAULT_INTERVAL_MINUTES = 0.25
MIN_INTERVAL_SECONDS = 0.25  # however fast the clock: each pass costs a few requests to moto
# With no alarm anywhere, look rarely: creating an alarm or publishing data wakes the loop at once.
IDLE_INTERVAL_SECONDS = 2.0
# A pass is skipped when it would find what the last one found (see _pass_due), but not for longer than this.
QUIET_PASS_SECONDS = 30.0
# A period is evaluated once it ended and this many real seconds passed, so a datapoint
# published right at the end of its period still counts.
DEFAULT_GRACE_SECONDS = 0.2
RESET_PAUSE_SECONDS = 5.0  # resume anyway if moto's reset is never seen (reset called directly)
INITIAL_REASON = "Unchecked: Initial alarm creation"  # the state reason of a new alarm (moto_fidelity)
MAX_REASON = 1023  # set_alarm_state limits
MAX_REASON_DATA = 4000
MAX_DESCRIBED_ALARMS = 10000  # a bound, so a token loop in moto cannot spin the evaluator forever


@dataclass
class _Memory:
    """What the evaluator knows about one alarm configuration."""

    configured: object  # AlarmConfigurationUpdatedTimestamp: a new value means a new configuration
    observed: dict  # the state last seen or written: stateValue, stateReason, stateReasonData, updated
    manual_first: bool  # someone set the state before the first evaluation
    computed: str = None  # the state the evaluator last concluded
    written: tuple = None  # (StateValue, StateReason) of our last write, until a pass sees it


def _state(alarm):
    return {
        "stateValue": alarm.get("StateValue"),
        "stateReason": alarm.get("StateReason"),
        "stateReasonData": alarm.get("StateReasonData"),
        "updated": alarm.get("StateUpdatedTimestamp"),
    }


def _alarm_configuration(alarm):
    """HistoryData's view of an alarm: its configuration in camelCase, without state."""
    skipped = {"StateValue", "StateReason", "StateReasonData", "StateUpdatedTimestamp", "StateTransitionedTimestamp"}
    return {key[0].lower() + key[1:]: value for key, value in alarm.items() if key not in skipped and not hasattr(value, "timestamp")}


def _fit_reason_data(data):
    """StateReasonData as JSON within set_alarm_state's 4000 characters (long ranges drop detail first)."""
    text = json.dumps(data, separators=(",", ":"))
    for key in ("recentDatapoints", "evaluatedDatapoints"):
        if len(text) <= MAX_REASON_DATA:
            break
        data = {name: value for name, value in data.items() if name != key}
        text = json.dumps(data, separators=(",", ":"))
    return text


def _fit_reason(reason):
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 3] + "..."


class _Superseded(Exception):
    """The sandbox was reset during the pass: what the pass read belongs to forgotten state."""


class AlarmEvaluator(Extension):
    name = "cloudwatch_alarms"

    def __init__(self, interval_minutes=None, grace_seconds=DEFAULT_GRACE_SECONDS):
        if interval_minutes is None:
            interval_minutes = float(os.environ.get("CANARY_SANDBOX_ALARM_INTERVAL_MINUTES", DEFAULT_INTERVAL_MINUTES))
        if interval_minutes <= 0:
            raise ValueError("interval_minutes must be positive")
        self.interval_minutes = interval_minutes
        self.grace_seconds = grace_seconds
        self.history = AlarmHistory()
        self.samples = SampleStore()
        self._memory = {}  # (region, alarm name) -> _Memory
        self._unsupported = {}  # (region, alarm name) -> why it is not evaluated
        self._regions = set()
        self._regions_lock = threading.Lock()  # interceptors add regions from request threads
        # reset() bumps the generation; a pass started before it stops at its next write, so no
        # memory, history or state change from before a reset leaks into the state after it.
        self._generation = 0
        self._state_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()  # set to run a pass now (new alarm, new data, stop)
        self._idle = False  # the last pass found no alarm
        self._busy_until = 0.0  # until then, keep the short interval (a write just went to moto)
        self._moto_reset = threading.Event()
        self._moto_reset.set()
        self._paused_until = 0.0
        self._thread = None
        self._counters = {"passes": 0, "skipped": 0, "writes": 0, "errors": 0}
        self._quiet = None  # WriteWatch (made in attach)
        self._periods = None  # the alarm periods of the last complete pass, and the newest slot of each then
        self._slot_ends = None

    # --- Extension ---------------------------------------------------------------------

    def attach(self, sandbox, router):
        super().attach(sandbox, router)
        self._add_region(sandbox.region)
        router.interceptors.append(
            Interceptor(
                {
                    "DescribeAlarmHistory": self._describe_alarm_history,
                    "GetMetricData": self._get_metric_data,
                    "PutMetricData": self._observe_metric_data,
                    "PutMetricAlarm": self._observe_alarm,
                }
            )
        )
        router.admin[("GET", "/_sandbox/clock")] = self._clock
        self._quiet = WriteWatch(router, QUIET_PASS_SECONDS)

    def start(self):
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sandbox-alarms", daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def reset(self):
        with self._state_lock:
            self._generation += 1
            self._memory.clear()
            self._unsupported.clear()
            self.history.clear()
            self.samples.clear()
            self._moto_reset.clear()
            self._paused_until = time.monotonic() + RESET_PAUSE_SECONDS
            self._periods = None

    def status(self):
        unsupported = dict(self._unsupported)  # a copy: the pass thread changes it
        return dict(
            self._counters,
            interval_seconds=self.interval_seconds(),
            alarms=len(self._memory),
            history_items=sum(len(self.history.items(region)) for region in self.regions()),
            raw_value_entries=self.samples.size(),
            unsupported={f"{region}/{name}": why for (region, name), why in sorted(unsupported.items())},
        )

    # --- interceptor handlers and admin ------------------------------------------------

    def _describe_alarm_history(self, params, region):
        return self.history.describe(region, params)

    def _get_metric_data(self, params, region):
        return get_metric_data(self.sandbox.clients("cloudwatch", region), self.samples, region, params)

    def _observe_metric_data(self, params, region):
        self._add_region(region)
        self.samples.add(region, params.get("Namespace"), params.get("MetricData"))
        self._wake_if_idle()
        return PASS

    def _observe_alarm(self, params, region):
        self._add_region(region)
        self._wake_if_idle()
        return PASS

    def _wake_if_idle(self):
        # The request is still on its way to moto, so the pass this wakes may miss it: keep the
        # short interval for a while so the next passes see it.
        self._busy_until = time.monotonic() + IDLE_INTERVAL_SECONDS
        if self._idle:
            self._wake.set()

    def after_reset(self):
        # A pass that ran between reset() and moto's own reset saw the old alarms: passes
        # wait for this so no stale memory or history survives a reset.
        self._moto_reset.set()
        self._wake.set()

    def _add_region(self, region):
        with self._regions_lock:
            self._regions.add(region)

    def regions(self):
        with self._regions_lock:
            return sorted(self._regions)

    def _clock(self, request):
        payload = {"sandbox_now": self.sandbox.clock.sandbox_now(), "minute_seconds": self.sandbox.clock.minute_seconds}
        return Response(json.dumps(payload), content_type="application/json")

    # --- the loop ----------------------------------------------------------------------

    def interval_seconds(self):
        return max(self.sandbox.clock.seconds(self.interval_minutes), MIN_INTERVAL_SECONDS)

    def _run(self):
        while not self._stop.is_set() and not self.sandbox.clock.stopped:
            started = time.monotonic()
            if self._moto_reset.is_set() or started > self._paused_until:
                try:
                    if self._pass_due():
                        self.run_pass()
                    else:
                        self._counters["passes"] += 1  # it would have found what the last one did
                        self._counters["skipped"] += 1
                except Exception:  # keep evaluating; a broken pass must not end the thread
                    self._counters["errors"] += 1
                    LOG.exception("alarm evaluation pass failed")
            idle = self._idle and time.monotonic() > self._busy_until
            interval = IDLE_INTERVAL_SECONDS if idle else self.interval_seconds()
            self._wake.wait(max(interval - (time.monotonic() - started), 0.01))
            self._wake.clear()

    def _pass_due(self):
        """False only when a pass would find what the last one found: no request has changed
        anything since it began (no data, alarm, state set by hand, deletion or reset) and no
        alarm period has ended since, so every evaluation range holds the same datapoints."""
        if self._quiet is None or self._quiet.due() or self._periods is None:
            return True
        return self._newest_slots(self.sandbox.clock.sandbox_now(), self._periods) != self._slot_ends

    def _newest_slots(self, now, periods):
        return {period: period_slots(now, period, 1, self._grace())[-1] for period in periods}

    def run_pass(self):
        """Evaluate every metric alarm of every region once."""
        generation = self._generation
        now = self.sandbox.clock.sandbox_now()
        alarms = 0
        periods = set()
        self._periods = None
        for region in self.regions():
            try:
                alarms += self._evaluate_region(region, now, generation, periods)
            except _Superseded:
                return
            except (BotoCoreError, ClientError) as error:
                self._counters["errors"] += 1
                LOG.warning("alarm evaluation in %s failed: %s", region, error)
        self._counters["passes"] += 1
        self._idle = alarms == 0
        self._periods, self._slot_ends = periods, self._newest_slots(now, periods)

    def _check_generation(self, generation):
        if generation != self._generation:
            raise _Superseded()

    @contextlib.contextmanager
    def _unless_reset(self, generation):
        """Hold the state lock, or raise _Superseded if a reset came after the pass began."""
        with self._state_lock:
            self._check_generation(generation)
            yield

    def _evaluate_region(self, region, now, generation, periods):
        cloudwatch = self.sandbox.clients("cloudwatch", region)
        self._check_generation(generation)  # no requests while moto resets
        alarms = _describe_metric_alarms(cloudwatch)
        plans = []
        with self._unless_reset(generation):
            self._track_deletions(region, alarms)
            for alarm in alarms:
                memory = self._track(region, alarm)
                plan = self._plan(region, alarm)
                if plan is not None:
                    plans.append((alarm, memory) + plan)
        self._check_generation(generation)
        periods.update(source.period for _alarm, _memory, source, _rule in plans)
        series = self._read(cloudwatch, region, plans, now)
        for alarm, memory, source, rule in plans:
            if source.period not in series:
                continue  # its metrics could not be read this pass
            slots = period_slots(now, rule.period, evaluation_range(rule.evaluation_periods), self._grace())
            points = [Datapoint(slot, *source.value(series[source.period], slot)) for slot in slots]
            outcome = evaluate(rule, points, alarm.get("StateValue"), now)
            with self._unless_reset(generation):
                self._apply(region, cloudwatch, alarm, memory, outcome)
        return len(alarms)

    def _grace(self):
        return self.sandbox.clock.sandbox_seconds(self.grace_seconds)

    def _plan(self, region, alarm):
        key = (region, alarm["AlarmName"])
        try:
            source = source_from_alarm(alarm)
            rule = rule_from_alarm(alarm, period=source.period, statistic=source.statistic)
        except UnsupportedAlarm as error:
            if self._unsupported.get(key) != str(error):
                LOG.warning("alarm %s is not evaluated: %s", alarm["AlarmName"], error)
            self._unsupported[key] = str(error)
            return None
        self._unsupported.pop(key, None)
        return source, rule

    def _read(self, cloudwatch, region, plans, now):
        """{period: {MetricStat: {slot: (value, sample count)}}}, one read per alarm period."""
        by_period = {}
        for _alarm, _memory, source, rule in plans:
            count, stats = by_period.get(source.period, (0, set()))
            by_period[source.period] = (max(count, evaluation_range(rule.evaluation_periods)), stats | set(source.stats.values()))
        series = {}
        for period, (count, stats) in by_period.items():
            slots = period_slots(now, period, count, self._grace())
            try:
                series[period] = read_series(cloudwatch, self.samples, region, stats, slots[0], slots[-1] + period)
            except (BotoCoreError, ClientError) as error:
                self._counters["errors"] += 1
                LOG.warning("reading metrics for %ss alarms in %s failed: %s", period, region, error)
        return series

    # --- memory, history and writes ----------------------------------------------------

    def _track(self, region, alarm):
        """The alarm's memory, noting configuration changes and state changes made by others."""
        key = (region, alarm["AlarmName"])
        memory = self._memory.get(key)
        configured = alarm.get("AlarmConfigurationUpdatedTimestamp")
        if memory is None or memory.configured != configured:
            verb, kind, entry = ("created", "Create", "createdAlarm") if memory is None else ("updated", "Update", "updatedAlarm")
            self.history.record(
                region,
                alarm["AlarmName"],
                "ConfigurationUpdate",
                f'Alarm "{alarm["AlarmName"]}" {verb}',
                {"version": "1.0", "type": kind, entry: _alarm_configuration(alarm)},
                timestamp=configured,
            )
            # a state set by hand between PutMetricAlarm and the first pass is kept; an update is evaluated at once
            manual_first = memory is None and alarm.get("StateReason") != INITIAL_REASON
            memory = _Memory(configured=configured, observed=_state(alarm), manual_first=manual_first)
            self._memory[key] = memory
            return memory
        current = _state(alarm)
        if (current["stateValue"], current["updated"]) != (memory.observed["stateValue"], memory.observed["updated"]):
            ours = memory.written == (current["stateValue"], current["stateReason"])
            if not ours and current["stateValue"] != memory.observed["stateValue"]:
                self._record_state_change(region, alarm["AlarmName"], memory.observed, current, current["updated"])
            memory.observed = current
            memory.written = None
        return memory

    def _track_deletions(self, region, alarms):
        names = {alarm["AlarmName"] for alarm in alarms}
        for key in [key for key in self._memory if key[0] == region and key[1] not in names]:
            del self._memory[key]
            self._unsupported.pop(key, None)
            self.history.record(
                region, key[1], "ConfigurationUpdate", f'Alarm "{key[1]}" deleted', {"version": "1.0", "type": "Delete", "deletedAlarm": {"alarmName": key[1]}}
            )

    def _apply(self, region, cloudwatch, alarm, memory, outcome):
        """Write the outcome when it differs from what the evaluator last computed (see the module docstring)."""
        if outcome.state is None:
            return  # "keep the current state" (TreatMissingData=ignore, low sample count)
        previous = memory.computed
        if outcome.state == previous:
            return
        memory.computed = outcome.state
        if previous is None and memory.manual_first:
            return  # set by hand before we ever evaluated it: keep it until the data changes
        if outcome.state == alarm.get("StateValue"):
            return
        reason, reason_data = _fit_reason(outcome.reason), _fit_reason_data(outcome.reason_data)
        try:
            cloudwatch.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue=outcome.state, StateReason=reason, StateReasonData=reason_data)
        except ClientError as error:
            memory.computed = previous  # try again next pass (or the alarm was just deleted)
            LOG.warning("could not set alarm %s to %s: %s", alarm["AlarmName"], outcome.state, error)
            return
        self._counters["writes"] += 1
        memory.written = (outcome.state, reason)
        new = {"stateValue": outcome.state, "stateReason": reason, "stateReasonData": reason_data}
        self._record_state_change(region, alarm["AlarmName"], memory.observed, new, None)
        memory.observed = dict(new, updated=None)  # a change by hand before the next pass is from this state
        LOG.info("alarm %s: %s -> %s (%s)", alarm["AlarmName"], alarm.get("StateValue"), outcome.state, reason)

    def _record_state_change(self, region, name, old, new, timestamp):
        self.history.record(
            region, name, "StateUpdate", f"Alarm updated from {old['stateValue']} to {new['stateValue']}", state_update_data(old, new), timestamp=timestamp
        )


def _describe_metric_alarms(cloudwatch):
    pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"], PaginationConfig={"MaxItems": MAX_DESCRIBED_ALARMS})
    return [alarm for page in pages for alarm in page.get("MetricAlarms", ())]
