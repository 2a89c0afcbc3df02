"""Fault injection: the next N client requests for an operation fail with an AWS error.

    POST   /_sandbox/faults  {"operation": "GetDeployment", "service": "codedeploy",
                              "error": "ThrottlingException", "message": "Rate exceeded",
                              "status": 400, "count": 3, "lost": false}
    GET    /_sandbox/faults  {"faults": [{... as posted, "remaining": 2, "hits": 1}]}
    DELETE /_sandbox/faults  forget them all (a sandbox reset does too)

`operation` is the API operation name (the X-Amz-Target suffix or the query Action), or
"*" for every operation (of `service`, when given). With "rate" (0 to 1) a matching request
fails only with that probability, drawn from a random generator seeded with "seed": a
seeded share of throttling across a whole playbook run, `count` then capping the failures.
`service`, optional, is the SigV4 signing name of the request's credential scope
(codedeploy, ecs, elasticloadbalancing, monitoring, ec2, iam, ecr, logs, sts). The error
is answered in the request's protocol, so botocore raises a ClientError with that code
(and retries it if it is a throttling or 5xx error, as against AWS). With "lost": true the
request is carried out first and only its answer is replaced by the error: a reply lost on
the way back, after which a retry meets the state the first call left (as against AWS).

Only clients are faulted: the sandbox's own engine, data plane and validation, and test
code using canary_sandbox.awsclients, send USER_AGENT_MARK in their user agent and are
let through, so a fault hits the code under test and nothing else.
"""

import json
import random
import threading
import uuid
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

from .awsclients import USER_AGENT_MARK
from .cloudwatch.protocol import TARGET_PREFIX as CLOUDWATCH_TARGET_PREFIX

ADMIN_PATH = "/_sandbox/faults"
JSON_CONTENT_TYPES = ("application/x-amz-json-1.0", "application/x-amz-json-1.1")
_SCOPE_MARK = "/aws4_request"


class FaultError(ValueError):
    """A fault specification that cannot work; its message names the field."""


def parse_spec(spec):
    """A checked copy of a posted fault: operation, service, error, message, status, count."""
    if not isinstance(spec, dict):
        raise FaultError('a fault is a JSON object such as {"operation": "GetDeployment", "error": "ThrottlingException"}')
    unknown = sorted(set(spec) - {"operation", "service", "error", "message", "status", "count", "lost", "rate", "seed"})
    if unknown:
        raise FaultError(f"unknown fault fields {unknown}: use operation, service, error, message, status, count, lost, rate, seed")
    rate, seed = spec.get("rate", 1.0), spec.get("seed")
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= 1:
        raise FaultError("rate: the share of matching requests that fail, more than 0 and at most 1")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise FaultError("seed: an integer that makes the random failures of a rate repeatable")
    if not isinstance(spec.get("lost", False), bool):
        raise FaultError("lost: true to carry the request out and lose its answer, false (the default) to refuse it")
    operation, error = spec.get("operation"), spec.get("error", "ThrottlingException")
    if not isinstance(operation, str) or not operation:
        raise FaultError("operation: the API operation to fail, such as GetDeployment or DescribeListeners")
    if not isinstance(error, str) or not error:
        raise FaultError("error: the AWS error code to answer with, such as ThrottlingException")
    status, count = spec.get("status", 400), spec.get("count", 1)
    if not isinstance(status, int) or not 400 <= status <= 599:
        raise FaultError("status: an HTTP error status, 400 to 599")
    if not isinstance(count, int) or count < 1:
        raise FaultError("count: how many requests fail, 1 or more")
    service = spec.get("service")
    if service is not None and (not isinstance(service, str) or not service):
        raise FaultError("service: the signing name of the service, such as codedeploy or elasticloadbalancing")
    return {
        "operation": operation,
        "service": service,
        "error": error,
        "status": status,
        "count": count,
        "lost": spec.get("lost", False),
        "rate": float(rate),
        "seed": seed,
        "message": str(spec.get("message") or f"Injected by the sandbox: {error}"),
    }


