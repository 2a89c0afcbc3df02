#!/usr/bin/env python3
"""`make judge-matrix`: how often the judge rolls back a canary, and how soon, over a matrix of traffic.

A simulation of the judge's own code (plugins/module_utils/_release/judge.py and the settings
of judging.py), not of the sandbox: for each cell, RUNS canary steps of STEP_MINUTES minutes
at a 10% canary. Each minute the canary and the baseline get Poisson-distributed requests,
each failing with its own probability, and per-minute median latencies of lognormal request
times; at the end of each minute the judge tests the cumulated data as a look does
(Fisher's exact test at (1 - 0.95) / 15 per test, 50 requests a side before a verdict;
Mann-Whitney U on the per-minute medians, 6 minutes a side). The table says, per cell, the
share of runs rolled back during the step (power for a worse canary, false rollbacks for an
equal or better one), the median minute of the verdict, and the share still without enough
data at the end (rolled back by the default not_enough_data policy, or let through with
proceed).

Pure computation, no AWS and no network. Prints a Markdown table (docs/judging.md has one).
"""

import math
import os
import random
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "build", "collections"))

from ansible_collections.canary.ecs.plugins.module_utils._release import judge, judging  # noqa: E402

RUNS = int(os.environ.get("JUDGE_MATRIX_RUNS", "200"))
STEP_MINUTES = 15
CANARY_SHARE = 0.10
OPTIONS = judging.settings({"enabled": True})
PER_TEST = 1 - (1 - OPTIONS["confidence"]) / judging.tests_in_step(STEP_MINUTES)
BASE_LATENCY = 0.050  # seconds, the median request
LATENCY_SPREAD = 0.5  # lognormal sigma of one request's time

# (label, total requests per minute, baseline error rate, canary error rate, canary latency factor)
CELLS = [
    (label, rate, base, canary, slower)
    for rate in (6, 30, 120, 600)
    for label, base, canary, slower in (
        ("equal, 0% errors", 0.0, 0.0, 1.0),
        ("equal, 1% errors", 0.01, 0.01, 1.0),
        ("better (1% -> 0%)", 0.01, 0.0, 1.0),
        ("slightly worse (0% -> 2%)", 0.0, 0.02, 1.0),
        ("worse (0% -> 5%)", 0.0, 0.05, 1.0),
        ("worse (1% -> 5%)", 0.01, 0.05, 1.0),
        ("far worse (0% -> 50%)", 0.0, 0.50, 1.0),
        ("slower (+50% latency)", 0.0, 0.0, 1.5),
    )
]


def e2e_cells():
    """The cells of tests/e2e/test_release_detection.py, read from it (one list), as (label, rate, base, canary, slower);
    its sandbox's added 100 ms is far more than the +50% latency simulated here."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
    import test_release_detection as e2e  # noqa: E402  (pytest's conftest sits beside it)

    def rate(environment):
        return float(environment[e2e.FAILURE])

    return e2e.CONFIDENCE, [
        ("%s -> %s" % (e2e._variables(base), e2e._variables(canary)), per_minute, rate(base), rate(canary), 1.5 if e2e.LATENCY in canary else 1.0)
        for _name, per_minute, base, canary, _expected, _judge in e2e.CELLS
    ]


def poisson(rng, mean):
    """Knuth's method for small means, a rounded normal for large ones (close enough for counts of requests)."""
    if mean > 50:
        return max(0, int(round(rng.gauss(mean, math.sqrt(mean)))))
    threshold, count, product = math.exp(-mean), 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def errors(rng, requests, rate):
    if rate <= 0:
        return 0
    if requests > 200:
        return max(0, min(requests, int(round(rng.gauss(requests * rate, math.sqrt(requests * rate * (1 - rate)))))))
    return sum(1 for _ in range(requests) if rng.random() < rate)


def median_latency(rng, requests, factor):
    times = sorted(BASE_LATENCY * factor * math.exp(rng.gauss(0, LATENCY_SPREAD)) for _ in range(min(requests, 101)))
    return times[(len(times) + 1) // 2 - 1] if times else None  # nearest rank, as CloudWatch and the sandbox


def one_step(rng, rate, base, canary, slower, per_test):
    """(minute of the fail verdict or None, verdict at the end of the step)."""
    totals = [0, 0, 0, 0]  # canary errors, canary requests, baseline errors, baseline requests
    latencies = ([], [])
    verdict = None
    for minute in range(1, STEP_MINUTES + 1):
        n_canary, n_base = poisson(rng, rate * CANARY_SHARE), poisson(rng, rate * (1 - CANARY_SHARE))
        totals[0] += errors(rng, n_canary, canary)
        totals[1] += n_canary
        totals[2] += errors(rng, n_base, base)
        totals[3] += n_base
        for side, (count, factor) in enumerate(((n_canary, slower), (n_base, 1.0))):
            value = median_latency(rng, count, factor)
            if value is not None:
                latencies[side].append(value)
        metrics = [
            judge.error_rate_verdict(*totals, margin=OPTIONS["error_margin"], confidence=per_test, min_requests=OPTIONS["min_requests"]),
            judge.series_verdict("latency", latencies[0], latencies[1], confidence=per_test, min_samples=OPTIONS["min_periods"]),
        ]
        verdict = judge.combine(metrics, OPTIONS["pass_score"], OPTIONS["marginal_score"], critical=("error_rate",))
        if verdict["verdict"] == judge.FAIL:
            return minute, verdict["verdict"]
    return None, verdict["verdict"]


def table(cells, per_test, rng):
    print("| requests/min | canary vs baseline | rolled back in the step | median minute of the verdict | no verdict at the end |")
    print("|---:|---|---:|---:|---:|")
    for label, rate, base, canary, slower in cells:
        minutes, undecided = [], 0
        for _run in range(RUNS):
            minute, end = one_step(rng, rate, base, canary, slower, per_test)
            if minute is not None:
                minutes.append(minute)
            elif end == judge.NOT_ENOUGH_DATA:
                undecided += 1
        minutes.sort()
        median = "%d" % minutes[len(minutes) // 2] if minutes else "-"
        print("| %d | %s | %.1f%% | %s | %.1f%% |" % (rate, label, 100.0 * len(minutes) / RUNS, median, 100.0 * undecided / RUNS), flush=True)
    print("\n%d runs per cell, a %g%% canary for %d minutes, %.5f per test\n" % (RUNS, CANARY_SHARE * 100, STEP_MINUTES, 1 - per_test))


def main():
    rng = random.Random(20261206)
    print("At the default confidence (%g):\n" % OPTIONS["confidence"])
    table(CELLS, PER_TEST, rng)
    confidence, cells = e2e_cells()
    print("The cells of the e2e detection matrix, at its confidence (%g):\n" % confidence)
    table(cells, 1 - (1 - confidence) / judging.tests_in_step(STEP_MINUTES), rng)


if __name__ == "__main__":
    main()
