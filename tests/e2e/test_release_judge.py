"""The judge: a canary compared with its baseline while it bakes, with real HTTP traffic.

A canary that fails 5% of its requests against a baseline that fails none stays far under the
seed's alarm (5 errors a minute on its target group, twice), yet the judge rolls it back during
the canary step, naming both rates, the samples and the test; so is a canary 250 ms slower
(under the seed's 1 s p99 alarm), and one whose business metric (conversions, published by
the test per version as an application would) is lower. A canary as good as its baseline goes
through with the judge on, its conversions judged too; a canary without traffic is rolled back
by the not-enough-data policy. All read back from the sandbox (deployment status, live image,
what HTTP clients were served).
"""

import random
import threading
import time

import pytest
from release_helpers import (
    HEALTHY,
    alarms_quiet,
    lasting_config,
    production_url,
    recorded,
    release_result,
    release_vars,
    restore_alarm,
    steady_traffic,
    version_of,
)

from canary_sandbox.cloudwatch.testing import sandbox_clock
from canary_sandbox.traffic import Traffic

SLIGHTLY_FAILING = {"SANDBOX_FAILURE_RATE": "0.05"}
SLOWER = {"SANDBOX_FAILURE_RATE": "0", "SANDBOX_LATENCY_MS": "250"}
JUDGE = {"release_judge": True}
# A canary the judge must stop bakes this long in real seconds (stopped as soon as the data say so, in well
# under a minute): on a loaded machine looks come many seconds apart, and a 15-second bake could end, and its
# 5-second termination wait with it, before the look that judges it.
CAUGHT_SECONDS = 180
# A canary without traffic is settled at the last looks of its step: long enough for two of them, however loaded.
UNSEEN_SECONDS = 40


@pytest.fixture(scope="module", autouse=True)
def judge_alone(stack, sandbox_env):
    """The stack's rate comparison alarms out of reach while these tests run: they would roll some of these
    canaries back too (a 5% canary is 5 points above its baseline), and here the judge is what is tested."""
    cloudwatch = sandbox_env.clients("cloudwatch")
    saved = [stack.alarm(name) for name in stack.alarm_names if "5XX-Rate" in name]
    for alarm in saved:
        restore_alarm(cloudwatch, dict(alarm, Threshold=1000000.0))
    yield
    for alarm in saved:
        restore_alarm(cloudwatch, alarm)


def conversions_metric(old, new):
    return {
        "name": "conversion",
        "namespace": "Shop",
        "metric_name": "Conversions",
        "canary_dimensions": {"Version": new},
        "baseline_dimensions": {"Version": old},
        "worse_when": "lower",
    }


class Conversions:
    """What an application publishes: its conversion rate per version, a few times a sandbox minute, stamped on the sandbox's clock."""

    def __init__(self, sandbox_env, rates):
        self.cloudwatch = sandbox_env.clients("cloudwatch")
        self.sandbox_env = sandbox_env
        self.rates = rates
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.rng = random.Random(7)

    def _run(self):
        while not self.stop.is_set():
            now = sandbox_clock(self.sandbox_env)["sandbox_now"]
            self.cloudwatch.put_metric_data(
                Namespace="Shop",
                MetricData=[
                    {
                        "MetricName": "Conversions",
                        "Dimensions": [{"Name": "Version", "Value": version}],
                        "Timestamp": now,
                        "Value": rate * self.rng.uniform(0.9, 1.1),
                    }
                    for version, rate in self.rates.items()
                ],
            )
            self.stop.wait(0.2)

    def __enter__(self):
        self.thread.start()
        time.sleep(1)  # the baseline's metric is in CloudWatch before the release checks it
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=10)


def test_a_canary_as_good_as_its_baseline_goes_through_with_the_judge_on(stack, sandbox_env, run_playbook):
    old = version_of(stack.live_image())
    alarms_quiet(sandbox_env, stack)
    # at 99% (each of the 15 minutes' tests at 0.07%): the chance that the random spread of two equal sides
    # fails a metric stays far under what a CI run can afford to flake
    judged = dict(JUDGE, release_judge_confidence=0.99, release_judge_metrics=[conversions_metric(old, "judged-good")])
    with steady_traffic(production_url(sandbox_env.endpoint)), Conversions(sandbox_env, {old: 0.05, "judged-good": 0.05}):
        run = run_playbook("deploy.yml", "-e", "image_tag=judged-good", extra_vars=release_vars(sandbox_env.endpoint, release_environment=HEALTHY, **judged))
    result = release_result(run)
    assert result["status"] == "Succeeded" and result["outcome"]["succeeded"] and result["outcome"]["judge"] is None, result["msg"]
    verdicts = [event for event in result["timeline"] if event["kind"] == "judge"]
    # the judge looked during the canary step (pass, or not enough data yet on a busy machine) and never failed it
    assert verdicts and all(event["verdict"] != "fail" for event in verdicts), verdicts
    # its last verdict judged every metric: errors, latency and the conversions
    assert [metric["metric"] for metric in result["observation"].get("judge", {}).get("metrics", [])] in ([], ["error_rate", "latency", "conversion"])
    assert "judge: pass" in run.stdout, run.stdout[-3000:]
    assert version_of(stack.live_image()) == "judged-good"


