"""Input checks shared by the CodeDeploy handlers, each failing with AWS's error code.

botocore checks types, required members and minimum lengths before it sends a request,
but not maximum lengths, patterns or enum values: those are the service's job, so here.
"""

import base64
import binascii
import re

from ..router import AwsError

NAME_PATTERN = re.compile(r"^[A-Za-z0-9+=,.@_-]+$")
NAME_MAX = 100
COMPUTE_PLATFORMS = ("Server", "Lambda", "ECS")
PAGE_SIZE = 100  # names per List* page, as AWS pages them
BATCH_LIMIT = 100  # names per BatchGet* call

TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TAGS_MAX = 50


class NameKind:
    """What a name is called in messages, and the two error codes AWS uses for it."""

    def __init__(self, label, required_code, invalid_code):
        self.label = label
        self.required_code = required_code
        self.invalid_code = invalid_code


APPLICATION = NameKind("application name", "ApplicationNameRequiredException", "InvalidApplicationNameException")
DEPLOYMENT_GROUP = NameKind("deployment group name", "DeploymentGroupNameRequiredException", "InvalidDeploymentGroupNameException")
DEPLOYMENT_CONFIG = NameKind("deployment configuration name", "DeploymentConfigNameRequiredException", "InvalidDeploymentConfigNameException")


def name(value, kind):
    """A resource name: present, at most 100 characters of [A-Za-z0-9+=,.@_-]."""
    if value is None or value == "":
        raise AwsError(kind.required_code, f"The {kind.label} is required.")
    if not isinstance(value, str) or len(value) > NAME_MAX:
        raise AwsError(kind.invalid_code, f"The {kind.label} {str(value)[:40]!r}... is longer than {NAME_MAX} characters.")
    if not NAME_PATTERN.match(value):
        raise AwsError(kind.invalid_code, f"The {kind.label} {value!r} may contain only letters, digits and + = , . @ _ -.")
    return value


def compute_platform(value, default="Server"):
    if value is None:
        return default
    if value not in COMPUTE_PLATFORMS:
        raise AwsError("InvalidComputePlatformException", f"The compute platform {value!r} is invalid: use one of {', '.join(COMPUTE_PLATFORMS)}.")
    return value


def enum(value, allowed, code, what):
    """`value` must be one of `allowed`; the error names the field and the choices."""
    if value not in allowed:
        raise AwsError(code, f"{what} is {value!r}; it must be one of {', '.join(allowed)}.")
    return value


def integer(value, low, high, code, what):
    """An integer in [low, high] (high None: no upper bound); booleans are not integers."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise AwsError(code, f"{what} must be a whole number, not {value!r}.")
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise AwsError(code, f"{what} is {value}; it must be {bounds}.")
    return value


def page(names, next_token, size=PAGE_SIZE):
    """One page of sorted `names` after the token; returns (names, next token or None).

    The token is the last name of the previous page, so a page stays right when names
    are added or removed between calls.
    """
    ordered = sorted(names)
    if next_token:
        after = _decode_token(next_token)
        ordered = [item for item in ordered if item > after]
    chosen = ordered[:size]
    more = len(ordered) > size
    return chosen, (_encode_token(chosen[-1]) if more else None)


def listed(key, names_and_token, **fixed):
    """A List* answer: the page under `key` (beside the `fixed` members), nextToken only when more follow."""
    names, next_token = names_and_token
    response = dict(fixed, **{key: names})
    if next_token:
        response["nextToken"] = next_token
    return response


def _encode_token(last):
    return base64.urlsafe_b64encode(("v1:" + last).encode()).decode()


def _decode_token(token):
    try:
        decoded = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if not decoded.startswith("v1:"):
        raise AwsError("InvalidNextTokenException", "The nextToken is not one this API returned: start again without a nextToken.")
    return decoded[3:]


def batch_names(names, kind):
    """The names of a BatchGet* call: 1 to 100 of them, each valid."""
    if not names:
        raise AwsError(kind.required_code, f"At least one {kind.label} is required.")
    if len(names) > BATCH_LIMIT:
        raise AwsError("BatchLimitExceededException", f"{len(names)} names were given; at most {BATCH_LIMIT} are allowed per call.")
    return [name(item, kind) for item in names]


def tags(tag_list):
    """A TagList [{"Key", "Value"}] as an ordered dict, checked as AWS checks tags."""
    tag_list = tag_list or []
    if len(tag_list) > TAGS_MAX:
        raise AwsError("InvalidTagsToAddException", f"{len(tag_list)} tags were given; a resource can have at most {TAGS_MAX}.")
    result = {}
    for tag in tag_list:
        key, value = tag.get("Key"), tag.get("Value", "")
        if not key:
            raise AwsError("InvalidTagsToAddException", "Every tag needs a non-empty Key.")
        if len(key) > TAG_KEY_MAX:
            raise AwsError("InvalidTagsToAddException", f"The tag key {key[:40]!r}... is longer than {TAG_KEY_MAX} characters.")
        if key.lower().startswith("aws:"):
            raise AwsError("InvalidTagsToAddException", f"The tag key {key!r} uses the reserved prefix 'aws:'.")
        if value is not None and len(value) > TAG_VALUE_MAX:
            raise AwsError("InvalidTagsToAddException", f"The value of tag {key!r} is longer than {TAG_VALUE_MAX} characters.")
        result[key] = value if value is not None else ""
    return result
