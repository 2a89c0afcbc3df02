#!/usr/bin/env python3
"""`make demo`: the seed's story against a local sandbox, with real HTTP traffic.

    provision   ALB, target groups, alarms, ECS service, CodeDeploy (playbooks/provision.yml)
    release v2  a 10% canary while requests flow: the observed split during the bake, then 100%
    release v3  a version that fails half its requests: the alarm fires, CodeDeploy rolls back,
                v2 keeps serving (the play fails, naming the alarm)
    cleanup     playbooks/cleanup.yml

tools/with-sandbox.sh has started the sandbox and exported AWS_ENDPOINT_URL and
CANARY_SANDBOX_ENDPOINT; every request of this script and of the playbooks goes to that
loopback endpoint or to the data plane's loopback listener ports.
"""

import json
import os
import re
import subprocess
import sys
import time

from canary_sandbox.background import Every
from canary_sandbox.guard import assert_environment_loopback
from canary_sandbox.readback import FAILING, minute_seconds, steady_traffic
from canary_sandbox.traffic import listener_url

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
TREE = os.path.join(ROOT, "build", "collections", "ansible_collections", "canary", "ecs")
PROGRESS_PREFIX = "  [ecs_deployment] "
RECORDS = os.path.join(ROOT, "build", "demo", "release-records")  # the release records and reports of the demo's releases
REPORT_RE = re.compile(r"record of (\S+): (\S+), report: (\S+)$")
BACKENDS = {"codedeploy": "through CodeDeploy", "ecs": "by ECS's own canary deployments"}
STACK_VARS = {}  # what every playbook gets: the release backend (make demo BACKEND=ecs)
SHOW_EVERY = 2.0  # seconds between two lines of observed traffic during a release


def say(text="", indent=0):
    print(" " * indent + text, flush=True)


def heading(text):
    say()
    say("=" * 78)
    say(text)
    say("=" * 78)


