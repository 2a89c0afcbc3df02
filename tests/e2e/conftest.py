"""Fixtures for end-to-end tests: real ansible-playbook runs against a sandbox process.

    sandbox_env    a sandbox started for the session (python -m canary_sandbox start --background),
                   as an object with .endpoint, .env (the process environment pointing at it),
                   .clients (boto3 clients bound to it) and .reset()
    own_sandbox_env  the same, for one test module alone
    stack          the stack of provision.yml in the session's sandbox (canary_sandbox.readback.Stack),
                   provisioned once and shared by the release test modules; cleanup.yml at the end
    run_playbook   run_playbook("provision.yml", "-e", "x=y", check=False, extra_vars=None,
                   expect_failure=False) -> PlaybookRun with .rc, .stdout, .tasks (per-task results
                   from the json callback), .changed_tasks, .stats

Playbooks run from the collection's build tree (make tree), the way users run them
from a checkout, with ANSIBLE_COLLECTIONS_PATH pointing at build/collections; the shared
stack's provision and cleanup, and the good canary of test_release.py, run from the built
and installed Galaxy artifact instead (installed_collection).
"""

import contextlib
import json
import os
import subprocess

import pytest
from release_helpers import playbook, playbook_command, records_directory

from canary_sandbox.__main__ import environment
from canary_sandbox.guard import assert_environment_loopback, assert_loopback
from canary_sandbox.readback import Stack
from canary_sandbox.testing import ExternalSandbox, sandbox_process

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

COLLECTIONS = os.path.join(ROOT, "build", "collections")
TREE = os.path.join(COLLECTIONS, "ansible_collections", "canary", "ecs")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")


class SandboxProcess(ExternalSandbox):
    """The session's sandbox process, with the environment that points playbooks at it."""

    def __init__(self, endpoint, env, log):
        super().__init__(assert_loopback(endpoint), log=log)
        self.env = env


class PlaybookRun:
    def __init__(self, args, rc, stdout, stderr):
        self.args = args
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.result = _parse_json_output(stdout)
        self.tasks = []  # [{"play", "task", "action", "result"}] for the single host
        for play in self.result.get("plays", []):
            for task in play.get("tasks", []):
                for host_result in task.get("hosts", {}).values():
                    self.tasks.append({"play": play["play"]["name"], "task": task["task"]["name"], "action": host_result.get("action"), "result": host_result})
        self.stats = self.result.get("stats", {})

    @property
    def changed_tasks(self):
        return [task["task"] for task in self.tasks if task["result"].get("changed")]

    def task(self, name):
        """The result of the (last) task with that name."""
        found = [task["result"] for task in self.tasks if task["task"] == name]
        if not found:
            raise KeyError(f"no task named {name!r}; tasks: {[task['task'] for task in self.tasks]}")
        return found[-1]

    def __repr__(self):
        return f"PlaybookRun(rc={self.rc}, args={self.args})\nSTDOUT:\n{self.stdout[-4000:]}\nSTDERR:\n{self.stderr[-4000:]}"


def _parse_json_output(stdout):
    start = stdout.find("{")
    if start < 0:
        return {}
    try:
        return json.loads(stdout[start:])
    except ValueError:
        return {}


def playbook_environment(endpoint):
    """The environment of ansible-playbook runs against the sandbox at `endpoint`."""
    env = dict(os.environ)
    env.update(environment(endpoint))
    env.update(
        {
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
            "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "PATH": VENV_BIN + os.pathsep + env.get("PATH", ""),
            # the playbooks' release records, one directory per sandbox (playbooks/vars/records.yml)
            "CANARY_ECS_RECORD_DIR": records_directory(endpoint),
            "CANARY_SANDBOX_GUARD": "1",  # canary_sandbox.guard: botocore refuses non-loopback endpoints
        }
    )
    assert_environment_loopback(env)
    return env


@contextlib.contextmanager
def sandbox_env_process(minute_seconds=None):
    """A sandbox process and the environment of playbooks and modules run against it."""
    with sandbox_process(minute_seconds=minute_seconds, python=os.path.join(VENV_BIN, "python")) as sandbox:
        yield SandboxProcess(sandbox.endpoint, playbook_environment(sandbox.endpoint), sandbox.log)


