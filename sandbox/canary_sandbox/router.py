"""The WSGI front of the sandbox: one endpoint, many services.

Requests go, in order, to: the sandbox's admin API (/_sandbox/...), injected faults
(faults.py: the next N client requests for an operation fail), the JSON services
the sandbox implements itself (by X-Amz-Target prefix, e.g. CodeDeploy), interceptors
registered by extensions (which may answer a request moto gets wrong or lacks), and
finally moto. Observers registered by extensions hear of each request moto answered, before
its caller does (the data plane drops a listener's cached weights when they are modified).
"""

import contextlib
import io
import json
import re
import threading
import time

from werkzeug.wrappers import Request, Response

from .faults import ADMIN_PATH as FAULTS_PATH
from .faults import Faults, request_operation

# Operations that only read: every other request may change state (see Router.writes).
READ_OPERATION_PREFIXES = ("Describe", "List", "Get", "BatchGet")

_REGION_RE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")


def request_region(request, default):
    """The region a SigV4-signed request was signed for."""
    match = _REGION_RE.search(request.headers.get("Authorization", ""))
    return match.group(1) if match else default


def json_response(payload, status=200, content_type="application/x-amz-json-1.1"):
    return Response(json.dumps(payload, default=_json_default), status=status, content_type=content_type)


def _json_default(value):
    # datetimes leave the sandbox as epoch seconds, as AWS's JSON protocol sends them
    if hasattr(value, "timestamp"):
        return value.timestamp()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _discard(status, headers, exc_info=None):
    """A start_response for an answer nobody will read (a lost answer's)."""
    return lambda data: None


class AwsError(Exception):
    """An error answered in AWS's JSON protocol shape (botocore reads __type)."""

    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def response(self):
        return json_response({"__type": self.code, "message": self.message}, status=self.status)


class ResetGate:
    """Lets moto's reset run alone.

    moto rebuilds its backends during /moto-api/reset; a request served meanwhile (the data
    plane's discovery, the alarm evaluator) fails inside moto. Requests wait while a reset
    runs, and the reset waits for the requests in flight. New requests are not held back
    while the reset waits: one in flight may itself call the sandbox (CodeDeploy validates
    through the ECS API), and holding that inner call back would deadlock.
    """

    def __init__(self):
        self._condition = threading.Condition()
        self._active = 0
        self._resetting = False

    @contextlib.contextmanager
    def request(self):
        with self._condition:
            while self._resetting:
                self._condition.wait()
            self._active += 1
        try:
            yield
        finally:
            with self._condition:
                self._active -= 1
                self._condition.notify_all()

    @contextlib.contextmanager
    def exclusive(self):
        with self._condition:
            while self._resetting or self._active:
                self._condition.wait()
            self._resetting = True
        try:
            yield
        finally:
            with self._condition:
                self._resetting = False
                self._condition.notify_all()


class WriteWatch:
    """For a background loop that mirrors AWS state: due() is True when a request that may have
    changed state arrived since the last time it was True, or `quiet_seconds` have passed anyway
    (for what changes with time alone, or a pass that failed)."""

    def __init__(self, router, quiet_seconds, clock=time.monotonic):
        self._router = router
        self.quiet_seconds = quiet_seconds
        self._clock = clock
        self._seen = None
        self._when = float("-inf")

    def due(self):
        writes, now = self._router.writes, self._clock()
        if writes == self._seen and now - self._when < self.quiet_seconds:
            return False
        # noted before the caller's pass: a write during the pass makes the next one due
        self._seen, self._when = writes, now
        return True


class Router:
    def __init__(self, sandbox, moto_app):
        self.sandbox = sandbox
        self.moto_app = moto_app
        self.gate = ResetGate()
        self.json_services = {}  # X-Amz-Target prefix -> object with handle(action, params, region)
        self.interceptors = []  # callables (request, region) -> Response | None
        self.observers = []  # callables (request, region), told after moto has answered a request
        self.admin = {}  # (method, path) -> callable(request) -> Response
        self.faults = Faults()
        # Requests that may have changed state, counted as they arrive: background loops that
        # mirror AWS state (the data plane) look again only when this moved, or now and then.
        self.writes = 0
        for method in ("GET", "POST", "DELETE"):
            self.admin[(method, FAULTS_PATH)] = self.faults.admin

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_data(cache=True)
        if request.method == "POST" and request.path == "/moto-api/reset":
            return self._reset(environ, start_response)
        with self.gate.request():
            region = request_region(request, self.sandbox.region)
            fault = None if request.path.startswith("/_sandbox/") else self.faults.answer(request)
            if fault is not None and not fault[1]:
                return fault[0](environ, start_response)
            # a lost answer: the request is carried out, then the client gets the fault instead
            reply = start_response if fault is None else _discard
            response = self._dispatch(request, region)
            if response is None:
                answer = self._moto(environ, body, reply)
                for observer in self.observers:  # before the caller sees the answer: read-your-writes
                    observer(request, region)
            else:
                answer = list(response(environ, reply))
            if not request.path.startswith("/_sandbox/") and not (request_operation(request)[1] or "").startswith(READ_OPERATION_PREFIXES):
                # counted once carried out, so a loop that sees the count move also sees the change
                self.writes += 1  # a lost increment under a race is made up by the next write or a quiet pass
            return answer if fault is None else fault[0](environ, start_response)

    def _moto(self, environ, body, start_response):
        # moto reads the body itself: hand it a fresh stream. Its answer is materialised
        # here so that it is complete before the gate lets a reset through.
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return list(self.moto_app(environ, start_response))

    def _reset(self, environ, start_response):
        # Extensions first (they stop their deployment threads, which may be mid-call), then
        # moto alone.
        self.sandbox.reset_extensions()
        self.faults.clear()
        with self.gate.exclusive():
            answer = self._moto(environ, b"", start_response)
        self.sandbox.after_reset_extensions()
        return answer

    def _dispatch(self, request, region):
        handler = self.admin.get((request.method, request.path))
        if handler is not None:
            return handler(request)
        target = request.headers.get("X-Amz-Target", "")
        prefix, _, action = target.partition(".")
        service = self.json_services.get(prefix)
        if service is not None:
            return self._call_json_service(service, action, request, region)
        for interceptor in self.interceptors:
            response = interceptor(request, region)
            if response is not None:
                return response
        return None

    @staticmethod
    def _call_json_service(service, action, request, region):
        try:
            params = json.loads(request.get_data(cache=True) or b"{}")
        except ValueError:
            return AwsError("SerializationException", "The request body is not valid JSON.").response()
        try:
            return json_response(service.handle(action, params, region))
        except AwsError as error:
            return error.response()
