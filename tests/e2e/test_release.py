"""The seed's two tests through the playbooks, with real HTTP traffic through the production listener.

Test 1: deploy.yml -e image_tag=v2 while requests flow: about 1 request in 10 is served by v2
during the bake (10% +- CANARY_TOLERANCE points, measured from the first v2 response to the
last v1 response, less SHIFT_EDGE at each end), then all of them; the original task set is
gone once the termination wait is over.
Test 2: a v3 that fails half its requests trips the alarm: traffic returns to v2 (measured by
HTTP), the deployment ended without succeeding, with rollback info, and the play fails naming
the alarm.

The tests in this file run in order (v2, then v2 again, then v3) on the stack the release test
modules share; each reads the state it starts from.
"""

import json
import re
import time

from release_helpers import FAILING, bake_window, caller_arn, production_url, recorded, release_result, release_vars, steady_traffic, version_of

# The release modules share the provisioned stack: pytest-xdist (make e2e, --dist loadgroup) runs them on one worker.

CANARY_PERCENT = 10.0
CANARY_TOLERANCE = 4.0  # percentage points: ~3,000 requests in a 15 s bake make a fair split land within 1-2
SHIFT_EDGE = 1.0  # seconds left out at each end of the bake, while the weights change
SECRET = "tok-7f3a9c2e51"  # a sensitive value released with v2: in the task definition, in no output


def test_check_mode_starts_nothing(stack, sandbox_env, run_playbook):
    revisions, deployments, live = stack.revisions(), stack.deployments(), stack.live_image()
    run = run_playbook("deploy.yml", "-e", "image_tag=v2", check=True, extra_vars=release_vars(sandbox_env.endpoint))
    result = release_result(run)
    assert result["changed"] is True and result["msg"].startswith("Would register a revision")
    assert stack.deployments() == deployments
    assert stack.revisions() == revisions
    assert stack.live_image() == live


def test_canary_release_serves_one_request_in_ten_then_all(stack, sandbox_env, run_playbook, installed_collection):
    old = version_of(stack.live_image())
    assert old != "v2", "v2 is already live: this test needs a fresh stack"
    known = [d["deploymentId"] for d in stack.deployments()]
    before = stack.live_task_definition()["taskDefinitionArn"]
    with steady_traffic(production_url(sandbox_env.endpoint)) as traffic:
        started = time.time()
        # from the installed artifact: ansible-playbook canary.ecs.deploy, no checkout
        run = run_playbook(
            "deploy.yml",
            "-e",
            "image_tag=v2",
            "-e",
            "change_ref=CHG-1001",
            extra_vars=release_vars(sandbox_env.endpoint, release_secret_environment={"API_TOKEN": SECRET}),
            installed=installed_collection,
        )
        ended = time.time()
        time.sleep(2)
        after = traffic.window(since=ended)
        bake = bake_window(traffic, started, "v2", old, SHIFT_EDGE)
    assert bake.total > 500, f"too little traffic to judge the split: {bake.describe()}"
    assert abs(bake.share("v2") - CANARY_PERCENT) <= CANARY_TOLERANCE, f"during the bake: {bake.describe()}"
    assert bake.errors() == 0
    assert after.total > 0 and after.share("v2") == 100.0, f"after the release: {after.describe()}"

    result = release_result(run)
    assert result["changed"] is True and result["status"] == "Succeeded" and result["outcome"]["succeeded"]
    shares = [event["traffic_share"] for event in result["timeline"] if event["kind"] == "traffic"]
    assert CANARY_PERCENT in shares and shares[-1] == 100.0
    # read back: one deployment, Succeeded, v2 live, one task set left, all production traffic on it
    (deployment,) = [d for d in stack.deployments() if d["deploymentId"] not in known]
    assert deployment["status"] == "Succeeded" and deployment["deploymentId"] == result["deployment_id"]
    assert stack.live_image().endswith(":v2")
    task_sets = stack.task_sets()
    assert len(task_sets) == 1 and task_sets[0]["status"] == "PRIMARY", f"the original task set is still there: {task_sets}"
    assert sorted(stack.weights().values()) == [0, 100]
    # the sensitive value is in the released container, and nowhere in what the play printed or returned
    containers = stack.live_task_definition()["containerDefinitions"]
    assert any({"name": "API_TOKEN", "value": SECRET} in (container.get("environment") or []) for container in containers), containers
    assert SECRET not in run.stdout and SECRET not in run.stderr

    # the release record: the file the play wrote, read back against the sandbox's state
    record, html = recorded(sandbox_env, result["deployment_id"])
    assert record == result["release_record"]
    assert record["change"]["change_ref"] == "CHG-1001" and record["status"] == "Succeeded" and record["outcome"]["succeeded"]
    assert [(run["action"], run["by"]) for run in record["runs"]] == [("started", caller_arn(sandbox_env))]
    assert record["release"]["image"] == stack.live_image() and record["release"]["image_tag"] == "v2"
    assert record["release"]["task_definition_before"] == before
    assert record["release"]["task_definition_after"] == stack.live_task_definition()["taskDefinitionArn"]
    assert record["created"] and record["ended"] and record["created"] < record["ended"]
    recorded_shares = [event["traffic_share"] for event in record["timeline"] if event["kind"] == "traffic"]
    assert CANARY_PERCENT in recorded_shares and recorded_shares[-1] == 100.0
    # the requests each version served, per minute, from CloudWatch: the canary got its tenth
    served = dict((side, sum(point["requests"] for point in points)) for side, points in record["metrics"].items())
    assert served["new"] > 0 and served["old"] > 0, served
    assert record["release"]["secret_environment_names"] == ["API_TOKEN"]
    assert SECRET not in json.dumps(record) and SECRET not in html
    # the report: the share drawn steps to 10% and to 100%, and it says succeeded
    shares = re.search(r'<path class="share" [^>]*data-shares="([^"]+)"', html).group(1).split(",")
    assert "10" in shares and shares[-1] == "100" and 'data-outcome="succeeded"' in html


