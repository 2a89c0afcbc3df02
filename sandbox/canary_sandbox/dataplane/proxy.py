"""A listener of an application load balancer, as a local HTTP port.

Each request follows the live actions of the listener's first rule that matches it (rules.py;
the default action when none does): a forward picks one target
group at random by weight (or the group a sticky cookie names), then one of its tasks
(round robin, or the task a sticky cookie names), and proxies the request to that task
over HTTP. The task's answer goes back to the client with its headers; the load balancer
answers 503 itself when the group has no task, 502 when the task does not answer, 504
when it answers too late. fixed-response and redirect actions are answered directly.

Stickiness follows AWS: the AWSALBTG cookie pins a client to a target group when the
forward's TargetGroupStickinessConfig is enabled; the AWSALB cookie pins it to a task
(and so to that task's group) when the target group's stickiness.enabled attribute is
true with type lb_cookie.
"""

import base64
import dataclasses
import datetime
import http.client
import logging
import os
import socket
import time
import urllib.parse

from .http import LoopbackHTTPServer, QuietHandler
from .tasks import TARGET_SECONDS_HEADER

LOG = logging.getLogger("canary_sandbox.dataplane.extension")

GROUP_COOKIE = "AWSALBTG"
TARGET_COOKIE = "AWSALB"
DEFAULT_GROUP_STICKINESS_SECONDS = 3600
CONNECT_ATTEMPTS = 2  # a task stopped between choice and connection is replaced by another once
UPSTREAM_TIMEOUT = 40.0  # above the largest SANDBOX_LATENCY_MS, below the handler's own bounds
HOP_BY_HOP = frozenset(
    (
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    )
)
TERMINAL_ACTIONS = ("forward", "fixed-response", "redirect")
MAX_BODY = 16 * 1024 * 1024  # request bodies are held in memory: refuse larger ones
ELB_REASONS = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}


@dataclasses.dataclass(frozen=True)
class GroupRoute:
    """Where a target group sends requests: its running tasks, and its target stickiness."""

    arn: str
    targets: tuple = ()
    cookie_seconds: int = None  # lb_cookie stickiness lifetime, None when off


# --- routing decisions (pure) -------------------------------------------------------------------


def terminal_action(actions):
    """The action that answers the request: authenticate-* actions come first and are not simulated."""
    ordered = sorted(enumerate(actions or ()), key=lambda item: (item[1].get("Order", item[0] + 1), item[0]))
    for _, action in ordered:
        if action.get("Type") in TERMINAL_ACTIONS:
            return action
    return None


def forward_groups(action):
    """((target group arn, weight), ...) and the group stickiness seconds (None when off) of a forward action."""
    config = action.get("ForwardConfig") or {}
    groups = tuple((item["TargetGroupArn"], int(item.get("Weight", 1))) for item in config.get("TargetGroups") or ())
    if not groups and action.get("TargetGroupArn"):
        groups = ((action["TargetGroupArn"], 1),)
    sticky = config.get("TargetGroupStickinessConfig") or {}
    seconds = int(sticky.get("DurationSeconds") or DEFAULT_GROUP_STICKINESS_SECONDS) if sticky.get("Enabled") else None
    return groups, seconds


def choose_group(groups, pinned, rng):
    """The pinned group if it still has weight, else one group drawn by weight; None if all weights are 0."""
    live = [(arn, weight) for arn, weight in groups if weight > 0]
    if not live:
        return None
    if pinned is not None and any(arn == pinned for arn, _ in live):
        return pinned
    if len(live) == 1:
        return live[0][0]
    return rng.choices([arn for arn, _ in live], weights=[weight for _, weight in live])[0]


def choose_target(route, pinned_task, index):
    if not route.targets:
        return None
    if pinned_task is not None:
        for target in route.targets:
            if target.task_id == pinned_task:
                return target
    return route.targets[index % len(route.targets)]


# --- cookies ------------------------------------------------------------------------------------


def encode_cookie(*parts):
    return base64.urlsafe_b64encode("\n".join(parts).encode()).decode().rstrip("=")


def decode_cookie(value):
    """The parts of a cookie this data plane set, or None for anything else."""
    if not value:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode().split("\n")
    except (ValueError, UnicodeDecodeError):
        return None


def request_cookies(header_values):
    """Cookie name -> value from Cookie headers; lenient, as browsers send anything."""
    cookies = {}
    for header in header_values:
        for pair in header.split(";"):
            name, sep, value = pair.strip().partition("=")
            if sep and name not in cookies:
                cookies[name] = value.strip().strip('"')
    return cookies


