# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A backend whose every look goes through the release's checks (fast fail, the judge), in order."""


class Checked(object):
    """Each check takes a snapshot and returns it, adding its finding and acting on it (a stop with
    rollback); every method other than look is the backend's own."""

    def __init__(self, backend, checks):
        self._backend = backend
        self._checks = list(checks)

    def __getattr__(self, name):
        return getattr(self._backend, name)

    def look(self, *args, **kwargs):
        snap = self._backend.look(*args, **kwargs)
        for check in self._checks:
            snap = check(snap)
        return snap