def test_the_same_tag_again_changes_nothing(stack, sandbox_env, run_playbook):
    revisions, deployments = stack.revisions(), stack.deployments()
    run = run_playbook("deploy.yml", "-e", "image_tag=v2", extra_vars=release_vars(sandbox_env.endpoint))
    result = release_result(run)
    assert result["changed"] is False and result["status"] == "Live"
    assert stack.revisions() == revisions
    assert [d["deploymentId"] for d in stack.deployments()] == [d["deploymentId"] for d in deployments]


def test_failing_release_is_rolled_back_and_v2_keeps_serving(stack, sandbox_env, run_playbook):
    old, weights_before = version_of(stack.live_image()), stack.weights()
    with steady_traffic(production_url(sandbox_env.endpoint)) as traffic:
        started = time.time()
        run = run_playbook("deploy.yml", "-e", "image_tag=v3", expect_failure=True, extra_vars=release_vars(sandbox_env.endpoint, release_environment=FAILING))
        ended = time.time()
        time.sleep(2)
        during = traffic.window(since=started, until=ended)
        after = traffic.window(since=ended)
    # HTTP: v3 served (and failed) some requests, then the previous version (v2) serves everything again
    assert during.by_version["v3"] > 0 and during.errors("v3") > 0, f"v3 never served: {during.describe()}"
    assert during.errors(old) == 0
    assert after.total > 0 and after.share(old) == 100.0, f"after the rollback: {after.describe()}"

    result = release_result(run)
    fired = result["outcome"]["alarm"]
    assert fired in stack.alarm_names
    assert fired in result["msg"] and "rolled back" in result["msg"]
    assert result["outcome"]["rolled_back"] and result["outcome"]["alarm_traffic_share"] == CANARY_PERCENT
    # read back: the deployment ended without succeeding, with rollback info naming the alarm
    deployment = [d for d in stack.user_deployments() if d["deploymentId"] == result["deployment_id"]][0]
    assert deployment["status"] in ("Failed", "Stopped")
    assert deployment["errorInformation"]["code"] == "ALARM_ACTIVE" and fired in deployment["errorInformation"]["message"]
    assert deployment["rollbackInfo"].get("rollbackDeploymentId")
    assert version_of(stack.live_image()) == old
    assert stack.weights() == weights_before
    assert stack.in_flight() == []
    # the record says how it was undone, and its report draws the alarm over the share it fired at
    record, html = recorded(sandbox_env, result["deployment_id"])
    assert record["outcome"]["rolled_back"] and fired in record["outcome"]["rollback_reason"]
    went = [event for event in record["timeline"] if event["kind"] == "alarm" and event.get("alarm_state") == "ALARM"]
    assert went and went[0]["alarm"] == fired and went[0]["traffic_share"] == CANARY_PERCENT
    bands = re.findall(r'<rect class="alarm-band" data-alarm="([^"]+)" data-traffic-share="([^"]+)"', html)
    assert (fired, "10.0") in bands, bands
    # and the share line rises to the canary's share before the rollback, seen by a look or put there by the plan
    assert [event for event in record["timeline"] if event["kind"] == "traffic" and event.get("traffic_share") == CANARY_PERCENT], record["timeline"]
    shares = re.findall(r'<path class="share"[^>]* data-shares="([^"]*)"', html)
    assert shares and "%g" % CANARY_PERCENT in shares[0].split(","), shares
    assert 'data-outcome="rolled back"' in html
    errors = dict((side, sum(point["errors"] for point in points)) for side, points in record["metrics"].items())
    assert errors["new"] > 0 and errors["old"] == 0, errors


def test_status_reports_the_live_version_and_the_rollback(stack, sandbox_env, run_playbook):
    run = run_playbook("status.yml")
    info = [task["result"] for task in run.tasks if task["action"] in ("canary.ecs.ecs_deployment_info", "ecs_deployment_info")][0]
    assert info["live_version"] == "v2" and info["in_flight"] is None
    assert [d["status"] for d in info["deployments"] if d["creator"] == "user"][:2] in (["Stopped", "Succeeded"], ["Failed", "Succeeded"])
    assert info["deployments"][0]["rolled_back"] or info["deployments"][1]["rolled_back"]
    # and the release records, with who started each
    listed = [task["result"] for task in run.tasks if task["action"] in ("canary.ecs.release_record_info", "release_record_info")][0]["records"]
    mine = [item for item in listed if item["deployment_id"] in [d["deployment_id"] for d in info["deployments"]]]
    assert len(mine) >= 2 and all(item["started_by"] == caller_arn(sandbox_env) for item in mine)
    assert "CHG-1001" in [item["change_ref"] for item in mine]
