# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one watch loop, on a fake clock: acceptor, deadline, error budget, intervals."""

import pytest

from ansible_collections.canary.ecs.plugins.module_utils._release.watch import LookFailed, WaitTimeout, watch


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def looks(*snaps):
    """A look that answers these snapshots in turn (an exception instance is raised instead)."""
    answers = list(snaps)

    def look():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    look.left = answers
    return look


def done(snap):
    return snap["status"] == "Succeeded"


def test_it_returns_the_first_snapshot_the_acceptor_takes_and_sees_every_one():
    clock, seen = FakeClock(), []
    look = looks({"status": "InProgress"}, {"status": "Succeeded"}, {"status": "never asked"})
    snap = watch(look, done, timeout=60, interval=5, first={"status": "Created"}, on_look=seen.append, clock=clock, sleep=clock.sleep)
    assert snap == {"status": "Succeeded"}
    assert [s["status"] for s in seen] == ["Created", "InProgress", "Succeeded"]
    assert clock.sleeps == [5, 5] and len(look.left) == 1


def test_a_first_snapshot_that_is_already_done_makes_no_look():
    clock = FakeClock()
    assert watch(looks(), done, 60, 5, first={"status": "Succeeded"}, clock=clock, sleep=clock.sleep) == {"status": "Succeeded"}
    assert clock.sleeps == []


def test_the_deadline_raises_with_the_last_snapshot_and_never_sleeps_past_it():
    clock = FakeClock()
    look = looks(*[{"status": "InProgress", "n": n} for n in range(100)])
    with pytest.raises(WaitTimeout) as timeout:
        watch(look, done, timeout=12, interval=5, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == [5, 5, 2]  # the last sleep is cut to the deadline
    assert timeout.value.snapshot == {"status": "InProgress", "n": 2} and timeout.value.timeout == 12


def test_failed_looks_within_the_budget_are_reported_and_ridden_out():
    clock, errors = FakeClock(), []
    look = looks(LookFailed("throttled"), LookFailed("throttled"), {"status": "Succeeded"})
    snap = watch(
        look, done, 60, 1, first={"status": "InProgress"}, on_error=lambda error, count: errors.append((str(error), count)), clock=clock, sleep=clock.sleep
    )
    assert snap["status"] == "Succeeded" and errors == [("throttled", 1), ("throttled", 2)]


def test_the_budget_counts_failures_in_a_row_and_the_last_error_propagates():
    clock = FakeClock()
    look = looks(LookFailed("a"), {"status": "InProgress"}, LookFailed("b"), LookFailed("c"), LookFailed("d"))
    with pytest.raises(LookFailed) as failure:
        watch(look, done, 600, 1, first={"status": "InProgress"}, max_errors=3, clock=clock, sleep=clock.sleep)
    assert str(failure.value) == "d"  # a, then a good look resets the count, then b, c, d


def test_other_exceptions_are_not_swallowed():
    clock = FakeClock()
    with pytest.raises(KeyError):
        watch(looks(KeyError("bug")), done, 60, 1, first={"status": "InProgress"}, clock=clock, sleep=clock.sleep)


def test_the_interval_can_follow_the_snapshot():
    clock = FakeClock()
    look = looks({"status": "Baking"}, {"status": "Succeeded"})
    watch(look, done, 600, lambda snap: 30 if snap["status"] == "InProgress" else 2, first={"status": "InProgress"}, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == [30, 2]
