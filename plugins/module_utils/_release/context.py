# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a release learned about the service (read once, used by every step), and the time scale."""

import os

from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info

from ansible_collections.canary.ecs.plugins.module_utils.common import fail

# The sandbox (a local AWS for tests and the demo) runs faster than AWS; its `canary-sandbox env`
# exports how many real seconds one of its minutes lasts. Only honoured for a loopback
# endpoint, so it can never skew an estimate against AWS itself.
SANDBOX_MINUTE_SECONDS = "CANARY_SANDBOX_MINUTE_SECONDS"
# The real moment the sandbox's faster time axis starts from: it stamps metrics on that axis.
SANDBOX_CLOCK_ORIGIN = "CANARY_SANDBOX_CLOCK_ORIGIN"
_LOOPBACK_PREFIXES = ("http://127.", "https://127.", "http://localhost", "https://localhost", "http://[::1]", "https://[::1]")


def _sandbox_setting(module, name):
    """A number the sandbox exports, None when unset or when the endpoint is not loopback."""
    value = os.environ.get(name)
    if not value:
        return None
    _region, endpoint, _params = get_aws_connection_info(module)
    if not endpoint or not endpoint.startswith(_LOOPBACK_PREFIXES):
        return None
    try:
        return float(value)
    except ValueError:
        fail("%s must be a number of seconds, got %r." % (name, value))


def minute_seconds(module):
    """Real seconds per deployment minute, for time-left estimates: 60, except against the sandbox."""
    seconds = _sandbox_setting(module, SANDBOX_MINUTE_SECONDS)
    return seconds if seconds and seconds > 0 else 60.0


def metric_time(module):
    """real epoch -> the epoch CloudWatch stamps that moment's metrics with: the same on AWS; the
    sandbox's faster axis (origin + elapsed x 60 / minute_seconds) against the sandbox."""
    seconds, origin = minute_seconds(module), _sandbox_setting(module, SANDBOX_CLOCK_ORIGIN)
    if origin is None or seconds == 60.0:
        return lambda moment: moment
    return lambda moment: origin + (moment - origin) * 60.0 / seconds


def real_time(module):
    """The inverse of metric_time: a metric's timestamp -> the real moment it stands for."""
    seconds, origin = minute_seconds(module), _sandbox_setting(module, SANDBOX_CLOCK_ORIGIN)
    if origin is None or seconds == 60.0:
        return lambda stamp: stamp
    return lambda stamp: origin + (stamp - origin) * seconds / 60.0


class Context(object):
    """The service, its route (the backend's: a CodeDeploy deployment group), container and live revision."""

    def __init__(self, backend, params):
        self.backend = backend
        self.clients = backend.clients
        self.params = params
        self.service = None
        self.group = None
        self.container = None
        self.port = None
        self.live = None  # described live task definition
        self.live_tags = []
        self.watched = None  # the alarms that stop this release, once known (alarms.for_release)

    def find_group(self, required=True):
        params = self.params
        self.group = self.backend.find(
            params["cluster"], params["service"], params.get("application_name"), params.get("deployment_group_name"), required=required
        )
        return self.group

    @property
    def application_name(self):
        return self.group["applicationName"]

    @property
    def group_name(self):
        return self.group["deploymentGroupName"]

    @property
    def route_label(self):
        """How messages name the route: 'app/group' (CodeDeploy), the service's deployment configuration (ECS)."""
        return self.group.get("_label") or "%s/%s" % (self.application_name, self.group_name)

    def alarm_names(self):
        if self.watched is not None:
            return self.watched
        return self.backend.alarm_names(self.group) if self.group else []
