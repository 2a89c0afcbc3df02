"""Fixtures for tests that talk to the sandbox through boto3.

sandbox   one sandbox for the whole session (in-process, free port, fast clock)
aws       a fresh, empty sandbox state for each test: aws("codedeploy") is a client
module_aws  the same, reset once per module
"""

import pytest

from canary_sandbox.stack import clear_codedeploy
from canary_sandbox.testing import running_sandbox


@pytest.fixture(scope="session")
def sandbox():
    with running_sandbox() as running:
        yield running


@pytest.fixture
def aws(sandbox):
    sandbox.reset()
    return sandbox.clients


@pytest.fixture(scope="module")
def module_aws(sandbox):
    """One reset for a module whose tests share what they build (each stack under its own prefix)."""
    sandbox.reset()
    return sandbox.clients


@pytest.fixture(scope="module")
def empty_sandbox(sandbox):
    sandbox.reset()


@pytest.fixture
def codedeploy(sandbox, empty_sandbox):
    client = sandbox.clients("codedeploy")
    clear_codedeploy(client)
    return client
