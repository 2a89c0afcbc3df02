# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every CodeDeploy module shares: the client, retries, errors and ARNs."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.iam import get_aws_account_info
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# CodeDeploy throttles with its own code, which AWSRetry does not know by default.
CODEDEPLOY_THROTTLING_CODES = ["ThrottlingException"]

# Error codes that only mean "the thing asked for is not there".
MISSING_CODES = [
    "ApplicationDoesNotExistException",
    "DeploymentGroupDoesNotExistException",
    "DeploymentConfigDoesNotExistException",
]

# AWS reserves this prefix for its predefined deployment configs.
PREDEFINED_CONFIG_PREFIX = "CodeDeployDefault."

# The only deployment style CodeDeploy accepts for the ECS compute platform.
ECS_DEPLOYMENT_STYLE = {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}


def aws_retry_decorator():
    return AWSRetry.jittered_backoff(retries=10, delay=2, max_delay=30, catch_extra_error_codes=CODEDEPLOY_THROTTLING_CODES)


def retrying_client(module, service):
    """A client whose calls retry (with jittered backoff) when passed aws_retry=True."""
    return module.client(service, retry_decorator=aws_retry_decorator())


def codedeploy_client(module):
    return retrying_client(module, "codedeploy")


def client_factory(module):
    """service name -> retrying client, for code that needs clients of several services."""
    return lambda service: retrying_client(module, service)


class AnsibleCodeDeployError(AnsibleAWSError):
    """A failed AWS call, or an argument that cannot work; its message is for people."""


class CodeDeployErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleCodeDeployError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(MISSING_CODES)


def fail(message):
    """Raise an error about the module's arguments or the account's state (no AWS exception)."""
    raise AnsibleCodeDeployError(message=message)


def run_module(module, function, *args):
    """Call function(*args) and exit the module with its result, or fail with its message."""
    try:
        result = function(*args)
    except AnsibleAWSError as error:
        module.fail_json_aws_error(error)
    module.exit_json(**result)


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


def diff_result(before, after):
    return {"before": before or {}, "after": after or {}}


# CodeDeploy's limit on application, deployment group and deployment config names.
MAX_NAME_LENGTH = 100


def check_name(option, value):
    """Fail early (before any call) on a name CodeDeploy would refuse."""
    if not value or len(value) > MAX_NAME_LENGTH:
        fail("%s must be 1 to %d characters long, got %d: %s" % (option, MAX_NAME_LENGTH, len(value or ""), (value or "")[:40] + "..."))
