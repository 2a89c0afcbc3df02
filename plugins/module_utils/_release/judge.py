# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The statistics of a canary judge: is the canary worse than the baseline that runs beside it?

Pure functions, no AWS calls and no third-party packages (modules run where only boto3 is
sure to be installed), each checked in the unit tests against values scipy computes:

    fisher_greater(a, n1, b, n2)          P(canary errors >= a) under "both fail alike" (exact)
    proportion_worse(a, n1, b, n2, m)     one-sided z test that the canary's rate exceeds baseline's + m
    mann_whitney_greater(xs, ys)          one-sided Mann-Whitney U, tie-corrected normal approximation
    error_rate_verdict / series_verdict   one metric's verdict: pass, fail or not enough data, with its numbers
    combine(verdicts, ...)                the canary's verdict from its metrics' (a Kayenta-like score)
    describe(verdict)                     a verdict in one line for people

A verdict is "fail" only when the data say, at the asked confidence, that the canary is
worse than the baseline by more than the margin; "not enough data" until the minimum
sample is there; "pass" otherwise. A canary equal to or better than its baseline can only
fail by chance, at most 1 - confidence of the time.
"""

import math

PASS, FAIL, NOT_ENOUGH_DATA, MARGINAL = "pass", "fail", "not enough data", "marginal"
HIGHER, LOWER = "higher", "lower"  # which way a metric gets worse


def normal_sf(z):
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _log_comb(n, k):
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_greater(canary_errors, canary_total, baseline_errors, baseline_total):
    """One-sided Fisher exact test: the probability, with the margins fixed, of the canary having
    `canary_errors` errors or more if canary and baseline fail alike (scipy's alternative='greater').

    The hypergeometric tail in floating point, term by term from its log (exact big-integer sums
    take seconds at a busy service's hundreds of thousands of requests): the upper tail summed
    upwards when it lies above the mode, else one minus the lower tail summed downwards, so
    that every sum runs over falling terms and stops once they no longer count.
    """
    errors, total, drawn = canary_errors + baseline_errors, canary_total + baseline_total, canary_total
    lowest, highest = max(0, drawn - (total - errors)), min(errors, drawn)
    if canary_errors <= lowest:
        return 1.0
    if canary_errors > highest:
        return 0.0
    mode = (drawn + 1) * (errors + 1) // (total + 2)

    def pmf(k):
        return math.exp(_log_comb(errors, k) + _log_comb(total - errors, drawn - k) - _log_comb(total, drawn))

    def tail(start, step, stop):
        term, found, k = pmf(start), 0.0, start
        while term > 0:
            found += term
            if k == stop or term < found * 1e-17:
                break
            if step > 0:
                term *= float(errors - k) * (drawn - k) / ((k + 1) * (total - errors - drawn + k + 1))
            else:
                term *= float(k) * (total - errors - drawn + k) / ((errors - k + 1) * (drawn - k + 1))
            k += step
        return found

    if canary_errors > mode:
        return min(1.0, tail(canary_errors, 1, highest))
    return max(0.0, 1.0 - tail(canary_errors - 1, -1, lowest))


def proportion_worse(canary_errors, canary_total, baseline_errors, baseline_total, margin=0.0):
    """One-sided z test of H1: canary rate > baseline rate + margin; returns (z, p value).

    Unpooled standard error, so a margin above 0 is tested as such; a zero variance (no error
    on either side, or every request failing) leaves the question open: (0, 1).
    """
    p1, p2 = canary_errors / float(canary_total), baseline_errors / float(baseline_total)
    variance = p1 * (1 - p1) / canary_total + p2 * (1 - p2) / baseline_total
    if variance <= 0:
        return 0.0, 1.0 if p1 <= p2 + margin else 0.0
    z = (p1 - p2 - margin) / math.sqrt(variance)
    return z, normal_sf(z)


def _ranks(values):
    """Average ranks (1-based) of `values`, and the tie correction sum of t^3 - t."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    ties = 0.0
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        rank = (start + end) / 2.0 + 1
        for index in order[start : end + 1]:
            ranks[index] = rank
        count = end - start + 1
        ties += count**3 - count
        start = end + 1
    return ranks, ties


def mann_whitney_greater(canary, baseline):
    """One-sided Mann-Whitney U test that the canary's values tend to be greater; returns (U, p value).

    Normal approximation with tie correction and continuity correction (scipy's
    method='asymptotic', use_continuity=True); fit for the per-minute samples a judge sees.
    """
    n1, n2 = len(canary), len(baseline)
    ranks, ties = _ranks(list(canary) + list(baseline))
    u = sum(ranks[:n1]) - n1 * (n1 + 1) / 2.0
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1))))
    if sigma == 0:
        return u, 1.0
    z = (u - n1 * n2 / 2.0 - 0.5) / sigma
    return u, normal_sf(z)


def error_rate_verdict(canary_errors, canary_requests, baseline_errors, baseline_requests, margin=0.0, confidence=0.95, min_requests=50):
    """The error-rate verdict with its numbers.

    margin: how much higher the canary's rate may be (0.01 = one percentage point) before it counts as worse.
    Exact (Fisher) when there is no margin; the z test otherwise. min_requests a side is what a
    "pass" needs (fewer cannot show a small difference); a "fail" does not wait for it when the
    exact test already shows the canary worse (a version failing half its few requests at low
    traffic), for that test holds its confidence at any sample size.
    """
    result = {
        "metric": "error_rate",
        "canary": {"errors": canary_errors, "requests": canary_requests, "rate": _rate(canary_errors, canary_requests)},
        "baseline": {"errors": baseline_errors, "requests": baseline_requests, "rate": _rate(baseline_errors, baseline_requests)},
        "margin": margin,
        "confidence": confidence,
    }
    enough = canary_requests >= min_requests and baseline_requests >= min_requests
    if not enough and (margin or not canary_requests or not baseline_requests):
        result.update(verdict=NOT_ENOUGH_DATA, p_value=None, reason="fewer than %d requests on a side" % min_requests)
        return result
    if margin:
        _z, p_value = proportion_worse(canary_errors, canary_requests, baseline_errors, baseline_requests, margin)
        test = "z test"
    else:
        p_value = fisher_greater(canary_errors, canary_requests, baseline_errors, baseline_requests)
        test = "Fisher exact test"
    worse = p_value < 1 - confidence
    if not worse and not enough:
        result.update(verdict=NOT_ENOUGH_DATA, p_value=p_value, test=test, reason="fewer than %d requests on a side" % min_requests)
        return result
    result.update(verdict=FAIL if worse else PASS, p_value=p_value, test=test)
    return result


