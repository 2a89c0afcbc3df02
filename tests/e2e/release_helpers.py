"""Helpers of the release end-to-end tests: module and playbook runs, the release's result.

The provisioned stack read back is canary_sandbox.readback.Stack; the session's shared stack
is conftest's `stack` fixture.
"""

import json
import os
import signal
import subprocess
import time

from canary_sandbox.engine.testing import wait_for
from canary_sandbox.readback import FAILING, HEALTHY, Stack, minute_seconds, restore_alarm, steady_traffic  # noqa: F401  (for the tests)
from canary_sandbox.traffic import at_rate, listener_url

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TREE = os.path.join(ROOT, "build", "collections", "ansible_collections", "canary", "ecs")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")


def lasting_config(sandbox_env, name, real_seconds=None, linear=False):
    """A deployment config of 10% steps each lasting about `real_seconds` of real time at the sandbox's
    time scale (CodeDeploy's own configs last seconds on its clock: a test that must meet a release
    in flight, on a busy machine, gives it time this way), or as long as CodeDeploy allows (2880
    minutes) without it; made once, returns its name."""
    longest = 2880
    minutes = longest if real_seconds is None else max(1, min(longest, int(round(real_seconds / minute_seconds(sandbox_env.endpoint)))))
    routing = (
        {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": minutes}}
        if linear
        else {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": minutes}}
    )
    codedeploy = sandbox_env.clients("codedeploy")
    try:
        codedeploy.create_deployment_config(deploymentConfigName=name, computePlatform="ECS", trafficRoutingConfig=routing)
    except codedeploy.exceptions.DeploymentConfigAlreadyExistsException:
        pass
    return name


def records_directory(endpoint):
    """Where the playbooks run against the sandbox at `endpoint` keep their release records (CANARY_ECS_RECORD_DIR)."""
    return os.path.join(ROOT, "build", "release-records", endpoint.rsplit(":", 1)[-1].strip("/"))


def recorded(sandbox_env, deployment_id):
    """The release record the playbooks wrote of a deployment, and its HTML report: (record, html)."""
    # an ECS service deployment's ARN is stored as ecs-<its id> (canary.ecs's _record/store.file_stem)
    stem = "ecs-" + deployment_id.rsplit("/", 1)[-1] if deployment_id.startswith("arn:") else deployment_id
    path = os.path.join(records_directory(sandbox_env.endpoint), stem + ".json")
    with open(path) as record, open(path[: -len(".json")] + ".html") as html:
        return json.load(record), html.read()


def caller_arn(sandbox_env):
    """Who the sandbox says the playbooks' credentials are: STS GetCallerIdentity, as the record writer asks."""
    return sandbox_env.clients("sts").get_caller_identity()["Arn"]


def another_identity(sandbox_env, name):
    """An IAM user with an access key in the sandbox: (its ARN, the environment of a play run as that user)."""
    iam = sandbox_env.clients("iam")
    try:
        arn = iam.create_user(UserName=name)["User"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = iam.get_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return arn, {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


def release_vars(endpoint, **extra):
    """Extra vars that make deploy.yml poll fast (the time scale comes from the sandbox's environment)."""
    values = {"release_poll_interval": 1}
    values.update(extra)
    return values


def production_url(endpoint):
    return listener_url(endpoint, port=80)


def production_traffic(endpoint, seconds, workers):
    """What `workers` clients of the production listener saw over the next `seconds` (a Traffic window)."""
    with at_rate(production_url(endpoint), 20 * workers, workers) as traffic:
        since = time.time()
        time.sleep(seconds)
        return traffic.window(since=since)


def run_module(sandbox_env, module, args, expect_failure=False, check=False, timeout=600):
    """An ad-hoc run of one canary.ecs module: (failed, result dict)."""
    command = [
        os.path.join(VENV_BIN, "ansible"),
        "localhost",
        "-m",
        "canary.ecs." + module,
        "-a",
        json.dumps(args),
        "-e",
        "ansible_python_interpreter=" + os.path.join(VENV_BIN, "python"),
    ]
    if check:
        command.append("--check")
    env = dict(sandbox_env.env, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.minimal", ANSIBLE_LOAD_CALLBACK_PLUGINS="false")
    process = subprocess.run(command, cwd=TREE, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    # "localhost | FAILED! => {...}": the result follows the arrow (an error preamble may hold braces too)
    marker = process.stdout.find("=> {")
    assert marker >= 0, f"no result from {command}:\n{process.stdout}\n{process.stderr}"
    result = json.JSONDecoder().raw_decode(process.stdout[marker + 3 :])[0]
    failed = process.returncode != 0
    assert failed == expect_failure, f"{module} {'succeeded' if not failed else 'failed'} unexpectedly: {result.get('msg')}\n{process.stderr[-3000:]}"
    return result


def release_result(run):
    """The ecs_deployment task's result in a deploy.yml run."""
    found = [task["result"] for task in run.tasks if task["action"] in ("canary.ecs.ecs_deployment", "ecs_deployment")]
    assert found, f"no ecs_deployment task in {run!r}"
    return found[-1]


def playbook_command(name, installed=None):
    """(command, cwd, extra env) of one playbook: from the tree (playbooks/NAME), or with
    installed (a collections path holding the built artifact) the way a Galaxy user runs it:
    ansible-playbook canary.ecs.NAME, from a directory that is no checkout."""
    if installed is None:
        return [os.path.join(VENV_BIN, "ansible-playbook"), "-i", "localhost,", os.path.join("playbooks", name)], TREE, {}
    stem = os.path.splitext(name)[0]
    # the installed canary.ecs comes first; the tree's path still provides amazon.aws and community.aws
    path = installed + os.pathsep + os.path.dirname(os.path.dirname(os.path.dirname(TREE)))
    return [os.path.join(VENV_BIN, "ansible-playbook"), "-i", "localhost,", "canary.ecs." + stem], installed, {"ANSIBLE_COLLECTIONS_PATH": path}


def playbook(sandbox_env, name, *args, extra_vars=None, expect_failure=False, timeout=900, installed=None):
    """ansible-playbook with the default callback: (rc, stdout + stderr).

    For the module-scoped stack fixture: conftest's run_playbook is function-scoped.
    """
    command, cwd, extra_env = playbook_command(name, installed)
    command += list(args)
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    env = dict(sandbox_env.env, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", **extra_env)
    process = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    output = process.stdout + process.stderr
    assert (process.returncode != 0) == expect_failure, f"{name}: rc={process.returncode}\n{output[-6000:]}"
    return process.returncode, output


def version_of(image):
    return image.rsplit(":", 1)[-1]


def alarms_quiet(sandbox_env, stack):
    """Start from alarms out of ALARM (an earlier test's failing version may have left one there)."""
    cloudwatch = sandbox_env.clients("cloudwatch")

    def quiet():
        alarms = cloudwatch.describe_alarms(AlarmNames=list(stack.alarm_names))["MetricAlarms"]
        return all(alarm["StateValue"] != "ALARM" for alarm in alarms)

    wait_for(quiet, 120, interval=1, what="the stack's alarms out of ALARM")


def start_deploy_in_background(sandbox_env, tag, **extra_vars):
    """deploy.yml in its own process group, for a test to interrupt or kill."""
    command = [
        os.path.join(VENV_BIN, "ansible-playbook"),
        os.path.join("playbooks", "deploy.yml"),
        "-e",
        "image_tag=" + tag,
        "-e",
        json.dumps(release_vars(sandbox_env.endpoint, **extra_vars)),
    ]
    return subprocess.Popen(
        command, cwd=TREE, env=sandbox_env.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=True
    )


def interrupt(process, how=signal.SIGINT):
    """Ctrl-C as a person would (or a kill, how=SIGKILL), to the play this test started (its own process group)."""
    os.killpg(process.pid, how)
    try:
        process.communicate(timeout=30)  # communicate, not wait: a play whose output is piped must not block on it
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)


def bake_window(traffic, started, new, old, edge):
    """The bake as clients saw it: from the first response of `new` to the last of `old` since `started`, less `edge`
    seconds at each end (the listener's weights change under requests in flight there)."""
    first_new = traffic.first_time(lambda version, status: version == new, since=started)
    last_old = traffic.last_time(lambda version, status: version == old, since=started)
    assert first_new and last_old and last_old - first_new > 2 * edge, "traffic never saw both versions for long"
    return traffic.window(since=first_new + edge, until=last_old - edge)
