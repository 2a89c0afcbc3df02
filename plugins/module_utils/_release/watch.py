# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one watch loop of a release, in the manner of botocore's waiter.

    snap = watch(look, done=is_terminal, timeout=3600, interval=15, on_look=tracker.observe)

`look()` is injected: the module passes a poll of the AWS APIs, the action plugin passes
"run the module once". So are the clock and the sleep, so the loop is tested with a fake
clock. It ends when `done(snap)` says so (the acceptor), raises WaitTimeout carrying the
last snapshot at the deadline, and gives up after `max_errors` failed looks in a row,
raising the last error.
"""

import time

MAX_ERRORS = 3  # consecutive failed looks before the watch gives up
DEFAULT_INTERVAL = 15  # seconds between two looks (the AWS CLI's CodeDeploy waiter polls every 15 s too)
DEFAULT_TIMEOUT = 3600


class Gaps(object):
    """The longest real gap between two looks so far (a loaded controller, slow answers): the judge settles a
    canary step's verdict that much before its end (judging.Timing; the action plugin's looks, each a module run)."""

    def __init__(self):
        self.longest = 0.0
        self._last = None

    def looked(self, now):
        if now is not None and self._last is not None and now > self._last:
            self.longest = max(self.longest, now - self._last)
        self._last = now if now is not None else self._last
        return self.longest


class WaitTimeout(Exception):
    def __init__(self, snap, timeout):
        super(WaitTimeout, self).__init__("gave up waiting after %ss" % timeout)
        self.snapshot = snap
        self.timeout = timeout


class LookFailed(Exception):
    """A look that failed; `result` is what the failing step returned (a module result for the action plugin)."""

    def __init__(self, message, result=None):
        super(LookFailed, self).__init__(message)
        self.result = result


def watch(
    look, done, timeout, interval, first=None, on_look=None, on_error=None, errors=(LookFailed,), max_errors=MAX_ERRORS, clock=time.time, sleep=time.sleep
):
    """Look until `done(snap)`; returns the last snapshot.

    first      a snapshot already taken (the start's own look), observed before any sleep
    interval   seconds between looks, or a function snapshot -> seconds (polling by the plan)
    on_look    called with every snapshot, the first included
    on_error   called with (error, count) for each failed look that is within the budget
    errors     the exception types that count as a failed look; anything else propagates
    """
    deadline = clock() + timeout
    snap = first
    failures = 0
    if snap is not None and on_look is not None:
        on_look(snap)
    while True:
        if snap is not None and done(snap):
            return snap
        left = deadline - clock()
        if left <= 0:
            raise WaitTimeout(snap, timeout)
        wait = interval(snap) if callable(interval) else interval
        sleep(max(0.0, min(wait, left)))
        try:
            fresh = look()
        except errors as error:
            failures += 1
            if failures >= max_errors:
                raise
            if on_error is not None:
                on_error(error, failures)
            continue
        failures = 0
        snap = fresh
        if on_look is not None:
            on_look(snap)
