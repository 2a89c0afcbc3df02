"""Helpers for tests that publish metrics and wait for alarms, in-process or against an external sandbox.

Alarms are evaluated on the sandbox time axis, so metrics must be timestamped on it too:

    from canary_sandbox.cloudwatch.testing import sandbox_time, wait_for_alarm_state
    cloudwatch.put_metric_data(Namespace=..., MetricData=[{..., "Timestamp": sandbox_time(sandbox, minutes=-1)}])
    alarm = wait_for_alarm_state(cloudwatch, "my-alarm", "ALARM", timeout=10)
"""

import json
import time
import urllib.request
from datetime import datetime, timezone


def sandbox_clock(sandbox):
    """{"sandbox_now": epoch seconds, "minute_seconds": real seconds per sandbox minute}."""
    clock = getattr(sandbox, "clock", None)
    if clock is not None:
        return {"sandbox_now": clock.sandbox_now(), "minute_seconds": clock.minute_seconds}
    with urllib.request.urlopen(sandbox.endpoint + "/_sandbox/clock", timeout=10) as answer:
        return json.loads(answer.read())


def sandbox_time(sandbox, minutes=0.0):
    """Now on the sandbox time axis, shifted by `minutes` sandbox minutes, as an aware UTC datetime."""
    return datetime.fromtimestamp(sandbox_clock(sandbox)["sandbox_now"] + minutes * 60.0, timezone.utc)


def wait_for_alarm_state(cloudwatch, alarm_name, state, timeout):
    """The alarm once it is in `state`; AssertionError naming the state it stayed in after `timeout` real seconds."""
    deadline = time.monotonic() + timeout
    alarm = None
    while True:
        found = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
        alarm = found[0] if found else None
        if alarm is not None and alarm["StateValue"] == state:
            return alarm
        if time.monotonic() >= deadline:
            seen = "does not exist" if alarm is None else f"is {alarm['StateValue']} ({alarm.get('StateReason')})"
            raise AssertionError(f"alarm {alarm_name} did not reach {state} within {timeout}s: it {seen}")
        time.sleep(0.05)
