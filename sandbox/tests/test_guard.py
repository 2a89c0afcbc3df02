"""The loopback guard: endpoints off 127.0.0.1 are refused, in this process and venv-wide once armed."""

import os
import subprocess
import sys

import pytest

from canary_sandbox.guard import NotLoopbackError, assert_environment_loopback, assert_loopback

PROBE = """
import boto3
try:
    boto3.client("sts", region_name="us-east-1", endpoint_url=%r).get_caller_identity()
except RuntimeError as error:
    print("REFUSED", error)
except Exception as error:
    print("SENT", type(error).__name__)
"""


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000", "http://127.8.9.10", "http://localhost:1", "http://[::1]:80"])
def test_loopback_endpoints_pass(url):
    assert assert_loopback(url) == url


@pytest.mark.parametrize("url", ["https://sts.amazonaws.com", "http://10.0.0.1", "http://192.168.1.1:80", "http://0.0.0.0", "", None])
def test_other_endpoints_are_refused(url):
    with pytest.raises(NotLoopbackError):
        assert_loopback(url)


def test_an_environment_without_an_endpoint_is_refused():
    with pytest.raises(NotLoopbackError, match="refusing to run against a real AWS account"):
        assert_environment_loopback({})


def probe(endpoint, **env):
    environ = {k: v for k, v in os.environ.items() if k != "CANARY_SANDBOX_GUARD"}
    environ.update(env, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_EC2_METADATA_DISABLED="true", HOME=environ.get("TMPDIR", "/tmp"))
    # an endpoint on a closed loopback port: a request that is sent fails to connect, never leaves the machine
    return subprocess.run([sys.executable, "-c", PROBE % endpoint], env=environ, capture_output=True, text=True, timeout=60).stdout


def test_the_venv_guard_refuses_a_real_aws_endpoint_when_armed():
    # make venv's .pth line arms the guard at every interpreter start; it refuses before any request is made
    out = probe("https://sts.us-east-1.amazonaws.com", CANARY_SANDBOX_GUARD="1")
    assert out.startswith("REFUSED") and "only 127.0.0.1 is allowed" in out


def test_the_armed_guard_lets_loopback_through():
    assert probe("http://127.0.0.1:9", CANARY_SANDBOX_GUARD="1").startswith("SENT")