def sticky_cookies(group, group_seconds, route, target):
    """Set-Cookie headers for the stickiness in force: AWSALBTG for the group, AWSALB for the task."""
    headers = []
    if group_seconds is not None:
        headers.append(("Set-Cookie", set_cookie(GROUP_COOKIE, encode_cookie(group), group_seconds)))
    if route.cookie_seconds is not None:
        headers.append(("Set-Cookie", set_cookie(TARGET_COOKIE, encode_cookie(group, target.task_id), route.cookie_seconds)))
    return headers


def set_cookie(name, value, seconds):
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return f"{name}={value}; Expires={expires.strftime('%a, %d %b %Y %H:%M:%S GMT')}; Path=/"


def pinned_group(cookies, groups, group_seconds, routes):
    """The group a client's cookie pins it to, if the listener's or the group's stickiness is on."""
    if group_seconds is not None:
        parts = decode_cookie(cookies.get(GROUP_COOKIE))
        if parts and len(parts) == 1:
            return parts[0]
    parts = decode_cookie(cookies.get(TARGET_COOKIE))
    if parts and len(parts) == 2:
        route = routes(parts[0])
        if route is not None and route.cookie_seconds is not None and any(arn == parts[0] for arn, _ in groups):
            return parts[0]
    return None


def pinned_task(cookies, group_arn):
    parts = decode_cookie(cookies.get(TARGET_COOKIE))
    return parts[1] if parts and len(parts) == 2 and parts[0] == group_arn else None


# --- HTTP bits ----------------------------------------------------------------------------------


def read_chunked(rfile, limit=MAX_BODY):
    """A chunked request body, de-chunked (ALBs accept chunked uploads)."""
    body = bytearray()
    while True:
        size = int(rfile.readline(1024).split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while rfile.readline(1024).strip():  # trailers
                pass
            return bytes(body)
        body += rfile.read(size)
        rfile.readline(1024)
        if len(body) > limit:
            raise ValueError("request body too large")


def redirect_location(config, host_header, listener_port, path):
    """Location of a redirect action: #{protocol}/#{host}/#{port}/#{path}/#{query} as AWS substitutes them."""
    parsed = urllib.parse.urlsplit(path)
    values = {
        "#{protocol}": "HTTP",
        "#{host}": (host_header or "").split(":")[0],
        "#{port}": str(listener_port),
        "#{path}": parsed.path or "/",
        "#{query}": parsed.query,
    }

    def fill(key, default):
        text = config.get(key) or default
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        return text

    query = fill("Query", "#{query}")
    return f"{fill('Protocol', '#{protocol}').lower()}://{fill('Host', '#{host}')}:{fill('Port', '#{port}')}{fill('Path', '/#{path}').replace('//', '/')}" + (
        f"?{query}" if query else ""
    )


def elb_error_page(status):
    reason = ELB_REASONS.get(status, "Error")
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
    ).encode()


def trace_id():
    return f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()}"


class UpstreamError(Exception):
    def __init__(self, status, reason, refused=False):
        super().__init__(reason)
        self.status = status
        self.refused = refused  # the connection was refused: the request never reached the task


NETWORK_SECONDS = 0.001  # the most TargetResponseTime counts beyond the task's own time


def forward_to(target, method, path, headers, body):
    """Proxy one request to a task: (status, reason, headers, body, seconds until its headers arrived)."""
    connection = http.client.HTTPConnection("127.0.0.1", target.port, timeout=UPSTREAM_TIMEOUT)
    try:
        started = time.monotonic()
        try:
            connection.request(method, path, body=body if body or method in ("POST", "PUT", "PATCH") else None, headers=headers)
            response = connection.getresponse()
        except socket.timeout as error:
            raise UpstreamError(504, f"task {target.task_id} did not answer within {UPSTREAM_TIMEOUT}s") from error
        except ConnectionRefusedError as error:
            raise UpstreamError(502, f"task {target.task_id} on port {target.port} is gone", refused=True) from error
        except (OSError, http.client.HTTPException) as error:
            raise UpstreamError(502, f"task {target.task_id} on port {target.port} failed: {error}") from error
        latency = time.monotonic() - started
        reported = response.getheader(TARGET_SECONDS_HEADER)
        if reported:
            # what was seen from here, but no more than the task's own time (see tasks.TaskHandler) plus a
            # network round trip in a VPC: the rest is the sandbox's host scheduling, not the target's
            latency = min(latency, float(reported) + NETWORK_SECONDS)
        try:
            payload = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise UpstreamError(502, f"task {target.task_id} broke off its answer: {error}") from error
        return response.status, response.reason, response.getheaders(), payload, latency
    finally:
        connection.close()


# --- the listener -------------------------------------------------------------------------------


