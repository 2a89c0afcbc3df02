"""Detection, part of `make benchmark`: how soon a bad canary's traffic is back on its baseline, and what stops it.

release.py calls run() in the same run, on the same stack. For each traffic rate (requests per
sandbox minute, paced) and each guard, one release of a version failing half its requests
(the seed's Version 3):

    seed alarm   the seed's alarms alone (5xx count >= 5 a minute, twice; p99 latency); judge off
    rate alarm   the stack's rate comparison alarms alone (server-side, on by default); judge off
    judge        the judge alone (release_judge: true); every alarm out of reach

The other alarms are put out of reach (threshold raised) for the run and restored after it.
Measured: the first bad response a client saw, the production listener back at 100% on the
baseline after it, the highest share the bad version reached, what stopped it (or "went live"),
and the release's AWS API calls per look. A bad version that went live is replaced by a healthy
one before the next run. Nothing here leaves 127.0.0.1.
"""

import re
import time

from canary_sandbox.background import Every
from canary_sandbox.engine.testing import green_percent
from canary_sandbox.readback import FAILING, HEALTHY, restore_alarm
from canary_sandbox.traffic import listener_url, paced

RATES = (2, 10, 50, 300)  # requests per sandbox minute
GUARDS = ("seed alarm", "rate alarm", "judge")
OUT_OF_REACH = 1000000.0


class ListenerWatch(Every):
    """Polls the production listener's weights (directly against the sandbox, not counted) to time a rollback."""

    def __init__(self, clients, stack, original_target_group):
        elbv2 = clients("elbv2")
        original_arn = elbv2.describe_target_groups(Names=[original_target_group])["TargetGroups"][0]["TargetGroupArn"]
        self.samples = []
        super().__init__(0.1, lambda: self.samples.append((time.time(), green_percent(elbv2, stack.prod_listener_arn, original_arn))), name="listener-watch")

    def back_at_100_after(self, moment):
        """When the original target group was back at 100% after having been below, after `moment`."""
        below = False
        for at, percent in self.samples:
            if percent < 100:
                below = True
            elif below and at >= moment:
                return at
        return None

    def lowest(self):
        return min((percent for _at, percent in self.samples), default=100)


def live_target_group(clients, stack):
    elbv2 = clients("elbv2")
    groups = elbv2.describe_target_groups(Names=stack.target_group_names)["TargetGroups"]
    weights = {tg["TargetGroupName"]: green_percent(elbv2, stack.prod_listener_arn, tg["TargetGroupArn"]) for tg in groups}
    return max(weights, key=weights.get)


def watched_alarms(stack, guard):
    """The stack's alarms that stay in reach for a guard."""
    if guard == "seed alarm":
        return [name for name in stack.alarm_names if "5XX-Rate" not in name]
    if guard == "rate alarm":
        return [name for name in stack.alarm_names if "5XX-Rate" in name]
    return []


def stopped_by(output):
    """What the release's message says stopped it."""
    fired = re.search(r"alarm (\S+) went to ALARM", output)
    if fired:
        return "alarm " + ("rate" if "5XX-Rate" in fired.group(1) else "count" if "5XX-Error" in fired.group(1) else fired.group(1))
    if "the judge found the canary worse" in output:
        return "judge"
    if "the judge could not clear the canary" in output:
        return "judge's policy (not enough data)"
    return "went live" if re.search(r"succeeded: deployment", output) else "?"


def quiet(clients, names, timeout=180):
    cloudwatch = clients("cloudwatch")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alarms = cloudwatch.describe_alarms(AlarmNames=list(names))["MetricAlarms"]
        if all(alarm["StateValue"] != "ALARM" for alarm in alarms):
            return
        time.sleep(0.5)


def one(playbook, proxy, clients, stack, sandbox, minute_seconds, rate, guard, fast):
    """One bad release under one guard at one rate: a row of the table."""
    cloudwatch = clients("cloudwatch")
    saved = cloudwatch.describe_alarms(AlarmNames=list(stack.alarm_names))["MetricAlarms"]
    keep = watched_alarms(stack, guard)
    for alarm in saved:
        if alarm["AlarmName"] not in keep:
            restore_alarm(cloudwatch, dict(alarm, Threshold=OUT_OF_REACH))
    tag = "bad-%s-%d" % (guard.split()[0], rate)
    try:
        quiet(clients, stack.alarm_names)
        original = live_target_group(clients, stack)
        proxy.take()
        with paced(listener_url(sandbox, port=80), rate, minute_seconds) as traffic, ListenerWatch(clients, stack, original) as watch:
            started = time.time()
            seconds, output = playbook(
                proxy.endpoint,
                "deploy.yml",
                "-e",
                "image_tag=%s" % tag,
                extra_vars=dict(fast, release_environment=FAILING, release_fail_on_rollback=False, release_judge=guard == "judge"),
            )
            calls = proxy.take()
            time.sleep(1)
        seen = traffic.window(since=started)
        first_bad = min((at for at, version, status in traffic.samples if version == tag and status >= 500 and at >= started), default=None)
        back = watch.back_at_100_after(first_bad) if first_bad else None
        how = stopped_by(output)
        looks = sum(count for operation, count in calls.items() if operation.endswith(".GetDeployment"))
    finally:
        for alarm in saved:
            restore_alarm(cloudwatch, alarm)
    if how == "went live":  # the next run starts from a healthy baseline
        quiet(clients, [name for name in stack.alarm_names if name in watched_alarms(stack, "seed alarm")], timeout=60)
        playbook(sandbox, "deploy.yml", "-e", "image_tag=healthy-%s-%d" % (guard.split()[0], rate), extra_vars=dict(fast, release_environment=HEALTHY))
    return {
        "rate": rate,
        "guard": guard,
        "measured_rate": seen.total / max(1e-9, seconds / minute_seconds),
        "bad_share": 100 - watch.lowest(),
        "stopped_by": how,
        "first_bad": first_bad - started if first_bad else None,
        "back_after_first_bad": (back - first_bad) if back and first_bad else None,
        "bad_served": seen.errors(tag),
        "calls": sum(calls.values()),
        "looks": looks,
        "seconds": seconds,
    }


def run(playbook, proxy, clients, stack, sandbox, minute_seconds, fast):
    rows = []
    for rate in RATES:
        for guard in GUARDS:
            row = one(playbook, proxy, clients, stack, sandbox, minute_seconds, rate, guard, fast)
            rows.append(row)
            print(
                "  %3d/min %-10s -> %s, bad version at most %g%%, %d bad responses, %d calls"
                % (rate, guard, row["stopped_by"], row["bad_share"], row["bad_served"], row["calls"]),
                flush=True,
            )
    return rows


def table(rows, minute_seconds):
    """The rows for people: times in sandbox minutes (AWS minutes), from the first bad response."""

    def minutes(seconds):
        return "-" if seconds is None else "%.1f" % (seconds / minute_seconds)

    lines = [
        "| requests/min (measured) | guard | stopped by | bad version's highest share | first bad response (min into the release) "
        "| traffic back on the baseline (min after it) | bad responses served | API calls (looks) |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            "| %d (%.0f) | %s | %s | %g%% | %s | %s | %d | %d (%d) |"
            % (
                row["rate"],
                row["measured_rate"],
                row["guard"],
                row["stopped_by"],
                row["bad_share"],
                minutes(row["first_bad"]),
                minutes(row["back_after_first_bad"]),
                row["bad_served"],
                row["calls"],
                row["looks"],
            )
        )
    return "\n".join(lines)
