"""The sandbox's data plane: real HTTP through weighted listeners to versioned tasks, and ALB metrics.

Every `discovery_interval` seconds the data plane reads, through the public ELBv2 and
ECS APIs only, the HTTP listeners of the application load balancers and the task sets
behind their target groups (discovery.py). It gives each listener a local port
on 127.0.0.1 (proxy.py) and runs each task as a local HTTP server serving the
version in its image tag (tasks.py). Every sandbox minute it publishes the
per-target-group ALB metrics to CloudWatch (metrics.py).

Clients find a listener's port with listener_url(endpoint, load_balancer_name, port),
or at GET /_sandbox/dataplane.
"""

import json
import logging
import os
import random
import threading
import time
import urllib.request

from botocore.exceptions import ClientError
from werkzeug.wrappers import Response

from .. import moto_fidelity
from ..guard import assert_loopback
from ..router import WriteWatch
from ..server import Extension
from . import rules, stopped
from .discovery import MAX_TASKS, DiscoveryCache, discover, listener_rules
from .metrics import MetricsRecorder, publish
from .proxy import GroupRoute, ListenerServer
from .tasks import TaskFleet

LOG = logging.getLogger("canary_sandbox.dataplane.extension")

ADMIN_PATH = "/_sandbox/dataplane"
DISCOVERY_INTERVAL = 0.3  # real seconds between discovery passes
DISCOVERY_VARIABLE = "CANARY_SANDBOX_DISCOVERY_SECONDS"
ACTIONS_TTL = 0.2  # real seconds a listener's cached default actions are trusted (weights move in deployments)
MAX_WARNINGS = 20
# With no write request since the last pass (Router.writes), a pass is made this often anyway:
# discovery reads a dozen things from moto, and an idle stack need not cost a tenth of a core.
QUIET_PASS_INTERVAL = 1.0
FORCED_PASS_INTERVAL = 0.5  # real seconds between passes a listener port may force (see catch_up)
# ELBv2 calls that change what a listener does: its default actions or its rules
LISTENER_WRITES = frozenset({"ModifyListener", "DeleteListener", "CreateRule", "ModifyRule", "DeleteRule", "SetRulePriorities"})


def discovery_interval_setting(environ=None):
    """DISCOVERY_INTERVAL, or $CANARY_SANDBOX_DISCOVERY_SECONDS when set (a positive number)."""
    raw = (os.environ if environ is None else environ).get(DISCOVERY_VARIABLE)
    if not raw:
        return DISCOVERY_INTERVAL
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise ValueError(f"{DISCOVERY_VARIABLE}={raw!r}: expected a positive number of seconds, such as 0.3")
    return value


class ListenerState:
    """A listener's port and its cached rules (the default one last), refreshed when older than
    ACTIONS_TTL, and before the next request once the listener or a rule of it has been written
    to (`changed`)."""

    def __init__(self, listener, server, taken):
        self.listener = listener
        self.server = server
        self.rules = listener.rules or rules.default_only(listener.actions)
        self.fetched = taken
        self.changed = 0.0  # monotonic time of the last write to the listener or its rules seen
        self.refreshing = threading.Lock()

    @property
    def stale(self):
        return self.fetched < self.changed

    def update(self, listener, taken):
        """Take a discovery pass's view, unless a request refreshed the actions after that pass began."""
        self.listener = listener
        self.server.listener = listener
        if taken > self.fetched:
            self.rules = listener.rules or rules.default_only(listener.actions)
            self.fetched = taken


