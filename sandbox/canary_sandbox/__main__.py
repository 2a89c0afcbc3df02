"""Command line: canary-sandbox {start,stop,status,reset,env} (also python -m canary_sandbox).

start                    serve in the foreground until Ctrl-C / SIGTERM
start --background       start a detached server, wait until it answers, print its endpoint
stop --pidfile F         stop the server started with that pid file (only that PID)
status|reset --endpoint  ask a running server
env --endpoint URL       print the shell exports that point AWS tools (and canary.ecs) at it
"""

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

from . import DEFAULT_REGION
from .guard import assert_loopback

STARTUP_TIMEOUT = 60


def environment(endpoint, region=DEFAULT_REGION, minute_seconds=None):
    """Variables that point boto3, the AWS CLI and amazon.aws modules at the sandbox.

    CANARY_SANDBOX_MINUTE_SECONDS tells canary.ecs's release modules the sandbox's time
    scale (for their time-left estimates) and CANARY_SANDBOX_CLOCK_ORIGIN the real moment its
    faster time axis starts from (metrics are stamped on that axis, which the judge reads);
    they read both only when the endpoint is loopback. Both are asked of the running sandbox
    unless given.
    """
    assert_loopback(endpoint)
    origin = None
    if minute_seconds is None:
        status = _get(endpoint, "/_sandbox/status")
        minute_seconds, origin = status["minute_seconds"], status.get("clock_origin")
    elif float(minute_seconds) != 60.0:
        origin = _get(endpoint, "/_sandbox/status").get("clock_origin")
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        # never ask an instance metadata service for credentials or a region
        "AWS_EC2_METADATA_DISABLED": "true",
        "CANARY_SANDBOX_ENDPOINT": endpoint,
        "CANARY_SANDBOX_MINUTE_SECONDS": "%g" % float(minute_seconds),
        **({"CANARY_SANDBOX_CLOCK_ORIGIN": "%.6f" % float(origin)} if origin is not None else {}),
    }


def _get(endpoint, path, method="GET", timeout=10):
    assert_loopback(endpoint)
    request = urllib.request.Request(endpoint + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read()
    return json.loads(body) if body.strip().startswith(b"{") else {}


def _write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def cmd_start(args):
    if args.background:
        return _start_background(args)
    from .server import Sandbox

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sandbox = Sandbox(host=args.host, port=args.port, minute_seconds=args.minute_seconds, region=args.region)
    sandbox.start()
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    if args.pidfile:
        _write(args.pidfile, str(os.getpid()))
    if args.endpoint_file:
        _write(args.endpoint_file, sandbox.endpoint)
    print(f"sandbox: serving AWS APIs on {sandbox.endpoint} (Ctrl-C stops it)", flush=True)
    try:
        done.wait()
    finally:
        sandbox.stop()
        for path in (args.pidfile, args.endpoint_file):
            if path and os.path.exists(path):
                os.unlink(path)
    return 0


def _start_background(args):
    if not (args.pidfile and args.endpoint_file):
        sys.exit("start --background needs --pidfile and --endpoint-file")
    for path in (args.pidfile, args.endpoint_file):
        if os.path.exists(path):
            os.unlink(path)
    command = [
        sys.executable,
        "-m",
        "canary_sandbox",
        "start",
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--region",
        args.region,
        "--pidfile",
        args.pidfile,
        "--endpoint-file",
        args.endpoint_file,
    ]
    if args.minute_seconds:
        command += ["--minute-seconds", str(args.minute_seconds)]
    log = open(args.log or os.devnull, "ab")
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    deadline = time.time() + STARTUP_TIMEOUT
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"sandbox exited during start-up with code {process.returncode}; see {args.log or 'its output'}")
        if os.path.exists(args.endpoint_file):
            with open(args.endpoint_file, encoding="utf-8") as handle:
                endpoint = handle.read().strip()
            try:
                _get(endpoint, "/_sandbox/status")
            except OSError:
                pass
            else:
                print(endpoint)
                return 0
        time.sleep(0.1)
    process.terminate()
    sys.exit(f"sandbox did not answer within {STARTUP_TIMEOUT}s")


def _gone(pid, seconds):
    """Whether the process ended within `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def cmd_stop(args):
    if not os.path.exists(args.pidfile):
        print(f"sandbox: no pid file {args.pidfile}: nothing to stop")
        return 0
    with open(args.pidfile, encoding="utf-8") as handle:
        pid = int(handle.read().strip())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        os.unlink(args.pidfile)
        return 0
    if not _gone(pid, 20):
        os.kill(pid, signal.SIGKILL)
        # a busy machine may take a moment to deliver it: say "stopped" only once it is so
        if not _gone(pid, 10):
            sys.exit(f"sandbox: pid {pid} is still there 10 s after SIGKILL")
    if os.path.exists(args.pidfile):
        os.unlink(args.pidfile)
    print(f"sandbox: stopped (pid {pid})")
    return 0


def cmd_status(args):
    print(json.dumps(_get(args.endpoint, "/_sandbox/status"), indent=2))
    return 0


def cmd_reset(args):
    _get(args.endpoint, "/moto-api/reset", method="POST")
    print("sandbox: reset")
    return 0


def cmd_env(args):
    for name, value in environment(args.endpoint, args.region).items():
        print(f"export {name}={value}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="canary-sandbox", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start")
    start.add_argument("--host", default="127.0.0.1")
    start.add_argument("--port", type=int, default=0, help="0 picks a free port")
    start.add_argument("--region", default=DEFAULT_REGION)
    start.add_argument("--minute-seconds", type=float, default=None, help="real seconds per sandbox minute (default 1, or $CANARY_SANDBOX_MINUTE_SECONDS)")
    start.add_argument("--background", action="store_true")
    start.add_argument("--pidfile")
    start.add_argument("--endpoint-file")
    start.add_argument("--log")
    start.set_defaults(func=cmd_start)
    stop = sub.add_parser("stop")
    stop.add_argument("--pidfile", required=True)
    stop.set_defaults(func=cmd_stop)
    for name, func in (("status", cmd_status), ("reset", cmd_reset), ("env", cmd_env)):
        command = sub.add_parser(name)
        command.add_argument("--endpoint", required=True)
        command.add_argument("--region", default=DEFAULT_REGION)
        command.set_defaults(func=func)
    args = parser.parse_args(argv)
    if args.command == "start":
        assert_loopback(f"http://{args.host}:1", what="--host")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
