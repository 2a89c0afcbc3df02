"""The sandbox front: routing, loopback guard, reset."""

import json
import os
import time
import types
import urllib.error
import urllib.request

import pytest

from canary_sandbox.awsclients import client
from canary_sandbox.guard import NotLoopbackError, assert_environment_loopback, assert_loopback
from canary_sandbox.router import WriteWatch


def test_moto_services_are_served(aws):
    aws("ecs").create_cluster(clusterName="c1")
    assert aws("ecs").list_clusters()["clusterArns"][0].endswith("cluster/c1")


def test_a_request_without_a_content_type_reaches_moto(aws):
    # S3 DeleteObjects posts XML without a Content-Type: the interceptors must let it through, not fail it
    s3 = aws("s3")
    s3.create_bucket(Bucket="records")
    s3.put_object(Bucket="records", Key="release-records/web/d-1.json", Body=b"{}")
    deleted = s3.delete_objects(Bucket="records", Delete={"Objects": [{"Key": "release-records/web/d-1.json"}]})
    assert deleted["Deleted"] == [{"Key": "release-records/web/d-1.json"}]
    assert s3.list_objects_v2(Bucket="records").get("KeyCount") == 0


def test_scan_findings_are_answered_as_seeded_and_unseeded_images_are_never_scanned(sandbox, aws):
    from canary_sandbox.ecr import push_image, seed_scan_findings

    digest = push_image(aws, "app", "v2")
    ecr = aws("ecr")
    with pytest.raises(ecr.exceptions.ScanNotFoundException):
        ecr.describe_image_scan_findings(repositoryName="app", imageId={"imageDigest": digest})
    seed_scan_findings(sandbox.endpoint, "app", digest, status="IN_PROGRESS")
    found = ecr.describe_image_scan_findings(repositoryName="app", imageId={"imageDigest": digest})
    assert found["imageScanStatus"]["status"] == "IN_PROGRESS" and "imageScanFindings" not in found
    seed_scan_findings(sandbox.endpoint, "app", digest, counts={"HIGH": 2})  # the scan finished
    found = ecr.describe_image_scan_findings(repositoryName="app", imageId={"imageDigest": digest})
    assert found["imageScanStatus"]["status"] == "COMPLETE" and found["imageScanFindings"]["findingSeverityCounts"] == {"HIGH": 2}
    # another build pushed under the same tag is another image
    assert push_image(aws, "app", "v2", content="rebuilt") != digest


def test_reset_forgets_moto_state(sandbox, aws):
    aws("ecs").create_cluster(clusterName="c1")
    sandbox.reset()
    assert aws("ecs").list_clusters()["clusterArns"] == []


def test_a_codedeploy_operation_not_emulated_is_a_modelled_error(aws):
    codedeploy = aws("codedeploy")
    with pytest.raises(codedeploy.exceptions.OperationNotSupportedException) as error:
        codedeploy.list_git_hub_account_token_names()
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "does not emulate CodeDeploy ListGitHubAccountTokenNames" in error.value.response["Error"]["Message"]


