"""Runtime guard for the development venv: botocore refuses endpoints off loopback.

Installed into .venv by `make venv` (with a .pth line that imports it at interpreter
start). It does nothing unless armed, by $CANARY_SANDBOX_GUARD=1 (set by
tools/with-sandbox.sh) or by a file $HOME/.canary-sandbox-guard (ansible-test passes
only HOME through to the modules it runs, so tools/integration.sh arms it that way).
Armed, every botocore endpoint (boto3 in tests, amazon.aws and canary.ecs modules, the
AWS CLI) must be on 127.0.0.0/8 or ::1: a task that forgot endpoint_url fails before
any request leaves the machine instead of reaching for a real AWS endpoint.
"""

import ipaddress
import os
from urllib.parse import urlsplit


def _armed():
    if os.environ.get("CANARY_SANDBOX_GUARD") == "1":
        return True
    return os.path.exists(os.path.join(os.path.expanduser("~"), ".canary-sandbox-guard"))


def _is_loopback(url):
    host = urlsplit(url or "").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def install():
    import botocore.endpoint

    original = botocore.endpoint.EndpointCreator.create_endpoint

    def create_endpoint(self, service_model, region_name, endpoint_url, *args, **kwargs):
        if not _is_loopback(endpoint_url):
            raise RuntimeError(
                "canary.ecs sandbox guard: refusing to send %s requests to %s: only 127.0.0.1 is allowed "
                "here (set endpoint_url / AWS_ENDPOINT_URL to the sandbox)" % (service_model.service_name, endpoint_url)
            )
        return original(self, service_model, region_name, endpoint_url, *args, **kwargs)

    botocore.endpoint.EndpointCreator.create_endpoint = create_endpoint


if _armed():
    try:
        install()
    except ImportError:  # an interpreter without botocore has nothing to guard
        pass
