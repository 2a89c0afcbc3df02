"""Sandbox ECS tasks: one real local HTTP server per task, serving the version of its image.

A task answers GET/HEAD on any path with `Hello from <version>` (200), or with the
seed's `Internal Server Error!` (500) for the share of requests its container's
SANDBOX_FAILURE_RATE asks for, after SANDBOX_LATENCY_MS of added latency.

A task counts as running (and gets traffic) once it passes its health check,
SANDBOX_START_SECONDS (sandbox seconds) after it started. A container with
SANDBOX_START_FAILURE never runs: ECS keeps trying, and each attempt ends as a stopped
task (see stopped.py), one per task slot every ATTEMPT_SECONDS of its kind.
"""

import dataclasses
import logging
import random
import time
import uuid

from .http import LoopbackHTTPServer, QuietHandler

LOG = logging.getLogger("canary_sandbox.dataplane.extension")

FAILURE_BODY = b"Internal Server Error!"
# Sandbox seconds one failed attempt to start a task lasts: a crash at start is over in
# seconds (ECS then backs off), a pull is retried for a while, and a task failing its
# health checks serves for the grace period and the unhealthy threshold before ECS stops it.
ATTEMPT_SECONDS = {"crash": 30.0, "image-pull": 60.0, "health-check": 90.0}


@dataclasses.dataclass(frozen=True)
class Target:
    """A running task as a target group sees it."""

    task_id: str
    port: int


def task_headers(spec, task_id):
    return (
        ("X-Canary-Version", spec.version),
        ("X-Canary-Target-Group", spec.target_group_name),
        ("X-Canary-Task-Set", spec.task_set_id),
        ("X-Canary-Task", task_id),
    )


# The task's own time to answer, in seconds, for the load balancer's TargetResponseTime (proxy.py).
TARGET_SECONDS_HEADER = "X-Canary-Target-Seconds"


class TaskHandler(QuietHandler):
    def do_GET(self):
        started = time.monotonic()
        server = self.server
        spec = server.spec
        if spec.latency_ms and server.aborting.wait(spec.latency_ms / 1000.0):
            return  # the task is being killed: drop the request as a stopped container would
        # What the application took (its SANDBOX_LATENCY_MS included), measured from the moment it has
        # the request: the sandbox's own scheduling on a loaded host (connection set-up, threads waiting
        # for a core) is not the application's latency, and would fire latency alarms no real ALB would.
        headers = task_headers(spec, server.task_id) + ((TARGET_SECONDS_HEADER, "%.6f" % (time.monotonic() - started)),)
        if spec.failure_rate and server.rng.random() < spec.failure_rate:
            self.send_body(500, FAILURE_BODY, headers)
        else:
            self.send_body(200, f"Hello from {spec.version}\n".encode(), headers)

    do_HEAD = do_GET

    def _not_allowed(self):
        # the request body is left unread, so the connection cannot carry another request
        headers = (("Allow", "GET, HEAD"), ("Connection", "close")) + task_headers(self.server.spec, self.server.task_id)
        self.send_body(405, b"Method Not Allowed\n", headers)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed


class TaskServer(LoopbackHTTPServer):
    drain_seconds = 2.0  # a stopped task finishes the requests it has (the proxy opens one per request)

    def __init__(self, spec, rng, ready_at=0.0):
        self.spec = spec
        self.rng = rng
        self.ready_at = ready_at  # monotonic: when it passes its health check
        self.task_id = uuid.uuid4().hex  # shaped like an ECS task id
        super().__init__(TaskHandler, label=f"task-{spec.target_group_name}-{self.task_id[:8]}")

    def ready(self, now=None):
        return (time.monotonic() if now is None else now) >= self.ready_at

    def target(self):
        return Target(task_id=self.task_id, port=self.port)