def _judged_release(stack, sandbox_env, run_playbook, tag, environment, traffic=True, bake_seconds=CAUGHT_SECONDS, **extra):
    """A release expected to be stopped by the judge: (result, previous version, HTTP during, HTTP after)."""
    old = version_of(stack.live_image())
    alarms_quiet(sandbox_env, stack)
    extra["release_deployment_config"] = lasting_config(sandbox_env, "e2e-judge-%d" % bake_seconds, bake_seconds)
    with steady_traffic(production_url(sandbox_env.endpoint)) if traffic else Traffic(production_url(sandbox_env.endpoint), workers=0) as seen:
        started = time.time()
        run = run_playbook(
            "deploy.yml",
            "-e",
            "image_tag=%s" % tag,
            expect_failure=True,
            extra_vars=release_vars(sandbox_env.endpoint, release_environment=environment, **dict(JUDGE, **extra)),
        )
        ended = time.time()
        time.sleep(2)
        during, after = seen.window(since=started, until=ended), seen.window(since=ended)
    result = release_result(run)
    assert result["outcome"]["judge"] and result["outcome"]["judge"]["verdict"] == "fail", result["msg"]
    assert 0 < result["outcome"]["judge"]["traffic_share"] <= 100
    assert result["outcome"]["rolled_back"] and result["outcome"]["alarm"] is None, result["msg"]
    # read back: the deployment was stopped, nothing is in flight, the previous version is live
    deployment = [d for d in stack.user_deployments() if d["deploymentId"] == result["deployment_id"]][0]
    assert deployment["status"] in ("Stopped", "Failed"), deployment["status"]
    assert version_of(stack.live_image()) == old and stack.in_flight() == []
    # the release record keeps the verdict that stopped it, with its numbers, and the verdict in its report
    record, html = recorded(sandbox_env, result["deployment_id"])
    failed = [event for event in record["timeline"] if event["kind"] == "judge" and event.get("verdict") == "fail"]
    assert failed and failed[0]["message"].startswith("judge: fail") and record["outcome"]["judge"]["verdict"] == "fail"
    assert 'class="verdict" data-verdict="fail"' in html
    return result, old, during, after


def test_a_canary_slower_than_its_baseline_is_rolled_back_by_the_judge(stack, sandbox_env, run_playbook):
    result, old, during, after = _judged_release(stack, sandbox_env, run_playbook, "judged-slow", SLOWER)
    judged = result["outcome"]["judge"]
    # the score is the share of the metrics judged so far that passed: 50 when the error rate had its 50 requests a
    # side by then (it passed), 0 when it was still short of them (a loaded machine sends fewer requests a minute)
    errors = [metric for metric in judged["metrics"] if metric["metric"] == "error_rate"][0]
    assert errors["verdict"] in ("pass", "not enough data"), errors
    assert judged["failed"] == ["latency"] and judged["score"] == (50.0 if errors["verdict"] == "pass" else 0.0) and "policy" not in judged, judged
    latency = [metric for metric in judged["metrics"] if metric["metric"] == "latency"][0]
    assert latency["canary"]["median"] > 0.25 > latency["baseline"]["median"] and latency["test"] == "Mann-Whitney U"
    assert latency["canary"]["samples"] >= 6 and latency["p_value"] < 1 - judged["confidence_per_look"] < (1 - 0.95) / 15
    assert "judge found the canary worse" in result["msg"] and "latency median" in result["msg"]
    assert 0 < judged["traffic_share"] < 100, "the judge acted outside the canary step"
    assert during.by_version["judged-slow"] > 0 and after.total > 0 and after.share(old) == 100.0, after.describe()


def test_a_canary_that_converts_worse_is_rolled_back_by_the_judge(stack, sandbox_env, run_playbook):
    old = version_of(stack.live_image())
    with Conversions(sandbox_env, {old: 0.05, "judged-converts-less": 0.03}):
        result, old, _during, _after = _judged_release(
            stack, sandbox_env, run_playbook, "judged-converts-less", HEALTHY, release_judge_metrics=[conversions_metric(old, "judged-converts-less")]
        )
    judged = result["outcome"]["judge"]
    assert "conversion" in judged["failed"] and "error_rate" not in judged["failed"], judged
    conversion = [metric for metric in judged["metrics"] if metric["metric"] == "conversion"][0]
    assert conversion["canary"]["median"] < conversion["baseline"]["median"] and conversion["worse_when"] == "lower"


def test_a_canary_without_traffic_is_rolled_back_when_the_judge_cannot_tell(stack, sandbox_env, run_playbook):
    result, _old, during, _after = _judged_release(stack, sandbox_env, run_playbook, "judged-unseen", HEALTHY, traffic=False, bake_seconds=UNSEEN_SECONDS)
    judged = result["outcome"]["judge"]
    assert "not enough data at the end of the canary step: rolled back (not_enough_data=rollback)" in judged["policy"], judged
    assert "could not clear the canary" in result["msg"]
    assert during.total == 0


def test_a_canary_slightly_worse_than_its_baseline_is_rolled_back_by_the_judge(stack, sandbox_env, run_playbook):
    result, old, during, after = _judged_release(stack, sandbox_env, run_playbook, "judged-bad", SLIGHTLY_FAILING)
    judged = result["outcome"]["judge"]
    assert "error_rate" in judged["failed"], judged
    errors = [metric for metric in judged["metrics"] if metric["metric"] == "error_rate"][0]
    assert "judge found the canary worse" in result["msg"] and "Fisher exact test" in result["msg"]
    # (a fail need not wait for the 50 requests a pass needs: the exact test holds its confidence at any size)
    assert errors["canary"]["rate"] > errors["baseline"]["rate"] and errors["canary"]["errors"] > 0
    assert errors["p_value"] < 1 - judged["confidence_per_look"] < (1 - 0.95) / 15
    assert 0 < judged["traffic_share"] < 100, "the judge acted outside the canary step"
    # HTTP: the bad canary served some failing requests, then the previous version serves everything
    assert during.by_version["judged-bad"] > 0 and during.errors("judged-bad") > 0, during.describe()
    assert after.total > 0 and after.share(old) == 100.0, after.describe()
