"""The seed's two tests, end to end inside the sandbox, measured by real HTTP traffic.

Test 1: a canary with CodeDeployDefault.ECSCanary10Percent15Minutes serves about 1 request
in 10 from the new version during the bake (within 3 binomial sigma of the requests it fitted, at
least 300; about 1,000 on an idle machine), then all of
them; the original task set is gone after the termination wait.
Test 2: a version failing half of its requests drives the 5xx alarm (evaluated by the
sandbox over the data plane's metrics) to ALARM, the deployment stops with rollback
information, and the previous version serves every request again.

These run on a sandbox process of their own with one sandbox minute = 1 s, so the 15-minute
bake lasts 15 s: about 1,000 requests, fewer when the 2 cores are busy with other layers. (A second
in-process sandbox would share moto's state with the session's, and its engine would give
the seed service a second primary task set.)
"""

import http.client
import math
import os
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest

from canary_sandbox.dataplane.extension import listener_url
from canary_sandbox.engine.testing import Release, setup_group, task_sets, wait_for, wait_for_status
from canary_sandbox.stack import make_ecs_stack, put_5xx_alarm
from canary_sandbox.testing import sandbox_process

# Both tests share the module's sandbox: pytest-xdist runs them on one worker (make sandbox-tests
# uses --dist loadgroup), and test 2 starts from whatever version test 1 left live.
pytestmark = pytest.mark.xdist_group("seed")

CANARY = "CodeDeployDefault.ECSCanary10Percent15Minutes"
ALARM = "Canary-5XX-Error-Alarm"
DONE = {"Succeeded", "Failed", "Stopped"}
MIN_REQUESTS = 300


def tolerance_points(total):
    """Binomial 3 sigma of the share for p = 0.1 over `total` requests, in percentage points: 2.85 at 1,000
    requests (what an idle machine fits in the bake), 5.2 at the 300 a loaded one may only fit."""
    return 300.0 * math.sqrt(0.1 * 0.9 / total)


@pytest.fixture(scope="module")
def seed():
    if os.environ.get("CANARY_SANDBOX_ENDPOINT"):
        pytest.skip("needs a sandbox of its own (one sandbox minute = 1 s sets the bake length)")
    with sandbox_process(minute_seconds=1.0) as sandbox:
        aws = sandbox.clients
        stack = make_ecs_stack(aws, "seed")
        setup_group(aws, stack, "seed")
        release = Release(aws, stack, "seed")
        url = listener_url(sandbox.endpoint, "seed-alb", 80)
        # As before a real release: the service is stable (every target healthy) first; a
        # request sent while the first task still starts would get the ALB's 503.
        traffic = Traffic(url)
        wait_for(lambda: versions(traffic.sample(10)) == Counter({"v1": 10}), 30, interval=0.2, what="v1 serving")
        yield sandbox, aws, stack, release, url


class Traffic:
    """Requests over one keep-alive connection to a listener port: versions and statuses seen."""

    def __init__(self, url):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.connection = None

    def get(self):
        for _ in range(2):  # a task set swap may close the kept-alive connection once
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
                self.connection.request("GET", "/")
                response = self.connection.getresponse()
                response.read()
                return response.status, response.getheader("X-Canary-Version")
            except (http.client.HTTPException, OSError):
                self.connection = None
        raise AssertionError(f"no answer from {self.host}:{self.port}")

    def sample(self, count):
        return Counter(self.get() for _ in range(count))


def versions(counter):
    found = Counter()
    for (_status, version), count in counter.items():
        found[version] += count
    return found


def test_1_canary_serves_one_in_ten_then_all(seed):
    _sandbox, aws, stack, release, url = seed
    release.configure(config=CANARY, termination_wait=1)
    traffic = Traffic(url)
    # before the release v1 serves everything; on a loaded machine a task may still be settling, so it is waited for
    wait_for(lambda: versions(traffic.sample(50)) == Counter({"v1": 50}), 60, interval=0.2, what="v1 serving 50 requests in a row")
    deployment_id = release.start("v2")
    release.wait_for_canary()

    seen = Counter()
    # only what the bake serves counts: a batch counts when the listener said 10% before and after it (on a busy
    # machine a batch that straddles the shift to 100% would count the new version's requests as the canary's)
    while release.share_of_new() == 10:
        batch = traffic.sample(20)
        if release.share_of_new() == 10:
            seen.update(batch)
    total = sum(seen.values())
    share = 100.0 * versions(seen)["v2"] / total
    assert total >= MIN_REQUESTS, f"only {total} requests fitted in the 15 s bake (at least {MIN_REQUESTS} are needed to measure a share)"
    tolerance = tolerance_points(total)
    assert abs(share - 10) <= tolerance, f"{share:.1f}% of {total} requests reached v2 during the 10% bake (10 +- {tolerance:.2f})"
    assert all(status == 200 for status, _ in seen)

    info = wait_for_status(aws("codedeploy"), deployment_id, DONE, timeout=60)
    assert info["status"] == "Succeeded", info.get("errorInformation")
    after = traffic.sample(200)
    assert versions(after) == Counter({"v2": 200})
    [primary] = task_sets(aws, stack)  # the original task set went after the termination wait
    assert primary["status"] == "PRIMARY" and primary["taskDefinition"] == release.new
    print(f"\nseed test 1: {total} requests during the bake, {share:.2f}% on v2 (10 +- {tolerance:.2f})")


