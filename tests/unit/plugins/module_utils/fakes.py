# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Test doubles shared by the unit tests: a module, ARNs, AWS errors, mocked clients with paginators."""

from unittest.mock import MagicMock

import botocore.exceptions


class FakeModule:
    """module.params and module.check_mode; `defaults` are the params a test does not set."""

    def __init__(self, check_mode=False, defaults=None, **params):
        self.params = dict(defaults or {})
        self.params.update(params)
        self.check_mode = check_mode


def spec_defaults(argument_spec, **params):
    """Every option of a module's argument spec at its default (None when it has none), then `params`."""
    values = {name: option.get("default") for name, option in argument_spec.items()}
    values.update(params)
    return values


class FakePaginator:
    """One page: the mocked client's own method answers it, so return values and call asserts still apply."""

    def __init__(self, method):
        self._method = method

    def paginate(self, PaginationConfig=None, **request):
        return [self._method(**request)]


def paginating(client):
    """A MagicMock client whose get_paginator(operation) pages through client.<operation>."""
    client.get_paginator.side_effect = lambda operation: FakePaginator(getattr(client, operation))
    return client


class FakeArns:
    prefix = "arn:aws:codedeploy:us-east-1:123456789012"

    def application(self, name):
        return "%s:application:%s" % (self.prefix, name)

    def deployment_group(self, application_name, name):
        return "%s:deploymentgroup:%s/%s" % (self.prefix, application_name, name)

    def deployment_config(self, name):
        return "%s:deploymentconfig:%s" % (self.prefix, name)


def client_error(code, operation="Operation", message="an error"):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": message}}, operation)


WRITE_CALLS = (
    "create_application",
    "delete_application",
    "create_deployment_group",
    "update_deployment_group",
    "delete_deployment_group",
    "create_deployment_config",
    "delete_deployment_config",
    "tag_resource",
    "untag_resource",
)


def write_calls(client):
    """Names of the write calls made on a MagicMock client."""
    return [name for name, _args, _kwargs in client.mock_calls if name in WRITE_CALLS]


def codedeploy_mock():
    client = paginating(MagicMock())
    client.list_tags_for_resource.return_value = {"Tags": []}
    client.batch_get_applications.side_effect = lambda applicationNames, **kw: {
        "applicationsInfo": [{"applicationName": name, "computePlatform": "ECS"} for name in applicationNames]
    }
    return client
