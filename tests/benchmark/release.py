#!/usr/bin/env python3
"""`make benchmark`: what one release costs beyond the bake, and how fast a bad one is undone.

Run by tools/with-sandbox.sh (a fresh sandbox, AWS_ENDPOINT_URL pointing at it). It
provisions the stack, then measures, in one run:

    overhead      wall time of `deploy.yml -e image_tag=v2` minus the configured traffic
                  shift, bake and termination wait (what CodeDeploy itself waits)
    API calls     every AWS request the release made, counted by a loopback proxy placed
                  between ansible-playbook and the sandbox (the sandbox's own engine
                  talks to itself directly and is not counted)
    reaction      a v3 failing half its requests under traffic: from the alarm entering
                  ALARM (its history) to the last v3 response seen by HTTP clients, and to
                  the production listener back at 100% on the previous version
    judge         a v5 failing 5% of its requests (under the count alarm) with release_judge on:
                  time to its rollback, looks, the judge's calls
    detection     a version failing half its requests at 2, 10, 50 and 300 requests a sandbox
                  minute, stopped by the seed's alarm, the rate comparison alarm or the judge
                  (detection.py): what stopped it, how soon after the first bad response
    AWS CLI       the same release driven by `aws ecs register-task-definition`,
                  `aws deploy create-deployment` and `aws deploy wait deployment-successful`
                  against the same sandbox, through the same proxy

and prints a table. Nothing here leaves 127.0.0.1.
"""

import collections
import http.client
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

import botocore.session
from detection import ListenerWatch, live_target_group
from detection import run as detection_run
from detection import table as detection_table

from canary_sandbox.awsclients import Clients
from canary_sandbox.guard import assert_environment_loopback, assert_loopback
from canary_sandbox.readback import FAILING, TRAFFIC_WORKERS, Stack, steady_traffic
from canary_sandbox.readback import minute_seconds as sandbox_minute_seconds
from canary_sandbox.traffic import listener_url

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

TREE = os.path.join(ROOT, "build", "collections", "ansible_collections", "canary", "ecs")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers", "transfer-encoding", "upgrade"}
_CBOR_PATH = re.compile(r"/service/([^/]+)/operation/([^/?]+)")


# ---------------------------------------------------------------------------- counting proxy


def operation_of(method, path, headers, body):
    """'Service.Operation' of an AWS request, whatever its protocol (JSON, query, rpc-v2-cbor, REST)."""
    target = headers.get("X-Amz-Target")
    if target:
        service, _, operation = target.partition(".")
        return "%s.%s" % (re.sub(r"(_?\d{8}|V\d{8})$", "", service), operation)
    match = _CBOR_PATH.search(path)
    if match:
        return "%s.%s" % (re.sub(r"Version\d{8}$", "", match.group(1)), match.group(2))
    if body and headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            scope = re.search(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/", headers.get("Authorization", ""))
            return "%s.%s" % (scope.group(1) if scope else "?", action[0])
    return "%s %s" % (method, path.split("?")[0])


class CountingProxy:
    """A loopback HTTP proxy to the sandbox that counts requests per operation while `counting`."""

    def __init__(self, upstream):
        self.upstream = urllib.parse.urlparse(assert_loopback(upstream))
        self.counts = collections.Counter()
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with proxy.lock:
                    proxy.counts[operation_of(self.command, self.path, self.headers, body)] += 1
                connection = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                connection.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="counting-proxy", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def take(self):
        """The counts since the last take()."""
        with self.lock:
            counts, self.counts = self.counts, collections.Counter()
        return counts


# ---------------------------------------------------------------------------- runs


def environment(endpoint):
    env = dict(os.environ)
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_URL=endpoint,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "build", "collections"),
        PATH=VENV_BIN + os.pathsep + env.get("PATH", ""),
        # the releases' records (kept by default, as a user's are), counted with the release's calls
        CANARY_ECS_RECORD_DIR=os.path.join(ROOT, "build", "benchmark", "release-records"),
    )
    assert_environment_loopback(env)
    return env


