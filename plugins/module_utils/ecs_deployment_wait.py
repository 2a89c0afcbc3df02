# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Waiting for a deployment: bounded polling that feeds a progress Tracker.

The module waits with `follow()` when it runs on its own; the action plugin instead
polls across short module runs, feeding its own Tracker, so people see each step.
"""

import time

from ansible_collections.canary.ecs.plugins.module_utils.ecs_deployment_aws import poll
from ansible_collections.canary.ecs.plugins.module_utils.ecs_deployment_progress import is_terminal


class WaitTimeout(Exception):
    def __init__(self, snap):
        super(WaitTimeout, self).__init__("timeout")
        self.snapshot = snap


def follow(clients, tracker, deployment_id, target_id, alarm_names, timeout, interval, first=None, clock=time.time, sleep=time.sleep):
    """Poll until the deployment (and its rollback, if any) ends; returns the last snapshot.

    Raises WaitTimeout with the last snapshot when `timeout` seconds pass first. The loop
    is bounded by the deadline and by a poll count derived from it.
    """
    deadline = clock() + timeout
    snap = first
    if snap is not None:
        tracker.observe(snap)
    max_polls = int(timeout / max(interval, 0.1)) + 2
    for _attempt in range(max_polls):
        if snap is not None and is_terminal(snap):
            return snap
        if snap is not None:
            left = deadline - clock()
            if left <= 0:
                raise WaitTimeout(snap)
            sleep(min(interval, left))
        snap = poll(clients, deployment_id, target_id, alarm_names)
        tracker.observe(snap)
    if is_terminal(snap):
        return snap
    raise WaitTimeout(snap)
