"""The WSGI front of the sandbox: one endpoint, many services.

Requests go, in order, to: the sandbox's admin API (/_sandbox/...), the JSON services
the sandbox implements itself (by X-Amz-Target prefix, e.g. CodeDeploy), interceptors
registered by extensions (which may answer a request moto gets wrong or lacks), and
finally moto.
"""

import io
import json
import re

from werkzeug.wrappers import Request, Response

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


class AwsError(Exception):
    """An error answered in AWS's JSON protocol shape (botocore reads __type)."""

    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def response(self):
        return json_response({"__type": self.code, "message": self.message}, status=self.status)


class Router:
    def __init__(self, sandbox, moto_app):
        self.sandbox = sandbox
        self.moto_app = moto_app
        self.json_services = {}  # X-Amz-Target prefix -> object with handle(action, params, region)
        self.interceptors = []  # callables (request, region) -> Response | None
        self.admin = {}  # (method, path) -> callable(request) -> Response

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_data(cache=True)
        region = request_region(request, self.sandbox.region)
        response = self._dispatch(request, region)
        if response is None:
            # moto reads the body itself: hand it a fresh stream
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            return self.moto_app(environ, start_response)
        return response(environ, start_response)

    def _dispatch(self, request, region):
        handler = self.admin.get((request.method, request.path))
        if handler is not None:
            return handler(request)
        if request.method == "POST" and request.path == "/moto-api/reset":
            self.sandbox.reset_extensions()
            return None
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
