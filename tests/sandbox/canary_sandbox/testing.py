"""Test helpers shared by the sandbox's own tests and the end-to-end tests.

`running_sandbox()` gives an in-process sandbox on a free loopback port; `aws()` gives
boto3 clients bound to it. Both refuse anything but 127.0.0.1.
"""

import contextlib
import os

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


class ExternalSandbox:
    """A sandbox process started elsewhere (python -m canary_sandbox start --background)."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.clients = Clients(endpoint)

    def reset(self):
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST"), timeout=30).read()
