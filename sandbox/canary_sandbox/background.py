"""One way to run a function every few seconds in a daemon thread, for the sandbox and its users."""

import threading
import time


class Every:
    """Calls `action()` every `seconds` in a background thread, between start() and stop() or inside `with`."""

    def __init__(self, seconds, action, name="every", join_seconds=10.0):
        self.seconds = seconds
        self.action = action
        self.name = name
        self.join_seconds = join_seconds
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.join_seconds)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _run(self):
        while not self._stop.wait(self.seconds):
            self.action()


class SteppedRun:
    """A deployment run in its own thread whose every wait is cut into short steps, so stop requests,
    continues, alarms and a reset act within a fraction of a real second whatever the clock scale.

    Subclasses call _start_steps() in __init__, define _check() (raise to end the run now) and
    run(); API threads call wake() after giving the run a signal, cancel() on reset or shutdown."""

    STEP_SECONDS = 0.05  # longest real sleep between two checks

    def _start_steps(self, name):
        self._wake = threading.Event()
        self._cancel = threading.Event()
        self.thread = threading.Thread(target=self.run, name=name, daemon=True)

    def start(self):
        self.thread.start()

    def wake(self):
        self._wake.set()

    def cancel(self):
        self._cancel.set()
        self._wake.set()

    @property
    def cancelled(self):
        return self._cancel.is_set()

    @property
    def alive(self):
        return self.thread.is_alive()

    def _wait(self, real_seconds, until=None):
        """Wait up to real_seconds in short steps, checking each time; True as soon as until() holds."""
        deadline = time.monotonic() + real_seconds
        while True:
            self._check()
            if until is not None and until():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._wake.wait(min(self.STEP_SECONDS, remaining))
            self._wake.clear()


class Runs:
    """The runs an extension has in flight, by key: started, found, forgotten when they end, cancelled
    all at once (reset, shutdown), joined (tests)."""

    def __init__(self, join_seconds=5.0):
        self._lock = threading.Lock()
        self._runs = {}
        self.join_seconds = join_seconds

    def add(self, key, run):
        with self._lock:
            self._runs[key] = run

    def get(self, key):
        with self._lock:
            return self._runs.get(key)

    def keys(self):
        with self._lock:
            return list(self._runs)

    def finished(self, key, run):
        with self._lock:
            if self._runs.get(key) is run:
                del self._runs[key]

    def wait_idle(self, timeout):
        """Join every run; True if all ended in time."""
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            run.thread.join(timeout=timeout)
        return not any(run.alive for run in runs)

    def cancel_all(self):
        with self._lock:
            runs = list(self._runs.values())
            self._runs = {}
        for run in runs:
            run.cancel()
        for run in runs:
            if run.thread is not threading.current_thread():
                run.thread.join(timeout=self.join_seconds)
