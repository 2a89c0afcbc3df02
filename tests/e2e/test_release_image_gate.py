"""The image gate against the sandbox: a tag pinned to its digest, and ECR scan findings that refuse a release.

A stack of its own (canary_sandbox.stack, no provision.yml) whose service runs an image of a private ECR
repository, in a sandbox of this module alone; releases through canary.ecs.ecs_deployment, all at once
(the gate acts before the traffic shift: the shift is not what this file tests). Read back from the
sandbox: the live task definition's image, the revisions and deployments (nothing registered or started
by a refused release), and what the HTTP clients were served.
"""

import threading
import time

import pytest
from release_helpers import run_module

from canary_sandbox.ecr import push_image, registry_host, scan_looks, seed_scan_findings
from canary_sandbox.engine.testing import setup_group, wait_for
from canary_sandbox.stack import make_ecs_stack
from canary_sandbox.traffic import at_rate, listener_url

NAME = "gate"
REPOSITORY = "gate-app"
IMAGE = "%s/%s" % (registry_host(), REPOSITORY)
CONFIG = "CodeDeployDefault.ECSAllAtOnce"


@pytest.fixture(scope="module")
def gate_stack(own_sandbox_env):
    sandbox = own_sandbox_env
    push_image(sandbox.clients, REPOSITORY, "v1")
    stack = make_ecs_stack(sandbox.clients, NAME, repository=IMAGE)
    setup_group(sandbox.clients, stack, NAME)
    return sandbox, stack


def release(sandbox, stack, tag, expect_failure=False, check=False, **options):
    args = dict(
        cluster=stack.cluster,
        service=stack.service,
        application_name=NAME,
        deployment_group_name=NAME,
        image_tag=tag,
        deployment_config_name=CONFIG,
        poll_interval=1,
        **options,
    )
    return run_module(sandbox, "ecs_deployment", args, expect_failure=expect_failure, check=check)


def live_image(sandbox, stack):
    ecs = sandbox.clients("ecs")
    service = ecs.describe_services(cluster=stack.cluster, services=[stack.service])["services"][0]
    return ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]["containerDefinitions"][0]["image"]


def state(sandbox, stack):
    """What a refused release must not change: the revisions of the family and the deployments of the group."""
    revisions = sandbox.clients("ecs").list_task_definitions(familyPrefix="%s-app" % NAME)["taskDefinitionArns"]
    deployments = sandbox.clients("codedeploy").list_deployments(applicationName=NAME, deploymentGroupName=NAME)["deployments"]
    return sorted(revisions), sorted(deployments)


def served(sandbox, seconds=2.0):
    with at_rate(listener_url(sandbox.endpoint, load_balancer_name="%s-alb" % NAME, port=80, timeout=30), 40, workers=2) as traffic:
        since = time.time()
        time.sleep(seconds)
        return traffic.window(since=since)


def test_a_tag_is_released_pinned_to_its_digest_and_again_is_a_no_op(gate_stack):
    sandbox, stack = gate_stack
    digest = push_image(sandbox.clients, REPOSITORY, "v2")
    result = release(sandbox, stack, "v2")
    assert result["outcome"]["succeeded"] and result["version"] == "v2" and result["image_digest"] == digest
    # read back: the live revision names the image by digest, and the clients get v2 (the tag it was pushed as)
    assert live_image(sandbox, stack) == "%s@%s" % (IMAGE, digest)
    seen = served(sandbox)
    assert seen.total > 0 and seen.share("v2") == 100.0, seen.describe()
    info = run_module(sandbox, "ecs_deployment_info", {"cluster": stack.cluster, "service": stack.service})
    assert info["live_version"] == "v2" and info["live_image"] == "%s@%s" % (IMAGE, digest)
    before = state(sandbox, stack)
    again = release(sandbox, stack, "v2")
    assert again["changed"] is False and again["status"] == "Live" and state(sandbox, stack) == before


