"""Releases that meet other releases: an interrupted play re-run, a conflicting release, rollback and promote.

- deploy.yml interrupted mid-bake, then run again: it attaches to the deployment in flight
  and follows it to the end; no second deployment is started.
- deploy.yml of another tag while one is in flight fails, naming the deployment in flight.
- rollback.yml stops the release in flight and traffic goes back; run again, it is a no-op.
- promote.yml with nothing waiting is a no-op.
- a group that waits for approval: deploy.yml without waiting leaves the release Ready with
  production on the old version; promote.yml approves it and the new version serves 100%.
- nobody approves within the ready wait: CodeDeploy stops the release, production never moved,
  and deploy.yml fails saying how to approve.
"""

import json
import math
import os
import time

from release_helpers import (
    another_identity,
    caller_arn,
    interrupt,
    lasting_config,
    minute_seconds,
    production_traffic,
    production_url,
    recorded,
    records_directory,
    release_result,
    release_vars,
    run_module,
    start_deploy_in_background,
    version_of,
)

from canary_sandbox.engine.testing import wait_for
from canary_sandbox.traffic import at_rate, listener_url

# The release modules share the provisioned stack: pytest-xdist (make e2e, --dist loadgroup) runs them on one worker.

# Releases these tests must meet in flight bake for real minutes, whatever the sandbox's time scale:
# a play started on a busy machine (load 16 on 2 cores in CI) takes a minute or more to reach its release.
BAKE_SECONDS = 120  # the interrupted release's canary step: the re-run attaches within it, then follows it to the end
LONG_SECONDS = 600  # each step of the conflicting release, stopped by rollback.yml long before its end


def test_rerun_after_an_interruption_attaches_instead_of_starting_again(stack, sandbox_env, run_playbook):
    before = len(stack.user_deployments())
    bake = lasting_config(sandbox_env, "e2e-lifecycle-bake", BAKE_SECONDS)
    play = start_deploy_in_background(sandbox_env, "v5", release_deployment_config=bake)
    try:
        started = wait_for(lambda: stack.in_flight(), timeout=120, what="the deployment to start")
        wait_for(lambda: 0 < max(stack.weights().values()) < 100 or None, timeout=60, what="the canary shift")
        # and the play has written the start of its record (its first module run, slow on a loaded machine)
        path = os.path.join(records_directory(sandbox_env.endpoint), started[0]["deploymentId"] + ".json")
        wait_for(lambda: os.path.isfile(path), timeout=120, what="the record of the start")
    finally:
        interrupt(play)
    (in_flight,) = stack.in_flight()  # the interrupted play's deployment keeps going without it
    run = run_playbook("deploy.yml", "-e", "image_tag=v5", extra_vars=release_vars(sandbox_env.endpoint))
    result = release_result(run)
    assert result["attached"] is True and result["deployment_id"] == in_flight["deploymentId"]
    assert result["status"] == "Succeeded"
    assert len(stack.user_deployments()) == before + 1, "a second deployment was started"
    assert stack.live_image().endswith(":v5")
    # one record of the release: the interrupted play's start and the attach that saw the end
    record, _html = recorded(sandbox_env, in_flight["deploymentId"])
    assert [(run["action"], run["by"]) for run in record["runs"]] == [("started", caller_arn(sandbox_env)), ("attached", caller_arn(sandbox_env))]
    assert record["status"] == "Succeeded" and record["outcome"]["succeeded"] and record["ended"]
    assert record["release"]["image_tag"] == "v5" and record["release"]["task_definition_after"] == stack.live_task_definition()["taskDefinitionArn"]
    assert [event["status"] for event in record["timeline"] if event["kind"] == "status"][-1] == "Succeeded"


def test_another_release_in_flight_fails_naming_it(stack, sandbox_env, run_playbook):
    started = run_module(
        sandbox_env,
        "ecs_deployment",
        {
            "cluster": stack.cluster,
            "service": stack.service,
            "image_tag": "v6",
            "deployment_config_name": lasting_config(sandbox_env, "e2e-lifecycle-long", LONG_SECONDS, linear=True),
            "wait": False,
        },
    )
    deployment_id = started["deployment_id"]
    revisions = stack.revisions()
    run = run_playbook("deploy.yml", "-e", "image_tag=v7", expect_failure=True, extra_vars=release_vars(sandbox_env.endpoint))
    message = release_result(run)["msg"]
    assert deployment_id in message and "already in flight" in message and ":v7" in message
    assert stack.revisions() == revisions
    assert [d["deploymentId"] for d in stack.in_flight()] == [deployment_id]


