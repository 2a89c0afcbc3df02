"""The judge: a canary compared with its baseline while it bakes, with real HTTP traffic.

A canary that fails 5% of its requests against a baseline that fails none stays far under the
seed's alarm (5 errors a minute on its target group, twice), yet the judge rolls it back during
the canary step, naming both rates, the samples and the test; a canary as good as its baseline
goes through with the judge on. Both read back from the sandbox (deployment status, live
image, what HTTP clients were served).
"""

import time

from release_helpers import HEALTHY, TRAFFIC_WORKERS, production_url, release_result, release_vars, version_of

from canary_sandbox.engine.testing import wait_for
from canary_sandbox.traffic import Traffic

SLIGHTLY_FAILING = {"SANDBOX_FAILURE_RATE": "0.05"}
JUDGE = {"release_judge": True}


def _alarms_quiet(sandbox_env, stack):
    """Start from alarms out of ALARM (an earlier test's failing version may have left one there)."""
    cloudwatch = sandbox_env.clients("cloudwatch")

    def quiet():
        alarms = cloudwatch.describe_alarms(AlarmNames=list(stack.alarm_names))["MetricAlarms"]
        return all(alarm["StateValue"] != "ALARM" for alarm in alarms)

    wait_for(quiet, 120, interval=1, what="the stack's alarms out of ALARM")


def test_a_canary_as_good_as_its_baseline_goes_through_with_the_judge_on(stack, sandbox_env, run_playbook):
    _alarms_quiet(sandbox_env, stack)
    with Traffic(production_url(sandbox_env.endpoint), workers=TRAFFIC_WORKERS):
        run = run_playbook("deploy.yml", "-e", "image_tag=judged-good", extra_vars=release_vars(sandbox_env.endpoint, release_environment=HEALTHY, **JUDGE))
    result = release_result(run)
    assert result["status"] == "Succeeded" and result["outcome"]["succeeded"] and result["outcome"]["judge"] is None, result["msg"]
    verdicts = [event for event in result["timeline"] if event["kind"] == "judge"]
    # the judge looked during the canary step (pass, or not enough data yet on a busy machine) and never failed it
    assert verdicts and all(event["verdict"] != "fail" for event in verdicts), verdicts
    assert version_of(stack.live_image()) == "judged-good"


def test_a_canary_slightly_worse_than_its_baseline_is_rolled_back_by_the_judge(stack, sandbox_env, run_playbook):
    old = version_of(stack.live_image())
    _alarms_quiet(sandbox_env, stack)
    with Traffic(production_url(sandbox_env.endpoint), workers=TRAFFIC_WORKERS) as traffic:
        started = time.time()
        run = run_playbook(
            "deploy.yml",
            "-e",
            "image_tag=judged-bad",
            expect_failure=True,
            extra_vars=release_vars(sandbox_env.endpoint, release_environment=SLIGHTLY_FAILING, **JUDGE),
        )
        ended = time.time()
        time.sleep(2)
        during = traffic.window(since=started, until=ended)
        after = traffic.window(since=ended)
    result = release_result(run)
    judged = result["outcome"]["judge"]
    assert judged and judged["verdict"] == "fail", result["msg"]
    assert "judge found the canary worse" in result["msg"] and "Fisher exact test" in result["msg"]
    assert judged["canary"]["rate"] > judged["baseline"]["rate"] and judged["canary"]["requests"] >= 50
    assert judged["p_value"] < (1 - 0.95) / 10
    assert 0 < judged["traffic_share"] < 100, "the judge acted outside the canary step"
    assert result["outcome"]["rolled_back"] and result["outcome"]["alarm"] is None
    # HTTP: the bad canary served some failing requests, then the previous version serves everything
    assert during.by_version["judged-bad"] > 0 and during.errors("judged-bad") > 0, during.describe()
    assert after.total > 0 and after.share(old) == 100.0, after.describe()
    # read back: the deployment was stopped, nothing is in flight, the previous version is live
    deployment = [d for d in stack.user_deployments() if d["deploymentId"] == result["deployment_id"]][0]
    assert deployment["status"] in ("Stopped", "Failed"), deployment["status"]
    assert version_of(stack.live_image()) == old
    assert stack.in_flight() == []