def series_verdict(name, canary, baseline, worse_when=HIGHER, margin=0.0, confidence=0.95, min_samples=6):
    """The verdict on a metric seen as per-period values (latency p99s, a business metric) with its numbers.

    Mann-Whitney U, one-sided in the direction that is worse; margin: the fraction by which the
    canary may be worse (0.1: 10% higher, or lower) before it counts, applied to the baseline's values.
    Six periods a side is the least at which a clear difference can pass a 0.5% test.
    """
    result = {
        "metric": name,
        "worse_when": worse_when,
        "canary": {"samples": len(canary), "median": _median(canary)},
        "baseline": {"samples": len(baseline), "median": _median(baseline)},
        "margin": margin,
        "confidence": confidence,
    }
    if len(canary) < min_samples or len(baseline) < min_samples:
        result.update(verdict=NOT_ENOUGH_DATA, p_value=None, reason="fewer than %d periods with data on a side" % min_samples)
        return result
    if worse_when == HIGHER:
        _u, p_value = mann_whitney_greater(canary, [value * (1 + margin) for value in baseline])
    else:
        _u, p_value = mann_whitney_greater([value * (1 - margin) for value in baseline], canary)
    result.update(verdict=FAIL if p_value < 1 - confidence else PASS, p_value=p_value, test="Mann-Whitney U")
    return result


def combine(verdicts, pass_score=95.0, marginal_score=75.0, critical=()):
    """The canary's verdict from its metrics' verdicts, as Kayenta scores a canary.

    score: the share (0-100) of judged metrics (pass or fail) that passed. A failed critical
    metric fails the canary whatever the score; so does a score under marginal_score. A critical
    metric without enough data leaves the whole verdict "not enough data"; a score under
    pass_score (but not under marginal_score) is "marginal": not yet a reason to stop, and not
    good enough to end on.
    """
    judged = [verdict for verdict in verdicts if verdict["verdict"] in (PASS, FAIL)]
    failed = [verdict["metric"] for verdict in judged if verdict["verdict"] == FAIL]
    score = 100.0 * (len(judged) - len(failed)) / len(judged) if judged else None
    waiting = [verdict["metric"] for verdict in verdicts if verdict["verdict"] == NOT_ENOUGH_DATA]
    if any(name in critical for name in failed) or (score is not None and score < marginal_score):
        overall = FAIL
    elif not judged or any(name in critical for name in waiting):
        overall = NOT_ENOUGH_DATA
    elif score < pass_score:
        overall = MARGINAL
    else:
        overall = PASS
    return {
        "verdict": overall,
        "score": score,
        "failed": failed,
        "waiting": waiting,
        "metrics": verdicts,
        "pass_score": pass_score,
        "marginal_score": marginal_score,
    }


def _rate(errors, total):
    return errors / float(total) if total else None


def _median(values):
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2.0


def describe_metric(verdict):
    """One metric's verdict for people: its numbers, then the test (or why there is none yet)."""
    canary, baseline = verdict["canary"], verdict["baseline"]
    if verdict["metric"] == "error_rate":
        numbers = "error rate %s (%d of %d requests) against %s (%d of %d)" % (
            _percent(canary["rate"]),
            canary["errors"],
            canary["requests"],
            _percent(baseline["rate"]),
            baseline["errors"],
            baseline["requests"],
        )
        margin = (", margin %s points" % _points(verdict["margin"])) if verdict["margin"] else ""
    else:
        numbers = "%s median %s over %d periods against %s over %d" % (
            verdict["metric"],
            _number(canary["median"]),
            canary["samples"],
            _number(baseline["median"]),
            baseline["samples"],
        )
        margin = (", margin %g%%" % (verdict["margin"] * 100)) if verdict["margin"] else ""
    if verdict["verdict"] == NOT_ENOUGH_DATA:
        return "%s: not enough data (%s)" % (numbers, verdict["reason"])
    return "%s: %s, %s p=%.3g%s" % (numbers, verdict["verdict"], verdict["test"], verdict["p_value"], margin)


def describe(verdict):
    """The canary's verdict in one line: verdict, score, then the failed metrics first, at the confidence used."""
    ordered = sorted(verdict["metrics"], key=lambda metric: metric["verdict"] != FAIL)
    score = "" if verdict.get("score") is None else " (score %g of 100)" % round(verdict["score"], 1)
    policy = (", %s" % verdict["policy"]) if verdict.get("policy") else ""
    return "judge: %s%s%s; %s; at %g%% confidence" % (
        verdict["verdict"],
        score,
        policy,
        "; ".join(describe_metric(metric) for metric in ordered),
        verdict.get("confidence", 0.95) * 100,
    )


def _percent(rate):
    return "n/a" if rate is None else "%.2f%%" % (rate * 100)


def _points(margin):
    return "%g" % (margin * 100)


def _number(value):
    return "n/a" if value is None else "%.4g" % value
