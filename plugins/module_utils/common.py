# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every module of the collection shares: clients with retries, errors, names and ARNs.

One of each:
    THROTTLING_CODES / retry_decorator(service)   the throttling codes of each service, retried with jittered backoff
    paginate                                      every item of a paginated listing
    Clients                                       service name -> retrying client, made on first use
    AnsibleCanaryECSError, fail                   errors whose message is for people
    ErrorHandler (and one per service)            AWS errors -> AnsibleCanaryECSError, "missing" codes per service
    ArnBuilder, name_from_arn, short_name         CodeDeploy ARNs for tags; names out of ARNs
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.iam import get_aws_account_info
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# Kept in step with galaxy.yml (a unit test compares them) so the boto user agent
# names the exact collection release that made each AWS call.
CANARY_ECS_COLLECTION_NAME = "canary.ecs"
CANARY_ECS_COLLECTION_VERSION = "0.2.0"

# ---------------------------------------------------------------------------- retries

# The throttling codes each service answers that AWSRetry does not retry by default (its
# defaults: RequestLimitExceeded, Unavailable, ServiceUnavailable, InternalFailure,
# InternalError, TooManyRequestsException, Throttling). One list per service, for every module.
THROTTLING_CODES = {
    "codedeploy": ["ThrottlingException"],
    "ecs": ["ThrottlingException"],
    "ecr": ["ThrottlingException"],
    "elbv2": ["ThrottlingException"],
    "cloudwatch": ["ThrottlingException", "LimitExceeded"],
    "iam": ["ThrottlingException"],
    "sts": ["ThrottlingException"],
    "logs": ["ThrottlingException"],
    "s3": ["SlowDown"],
}
RETRIES = 10
RETRY_DELAY = 2
RETRY_MAX_DELAY = 30


def retry_decorator(service, extra_codes=None):
    """Jittered backoff for one service's calls made with aws_retry=True."""
    codes = list(THROTTLING_CODES.get(service, ["ThrottlingException"])) + list(extra_codes or [])
    return AWSRetry.jittered_backoff(retries=RETRIES, delay=RETRY_DELAY, max_delay=RETRY_MAX_DELAY, catch_extra_error_codes=codes)


def paginate(client, operation, key, **request):
    """Every item of a paginated listing, through botocore's paginator. Each service's api module
    wraps it in its retry_decorator, so a throttled page retries the whole walk."""
    items = []
    for page in client.get_paginator(operation).paginate(**request):
        items.extend(page.get(key, []))
    return items


class Clients(object):
    """clients(service, region=None) -> the module's retrying client, created on first use.

    A look at a deployment never builds an ECS or ECR client it does not need.
    """

    def __init__(self, module):
        self._module = module
        self._cache = {}

    def __call__(self, service, region=None):
        key = (service, region)
        if key not in self._cache:
            extra = {"region": region} if region else {}
            self._cache[key] = self._module.client(service, retry_decorator=retry_decorator(service), **extra)
        return self._cache[key]


# ---------------------------------------------------------------------------- errors


class AnsibleCanaryECSError(AnsibleAWSError):
    """A failed AWS call, or an argument that cannot work; its message is for people."""


def fail(message):
    """Raise an error about the module's arguments or the account's state (no AWS exception)."""
    raise AnsibleCanaryECSError(message=message)


def run_module(module, function, *args):
    """Call function(*args) and exit the module with its result, or fail with its message."""
    try:
        result = function(*args)
    except AnsibleAWSError as error:
        module.fail_json_aws_error(error)
    module.exit_json(**result)


class ErrorHandler(AWSErrorHandler):
    """AWS errors of a call -> AnsibleCanaryECSError saying what was being done.

    Subclasses name the codes that only mean "the thing asked for is not there", which
    list_error_handler turns into its default (None) and deletion_error_handler into False.
    """

    _CUSTOM_EXCEPTION = AnsibleCanaryECSError
    MISSING_CODES = ()

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(list(cls.MISSING_CODES))


class CodeDeployErrorHandler(ErrorHandler):
    MISSING_CODES = (
        "ApplicationDoesNotExistException",
        "DeploymentGroupDoesNotExistException",
        "DeploymentConfigDoesNotExistException",
        "DeploymentDoesNotExistException",
    )


class ECSErrorHandler(ErrorHandler):
    MISSING_CODES = ("ClusterNotFoundException", "ServiceNotFoundException", "ServiceDeploymentNotFoundException")


class ECRErrorHandler(ErrorHandler):
    MISSING_CODES = ("RepositoryNotFoundException", "ImageNotFoundException")


class CloudWatchErrorHandler(ErrorHandler):
    MISSING_CODES = ("ResourceNotFound", "ResourceNotFoundException")


class ELBv2ErrorHandler(ErrorHandler):
    MISSING_CODES = ("TargetGroupNotFound", "LoadBalancerNotFound", "ListenerNotFound")


class IAMErrorHandler(ErrorHandler):
    MISSING_CODES = ("NoSuchEntity",)


# ---------------------------------------------------------------------------- names and ARNs


class ArnBuilder:
    """CodeDeploy ARNs (needed for tags) for the module's account, region and partition.

    The account is looked up once, and only when an ARN is actually needed.
    """

    def __init__(self, module):
        self._module = module
        self._account = None

    def _prefix(self):
        if self._account is None:
            self._account = get_aws_account_info(self._module)
        account_id, partition = self._account
        return "arn:%s:codedeploy:%s:%s" % (partition, self._module.region, account_id)

    def application(self, name):
        return "%s:application:%s" % (self._prefix(), name)

    def deployment_group(self, application_name, name):
        return "%s:deploymentgroup:%s/%s" % (self._prefix(), application_name, name)

    def deployment_config(self, name):
        return "%s:deploymentconfig:%s" % (self._prefix(), name)


def name_from_arn(value):
    """The last path element of an ARN ('arn:aws:ecs:r:a:cluster/prod' -> 'prod'); names pass through."""
    if not value or not value.startswith("arn:"):
        return value
    resource = value.split(":", 5)[-1]
    return resource.rsplit("/", 1)[-1]


def short_name(value):
    """The last path element of a name or ARN, '' for None (ECS answers cluster and service either way)."""
    return (value or "").rsplit("/", 1)[-1]


def diff_result(before, after):
    return {"before": before or {}, "after": after or {}}


# CodeDeploy's limit on application, deployment group and deployment config names.
MAX_NAME_LENGTH = 100


def check_name(option, value):
    """Fail early (before any call) on a name CodeDeploy would refuse."""
    if not value or len(value) > MAX_NAME_LENGTH:
        fail("%s must be 1 to %d characters long, got %d: %s" % (option, MAX_NAME_LENGTH, len(value or ""), (value or "")[:40] + "..."))
