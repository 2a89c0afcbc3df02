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

    # Tags live beside the resources, keyed by ARN, so renames move them and deletes drop them.

    def tag(self, arn, tags):
        """Add or overwrite tags (an ordered {key: value}) on a resource."""
        if tags:
            self.tags.setdefault(arn, {}).update(tags)

    def untag(self, arn, keys):
        current = self.tags.get(arn, {})
        for key in keys:
            current.pop(key, None)
        if not current:
            self.tags.pop(arn, None)

    def tags_of(self, arn):
        return dict(self.tags.get(arn, {}))

    def move_tags(self, old_arn, new_arn):
        if old_arn in self.tags:
            self.tags[new_arn] = self.tags.pop(old_arn)

    def drop_tags(self, arn):
        self.tags.pop(arn, None)
