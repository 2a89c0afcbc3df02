"""Releases that meet other releases: an interrupted play re-run, a conflicting release, rollback and promote.

    - deploy.yml interrupted mid-bake, then run again: it attaches to the deployment in flight
      and follows it to the end; no second deployment is started.
    - deploy.yml of another tag while one is in flight fails, naming the deployment in flight.
    - rollback.yml stops the release in flight and traffic goes back; run again, it is a no-op.
    - promote.yml with nothing waiting is a no-op.
"""

import json
import os
import signal
import subprocess

from release_helpers import TREE, VENV_BIN, release_result, release_vars, run_module, stack, wait_for  # noqa: F401

BAKE_CONFIG = "CodeDeployDefault.ECSCanary10Percent15Minutes"
# 27 sandbox minutes of shifting: time enough for a conflicting play and rollback.yml on a busy machine
LONG_CONFIG = "CodeDeployDefault.ECSLinear10PercentEvery3Minutes"


def start_deploy_in_background(sandbox_env, tag):
    command = [os.path.join(VENV_BIN, "ansible-playbook"), os.path.join("playbooks", "deploy.yml"), "-e", "image_tag=" + tag,
               "-e", json.dumps(release_vars(sandbox_env.endpoint, release_deployment_config=BAKE_CONFIG))]
    return subprocess.Popen(command, cwd=TREE, env=sandbox_env.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def interrupt(process):
    """Ctrl-C as a person would, to the play this test started (its own process group)."""
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def test_rerun_after_an_interruption_attaches_instead_of_starting_again(stack, sandbox_env, run_playbook):  # noqa: F811
    before = len(stack.user_deployments())
    play = start_deploy_in_background(sandbox_env, "v5")
    try:
        wait_for(lambda: stack.in_flight(), timeout=120, what="the deployment to start")
        wait_for(lambda: 0 < max(stack.weights().values()) < 100 or None, timeout=60, what="the canary shift")
    finally:
        interrupt(play)
    (in_flight,) = stack.in_flight()  # the interrupted play's deployment keeps going without it
    run = run_playbook("deploy.yml", "-e", "image_tag=v5", extra_vars=release_vars(sandbox_env.endpoint))
    result = release_result(run)
    assert result["attached"] is True and result["deployment_id"] == in_flight["deploymentId"]
    assert result["status"] == "Succeeded"
    assert len(stack.user_deployments()) == before + 1, "a second deployment was started"
    assert stack.live_image().endswith(":v5")


def test_another_release_in_flight_fails_naming_it(stack, sandbox_env, run_playbook):  # noqa: F811
    started = run_module(sandbox_env, "ecs_deployment", {"cluster": stack.cluster, "service": stack.service, "image_tag": "v6",
                                                         "deployment_config_name": LONG_CONFIG, "wait": False})
    deployment_id = started["deployment_id"]
    revisions = stack.revisions()
    run = run_playbook("deploy.yml", "-e", "image_tag=v7", expect_failure=True, extra_vars=release_vars(sandbox_env.endpoint))
    message = release_result(run)["msg"]
    assert deployment_id in message and "already in flight" in message and ":v7" in message
    assert stack.revisions() == revisions
    assert [d["deploymentId"] for d in stack.in_flight()] == [deployment_id]


def test_rollback_stops_the_release_in_flight_and_traffic_goes_back(stack, sandbox_env, run_playbook):  # noqa: F811
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


def test_rollback_and_promote_with_nothing_in_flight_change_nothing(stack, sandbox_env, run_playbook):  # noqa: F811
    deployments = [d["deploymentId"] for d in stack.deployments()]
    for name in ("rollback.yml", "promote.yml"):
        run = run_playbook(name)
        assert run.changed_tasks == [], f"{name} changed {run.changed_tasks}"
    assert [d["deploymentId"] for d in stack.deployments()] == deployments