class ListenerHandler(QuietHandler):
    """Answers one client connection on a listener port (keep-alive: many requests)."""

    def _handle(self):
        self.arrived = time.monotonic()
        server = self.server
        try:
            body = self._read_body()
        except ValueError:  # a bad Content-Length or chunk size, or a body too large
            self.close_connection = True  # the rest of the stream cannot be trusted
            self._answer_elb(400, b"Bad Request\n")
            return
        action = terminal_action(server.plane.listener_actions(server.listener.arn, self.command, self.path, self.headers))
        if action is None:
            self._answer_elb(503, elb_error_page(503), content_type="text/html")
        elif action["Type"] == "fixed-response":
            config = action.get("FixedResponseConfig") or {}
            self._answer_elb(
                int(config.get("StatusCode", "503")),
                (config.get("MessageBody") or "").encode(),
                content_type=config.get("ContentType") or "text/plain; charset=utf-8",
            )
        elif action["Type"] == "redirect":
            config = action.get("RedirectConfig") or {}
            location = redirect_location(config, self.headers.get("Host"), server.listener.port, self.path)
            self._answer_elb(301 if config.get("StatusCode") == "HTTP_301" else 302, b"", extra=(("Location", location),))
        else:
            self._forward(action, body)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _handle

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return read_chunked(self.rfile)
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 <= length <= MAX_BODY:
            raise ValueError(f"Content-Length {length} is outside 0..{MAX_BODY}")
        return self.rfile.read(length) if length else b""

    def _forward(self, action, body):
        server = self.server
        plane = server.plane
        balancer = server.listener.load_balancer_arn
        groups, group_seconds = forward_groups(action)
        cookies = request_cookies(self.headers.get_all("Cookie") or ())
        group = choose_group(groups, pinned_group(cookies, groups, group_seconds, plane.group_route), plane.rng)
        route, target = self._pick(group, pinned_task(cookies, group))
        if target is None and group is not None:
            plane.catch_up(self.arrived)  # its task set may have appeared since the last discovery pass
            route, target = self._pick(group, None)
        upstream_headers = self._upstream_headers()
        for attempt in range(1, CONNECT_ATTEMPTS + 1):
            if target is None:
                plane.metrics.record_elb_error(balancer, 503)
                self._answer_elb(503, elb_error_page(503), content_type="text/html")
                return
            try:
                status, reason, headers, payload, latency = forward_to(target, self.command, self.path, upstream_headers, body)
            except UpstreamError as error:
                if error.refused and attempt < CONNECT_ATTEMPTS:
                    # the task stopped after it was chosen and nothing reached it: choose again
                    route, target = self._pick(group, None)
                    continue
                LOG.info("listener %s: %s", server.label, error)
                plane.metrics.record_target(balancer, group, None, None)
                plane.metrics.record_elb_error(balancer, error.status)
                self._answer_elb(error.status, elb_error_page(error.status), content_type="text/html")
                return
            plane.metrics.record_target(balancer, group, status, latency)
            self._relay(status, reason, headers, payload, sticky_cookies(group, group_seconds, route, target))
            return

    def _pick(self, group, pinned):
        """(route, task) for a request to the group, from the routes as they are now."""
        plane = self.server.plane
        route = plane.group_route(group) if group else None
        return route, (choose_target(route, pinned, plane.next_index(group)) if route else None)

    def _upstream_headers(self):
        headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
        client = self.client_address[0]
        forwarded = self.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{forwarded}, {client}" if forwarded else client
        headers["X-Forwarded-Proto"] = "http"
        headers["X-Forwarded-Port"] = str(self.server.listener.port)
        headers.setdefault("X-Amzn-Trace-Id", trace_id())
        headers["Connection"] = "close"
        return headers

    def _relay(self, status, reason, headers, payload, extra):
        self.send_response_only(status, reason)
        length = str(len(payload))
        for name, value in headers:
            if name.lower() == "content-length" and self.command == "HEAD":
                length = value  # a HEAD answer tells the length the GET body would have
            elif name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Length", length)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _answer_elb(self, status, body, content_type="text/plain; charset=utf-8", extra=()):
        self.send_response_only(status)
        self.send_header("Server", "awselb/2.0")
        self.send_header("Date", self.date_time_string())
        self.send_header("Content-Type", content_type)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class ListenerServer(LoopbackHTTPServer):
    """The local port of one listener.

    `plane` answers: listener_actions(listener arn, method, target, headers), group_route(target group arn) -> GroupRoute
    or None, next_index(target group arn) -> int, catch_up(monotonic time) (a discovery pass
    newer than that), rng, metrics (a MetricsRecorder).
    """

    def __init__(self, listener, plane):
        self.listener = listener
        self.plane = plane
        super().__init__(ListenerHandler, label=f"listener-{listener.load_balancer_name}-{listener.port}")
