"""Repair: a fix released over a failing live version goes through.

A version failing half its requests becomes live (released all at once before traffic came),
then traffic makes its target group's alarm go to ALARM. The group lists the alarms of both
target groups; before 0.3.0 the release of the fix was refused (an alarm in ALARM) or rolled
back at 10% by the live version's own alarm. Now the release leaves out the alarms that read
only the live target group (CreateDeployment's overrideAlarmConfiguration, read back here),
warns that the live version is failing, and the fix goes to 100% while the alarms of its own
target group watch it. Read back: the deployment's alarm override, the live image, what HTTP
clients were served.
"""

import time

from release_helpers import FAILING, HEALTHY, alarms_quiet, production_url, release_result, release_vars, steady_traffic, version_of

from canary_sandbox.engine.testing import wait_for


def test_a_fix_released_over_a_failing_live_version_goes_through(stack, sandbox_env, run_playbook):
    alarms_quiet(sandbox_env, stack)
    run_playbook(
        "deploy.yml",
        "-e",
        "image_tag=broken-live",
        extra_vars=release_vars(sandbox_env.endpoint, release_environment=FAILING, release_deployment_config="CodeDeployDefault.ECSAllAtOnce"),
    )
    assert version_of(stack.live_image()) == "broken-live"
    live_group = stack.live_target_group()
    live_alarms = stack.alarms_on(live_group)
    canary_alarms = [name for name in stack.alarm_names if name not in live_alarms]
    with steady_traffic(production_url(sandbox_env.endpoint)) as traffic:
        wait_for(lambda: any(stack.alarm(name)["StateValue"] == "ALARM" for name in live_alarms), 120, interval=1, what=f"an alarm of {live_group} in ALARM")
        run = run_playbook("deploy.yml", "-e", "image_tag=repaired", extra_vars=release_vars(sandbox_env.endpoint, release_environment=HEALTHY))
        ended = time.time()
        time.sleep(2)
        after = traffic.window(since=ended)
    result = release_result(run)
    assert result["status"] == "Succeeded" and result["outcome"]["succeeded"], result["msg"]
    assert sorted(result["alarms_left_out"]) == sorted(live_alarms) and sorted(result["alarm_names"]) == sorted(canary_alarms)
    assert "watch only the live version's target group and are in ALARM" in run.stdout
    # read back: the deployment watched only the alarms of the target group it went to
    deployment = [d for d in stack.user_deployments() if d["deploymentId"] == result["deployment_id"]][0]
    override = deployment["overrideAlarmConfiguration"]
    assert override["enabled"] and sorted(alarm["name"] for alarm in override["alarms"]) == sorted(canary_alarms)
    assert version_of(stack.live_image()) == "repaired" and stack.live_target_group() != live_group
    assert after.total > 0 and after.share("repaired") == 100.0 and after.errors("repaired") == 0, after.describe()
