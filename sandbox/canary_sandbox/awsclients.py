"""boto3 clients bound to a sandbox endpoint.

The sandbox's own engine, validation and data plane read and change AWS state only
through these clients (the public APIs), the way the real services do.
"""

import boto3
from botocore.config import Config

from . import DEFAULT_REGION
from .guard import assert_loopback

DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
# In the user agent of these clients: injected faults (faults.py) let their requests through.
USER_AGENT_MARK = "canary-sandbox-internal"

# moto answers HTTP 500 for what it has not implemented, and a retried 500 can repeat
# side effects (see notes/local-aws.md): no retries against the sandbox.
_CONFIG = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=60, user_agent_extra=USER_AGENT_MARK)


def client(endpoint, service, region=DEFAULT_REGION):
    assert_loopback(endpoint)
    return boto3.session.Session(region_name=region, **DUMMY_CREDENTIALS).client(service, endpoint_url=endpoint, config=_CONFIG)


class Clients:
    """Cache of clients per (service, region) for one endpoint; thread-safe enough for reuse."""

    def __init__(self, endpoint):
        self.endpoint = assert_loopback(endpoint)
        self._cache = {}

    def __call__(self, service, region=DEFAULT_REGION):
        key = (service, region)
        if key not in self._cache:
            self._cache[key] = client(self.endpoint, service, region)
        return self._cache[key]
