"""The safety net that needs no playbook: a bad canary rolls itself back after deploy.yml was killed.

deploy.yml is killed (SIGKILL, its whole process group) once the canary takes traffic. The
canary fails 15% of its requests. The seed's count alarm of the canary's target group is put
out of reach for the test, so what acts is the rate comparison alarm (the canary's 5xx rate
against the baseline beside it, metric math), which CloudWatch evaluates and CodeDeploy watches
without any playbook. Read back: the rate alarm's history, the deployment stopped on
ALARM_ACTIVE with a rollback, the previous version live and serving every request.
"""

import signal
import time

from release_helpers import (
    alarms_quiet,
    interrupt,
    production_url,
    restore_alarm,
    start_deploy_in_background,
    steady_traffic,
    version_of,
)

from canary_sandbox.engine.testing import wait_for

FAILING_SOME = {"SANDBOX_FAILURE_RATE": "0.15"}


def test_a_killed_play_leaves_a_bad_canary_that_the_rate_alarm_rolls_back(stack, sandbox_env):
    alarms_quiet(sandbox_env, stack)
    cloudwatch = sandbox_env.clients("cloudwatch")
    old = version_of(stack.live_image())
    canary_group = [name for name in stack.target_group_names if name != stack.live_target_group()][0]
    watched = stack.alarms_on(canary_group)
    (rate_alarm,) = [name for name in watched if "5XX-Rate" in name]
    (count_alarm,) = [name for name in watched if "5XX-Error" in name]
    saved = stack.alarm(count_alarm)
    restore_alarm(cloudwatch, dict(saved, Threshold=1000000.0))  # out of reach: only the rate comparison can act
    before = {d["deploymentId"] for d in stack.user_deployments()}
    started = time.time()
    try:
        with steady_traffic(production_url(sandbox_env.endpoint)) as traffic:
            play = start_deploy_in_background(sandbox_env, "unattended-bad", release_environment=FAILING_SOME)
            try:
                wait_for(lambda: 0 < max(stack.weights().values()) < 100 or None, timeout=120, what="the canary shift")
            finally:
                interrupt(play, signal.SIGKILL)
            (deployment,) = [d for d in stack.user_deployments() if d["deploymentId"] not in before]
            wait_for(
                lambda: [d for d in stack.deployments() if d["deploymentId"] == deployment["deploymentId"]][0]["status"] in ("Stopped", "Failed"),
                timeout=180,
                interval=1,
                what="the unattended deployment to stop",
            )
            wait_for(lambda: stack.in_flight() == [], timeout=120, interval=1, what="the rollback to end")
            ended = time.time()
            time.sleep(2)
            after = traffic.window(since=ended)
    finally:
        restore_alarm(cloudwatch, saved)
    stopped = [d for d in stack.deployments() if d["deploymentId"] == deployment["deploymentId"]][0]
    assert stopped["errorInformation"]["code"] == "ALARM_ACTIVE" and rate_alarm in stopped["errorInformation"]["message"], stopped
    assert stopped["rollbackInfo"].get("rollbackDeploymentId")
    history = cloudwatch.describe_alarm_history(AlarmName=rate_alarm, HistoryItemType="StateUpdate", StartDate=started)["AlarmHistoryItems"]
    assert any(item["HistorySummary"].endswith("to ALARM") for item in history), history
    assert version_of(stack.live_image()) == old
    assert after.total > 0 and after.share(old) == 100.0 and after.errors(old) == 0, after.describe()