def test_rollback_stops_the_release_in_flight_and_traffic_goes_back(stack, sandbox_env, run_playbook):
    (in_flight,) = stack.in_flight()  # v6, left by the previous test
    run = run_playbook("rollback.yml", extra_vars={"release_poll_interval": 1})
    result = [task["result"] for task in run.tasks if task["action"] in ("canary.ecs.ecs_deployment", "ecs_deployment")][0]
    assert result["changed"] is True and result["stopped"] == [in_flight["deploymentId"]]
    stopped = [d for d in stack.deployments() if d["deploymentId"] == in_flight["deploymentId"]][0]
    assert stopped["status"] == "Stopped" and stopped["rollbackInfo"].get("rollbackDeploymentId")
    assert stack.in_flight() == []
    assert stack.live_image().endswith(":v5")
    assert sorted(stack.weights().values()) == [0, 100]
    assert len(stack.task_sets()) == 1


def test_rollback_and_promote_with_nothing_in_flight_change_nothing(stack, sandbox_env, run_playbook):
    deployments = [d["deploymentId"] for d in stack.deployments()]
    for name in ("rollback.yml", "promote.yml"):
        run = run_playbook(name)
        assert run.changed_tasks == [], f"{name} changed {run.changed_tasks}"
    assert [d["deploymentId"] for d in stack.deployments()] == deployments


def _ready_option(the_stack):
    group = the_stack.clients("codedeploy").get_deployment_group(applicationName=the_stack.application_name, deploymentGroupName=the_stack.group_name)[
        "deploymentGroupInfo"
    ]
    return group["blueGreenDeploymentConfiguration"]["deploymentReadyOption"]


def _set_ready_option(sandbox_env, the_stack, option):
    run_module(
        sandbox_env, "codedeploy_deployment_group", {"application_name": the_stack.application_name, "name": the_stack.group_name, "deployment_ready": option}
    )


