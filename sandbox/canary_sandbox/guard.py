"""Refuse any AWS endpoint that is not on the loopback interface.

Every test, the demo and the sandbox itself call this before they send a request:
nothing here may ever reach a real AWS endpoint or any other host.
"""

import ipaddress
import os
from urllib.parse import urlparse

# Variables through which botocore or amazon.aws pick an endpoint.
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_URL")


class NotLoopbackError(RuntimeError):
    pass


def is_loopback_host(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def assert_loopback(url, what="endpoint"):
    """Return url unchanged when it points at a loopback address, else raise."""
    if not url:
        raise NotLoopbackError(f"No {what} is set: refusing to fall back to a real AWS endpoint.")
    host = urlparse(url).hostname
    if not host or not is_loopback_host(host):
        raise NotLoopbackError(f"Refusing to use {what} {url!r}: the sandbox and its tests only ever talk to 127.0.0.1.")
    return url


def assert_environment_loopback(environ=None):
    """Check the endpoint variables of an environment; at least one must be set."""
    environ = os.environ if environ is None else environ
    found = [name for name in ENDPOINT_VARIABLES if environ.get(name)]
    if not found:
        raise NotLoopbackError("None of %s is set: refusing to run against a real AWS account." % ", ".join(ENDPOINT_VARIABLES))
    for name in found:
        assert_loopback(environ[name], what=name)
    return environ[found[0]]


# ---------------------------------------------------------------------------- the venv-wide botocore guard
# `make venv` adds a .pth line to .venv that calls arm_if_asked() at every interpreter start.
# It does nothing unless armed, by $CANARY_SANDBOX_GUARD=1 (set by tools/with-sandbox.sh and the
# e2e fixtures) or by a file $HOME/.canary-sandbox-guard (ansible-test passes only HOME through
# to the modules it runs, so tools/integration.sh arms it that way). Armed, every botocore
# endpoint (boto3 in tests, amazon.aws and canary.ecs modules, the AWS CLI) must be on loopback:
# a task that forgot endpoint_url fails before any request leaves the machine.

GUARD_VARIABLE = "CANARY_SANDBOX_GUARD"
GUARD_FILE = ".canary-sandbox-guard"


def guard_armed(environ=None):
    environ = os.environ if environ is None else environ
    return environ.get(GUARD_VARIABLE) == "1" or os.path.exists(os.path.join(os.path.expanduser("~"), GUARD_FILE))


def install_botocore_guard():
    """Make botocore refuse to create an endpoint off loopback, for every client of this process."""
    import botocore.endpoint

    original = botocore.endpoint.EndpointCreator.create_endpoint
    if getattr(original, "canary_guarded", False):
        return

    def create_endpoint(self, service_model, region_name, endpoint_url, *args, **kwargs):
        host = urlparse(endpoint_url or "").hostname or ""
        if not is_loopback_host(host):
            raise RuntimeError(
                "canary.ecs sandbox guard: refusing to send %s requests to %s: only 127.0.0.1 is allowed "
                "here (set endpoint_url / AWS_ENDPOINT_URL to the sandbox)" % (service_model.service_name, endpoint_url)
            )
        return original(self, service_model, region_name, endpoint_url, *args, **kwargs)

    create_endpoint.canary_guarded = True
    botocore.endpoint.EndpointCreator.create_endpoint = create_endpoint


def arm_if_asked():
    if guard_armed():
        try:
            install_botocore_guard()
        except ImportError:  # an interpreter without botocore has nothing to guard
            pass