class Playbook:
    """One ansible-playbook run from the collection tree, its progress lines shown as they come."""

    def __init__(self, name, *args, extra_vars=None):
        self.name = name
        self.command = ["ansible-playbook", os.path.join("playbooks", name), *args]
        if STACK_VARS:
            self.command += ["-e", json.dumps(STACK_VARS)]
        if extra_vars:
            self.command += ["-e", json.dumps(extra_vars)]
        self.lines = []
        self.rc = None
        self.seconds = None
        self.failure = None

    def run(self, show_progress=True):
        env = dict(os.environ)
        env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, "build", "collections"))
        env["CANARY_ECS_RECORD_DIR"] = RECORDS
        env.update(
            ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false", PYTHONUNBUFFERED="1"
        )
        started = time.monotonic()
        process = subprocess.Popen(self.command, cwd=TREE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        for line in process.stdout:
            line = line.rstrip("\n")
            self.lines.append(line)
            if show_progress and line.startswith(PROGRESS_PREFIX):
                say("| " + line[len(PROGRESS_PREFIX) :], indent=2)
            if line.startswith("fatal:") and "=>" in line:
                self.failure = _failure_message(line)
        self.rc = process.wait()
        self.seconds = time.monotonic() - started
        return self

    def report(self):
        """The HTML report of the release this run made, from its progress line; None when none was written."""
        found = [REPORT_RE.search(line) for line in self.lines if line.startswith(PROGRESS_PREFIX)]
        found = [match for match in found if match]
        return found[-1].group(3) if found and os.path.isfile(found[-1].group(3)) else None

    def recap(self):
        for line in self.lines:
            if line.startswith("localhost") and "ok=" in line:
                return " ".join(line.split()[2:])
        return "no recap"

    def tail(self, count=40):
        return "\n".join(self.lines[-count:])


def _failure_message(line):
    try:
        return json.loads(line.split("=>", 1)[1]).get("msg")
    except ValueError:
        return line


def traffic_reporter(traffic):
    """Prints what the traffic saw every few seconds while a release runs."""

    def report():
        window = traffic.window(since=time.time() - SHOW_EVERY)
        say("~ traffic, last %gs: %s" % (SHOW_EVERY, window.describe()), indent=2)

    return Every(SHOW_EVERY, report, name="traffic-reporter")


def check(ok, message):
    say(("ok   " if ok else "FAIL ") + message, indent=2)
    return ok


def release(traffic, tag, release_vars, extra_vars=None):
    started = time.time()
    with traffic_reporter(traffic):
        run = Playbook("deploy.yml", "-e", "image_tag=%s" % tag, "-e", "change_ref=DEMO-%s" % tag, extra_vars=dict(release_vars, **(extra_vars or {}))).run()
    return run, started


def main():
    endpoint = assert_environment_loopback()
    backend = os.environ.get("BACKEND") or "codedeploy"
    if backend not in BACKENDS:
        say("BACKEND must be codedeploy or ecs (make demo BACKEND=ecs), not %r." % backend)
        return 2
    STACK_VARS["stack_release_backend"] = backend
    minute = minute_seconds(endpoint)
    release_vars = {"release_poll_interval": 1}
    results = []
    if os.path.isdir(RECORDS):
        for name in os.listdir(RECORDS):
            os.unlink(os.path.join(RECORDS, name))
    demo_started = time.monotonic()

    heading("canary.ecs demo: canary releases on ECS %s, against a local sandbox" % BACKENDS[backend])
    say("Release backend: %s (make demo BACKEND=%s)." % (backend, "codedeploy" if backend == "ecs" else "ecs"))
    say("Sandbox %s; one AWS minute lasts %gs here, so a 15-minute bake takes %gs." % (endpoint, minute, 15 * minute))

    heading(
        "1. Provision: VPC, ALB with blue/green target groups, alarms, ECS service v1, "
        + ("CodeDeploy" if backend == "codedeploy" else "ECS's CANARY strategy (weighted listener rules, no CodeDeploy)")
    )
    provision = Playbook("provision.yml").run(show_progress=False)
    say("provision.yml: %s (%.0fs)" % (provision.recap(), provision.seconds), indent=2)
    if provision.rc != 0:
        say(provision.tail())
        return 1
    url = listener_url(endpoint, port=80)
    say("The production listener answers on %s (a local port standing in for the ALB)." % url, indent=2)

    with steady_traffic(url) as traffic:
        time.sleep(3)
        before = traffic.window(since=time.time() - 3)
        say("Before any release: %s at about %.0f requests/s." % (before.describe(), before.total / 3.0), indent=2)

        heading("2. Release v2 as a 10% canary while requests flow (seed's Test 1)")
        v2, v2_started = release(traffic, "v2", release_vars)
        # the bake, as clients saw it: from the first response of v2 to the last one of v1
        first_v2 = traffic.first_time(lambda version, status: version == "v2", since=v2_started)
        last_v1 = traffic.last_time(lambda version, status: version == "v1", since=v2_started)
        time.sleep(3)
        after = traffic.window(since=time.time() - 3)
        if first_v2 and last_v1 and last_v1 - first_v2 > 2:
            # leave out a second at each end, while the listener's weights change under requests in flight
            say(
                "During the bake (%.0fs between the first v2 and the last v1 response, edges left out): %s"
                % (last_v1 - first_v2, traffic.window(since=first_v2 + 1, until=last_v1 - 1).describe()),
                indent=2,
            )
        say("Right after it: %s" % after.describe(), indent=2)
        results.append(check(v2.rc == 0, "deploy.yml -e image_tag=v2 succeeded (%.0fs)" % v2.seconds))
        results.append(check(after.share("v2") == 100.0, "all traffic is on v2 now"))

        heading("3. Release v3, which fails half its requests (seed's Test 2)")
        say("v3 gets SANDBOX_FAILURE_RATE=0.5: the seed's `if (Math.random() > 0.5) res.status(500)`.", indent=2)
        say("The alarm fires; %s rolls the release back." % ("CodeDeploy" if backend == "codedeploy" else "ECS"), indent=2)
        v3, v3_started = release(traffic, "v3", release_vars, {"release_environment": FAILING})
        time.sleep(3)
        during = traffic.window(since=v3_started)
        after = traffic.window(since=time.time() - 3)
        say("While v3 was out: %s" % during.describe(), indent=2)
        say("Right after the rollback: %s" % after.describe(), indent=2)
        say("The play says: %s" % (v3.failure or "(no failure message)"), indent=2)
        results.append(check(v3.rc != 0, "deploy.yml -e image_tag=v3 failed, as a rolled-back release should"))
        results.append(check(bool(v3.failure) and "ALARM" in v3.failure, "the failure names the alarm that fired"))
        results.append(check(after.share("v2") == 100.0, "v2 still serves all traffic"))

    heading("4. The release records (who, what, why, when, how it ended) and their reports")
    for tag, run in (("v2", v2), ("v3", v3)):
        report = run.report()
        say("%s: %s" % (tag, report or "no report was written"), indent=2)
        results.append(check(bool(report), "the release of %s left its record and a report with a timeline picture" % tag))
    say("Open a report in a browser: the share on the new version over time, the alarm band, requests and errors per version.", indent=2)

    status = Playbook("status.yml").run(show_progress=False)
    heading("5. Status (playbooks/status.yml): the deployments, then the records")
    for line in status.lines:
        text = line.strip()
        if text.startswith('"msg": '):
            text = text[len('"msg": ') :]
        text = text.strip('",')
        if text.startswith(("Live:", "In flight:", "Alarms:")) or re.match(r"\d{4}-\d\d-\d\dT\S* (d-|arn:)", text):
            say(text, indent=2)

    heading("6. Cleanup")
    cleanup = Playbook("cleanup.yml").run(show_progress=False)
    say("cleanup.yml: %s (%.0fs)" % (cleanup.recap(), cleanup.seconds), indent=2)
    results.append(check(cleanup.rc == 0, "cleanup.yml removed the stack"))

    heading("Done in %.0fs (backend %s): %d of %d checks passed" % (time.monotonic() - demo_started, backend, sum(results), len(results)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