class DataPlane(Extension):
    name = "dataplane"

    def __init__(self, discovery_interval=None, actions_ttl=ACTIONS_TTL, rng=None):
        self.discovery_interval = discovery_interval or discovery_interval_setting()
        self.actions_ttl = actions_ttl
        self.rng = rng or random.Random()
        self.sandbox = None
        self.metrics = None
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._threads = []
        self._listeners = {}  # listener arn -> ListenerState
        self._routes = {}  # target group arn -> GroupRoute (replaced whole, read without the lock)
        self._counters = {}  # target group arn -> round-robin position
        self._fleet = TaskFleet(self.rng)
        self._stickiness = {}  # the last pass's, for routes rebuilt between passes
        self._cache = DiscoveryCache()
        self._generation = 0
        self._applied = 0.0  # monotonic start of the newest pass applied
        self._quiet = None  # WriteWatch: is a pass due (made in attach)
        self._retired = []  # servers out of the routes, to close (tasks before listeners)
        self._forcing = threading.Lock()
        self._last_forced = 0.0
        self._ignored = frozenset()
        self._warnings = []
        self._last_error = None
        self._passes = 0
        self._published = 0

    # --- Extension ------------------------------------------------------------------------------

    def attach(self, sandbox, router):
        super().attach(sandbox, router)
        self.metrics = MetricsRecorder(sandbox.clock.sandbox_now)
        self._fleet = TaskFleet(self.rng, real_seconds=lambda seconds: sandbox.clock.seconds(seconds / 60.0))
        router.admin[("GET", ADMIN_PATH)] = self._admin
        router.observers.append(self._observe)
        self._quiet = WriteWatch(router, QUIET_PASS_INTERVAL)

    def start(self):
        # Clients are made here, in one thread: creating boto3 clients concurrently is not safe.
        self._elbv2 = self.sandbox.clients("elbv2", self.sandbox.region)
        self._ecs = self.sandbox.clients("ecs", self.sandbox.region)
        self._ecr = self.sandbox.clients("ecr", self.sandbox.region)
        self._cloudwatch = self.sandbox.clients("cloudwatch", self.sandbox.region)
        self._stopping.clear()
        moto_fidelity.report_running({}, cap=MAX_TASKS)  # from now on ECS counts this data plane's tasks
        self._threads = [
            threading.Thread(target=self._discovery_loop, name="dataplane-discovery", daemon=True),
            threading.Thread(target=self._metrics_loop, name="dataplane-metrics", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def reset(self):
        """Close every port and task and forget all counts.

        The sandbox calls this before moto forgets its state, and moto's reset takes a
        while: a discovery pass in between would still see the old load balancers and
        target groups. Their ARNs (random, never reused) are ignored from now on.
        """
        with self._lock:
            self._generation += 1
            ignored = {state.listener.load_balancer_arn for state in self._listeners.values()}
            ignored |= set(self._routes)
            self._ignored = frozenset(ignored)
            servers = self._retired + self._fleet.take_all() + [state.server for state in self._listeners.values()]
            # still reporting (with its cap): without it ECS would answer STEADY_STATE for every task set
            # until the next discovery pass, and a deployment started meanwhile would install tasks that never ran
            moto_fidelity.report_running({}, cap=MAX_TASKS)
            stopped.clear()
            self._stickiness = {}
            self._retired = []
            self._listeners = {}
            self._routes = {}
            self._counters = {}
            self._warnings = []
            self._last_error = None
        self._cache.clear()
        if self.metrics is not None:
            self.metrics.clear()
        _close(servers)

    def stop(self):
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=30)
            if thread.is_alive():
                LOG.warning("data plane: thread %s did not stop within 30s", thread.name)
        self._threads = []
        self.reset()

    def status(self):
        with self._lock:
            return {
                "listeners": len(self._listeners),
                "tasks": len(self._fleet.servers()),
                "passes": self._passes,
                "metric_calls": self._published,
                "last_error": self._last_error,
                "warnings": list(self._warnings),
            }

    # --- what the listener ports ask (see ListenerServer) ---------------------------------------

    def listener_actions(self, listener_arn, method="GET", target="/", headers=None):
        """The actions of the listener's rule that matches the request (its default actions for
        the defaults), at most actions_ttl old; None once the listener is gone."""
        found = self.listener_rules(listener_arn)
        return None if found is None else rules.actions_for(found, method, target, headers)

    def listener_rules(self, listener_arn):
        """The listener's rules, at most actions_ttl old; None once the listener is gone."""
        state = self._listeners.get(listener_arn)
        if state is None:
            return None
        if state.stale:
            # The listener was modified: like a real ALB once ModifyListener has answered, no
            # request may use the old weights. Wait for (or make) a read taken after the write.
            with state.refreshing:
                if state.stale:
                    self._refresh_actions(state)
        elif time.monotonic() - state.fetched > self.actions_ttl and state.refreshing.acquire(blocking=False):
            try:  # one request refreshes; the others use the cached actions meanwhile
                self._refresh_actions(state)
            finally:
                state.refreshing.release()
        return state.rules

    def _observe(self, request, region):
        """Router observer: mark a listener's cached actions stale once moto has applied a write to it."""
        if request.method != "POST" or not (request.content_type or "").startswith("application/x-www-form-urlencoded"):
            return
        action = request.form.get("Action")
        if action not in LISTENER_WRITES:
            return
        arns = {request.form.get("ListenerArn", "")}
        arns.update(rules.listener_of_rule(value) for key, value in request.form.items() if key == "RuleArn" or key.endswith(".RuleArn"))
        for arn in arns:
            state = self._listeners.get(arn or "")
            if state is not None:
                state.changed = time.monotonic()

    def _refresh_actions(self, state):
        asked = time.monotonic()
        try:
            found = listener_rules(self._elbv2, state.listener.arn, None)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ListenerNotFound":
                state.rules = ()
                state.fetched = asked
                return
            LOG.warning("data plane: cannot refresh listener %s: %s", state.listener.arn, error)
            return
        except Exception as error:  # the sandbox may be stopping: keep the cached actions
            LOG.debug("data plane: cannot refresh listener %s: %s", state.listener.arn, error)
            return
        state.rules = found
        state.fetched = asked

    def group_route(self, target_group_arn):
        return self._routes.get(target_group_arn)

    def next_index(self, target_group_arn):
        # A lost increment under a race only skews round robin by one request: no lock needed.
        index = self._counters.get(target_group_arn, 0)
        self._counters[target_group_arn] = index + 1
        return index

    # --- discovery ------------------------------------------------------------------------------

    def _discovery_loop(self):
        while not self._stopping.wait(self.discovery_interval):
            if self._quiet is None or self._quiet.due():
                self.discover_once()
            self._tasks_between_passes()
            self._close_retired()

    def _tasks_between_passes(self):
        """Tasks that pass their health check now, and attempts to start failing tasks that failed by now."""
        with self._lock:
            if self._fleet.became_ready():
                self._publish_fleet()
            failures = self._fleet.failed_attempts()
        for spec, attempts in failures:
            try:
                stopped.record(spec, attempts)
            except Exception as error:  # the store changed under us (a reset): the next attempt tries again
                LOG.warning("data plane: could not record the stopped tasks of %s: %s", spec.task_set_id, error)

    def _close_retired(self):
        with self._lock:
            retired, self._retired = self._retired, []
        _close(retired, drain=True)

    def catch_up(self, since):
        """Make sure a discovery pass that began after `since` (monotonic) has been applied.

        A listener port asks this before it answers 503 for a group without tasks: the engine
        may have created the task set and shifted traffic to it a moment ago, between two
        passes. Forced passes are at most one per FORCED_PASS_INTERVAL, so traffic to a
        group that really has no task costs little; concurrent callers share one pass.
        """
        with self._forcing:
            if self._applied >= since or time.monotonic() - self._last_forced < FORCED_PASS_INTERVAL:
                return
            self._last_forced = time.monotonic()
            self.discover_once()

    def discover_once(self):
        """One pass: read AWS state, then open ports, start tasks and route to match.

        Ports and tasks that are no longer wanted are retired: out of the routes at once,
        closed by the discovery thread after letting requests in flight finish.
        """
        with self._lock:
            generation = self._generation
            ignored = self._ignored
        taken = time.monotonic()
        try:
            snapshot = discover(self._elbv2, self._ecs, self._cache, ignored, self._ecr, self._placements())
        except Exception as error:  # keep serving what we have; the next pass tries again
            text = f"{type(error).__name__}: {error}"
            with self._lock:
                repeated, self._last_error = text == self._last_error, text
            # moto answers 500 for a moment while it resets: say it once, not every pass
            level = logging.DEBUG if repeated or self._stopping.is_set() else logging.WARNING
            LOG.log(level, "data plane: discovery failed (serving what it knew; retrying every %ss): %s", self.discovery_interval, text)
            return False
        with self._lock:
            if generation != self._generation or self._stopping.is_set():
                return False  # a reset happened meanwhile: this snapshot may predate it
            if taken < self._applied:
                return False  # a pass that began later (a forced one) was applied already
            self._retired.extend(self._apply(snapshot, taken))
            self._applied = taken
            self._passes += 1
            self._last_error = None
            self._warnings = snapshot.warnings[:MAX_WARNINGS]
        return True

    def _placements(self):
        """Where ECS's own blue/green deployments placed each revision's tasks (none without that extension)."""
        finder = getattr(self.sandbox, "extension", None)  # a bare data plane (tests) runs on a namespace
        try:
            return finder("servicedeploy").placements() if finder else {}
        except KeyError:
            return {}

    def _apply(self, snapshot, taken):
        """Match ports, tasks and routes to the snapshot (under the lock); returns servers to close."""
        to_close = self._fleet.reconcile(snapshot.tasks)
        self._stickiness = snapshot.stickiness
        self._publish_fleet()
        for arn in list(self._listeners):
            if arn not in snapshot.listeners:
                state = self._listeners.pop(arn)
                LOG.info("data plane: listener %s:%s is gone; closing %s", state.listener.load_balancer_name, state.listener.port, state.server.url)
                to_close.append(state.server)
        for arn, listener in snapshot.listeners.items():
            state = self._listeners.get(arn)
            if state is None:
                server = ListenerServer(listener, self).start()
                self._listeners[arn] = ListenerState(listener, server, taken)
                LOG.info("data plane: listener %s:%s serves on %s", listener.load_balancer_name, listener.port, server.url)
            else:
                state.update(listener, taken)
        return to_close

    def _publish_fleet(self):
        """Running counts to ECS's answers and healthy tasks to the routes (under the lock)."""
        moto_fidelity.report_running(self._fleet.running_by_task_set(), cap=MAX_TASKS)
        routes = {arn: GroupRoute(arn=arn, targets=targets, cookie_seconds=self._stickiness.get(arn)) for arn, targets in self._fleet.targets().items()}
        for arn, seconds in self._stickiness.items():
            routes.setdefault(arn, GroupRoute(arn=arn, cookie_seconds=seconds))
        self._routes = routes

    def listeners(self):
        """The admin view: every listener and its local URL."""
        with self._lock:
            states = sorted(self._listeners.values(), key=lambda state: (state.listener.load_balancer_name, state.listener.port))
            return [
                {
                    "listenerArn": state.listener.arn,
                    "loadBalancerArn": state.listener.load_balancer_arn,
                    "loadBalancerName": state.listener.load_balancer_name,
                    "port": state.listener.port,
                    "url": state.server.url,
                }
                for state in states
            ]

    def tasks(self):
        with self._lock:
            return self._fleet.describe()

    def live_threads(self):
        """Threads of the data plane still running: none after stop()."""
        with self._lock:
            servers = self._retired + self._fleet.servers() + [state.server for state in self._listeners.values()]
        threads = [thread for thread in self._threads if thread.is_alive()]
        for server in servers:
            threads.extend(server.live_threads())
        return threads

    def _admin(self, request):
        payload = {"listeners": self.listeners(), "tasks": self.tasks(), "sandboxNow": self.sandbox.clock.sandbox_now()}
        return Response(json.dumps(payload), content_type="application/json")

    # --- metrics --------------------------------------------------------------------------------

    def _metrics_loop(self):
        # Look often, so a finished minute reaches CloudWatch well within the alarm evaluator's
        # grace after the period ends (0.2 s): AWS's ALB is late too, but a sandbox minute is short.
        interval = min(max(self.sandbox.clock.minute_seconds / 4.0, 0.05), 0.25)
        while not self._stopping.wait(interval):
            self.publish_metrics()

    def publish_metrics(self):
        """Publish every finished sandbox minute's counts; returns the number of put_metric_data calls."""
        sent = publish(self._cloudwatch, self.metrics.take_finished())
        with self._lock:
            self._published += sent
        return sent


def _close(servers, drain=False):
    # Tasks come first in these lists: a listener waiting on a task is released when the task closes.
    for server in servers:
        try:
            server.close(drain)
        except Exception:  # closing must go on for the others
            LOG.exception("data plane: could not close %s", server.label)


# --- for clients (tests, the demo) --------------------------------------------------------------


def dataplane_state(endpoint, timeout=10):
    """GET /_sandbox/dataplane: {"listeners": [...], "tasks": [...], "sandboxNow": epoch seconds}."""
    assert_loopback(endpoint)
    with urllib.request.urlopen(endpoint.rstrip("/") + ADMIN_PATH, timeout=timeout) as response:
        return json.loads(response.read())


def listeners(endpoint, timeout=10):
    """The data plane's listeners: [{"listenerArn", "loadBalancerArn", "loadBalancerName", "port", "url"}]."""
    return dataplane_state(endpoint, timeout)["listeners"]


def listener_url(endpoint, load_balancer_name=None, port=80, timeout=10.0, interval=0.1):
    """The local URL (http://127.0.0.1:NNNNN) serving a load balancer's listener port.

    With no load balancer name, the only listener on that port (the usual one-stack case).
    Polls until the data plane has discovered the listener (it looks every 0.3 s).
    """
    deadline = time.monotonic() + timeout
    while True:
        found = listeners(endpoint)
        for item in found:
            if item["port"] == int(port) and load_balancer_name in (None, item["loadBalancerName"]):
                return assert_loopback(item["url"])
        if time.monotonic() >= deadline:
            known = ", ".join(f"{item['loadBalancerName']}:{item['port']}" for item in found) or "none"
            raise LookupError(
                f"The sandbox data plane has no HTTP listener on port {port} of load balancer "
                f"{load_balancer_name or '(any)'!r} after {timeout:g}s (listeners it serves: {known}). Check that the "
                f"load balancer is an application load balancer and the listener's protocol is HTTP."
            )
        time.sleep(interval)