def playbook(endpoint, name, *args, extra_vars=None, expect_failure=False):
    command = [os.path.join(VENV_BIN, "ansible-playbook"), os.path.join("playbooks", name), *args]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    started = time.monotonic()
    process = subprocess.run(command, cwd=TREE, env=environment(endpoint), capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    if (process.returncode != 0) != expect_failure:
        sys.exit("%s ended with rc=%d, which was not expected:\n%s" % (name, process.returncode, (process.stdout + process.stderr)[-5000:]))
    return seconds, process.stdout + process.stderr


def aws_cli(endpoint, *args):
    command = [os.path.join(VENV_BIN, "aws"), *args]
    process = subprocess.run(command, env=environment(endpoint), capture_output=True, text=True, timeout=3600, stdin=subprocess.DEVNULL)
    if process.returncode != 0:
        sys.exit("%s failed: %s" % (" ".join(command[:4]), process.stderr[-3000:]))
    return json.loads(process.stdout) if process.stdout.strip().startswith("{") else {}


def configured_wait_seconds(clients, stack, minute_seconds):
    """What CodeDeploy itself waits in one release: canary/linear intervals plus the termination wait."""
    codedeploy = clients("codedeploy")
    group = codedeploy.get_deployment_group(applicationName=stack.application_name, deploymentGroupName=stack.group_name)["deploymentGroupInfo"]
    config = codedeploy.get_deployment_config(deploymentConfigName=group["deploymentConfigName"])["deploymentConfigInfo"]
    routing = config.get("trafficRoutingConfig") or {}
    minutes = 0.0
    if routing.get("type") == "TimeBasedCanary":
        minutes += routing["timeBasedCanary"]["canaryInterval"]
    elif routing.get("type") == "TimeBasedLinear":
        linear = routing["timeBasedLinear"]
        minutes += linear["linearInterval"] * (len(range(linear["linearPercentage"], 100, linear["linearPercentage"])))
    blue_green = group.get("blueGreenDeploymentConfiguration") or {}
    minutes += (blue_green.get("terminateBlueInstancesOnDeploymentSuccess") or {}).get("terminationWaitTimeInMinutes", 0)
    return minutes * minute_seconds, group["deploymentConfigName"], minutes


def register_with_cli(endpoint, live, tag):
    """aws ecs register-task-definition of the live revision with another image tag: its ARN."""
    # what a CLI user strips with jq: the read-only keys describe-task-definition adds (botocore's model says which are input)
    keys = botocore.session.get_session().get_service_model("ecs").operation_model("RegisterTaskDefinition").input_shape.members
    definition = {key: live[key] for key in keys if live.get(key) not in (None, [], {})}
    container = definition["containerDefinitions"][0]
    container["image"] = container["image"].rsplit(":", 1)[0] + ":" + tag
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(definition, handle)
        path = handle.name
    try:
        return aws_cli(endpoint, "ecs", "register-task-definition", "--cli-input-json", "file://" + path)["taskDefinition"]["taskDefinitionArn"]
    finally:
        os.unlink(path)


def release_with_cli(endpoint, stack, tag):
    """The same release with the AWS CLI: register the revision, create the deployment, wait for success."""
    arn = register_with_cli(endpoint, stack.live_task_definition(), tag)
    port = stack.service_description()["loadBalancers"][0]
    appspec = json.dumps(
        {
            "version": 0.0,
            "Resources": [
                {
                    "TargetService": {
                        "Type": "AWS::ECS::Service",
                        "Properties": {
                            "TaskDefinition": arn,
                            "LoadBalancerInfo": {"ContainerName": port["containerName"], "ContainerPort": port["containerPort"]},
                        },
                    }
                }
            ],
        }
    )
    revision = json.dumps({"revisionType": "AppSpecContent", "appSpecContent": {"content": appspec}})
    deployment_id = aws_cli(
        endpoint,
        "deploy",
        "create-deployment",
        "--application-name",
        stack.application_name,
        "--deployment-group-name",
        stack.group_name,
        "--revision",
        revision,
    )["deploymentId"]
    aws_cli(endpoint, "deploy", "wait", "deployment-successful", "--deployment-id", deployment_id)
    return deployment_id


def print_table(rows):
    """Rows of cells as aligned columns, the first row a header."""
    width = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width[column]) for column, cell in enumerate(row)))
        if index == 0:
            print("  ".join("-" * w for w in width))


