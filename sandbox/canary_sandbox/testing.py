"""Test helpers shared by the sandbox's own tests and the end-to-end tests.

`running_sandbox()` gives an in-process sandbox on a free loopback port (one per process:
moto's state is process-wide); `sandbox_process()` starts one in a process of its own, for a
second sandbox or one other programs share. Both refuse anything but 127.0.0.1.
"""

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile

from .awsclients import Clients
from .guard import assert_loopback
from .server import Sandbox


@contextlib.contextmanager
def running_sandbox(minute_seconds=None, **kwargs):
    """An in-process sandbox (or the one named by $CANARY_SANDBOX_ENDPOINT, if set)."""
    external = os.environ.get("CANARY_SANDBOX_ENDPOINT")
    if external:
        yield ExternalSandbox(assert_loopback(external))
        return
    sandbox = Sandbox(minute_seconds=minute_seconds if minute_seconds is not None else 0.25, **kwargs)
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@contextlib.contextmanager
def sandbox_process(minute_seconds=None, python=sys.executable, env=None):
    """A sandbox in a process of its own (`python -m canary_sandbox start --background`), stopped
    through its pid file on exit; yields an ExternalSandbox whose .log names the process's log."""
    run = tempfile.mkdtemp(prefix="canary-sandbox-")
    pidfile, endpoint_file, log = (os.path.join(run, name) for name in ("pid", "endpoint", "sandbox.log"))
    env = dict(os.environ if env is None else env)
    command = [python, "-m", "canary_sandbox", "start", "--background", "--pidfile", pidfile, "--endpoint-file", endpoint_file, "--log", log]
    if minute_seconds is not None:
        command += ["--minute-seconds", str(minute_seconds)]
    try:
        started = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        if started.returncode != 0:
            raise RuntimeError(f"the sandbox process did not start: {started.stderr.strip() or started.stdout.strip()}")
        yield ExternalSandbox(assert_loopback(started.stdout.strip()), log=log)
    finally:
        subprocess.run(
            [python, "-m", "canary_sandbox", "stop", "--pidfile", pidfile], env=env, check=False, capture_output=True, timeout=60, stdin=subprocess.DEVNULL
        )
        shutil.rmtree(run, ignore_errors=True)


class ExternalSandbox:
    """A sandbox process started elsewhere (python -m canary_sandbox start --background)."""

    def __init__(self, endpoint, log=None):
        self.endpoint = endpoint
        self.log = log
        self.clients = Clients(endpoint)

    def reset(self):
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST"), timeout=30).read()
