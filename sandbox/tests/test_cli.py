"""The sandbox's command line: background start with a pid file, status, reset, stop, refusals."""

import json
import os
import subprocess
import sys
import urllib.request

import pytest

# The console script `make venv` installs beside this interpreter (pip install -e sandbox).
COMMAND = os.path.join(os.path.dirname(sys.executable), "canary-sandbox")


def cli(*args, check=True):
    return subprocess.run([COMMAND, *args], capture_output=True, text=True, timeout=90, check=check)


def test_background_start_status_reset_stop(tmp_path):
    pidfile, endpoint_file = str(tmp_path / "pid"), str(tmp_path / "endpoint")
    started = cli("start", "--background", "--pidfile", pidfile, "--endpoint-file", endpoint_file, "--minute-seconds", "0.5", "--log", str(tmp_path / "log"))
    endpoint = started.stdout.strip()
    try:
        assert endpoint.startswith("http://127.0.0.1:")
        pid = int(open(pidfile).read())
        status = json.loads(cli("status", "--endpoint", endpoint).stdout)
        assert status["pid"] == pid and status["minute_seconds"] == 0.5
        env_lines = cli("env", "--endpoint", endpoint).stdout.splitlines()
        assert f"export AWS_ENDPOINT_URL={endpoint}" in env_lines
        assert "export AWS_EC2_METADATA_DISABLED=true" in env_lines
        # the time scale, asked of the running sandbox, for canary.ecs's time-left estimates
        assert "export CANARY_SANDBOX_MINUTE_SECONDS=0.5" in env_lines
        assert cli("reset", "--endpoint", endpoint).returncode == 0
    finally:
        stopped = cli("stop", "--pidfile", pidfile)
    assert f"stopped (pid {pid})" in stopped.stdout
    assert not os.path.exists(pidfile)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(OSError):
        urllib.request.urlopen(endpoint + "/_sandbox/status", timeout=2)


def test_the_module_form_is_the_same_command():
    module = subprocess.run([sys.executable, "-m", "canary_sandbox", "--help"], capture_output=True, text=True, timeout=60, check=True)
    assert module.stdout == cli("--help").stdout


def test_stop_without_pid_file_is_a_no_op(tmp_path):
    assert "nothing to stop" in cli("stop", "--pidfile", str(tmp_path / "none")).stdout


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "192.168.0.1", "example.com"])
def test_refuses_to_listen_off_loopback(host, tmp_path):
    result = cli("start", "--host", host, check=False)
    assert result.returncode != 0
    assert "only ever talk to 127.0.0.1" in result.stderr


@pytest.mark.parametrize("command", ["status", "reset", "env"])
def test_refuses_non_loopback_endpoints(command):
    result = cli(command, "--endpoint", "https://codedeploy.us-east-1.amazonaws.com", check=False)
    assert result.returncode != 0
    assert "only ever talk to 127.0.0.1" in result.stderr
