"""Sandbox time: one sandbox minute lasts `minute_seconds` real seconds.

Bake times, alarm periods and termination waits are all expressed in minutes by AWS;
the sandbox scales them so a 15-minute bake takes about 15 seconds by default.
"""

import os
import threading
import time

DEFAULT_MINUTE_SECONDS = 1.0


class Clock:
    def __init__(self, minute_seconds=None):
        if minute_seconds is None:
            minute_seconds = float(os.environ.get("CANARY_SANDBOX_MINUTE_SECONDS", DEFAULT_MINUTE_SECONDS))
        if minute_seconds <= 0:
            raise ValueError("minute_seconds must be positive")
        self.minute_seconds = float(minute_seconds)
        self._stop = threading.Event()
        self._started = time.time()

    @property
    def origin(self):
        """The real moment at which sandbox time and real time coincide (the clock's start)."""
        return self._started

    def sandbox_now(self):
        """Sandbox time as epoch seconds: it starts at real time and runs 60/minute_seconds times faster.

        Metrics are published and alarms evaluated on this axis, so alarm periods stay
        AWS-realistic (Period=60 is one sandbox minute) however fast the clock runs.
        """
        return self._started + (time.time() - self._started) * 60.0 / self.minute_seconds

    def seconds(self, minutes):
        """Real seconds that `minutes` sandbox minutes last."""
        return minutes * self.minute_seconds

    def sandbox_seconds(self, real_seconds):
        """Sandbox seconds that elapse in `real_seconds` of real time."""
        return real_seconds * 60.0 / self.minute_seconds

    def sleep_minutes(self, minutes):
        """Sleep for sandbox minutes; returns False early if the clock was stopped."""
        return not self._stop.wait(self.seconds(minutes))

    def sleep(self, real_seconds):
        return not self._stop.wait(real_seconds)

    def stop(self):
        self._stop.set()

    @property
    def stopped(self):
        return self._stop.is_set()

    @staticmethod
    def now():
        return time.time()