class TaskFleet:
    """The running tasks, reconciled against what discovery says should run.

    Not thread-safe on its own: the data plane calls it under its lock, and closes the
    servers it returns outside that lock (closing joins handler threads).
    """

    def __init__(self, rng=None, real_seconds=None):
        self._rng = rng or random.Random()
        self._real_seconds = real_seconds or (lambda sandbox_seconds: sandbox_seconds)  # the clock's scale
        self._running = {}  # TaskSpec -> [TaskServer, ...]
        self._failing = {}  # TaskSpec -> [count, monotonic time of its next failed attempt]
        self._starting = set()  # servers not yet past their health check

    def reconcile(self, desired):
        """Start and stop tasks so each TaskSpec runs its count; returns the servers to close."""
        to_close = []
        for spec in list(self._running):
            if spec not in desired:
                to_close.extend(self._running.pop(spec))
        for spec in list(self._failing):
            if spec not in desired:
                del self._failing[spec]
        for spec, count in desired.items():
            if spec.start_failure:
                entry = self._failing.setdefault(spec, [count, time.monotonic() + self._attempt_seconds(spec)])
                entry[0] = count
                continue
            servers = self._running.setdefault(spec, [])
            while len(servers) > count:
                to_close.append(servers.pop())
            while len(servers) < count:
                servers.append(self._start(spec))
        self._starting &= set(self.servers())
        return to_close

    def _attempt_seconds(self, spec):
        return self._real_seconds(ATTEMPT_SECONDS[spec.start_failure])

    def _start(self, spec):
        server = TaskServer(spec, self._rng, ready_at=time.monotonic() + self._real_seconds(spec.start_seconds)).start()
        if spec.start_seconds:
            self._starting.add(server)
        LOG.info("task %s started for %s (version %s) on %s", server.task_id, spec.target_group_name, spec.version, server.url)
        return server

    def failed_attempts(self, now=None):
        """[(TaskSpec, attempts)] of the failing specs whose next attempts to start a task have failed by now."""
        now = time.monotonic() if now is None else now
        due = []
        for spec, entry in self._failing.items():
            count, next_at = entry
            if now >= next_at:
                due.append((spec, count))
                entry[1] = now + self._attempt_seconds(spec)
        return due

    def became_ready(self, now=None):
        """Whether a task passed its health check since the last call (its running count and routes change)."""
        now = time.monotonic() if now is None else now
        ready = {server for server in self._starting if server.ready(now)}
        self._starting -= ready
        return bool(ready)

    def take_all(self):
        """Forget every task; returns the servers to close."""
        servers = [server for group in self._running.values() for server in group]
        self._running = {}
        self._failing = {}
        self._starting = set()
        return servers

    def targets(self):
        """Target group ARN -> tuple of Targets that passed their health check, in a stable order for round robin."""
        by_group = {}
        ordered = sorted(self._running.items(), key=lambda item: (item[0].target_group_arn, item[0].task_set_id))
        now = time.monotonic()
        for spec, servers in ordered:
            by_group.setdefault(spec.target_group_arn, []).extend(server.target() for server in servers if server.ready(now))
        return {arn: tuple(targets) for arn, targets in by_group.items() if targets}

    def running_by_task_set(self):
        """Task set (or deployment) id -> tasks running for it (one per task, whatever its target groups)."""
        counts = {}
        now = time.monotonic()
        for spec, servers in self._running.items():
            counts[spec.task_set_id] = max(counts.get(spec.task_set_id, 0), sum(1 for server in servers if server.ready(now)))
        return counts

    def describe(self):
        return [
            {
                "taskSetId": spec.task_set_id,
                "targetGroup": spec.target_group_name,
                "version": spec.version,
                "failureRate": spec.failure_rate,
                "latencyMs": spec.latency_ms,
                "tasks": [{"taskId": server.task_id, "url": server.url, "healthy": server.ready()} for server in servers],
            }
            for spec, servers in self._running.items()
        ] + [
            {
                "taskSetId": spec.task_set_id,
                "targetGroup": spec.target_group_name,
                "version": spec.version,
                "startFailure": spec.start_failure,
                "desiredTasks": count,
                "tasks": [],
            }
            for spec, (count, _next) in self._failing.items()
        ]

    def servers(self):
        return [server for group in self._running.values() for server in group]