def alarm_fired_at(clients, names, since):
    cloudwatch = clients("cloudwatch")
    times = []
    for name in names:
        history = cloudwatch.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate", ScanBy="TimestampAscending")
        for item in history.get("AlarmHistoryItems", []):
            if json.loads(item.get("HistoryData") or "{}").get("newState", {}).get("stateValue") == "ALARM" and item["Timestamp"].timestamp() >= since:
                times.append((item["Timestamp"].timestamp(), name))
    return min(times) if times else (None, None)


# ---------------------------------------------------------------------------- main


def main():
    sandbox = assert_environment_loopback()
    clients = Clients(sandbox)
    minute_seconds = sandbox_minute_seconds(sandbox)
    fast = {"release_poll_interval": 1}
    print("canary.ecs release benchmark against %s (one sandbox minute = %gs)" % (sandbox, minute_seconds), flush=True)

    provision_seconds, _ = playbook(sandbox, "provision.yml")
    stack = Stack(clients)
    configured, config_name, configured_minutes = configured_wait_seconds(clients, stack, minute_seconds)
    print(
        "provisioned in %.1fs; %s, %.0f configured minutes of shift, bake and termination wait = %.1fs here"
        % (provision_seconds, config_name, configured_minutes, configured),
        flush=True,
    )

    with CountingProxy(sandbox) as proxy:
        proxy.take()
        deploy_seconds, _ = playbook(proxy.endpoint, "deploy.yml", "-e", "image_tag=v2", extra_vars=fast)
        deploy_calls = proxy.take()
        print("deploy.yml v2: %.1fs, %d API calls" % (deploy_seconds, sum(deploy_calls.values())), flush=True)

        again_seconds, _ = playbook(proxy.endpoint, "deploy.yml", "-e", "image_tag=v2", extra_vars=fast)
        again_calls = proxy.take()
        print("deploy.yml v2 again (no-op): %.1fs, %d API calls" % (again_seconds, sum(again_calls.values())), flush=True)

        started = time.monotonic()
        release_with_cli(proxy.endpoint, stack, "v3")
        cli_seconds = time.monotonic() - started
        cli_calls = proxy.take()
        print("AWS CLI v3: %.1fs, %d API calls" % (cli_seconds, sum(cli_calls.values())), flush=True)

        original = live_target_group(clients, stack)
        with steady_traffic(listener_url(sandbox, port=80)) as traffic, ListenerWatch(clients, stack, original) as watch:
            started_at = time.time()
            rollback_seconds, _ = playbook(
                proxy.endpoint, "deploy.yml", "-e", "image_tag=v4", expect_failure=True, extra_vars=dict(fast, release_environment=FAILING)
            )
            rollback_calls = proxy.take()
            time.sleep(1)
        fired_at, alarm = alarm_fired_at(clients, stack.alarm_names, started_at)
        last_v4 = traffic.last_time(lambda version, status: version == "v4", since=started_at)
        listener_back = watch.back_at_100_after(fired_at or started_at)
        print("deploy.yml v4 (fails half its requests): %.1fs, %d API calls" % (rollback_seconds, sum(rollback_calls.values())), flush=True)

        # the judge: a canary failing 5% (under the seed's count alarm) with release_judge on
        with steady_traffic(listener_url(sandbox, port=80)) as judged_traffic:
            judged_started = time.time()
            judged_seconds, _ = playbook(
                proxy.endpoint,
                "deploy.yml",
                "-e",
                "image_tag=v5",
                expect_failure=True,
                extra_vars=dict(fast, release_environment={"SANDBOX_FAILURE_RATE": "0.05"}, release_judge=True),
            )
            judged_calls = proxy.take()
            time.sleep(1)
        last_v5 = judged_traffic.last_time(lambda version, status: version == "v5", since=judged_started)
        print("deploy.yml v5 (fails 5%%, judged): %.1fs, %d API calls" % (judged_seconds, sum(judged_calls.values())), flush=True)

        print("Detection: a version failing half its requests, by traffic and guard:", flush=True)
        detected = detection_run(playbook, proxy, clients, stack, sandbox, minute_seconds, fast)

    rows = [
        ("", "deploy.yml (canary.ecs)", "AWS CLI"),
        ("wall time of one release", "%.1f s" % deploy_seconds, "%.1f s" % cli_seconds),
        ("configured shift + bake + termination wait", "%.1f s" % configured, "%.1f s" % configured),
        ("overhead (wall - configured)", "%.1f s" % (deploy_seconds - configured), "%.1f s" % (cli_seconds - configured)),
        ("AWS API calls of one release", str(sum(deploy_calls.values())), str(sum(cli_calls.values()))),
        ("same tag again (no-op): time / calls", "%.1f s / %d" % (again_seconds, sum(again_calls.values())), "n/a (would deploy again)"),
    ]
    print()
    print_table(rows)
    print()
    print(
        "Rollback of a release failing half its requests (%d traffic workers, %.0f requests/s):"
        % (TRAFFIC_WORKERS, traffic.window(since=started_at).total / max(1.0, rollback_seconds))
    )
    if fired_at is None:
        print("  the alarm never entered ALARM: no reaction time")
    else:
        print("  alarm %s entered ALARM at +%.1fs into the release" % (alarm, fired_at - started_at))
        if last_v4:
            print("  alarm ALARM -> last response served by v4 (HTTP):           %.2f s" % (last_v4 - fired_at))
        if listener_back:
            print("  alarm ALARM -> production listener 100%% on v2 again (ELBv2): %.2f s" % (listener_back - fired_at))
    print()
    looks = judged_calls.get("codedeploy.GetDeployment", 0) or judged_calls.get("CodeDeploy.GetDeployment", 0)
    judged_looks = judged_calls.get("monitoring.GetMetricData", 0) or judged_calls.get("GraniteServiceVersion.GetMetricData", 0)
    print("The judge, a canary failing 5% of its requests (the count alarm stays under 5 a minute):")
    print(
        "  wall time of the release to its rollback: %.1f s; last response served by v5 at +%.1f s"
        % (judged_seconds, (last_v5 or judged_started) - judged_started)
    )
    print(
        "  looks: %d, of which judged: %d; judge calls per judged look: GetMetricData 1, DescribeTargetGroups 1, GetDeploymentConfig 1" % (looks, judged_looks)
    )
    print()
    print("Detection of a version failing half its requests (times in sandbox minutes, AWS's minutes):")
    print(detection_table(detected, minute_seconds))
    print()
    print("API calls per operation, one release with deploy.yml:")
    for operation, count in sorted(deploy_calls.items(), key=lambda item: (-item[1], item[0])):
        print("  %4d  %s" % (count, operation))
    print("API calls per operation, the judged release (v5):")
    for operation, count in sorted(judged_calls.items(), key=lambda item: (-item[1], item[0])):
        print("  %4d  %s" % (count, operation))
    print("API calls per operation, the same release with the AWS CLI:")
    for operation, count in sorted(cli_calls.items(), key=lambda item: (-item[1], item[0])):
        print("  %4d  %s" % (count, operation))
    playbook(sandbox, "cleanup.yml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
