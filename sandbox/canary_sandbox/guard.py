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