def request_operation(request):
    """(signing name, operation) of an AWS API request, either possibly None."""
    service = None
    authorization = request.headers.get("Authorization", "")
    if _SCOPE_MARK in authorization:
        scope = authorization.split(_SCOPE_MARK, 1)[0].rsplit("Credential=", 1)[-1].split("/")
        service = scope[-1] if len(scope) >= 4 else None
    target = request.headers.get("X-Amz-Target", "")
    if target:
        return service, target.rsplit(".", 1)[-1]
    if request.method == "POST" and (request.content_type or "").startswith("application/x-www-form-urlencoded"):
        return service, request.form.get("Action")
    return service, None


def error_response(request, service, fault):
    """The fault as the request's protocol answers errors: JSON, EC2 XML or query XML."""
    request_id = str(uuid.uuid4())
    code, message, status = fault["error"], fault["message"], fault["status"]
    content_type = (request.content_type or "").split(";", 1)[0].strip()
    if content_type in JSON_CONTENT_TYPES:
        headers = {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": code}
        if request.headers.get("X-Amz-Target", "").startswith(CLOUDWATCH_TARGET_PREFIX):
            # CloudWatch is awsQueryCompatible: botocore takes the query error code from this header
            headers["x-amzn-query-error"] = f"{code};{'Sender' if status < 500 else 'Receiver'}"
        return Response(json.dumps({"__type": code, "message": message}), status=status, content_type=content_type, headers=headers)
    if service == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
    else:
        kind = "Sender" if status < 500 else "Receiver"
        body = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    return Response(body, status=status, content_type="text/xml", headers={"x-amzn-RequestId": request_id})


class Faults:
    """The faults waiting for requests; the router asks answer(request) before anything else answers it."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []
        self._draws = []  # one random generator per fault, for its rate

    def add(self, spec):
        parsed = parse_spec(spec)
        fault = dict(parsed, remaining=parsed["count"], hits=0)
        with self._lock:
            self._faults.append(fault)
            self._draws.append(random.Random(parsed["seed"]))
        return dict(fault)

    def clear(self):
        with self._lock:
            self._faults = []
            self._draws = []

    def listing(self):
        with self._lock:
            return [dict(fault) for fault in self._faults]

    def answer(self, request):
        """(error response, lost) for a request a fault takes, or None; lost: carry the request out first."""
        if not self._faults or USER_AGENT_MARK in request.headers.get("User-Agent", ""):
            return None
        service, operation = request_operation(request)
        if operation is None:
            return None
        with self._lock:
            for fault, draw in zip(self._faults, self._draws, strict=True):
                if fault["remaining"] > 0 and fault["operation"] in ("*", operation) and fault["service"] in (None, service):
                    if fault["rate"] < 1 and draw.random() >= fault["rate"]:
                        continue
                    fault["remaining"] -= 1
                    fault["hits"] += 1
                    break
            else:
                return None
        return error_response(request, service, fault), fault["lost"]

    def admin(self, request):
        """GET, POST and DELETE on ADMIN_PATH."""
        if request.method == "DELETE":
            self.clear()
            return _json({"faults": []})
        if request.method == "POST":
            try:
                added = self.add(json.loads(request.get_data(cache=True) or b"null"))
            except ValueError as error:  # FaultError, or a body that is not JSON
                return _json({"message": f"bad fault: {error}"}, status=400)
            return _json({"fault": added}, status=201)
        return _json({"faults": self.listing()})


def _json(payload, status=200):
    return Response(json.dumps(payload), status=status, content_type="application/json")


# --- for tests: the admin API from outside ------------------------------------------------------


def _admin_call(endpoint, method, body=None):
    import urllib.error
    import urllib.request

    from .guard import assert_loopback

    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(assert_loopback(endpoint) + ADMIN_PATH, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def inject_fault(endpoint, **spec):
    """Add a fault to the sandbox at `endpoint`; returns it. FaultError if the sandbox refuses it."""
    status, body = _admin_call(endpoint, "POST", spec)
    if status != 201:
        raise FaultError(body.get("message", body))
    return body["fault"]


def injected_faults(endpoint):
    """The faults of the sandbox at `endpoint`, with their hits and remaining counts."""
    return _admin_call(endpoint, "GET")[1]["faults"]


def clear_faults(endpoint):
    _admin_call(endpoint, "DELETE")
