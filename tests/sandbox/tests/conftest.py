"""Fixtures for tests that talk to the sandbox through boto3.

    sandbox   one sandbox for the whole session (in-process, free port, fast clock)
    aws       a fresh, empty sandbox state for each test: aws("codedeploy") is a client
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from canary_sandbox.testing import running_sandbox  # noqa: E402


@pytest.fixture(scope="session")
def sandbox():
    with running_sandbox() as running:
        yield running


@pytest.fixture
def aws(sandbox):
    sandbox.reset()
    return sandbox.clients
