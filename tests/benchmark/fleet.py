#!/usr/bin/env python3
"""`make benchmark`: twenty services released at once (ecs_fleet_release) against one release alone.

Run by tools/with-sandbox.sh (a fresh sandbox). It builds 20 stacks in the sandbox (each its
own cluster, load balancer, deployment group and alarm), then, in one run and through one
counting loopback proxy:

    one release    canary.ecs.ecs_deployment on one stack (its action plugin's progress and looks)
    the fleet      canary.ecs.ecs_fleet_release of all 20 at once (max in flight 20)

and prints: wall time of each and the ratio (goal: at most 1.3x), AWS calls in all, the
watcher's calls per look (goal: ceil(20/25) BatchGetDeployments + 1 DescribeAlarms + the
weights' DescribeListeners; 20 single releases side by side make 3 to 4 calls each per look),
and the sandbox's own CPU seconds in each phase. Both use the same canary config (10% for
CANARY_SECONDS real seconds, then 100%, no termination wait). Nothing leaves 127.0.0.1.
"""

import json
import math
import os
import subprocess
import sys
import time

from release import TREE, VENV_BIN, CountingProxy, environment

from canary_sandbox.awsclients import Clients
from canary_sandbox.engine.testing import stack_with_alarms
from canary_sandbox.readback import minute_seconds

SERVICES = 20
CANARY_SECONDS = 20
POLL = 2


def sandbox_cpu_seconds():
    """User + system CPU seconds of the sandbox process so far (its pidfile is beside its log)."""
    log = os.environ.get("CANARY_SANDBOX_LOG")
    try:
        with open(os.path.join(os.path.dirname(log), "pid")) as handle:
            pid = int(handle.read().strip())
        with open("/proc/%d/stat" % pid) as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, TypeError):
        return float("nan")


def build(clients, count, config):
    return [("bf%02d" % index, stack_with_alarms(clients, "bf%02d" % index, threshold=5, deploymentConfigName=config)) for index in range(count)]


def run(endpoint, command, parse=True):
    env = dict(environment(endpoint), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CALLBACK_RESULT_FORMAT="json")
    started = time.monotonic()
    process = subprocess.run(command, cwd=TREE, env=env, capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    if process.returncode != 0:
        sys.exit("%s failed (rc=%d):\n%s" % (" ".join(command[:3]), process.returncode, (process.stdout + process.stderr)[-4000:]))
    return seconds, json.loads(process.stdout[process.stdout.find("{") :]) if parse else process.stdout


def task_result(output, name):
    for play in output["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"] == name:
                return list(task["hosts"].values())[0]
    raise KeyError(name)


def main():
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    clients = Clients(endpoint)
    scale = minute_seconds(endpoint)
    minutes = max(1, int(round(CANARY_SECONDS / scale)))
    config = "bench-fleet-canary"
    clients("codedeploy").create_deployment_config(
        deploymentConfigName=config,
        computePlatform="ECS",
        trafficRoutingConfig={"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": minutes}},
    )
    built = time.monotonic()
    stacks = build(clients, SERVICES, config)
    print("built %d stacks in %.0f s; canary 10%% for %d sandbox minutes (%.0f s)" % (SERVICES, time.monotonic() - built, minutes, minutes * scale))
    time.sleep(3)  # the data plane's tasks of the new stacks
    with CountingProxy(endpoint) as proxy:
        name, stack = stacks[0]
        single = {
            "cluster": stack.cluster,
            "service": stack.service,
            "application_name": name,
            "deployment_group_name": name,
            "image_tag": "v2",
            "poll_interval": POLL,
            "region": "us-east-1",
        }
        cpu = sandbox_cpu_seconds()
        one_seconds, _output = run(
            proxy.endpoint,
            [
                os.path.join(VENV_BIN, "ansible"),
                "localhost",
                "-i",
                "localhost,",
                "-c",
                "local",
                "-e",
                "ansible_python_interpreter=" + os.path.join(VENV_BIN, "python"),
                "-m",
                "canary.ecs.ecs_deployment",
                "-a",
                json.dumps(single),
            ],
            parse=False,
        )
        one_cpu, one_calls = sandbox_cpu_seconds() - cpu, proxy.take()
        entries = [
            {"name": name, "cluster": stack.cluster, "service": stack.service, "application_name": name, "deployment_group_name": name}
            for name, stack in stacks
        ]
        fleet_command = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", "localhost,", "playbooks/fleet.yml", "-e"]
        settings = {"fleet_poll_interval": POLL, "release_record_dir": "", "aws_region": "us-east-1"}
        # the same playbook with one service (the second stack), for the ratio without the playbook's own start-up
        alone_seconds, _output = run(
            proxy.endpoint, fleet_command + [json.dumps(dict(settings, fleet_services=entries[1:2], fleet_defaults={"image_tag": "v2"}))]
        )
        proxy.take()
        cpu = sandbox_cpu_seconds()
        fleet_seconds, output = run(proxy.endpoint, fleet_command + [json.dumps(dict(settings, fleet_services=entries, fleet_defaults={"image_tag": "v3"}))])
        fleet_cpu, fleet_calls = sandbox_cpu_seconds() - cpu, proxy.take()
    result = task_result(output, "Release the fleet")
    if result["summary"]["succeeded"] != [name for name, _stack in stacks]:
        sys.exit("the fleet did not succeed: %s" % result["msg"])
    looks = result["api_calls_per_look"]
    ended = [calls.get("GetDeploymentTarget", 0) for calls in looks]  # releases given their final full look in that look
    routing = [calls.get("BatchGetDeploymentGroups", 0) + calls.get("DescribeServices", 0) for calls in looks]
    # a look's batched reads (fewer than 100 alarms: one DescribeAlarms; the final looks make the others)
    batched = [calls.get("BatchGetDeployments", 0) + calls.get("DescribeListeners", 0) + min(1, calls.get("DescribeAlarms", 0)) for calls in looks]
    per_look = max(batched)
    single_per_look = 4  # a single release's full look (GetDeployment, GetDeploymentTarget, DescribeAlarms, GetDeploymentGroup)
    rows = [
        ("", "one release", "fleet of %d" % SERVICES),
        (
            "wall time",
            "%.0f s (fleet.yml of one: %.0f s)" % (one_seconds, alone_seconds),
            "%.0f s (%.2fx ecs_deployment's, %.2fx fleet.yml of one; goal 1.3x)" % (fleet_seconds, fleet_seconds / one_seconds, fleet_seconds / alone_seconds),
        ),
        (
            "AWS calls in all",
            "%d" % sum(one_calls.values()),
            "%d (%d single releases: about %d)" % (sum(fleet_calls.values()), SERVICES, SERVICES * sum(one_calls.values())),
        ),
        (
            "calls per look",
            "%d (full look)" % single_per_look,
            "%d batched at most (goal %d + 1 + weights; %d side by side: %d); once per release: %d routing, %d final"
            % (per_look, math.ceil(SERVICES / 25.0), SERVICES, SERVICES * single_per_look, sum(routing), sum(ended)),
        ),
        ("watcher looks", "", "%d" % len(looks)),
        ("sandbox CPU", "%.1f s" % one_cpu, "%.1f s" % fleet_cpu),
    ]
    width = max(len(row[0]) for row in rows)
    for row in rows:
        print("%s  %-16s %s" % (row[0].ljust(width), row[1], row[2]))
    print("fleet calls by operation: %s" % ", ".join("%s %d" % item for item in sorted(fleet_calls.items())))
    print("batched calls of each look: %s" % batched)
    print("each look: %s" % json.dumps(looks))


if __name__ == "__main__":
    main()