def test_2_failing_version_trips_the_alarm_and_is_rolled_back(seed):
    sandbox, aws, stack, _release, url = seed
    release = Release(aws, stack, "seed")  # v2 is live now: the canary goes to the other group
    dimensions = [
        {"Name": "TargetGroup", "Value": release.idle.split(":")[-1]},
        {"Name": "LoadBalancer", "Value": stack.load_balancer_arn.split(":loadbalancer/")[-1]},
    ]
    cloudwatch = aws("cloudwatch")
    put_5xx_alarm(cloudwatch, ALARM, dimensions, TreatMissingData="notBreaching")  # the seed's alarm, on the group that receives this canary
    release.configure(config=CANARY, alarms=[ALARM], termination_wait=1)
    # v2 after test 1; v1 when this test runs alone
    before = image_version(aws("ecs").describe_task_definition(taskDefinition=release.serving)["taskDefinition"])
    serving_before = versions(Traffic(url).sample(20))
    assert serving_before == Counter({before: 20})

    buggy = register_buggy_version(aws, stack, "v3", failure_rate="0.5")
    deployment_id = aws("codedeploy").create_deployment(applicationName="seed", deploymentGroupName="seed", revision=revision_for(buggy))["deploymentId"]
    stop = threading.Event()
    seen = Counter()
    worker = threading.Thread(target=drive, args=(Traffic(url), seen, stop), daemon=True)
    worker.start()
    try:
        started = time.monotonic()
        info = wait_for_status(aws("codedeploy"), deployment_id, DONE, timeout=60)
        took = time.monotonic() - started
    finally:
        stop.set()
        worker.join(timeout=10)

    assert info["status"] == "Stopped", info
    assert info["errorInformation"]["code"] == "ALARM_ACTIVE"
    assert ALARM in info["errorInformation"]["message"]
    assert info["rollbackInfo"]["rollbackDeploymentId"]
    history = cloudwatch.describe_alarm_history(AlarmName=ALARM, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert any("to ALARM" in item["HistorySummary"] for item in history), history
    assert versions(seen)["v3"] > 0 and any(status == 500 for status, _ in seen), "the canary never served"
    # Measured by HTTP: every request is served by the previous version again, none fails. The
    # rollback may still be moving the weights when the status flips, hence the short wait.
    traffic = Traffic(url)
    wait_for(lambda: traffic.sample(20) == Counter({(200, before): 20}), timeout=5, what=f"{before} serving everything")
    after = traffic.sample(200)
    assert after == Counter({(200, before): 200})
    # 2 evaluation periods of 1 s each, plus the canary's start: well under the 15 s bake.
    assert took < 15 + 5, f"the rollback took {took:.1f}s"
    print(
        f"\nseed test 2: stopped after {took:.1f}s; {sum(seen.values())} requests during the release, "
        f"{sum(c for (s, _), c in seen.items() if s == 500)} failed; afterwards 200/200 on {before}"
    )


def image_version(task_definition):
    return task_definition["containerDefinitions"][0]["image"].rsplit(":", 1)[-1]


def drive(traffic, seen, stop):
    deadline = time.monotonic() + 60
    while not stop.is_set() and time.monotonic() < deadline:
        seen.update(traffic.sample(20))


def register_buggy_version(aws, stack, tag, failure_rate):
    ecs = aws("ecs")
    current = ecs.describe_task_definition(taskDefinition=stack.task_definition_arn)["taskDefinition"]
    containers = [
        dict(container, image=f"canary-app:{tag}", environment=[{"name": "SANDBOX_FAILURE_RATE", "value": failure_rate}])
        for container in current["containerDefinitions"]
    ]
    return ecs.register_task_definition(
        family=current["family"], networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512", containerDefinitions=containers
    )["taskDefinition"]["taskDefinitionArn"]


def revision_for(task_definition_arn):
    from canary_sandbox.engine.testing import appspec_content, appspec_revision

    return appspec_revision(appspec_content(task_definition_arn))


def test_tolerance_is_three_sigma_and_still_tells_one_in_ten_from_none_or_one_in_five():
    assert round(tolerance_points(1000), 2) == 2.85 and round(tolerance_points(MIN_REQUESTS), 1) == 5.2
    assert tolerance_points(MIN_REQUESTS) < 10 / 1.9  # 10% +- 5.2 is neither none nor one in five