@pytest.fixture(scope="session")
def sandbox_env():
    with sandbox_env_process() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def own_sandbox_env():
    """A sandbox process for one test module alone, for tests that change a stack in ways the others
    must not see; stopped (with all it holds) when the module ends."""
    with sandbox_env_process() as sandbox:
        yield sandbox


def json_playbook(sandbox, name, *args, check=False, extra_vars=None, timeout=900, env=None, installed=None):
    """ansible-playbook NAME against `sandbox` (a SandboxProcess) with the JSON callback: a PlaybookRun."""
    command, cwd, extra_env = playbook_command(name, installed)
    command += list(args)
    if check:
        command.append("--check")
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    process = subprocess.run(
        command, cwd=cwd, env=dict(sandbox.env, **extra_env, **(env or {})), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    return PlaybookRun(command, process.returncode, process.stdout, process.stderr)


@pytest.fixture
def run_playbook(sandbox_env):
    def run(name, *args, check=False, extra_vars=None, expect_failure=False, timeout=900, env=None, installed=None):
        outcome = json_playbook(sandbox_env, name, *args, check=check, extra_vars=extra_vars, timeout=timeout, env=env, installed=installed)
        if expect_failure:
            assert outcome.rc != 0, f"expected {name} to fail\n{outcome!r}"
        else:
            assert outcome.rc == 0, f"{name} failed\n{outcome!r}"
        return outcome

    return run


@pytest.fixture(scope="session")
def installed_collection(tmp_path_factory):
    """The Galaxy artifact built from the tree and installed as a user installs it: a collections
    path for ANSIBLE_COLLECTIONS_PATH. Offline and without dependencies (they are the venv's)."""
    work = tmp_path_factory.mktemp("galaxy")
    galaxy = os.path.join(VENV_BIN, "ansible-galaxy")
    env = dict(os.environ, ANSIBLE_GALAXY_SERVER_LIST="", ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
    subprocess.run([galaxy, "collection", "build", "--output-path", str(work), TREE], check=True, capture_output=True, env=env, stdin=subprocess.DEVNULL)
    (artifact,) = [name for name in os.listdir(work) if name.endswith(".tar.gz")]
    installed = work / "collections"
    # Only the new path is searched (make exports ANSIBLE_COLLECTIONS_PATH with the tree's canary.ecs,
    # which would count as installed already), and --force installs even so.
    subprocess.run(
        [galaxy, "collection", "install", "--offline", "--no-deps", "--force", "-p", str(installed), str(work / artifact)],
        check=True,
        capture_output=True,
        env=dict(env, ANSIBLE_COLLECTIONS_PATH=str(installed)),
        stdin=subprocess.DEVNULL,
    )
    assert os.path.isfile(installed / "ansible_collections" / "canary" / "ecs" / "MANIFEST.json")
    return str(installed)


_PROVISIONED = {}  # sandbox endpoint -> Stack: provision.yml runs once per session, for every release test module


@pytest.fixture(scope="module")
def stack(sandbox_env, installed_collection, request):
    """The stack of provision.yml, shared by the release test modules; cleanup.yml runs at the end of the session.

    Provisioning takes minutes on a busy machine, so the modules share one stack (and each
    test reads the state it starts from rather than assuming a fresh one). Provision and
    cleanup run from the installed Galaxy artifact (ansible-playbook canary.ecs.provision),
    as a user without a checkout runs them.
    """
    if sandbox_env.endpoint not in _PROVISIONED:
        playbook(sandbox_env, "provision.yml", installed=installed_collection)
        _PROVISIONED[sandbox_env.endpoint] = Stack(sandbox_env.clients)
        request.session.addfinalizer(lambda: _clean_up(sandbox_env, _PROVISIONED.pop(sandbox_env.endpoint), installed_collection))
    return _PROVISIONED[sandbox_env.endpoint]


def _clean_up(sandbox_env, provisioned, installed):
    """cleanup.yml, with a release possibly left in flight by a failed test; then nothing may be left."""
    playbook(sandbox_env, "cleanup.yml", installed=installed)
    ecs = sandbox_env.clients("ecs")
    left = [s for s in ecs.describe_services(cluster=provisioned.cluster, services=[provisioned.service])["services"] if s["status"] == "ACTIVE"]
    assert not left, f"cleanup.yml left the service {provisioned.service} behind"
