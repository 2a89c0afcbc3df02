"""In-memory CodeDeploy state of one region."""

import itertools


class Store:
    def __init__(self, region):
        self.region = region
        self.applications = {}  # name -> dict (AWS ApplicationInfo shape + internal keys)
        self.deployment_groups = {}  # (application name, group name) -> dict
        self.deployment_configs = {}  # name -> dict (custom configs only; predefined are constants)
        self.deployments = {}  # deployment id -> dict
        self.tags = {}  # resource ARN -> {key: value}
        self._ids = itertools.count(1)

    def next_id(self, prefix):
        """Ids shaped like AWS's: 'd-' + 9 upper-case alphanumerics for deployments."""
        return "%s%09d" % (prefix, next(self._ids))

    def close(self):
        """Called on reset: extensions holding threads per deployment stop them here."""
