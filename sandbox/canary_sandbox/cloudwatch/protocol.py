"""CloudWatch requests on the wire: recognise, parse and answer them the way moto does.

botocore 1.44.8's CloudWatch model lists the protocols ["smithy-rpc-v2-cbor", "json",
"query"]; botocore picks the first one it supports in its own priority order (json,
rest-json, rest-xml, smithy-rpc-v2-cbor, query, ...), so boto3, the AWS CLI v1 and
Ansible send awsJson1_0: POST / with Content-Type application/x-amz-json-1.0 and
X-Amz-Target GraniteServiceVersion20100801.<Operation> (measured). Older clients send
the query protocol (form-encoded Action=...). Both are parsed and answered with moto's
own protocol parsers and serializers and botocore's service model, so an operation the
sandbox adds speaks exactly the protocol of the request, errors included (awsQueryCompatible
x-amzn-query-error header for JSON). CBOR requests are left to moto, which does not speak it.
"""

import logging
import re

from werkzeug.wrappers import Response

LOG = logging.getLogger("canary_sandbox.cloudwatch")

SERVICE = "cloudwatch"
TARGET_PREFIX = "GraniteServiceVersion20100801."
SIGNING_NAME = "monitoring"
_SCOPE_RE = re.compile(r"Credential=[^/]+/\d{8}/[a-z0-9-]+/([a-z0-9-]+)/aws4_request")

PASS = object()  # a handler's answer meaning "moto answers this request"


def operation_name(request):
    """The CloudWatch operation a request calls, or None when it is not a CloudWatch request."""
    target = request.headers.get("X-Amz-Target", "")
    if target.startswith(TARGET_PREFIX):
        return target[len(TARGET_PREFIX) :]
    if request.method != "POST" or not (request.content_type or "").startswith("application/x-www-form-urlencoded"):
        return None
    scope = _SCOPE_RE.search(request.headers.get("Authorization", ""))
    if not scope or scope.group(1) != SIGNING_NAME:
        return None
    return request.form.get("Action")


def _models(operation):
    from moto.core.utils import get_service_model

    service_model = get_service_model(SERVICE)
    return service_model, service_model.operation_model(operation)


def _protocol(service_model, request):
    from moto.core.request import determine_request_protocol

    return determine_request_protocol(service_model, request.content_type)


def parse(request, operation):
    """The request's parameters, parsed by moto's parser for the request's protocol."""
    from moto.core.parse import PROTOCOL_PARSERS

    service_model, operation_model = _models(operation)
    parser = PROTOCOL_PARSERS[_protocol(service_model, request)](operation_model)
    return parser.parse(
        {
            "method": request.method,
            "values": request.values,
            "headers": request.headers,
            "body": request.get_data(cache=True),
            "url_path": request.path,
            "url_params": {},
        }
    )


def answer(request, operation, result):
    """A werkzeug Response carrying `result` (a dict shaped like the operation's output, or a moto
    ServiceException) in the request's protocol."""
    from moto.core.serialize import get_serializer_class

    service_model, operation_model = _models(operation)
    protocol = _protocol(service_model, request)
    serializer = get_serializer_class(SERVICE, protocol)(operation_model=operation_model)
    serialized = serializer.serialize(result)
    return Response(serialized["body"], status=serialized["status_code"], headers=serialized["headers"])


class Interceptor:
    """A router interceptor for CloudWatch operations: handlers[operation](params, region) returns the
    result to answer with, or PASS to let moto answer (after looking at the request)."""

    def __init__(self, handlers):
        self.handlers = handlers

    def __call__(self, request, region):
        operation = operation_name(request)
        handler = self.handlers.get(operation) if operation else None
        if handler is None:
            return None
        from moto.core.exceptions import ServiceException

        try:
            params = parse(request, operation)
        except Exception:  # a request moto cannot parse either: let moto answer it with its own error
            LOG.exception("could not parse CloudWatch %s; passing it to moto", operation)
            return None
        try:
            result = handler(params, region)
        except ServiceException as error:
            return answer(request, operation, error)
        except Exception:  # a sandbox bug must not break the request: moto still answers it
            LOG.exception("the sandbox's CloudWatch %s handler failed; passing the request to moto", operation)
            return None
        return None if result is PASS else answer(request, operation, result)