def test_an_operation_outside_codedeploys_model_is_unknown(sandbox):
    request = urllib.request.Request(
        sandbox.endpoint + "/",
        data=b"{}",
        headers={
            "X-Amz-Target": "CodeDeploy_20141006.LaunchRockets",
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/codedeploy/aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=5)
    assert json.loads(error.value.read())["__type"].endswith("UnknownOperationException")


def test_writes_are_counted_and_reads_are_not(aws, sandbox):
    before = sandbox.router.writes
    aws("ecs").list_clusters()
    aws("elbv2").describe_load_balancers()
    aws("cloudwatch").describe_alarms()
    assert sandbox.router.writes == before
    aws("ecs").create_cluster(clusterName="counted")
    aws("cloudwatch").put_metric_data(Namespace="N", MetricData=[{"MetricName": "m", "Value": 1.0}])
    assert sandbox.router.writes == before + 2


def test_a_write_watch_is_due_after_a_write_or_a_quiet_while():
    router = types.SimpleNamespace(writes=0)
    clock = [100.0]
    watch = WriteWatch(router, quiet_seconds=2.0, clock=lambda: clock[0])
    assert watch.due()  # the first look always
    assert not watch.due()  # nothing written, not quiet long enough
    router.writes += 1
    assert watch.due() and not watch.due()
    clock[0] += 2.0
    assert watch.due()  # quiet for long enough: look anyway


def test_an_idle_stack_costs_few_discovery_passes_and_a_write_brings_one_at_once(aws, sandbox):
    from canary_sandbox.dataplane.extension import QUIET_PASS_INTERVAL

    plane = sandbox.extension("dataplane")
    time.sleep(QUIET_PASS_INTERVAL)
    start, passes = time.monotonic(), plane.status()["passes"]
    time.sleep(3 * QUIET_PASS_INTERVAL)
    idle = plane.status()["passes"] - passes
    assert idle <= 4, f"{idle} discovery passes in {time.monotonic() - start:.1f}s with nothing written"
    passes = plane.status()["passes"]
    aws("ecs").create_cluster(clusterName="wakes-discovery")
    deadline = time.monotonic() + 3 * plane.discovery_interval + 1
    while plane.status()["passes"] == passes:
        assert time.monotonic() < deadline, "a write did not bring a discovery pass"
        time.sleep(0.02)


def test_status_endpoint(sandbox):
    with urllib.request.urlopen(sandbox.endpoint + "/_sandbox/status", timeout=5) as response:
        status = json.loads(response.read())
    assert status["endpoint"] == sandbox.endpoint
    assert "codedeploy" in status["extensions"]


@pytest.mark.parametrize("url", ["https://codedeploy.us-east-1.amazonaws.com", "http://10.0.0.5:5000", "http://192.168.1.1", "http://example.com", "", None])
def test_guard_refuses_non_loopback(url):
    with pytest.raises(NotLoopbackError):
        assert_loopback(url)
    with pytest.raises(NotLoopbackError):
        client(url, "ecs")


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000", "http://localhost:1", "http://127.8.9.10", "http://[::1]:80"])
def test_guard_accepts_loopback(url):
    assert assert_loopback(url) == url


def test_guard_on_environment():
    with pytest.raises(NotLoopbackError):
        assert_environment_loopback({})
    with pytest.raises(NotLoopbackError):
        assert_environment_loopback({"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_URL": "https://ecs.amazonaws.com"})
    assert assert_environment_loopback({"AWS_URL": "http://127.0.0.1:9"}) == "http://127.0.0.1:9"


def test_a_second_in_process_sandbox_is_refused(sandbox, aws):
    """moto's state is process-wide: a second in-process sandbox would share it, so it refuses to start."""
    from canary_sandbox.server import Sandbox

    if not isinstance(sandbox, Sandbox):
        pytest.skip("the session's sandbox runs in another process")
    aws("ecs").create_cluster(clusterName="still-here")
    with pytest.raises(RuntimeError, match=r"already runs in this process .*python -m canary_sandbox start --background"):
        Sandbox().start()
    # the refused one touched nothing: the first still serves its state
    assert aws("ecs").list_clusters()["clusterArns"][0].endswith("cluster/still-here")


def test_sandbox_process_runs_a_second_sandbox_with_its_own_state(sandbox, aws):
    from canary_sandbox.testing import sandbox_process

    aws("ecs").create_cluster(clusterName="in-the-first")
    with sandbox_process(minute_seconds=2.0) as other:
        assert other.endpoint != sandbox.endpoint and other.endpoint.startswith("http://127.0.0.1:")
        status = json.load(urllib.request.urlopen(other.endpoint + "/_sandbox/status", timeout=10))
        assert status["minute_seconds"] == 2.0
        assert other.clients("ecs").list_clusters()["clusterArns"] == []
        assert len(aws("ecs").list_clusters()["clusterArns"]) == 1
        pid = status["pid"]
    # stopped on leaving the block (`stop` returns once the process is gone; its parent may reap it a moment later)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the second sandbox (pid {pid}) is still running after its block")


def test_the_environment_tells_where_the_fast_time_axis_starts(sandbox):
    """Metrics are stamped on the sandbox's faster axis; a release's judge maps real moments onto it
    with CANARY_SANDBOX_CLOCK_ORIGIN and CANARY_SANDBOX_MINUTE_SECONDS."""
    import time

    from canary_sandbox.__main__ import environment

    env = environment(sandbox.endpoint)
    origin, minute_seconds = float(env["CANARY_SANDBOX_CLOCK_ORIGIN"]), float(env["CANARY_SANDBOX_MINUTE_SECONDS"])
    now = time.time()
    assert abs(origin + (now - origin) * 60.0 / minute_seconds - sandbox.clock.sandbox_now()) < 60.0 / minute_seconds