def test_a_release_waiting_for_approval_moves_traffic_only_when_promoted(stack, sandbox_env, run_playbook):
    assert stack.in_flight() == [], "a release is still in flight"
    saved = _ready_option(stack)
    old = version_of(stack.live_image())
    new = "v9" if old != "v9" else "v10"
    # about three real minutes of waiting for approval, whatever the sandbox's time scale
    wait_minutes = min(2880, math.ceil(180 / minute_seconds(sandbox_env.endpoint)))
    _set_ready_option(sandbox_env, stack, {"action_on_timeout": "STOP_DEPLOYMENT", "wait_time_in_minutes": wait_minutes})
    try:
        assert _ready_option(stack) == {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": wait_minutes}
        # with the durable copy of the records, in a CloudWatch Logs group the first write creates
        durable = {"release_record_log_group": "/canary-ecs/releases-" + new}
        run = run_playbook(
            "deploy.yml", "-e", "image_tag=" + new, "-e", "change_ref=CHG-2002", extra_vars=release_vars(sandbox_env.endpoint, release_wait=False, **durable)
        )
        started = release_result(run)
        assert started["changed"] is True
        deployment_id = started["deployment_id"]
        waiting = wait_for(
            lambda: [d for d in stack.in_flight() if d["deploymentId"] == deployment_id and d["status"] == "Ready"],
            timeout=120,
            interval=0.5,
            what="the release to wait for approval (Ready)",
        )
        assert waiting[0]["deploymentId"] == deployment_id
        with (
            at_rate(production_url(sandbox_env.endpoint), 80, workers=4) as traffic,
            at_rate(listener_url(sandbox_env.endpoint, port=8080), 40, workers=2) as test_traffic,
        ):
            since = time.time()
            time.sleep(2)
            held, tested = traffic.window(since=since), test_traffic.window(since=since)
        assert held.total > 0 and held.share(old) == 100.0, f"while waiting for approval: {held.describe()}"
        assert tested.total > 0 and tested.share(new) == 100.0, f"test listener while waiting: {tested.describe()}"
        assert sorted(stack.weights().values()) == [0, 100]
        assert [d["status"] for d in stack.in_flight()] == ["Ready"], "the release did not wait"
        assert stack.live_image().endswith(":" + old)

        # approved by someone else than who started it: the record names both
        approver, as_approver = another_identity(sandbox_env, "release-approver")
        run = run_playbook("promote.yml", extra_vars=release_vars(sandbox_env.endpoint, **durable), env=dict(as_approver, AWS_SESSION_TOKEN=""))
        promoted = [task["result"] for task in run.tasks if task["action"] in ("canary.ecs.ecs_deployment", "ecs_deployment")][0]
        assert promoted["changed"] is True and promoted["continued"] == [deployment_id]
        record, html = recorded(sandbox_env, deployment_id)
        assert [(run["action"], run["by"]) for run in record["runs"]] == [("started", caller_arn(sandbox_env)), ("approved", approver)]
        assert [item["by"] for item in record["approvals"]] == [approver] and record["approvals"][0]["wait_type"] == "ready_wait"
        assert record["change"]["change_ref"] == "CHG-2002" and record["status"] == "Succeeded" and record["outcome"]["succeeded"]
        assert 'class="approval" data-by="%s"' % approver in html
        # the durable copy: every write appended, the last one the whole approved record
        logs = sandbox_env.clients("logs")
        events = logs.get_log_events(logGroupName=durable["release_record_log_group"], logStreamName=stack.service, startFromHead=True)["events"]
        copies = [json.loads(event["message"]) for event in events]
        assert copies and all(copy["deployment_id"] == deployment_id for copy in copies)
        assert copies[-1]["approvals"] == record["approvals"] and copies[-1]["status"] == "Succeeded"
        (ended,) = [d for d in stack.deployments() if d["deploymentId"] == deployment_id]
        assert ended["status"] == "Succeeded"
        assert stack.in_flight() == []
        assert stack.live_image().endswith(":" + new)
        after = production_traffic(sandbox_env.endpoint, seconds=2, workers=4)
        assert after.total > 0 and after.share(new) == 100.0, f"after the promotion: {after.describe()}"

        run = run_playbook("promote.yml")
        assert run.changed_tasks == [], f"promote.yml again changed {run.changed_tasks}"
    finally:
        _set_ready_option(sandbox_env, stack, {"action_on_timeout": saved["actionOnTimeout"], "wait_time_in_minutes": saved["waitTimeInMinutes"]})
        for left in stack.in_flight():  # a failure above must not leave a release waiting for the next tests
            run_module(
                sandbox_env, "ecs_deployment", {"cluster": stack.cluster, "service": stack.service, "state": "stopped", "deployment_id": left["deploymentId"]}
            )
    assert _ready_option(stack) == saved


def test_a_release_nobody_approves_stops_at_the_end_of_the_ready_wait(stack, sandbox_env, run_playbook):
    assert stack.in_flight() == [], "a release is still in flight"
    saved = _ready_option(stack)
    old = version_of(stack.live_image())
    new = "v11" if old != "v11" else "v12"
    weights_before = stack.weights()
    # about six real seconds of waiting: enough for deploy.yml (polling every second) to see Ready
    wait_minutes = max(1, math.ceil(6 / minute_seconds(sandbox_env.endpoint)))
    _set_ready_option(sandbox_env, stack, {"action_on_timeout": "STOP_DEPLOYMENT", "wait_time_in_minutes": wait_minutes})
    try:
        run = run_playbook("deploy.yml", "-e", "image_tag=" + new, extra_vars=release_vars(sandbox_env.endpoint), expect_failure=True)
        result = release_result(run)
        assert result["failed"] is True
        assert "nobody approved it within the deployment group's ready wait" in result["msg"], result["msg"]
        assert "state=continued" in result["msg"]
        (ended,) = [d for d in stack.deployments() if d["deploymentId"] == result["deployment_id"]]
        assert ended["status"] in ("Stopped", "Failed") and ended["errorInformation"]["code"] == "TIMEOUT", ended
        assert stack.in_flight() == []
        assert stack.weights() == weights_before, "production traffic moved although nobody approved"
        assert stack.live_image().endswith(":" + old)
        after = production_traffic(sandbox_env.endpoint, seconds=1, workers=2)
        assert after.total > 0 and after.share(old) == 100.0, f"after the ready wait ran out: {after.describe()}"
    finally:
        _set_ready_option(sandbox_env, stack, {"action_on_timeout": saved["actionOnTimeout"], "wait_time_in_minutes": saved["waitTimeInMinutes"]})
        for left in stack.in_flight():
            run_module(
                sandbox_env, "ecs_deployment", {"cluster": stack.cluster, "service": stack.service, "state": "stopped", "deployment_id": left["deploymentId"]}
            )
    assert _ready_option(stack) == saved