def test_a_tag_pushed_again_changes_nothing_live_until_it_is_released(gate_stack):
    sandbox, stack = gate_stack
    live = live_image(sandbox, stack)
    assert live.startswith(IMAGE + "@sha256:"), "the previous test left v2 pinned"
    moved = push_image(sandbox.clients, REPOSITORY, "v2", content="v2, rebuilt")
    assert moved not in live
    assert live_image(sandbox, stack) == live
    seen = served(sandbox)
    assert seen.share("v2") == 100.0, seen.describe()
    # releasing the tag now releases what it names now
    result = release(sandbox, stack, "v2")
    assert result["changed"] is True and result["outcome"]["succeeded"] and result["image_digest"] == moved
    assert live_image(sandbox, stack) == "%s@%s" % (IMAGE, moved)
    # the image the previous revision is pinned to is still in ECR, untagged, as AWS keeps it: a rollback can run it
    [previous] = sandbox.clients("ecr").describe_images(repositoryName=REPOSITORY, imageIds=[{"imageDigest": live.split("@", 1)[1]}])["imageDetails"]
    assert "imageTags" not in previous, previous


def test_findings_at_or_above_the_severity_refuse_the_release_with_nothing_registered(gate_stack):
    sandbox, stack = gate_stack
    digest = push_image(sandbox.clients, REPOSITORY, "v3")
    seed_scan_findings(sandbox.endpoint, REPOSITORY, digest, counts={"CRITICAL": 1, "HIGH": 2, "MEDIUM": 4})
    before, live = state(sandbox, stack), live_image(sandbox, stack)
    refused = release(sandbox, stack, "v3", expect_failure=True, image_scan={"severity": "HIGH"})
    assert "found 1 CRITICAL, 2 HIGH at or above HIGH (all findings: 1 CRITICAL, 2 HIGH, 4 MEDIUM)" in refused["msg"], refused["msg"]
    assert "nothing was registered" in refused["msg"]
    assert state(sandbox, stack) == before and live_image(sandbox, stack) == live
    # findings below the threshold pass the gate (check mode: the gate runs, nothing is registered)
    seed_scan_findings(sandbox.endpoint, REPOSITORY, digest, counts={"HIGH": 2, "MEDIUM": 4})
    refused = release(sandbox, stack, "v3", check=True, expect_failure=True, image_scan={"severity": "HIGH"})
    assert "found 2 HIGH at or above HIGH" in refused["msg"]
    passed = release(sandbox, stack, "v3", check=True, image_scan={"severity": "CRITICAL"})
    assert passed["changed"] is True and passed["image_scan"]["counts"] == {"HIGH": 2, "MEDIUM": 4}
    assert state(sandbox, stack) == before


def test_an_image_without_a_finished_scan_follows_the_chosen_policy(gate_stack):
    sandbox, stack = gate_stack
    digest = push_image(sandbox.clients, REPOSITORY, "v4")
    before = state(sandbox, stack)
    # never scanned: refused by default, let through with allow
    refused = release(sandbox, stack, "v4", expect_failure=True, image_scan={"severity": "HIGH"})
    assert "has no findings to judge: not scanned" in refused["msg"] and "image_scan.unscanned=refuse" in refused["msg"]
    allowed = release(sandbox, stack, "v4", check=True, image_scan={"severity": "HIGH", "unscanned": "allow"})
    assert allowed["image_scan"]["status"] == "NOT_SCANNED"
    # a scan in progress: wait waits for it, then judges what it found
    seed_scan_findings(sandbox.endpoint, REPOSITORY, digest, status="IN_PROGRESS")
    found = {}

    def waiting():
        found["result"] = release(sandbox, stack, "v4", check=True, image_scan={"severity": "HIGH", "unscanned": "wait", "wait_minutes": 600})

    looks = scan_looks(sandbox.endpoint)
    thread = threading.Thread(target=waiting)
    thread.start()
    # the gate looked at the scan in progress twice (it waits), however long the module took to start
    wait_for(lambda: scan_looks(sandbox.endpoint) >= looks + 2, 120, interval=0.2, what="the gate to look at the scan in progress twice")
    assert thread.is_alive(), "the gate did not wait for the scan in progress"
    seed_scan_findings(sandbox.endpoint, REPOSITORY, digest, counts={"LOW": 3})
    thread.join(timeout=120)
    assert found["result"]["image_scan"]["status"] == "COMPLETE" and found["result"]["image_scan"]["waited_seconds"] > 0
    assert state(sandbox, stack) == before
