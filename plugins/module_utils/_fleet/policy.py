# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which releases of a fleet start when, and what a failure stops: waves, the in-flight limit, the halt policy.

Pure bookkeeping over entry names; the action plugin starts, watches and stops the releases.

    first wave   its releases start first; the rest only once every one of them succeeded
                 (or was already live); a failure in it starts nothing more, whatever the policy
    max in flight  at most this many releases run at once
    halt         stop (default): after a release fails or rolls back, start no more; the ones in
                 flight go on to their own end. roll_back: the same, and roll back the ones in flight.
                 carry_on: start the rest anyway.
"""

PENDING, IN_FLIGHT = "pending", "in flight"
SUCCEEDED, LIVE, ROLLED_BACK, FAILED, NOT_STARTED, STOPPED = "succeeded", "already live", "rolled back", "failed", "not started", "stopped by the fleet"
BAD = (ROLLED_BACK, FAILED, STOPPED)
GOOD = (SUCCEEDED, LIVE)


class Schedule(object):
    def __init__(self, fleet):
        self.fleet = fleet
        self.state = dict((entry.name, PENDING) for entry in fleet.entries)
        self.reason = {}
        self.halted = None  # why no more releases start, once they do not

    def in_flight(self):
        return [entry.name for entry in self.fleet.entries if self.state[entry.name] == IN_FLIGHT]

    def pending(self):
        return [entry.name for entry in self.fleet.entries if self.state[entry.name] == PENDING]

    def startable(self):
        """The names to start now, in the fleet's order."""
        if self.halted:
            return []
        room = self.fleet.max_in_flight - len(self.in_flight())
        wave = [name for name in self.fleet.first_wave if self.state[name] in (PENDING, IN_FLIGHT)]
        candidates = [name for name in self.pending() if name in wave] if wave else self.pending()
        return candidates[: max(0, room)]

    def started(self, name):
        self.state[name] = IN_FLIGHT

    def ended(self, name, state, reason=None):
        """Record how a release ended; returns the names in flight to roll back now (halt=roll_back)."""
        self.state[name] = state
        if reason:
            self.reason[name] = reason
        if state not in BAD or self.halted:
            return []
        in_wave = name in self.fleet.first_wave
        if self.fleet.halt == "carry_on" and not in_wave:
            return []
        self.halted = "%s %s%s" % (name, state, " in the first wave" if in_wave else "")
        if self.fleet.halt == "roll_back":
            return self.in_flight()
        return []

    def close(self):
        """Mark what never started, with why; call once nothing is in flight."""
        for name in self.pending():
            self.state[name] = NOT_STARTED
            self.reason[name] = ("halted: %s" % self.halted) if self.halted else "not started"

    def done(self):
        return not self.in_flight() and (self.halted is not None or not self.pending())

    def summary(self):
        """{state: [names]} of every state that has names, and the reasons of the bad and not-started ones."""
        by_state = {}
        for entry in self.fleet.entries:
            by_state.setdefault(self.state[entry.name], []).append(entry.name)
        return {
            "succeeded": by_state.get(SUCCEEDED, []),
            "already_live": by_state.get(LIVE, []),
            "rolled_back": by_state.get(ROLLED_BACK, []) + by_state.get(STOPPED, []),
            "failed": by_state.get(FAILED, []),
            "not_started": by_state.get(NOT_STARTED, []),
            "halted": self.halted,
            "reasons": dict((name, reason) for name, reason in self.reason.items() if self.state[name] not in GOOD),
        }
