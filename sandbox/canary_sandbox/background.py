"""One way to run a function every few seconds in a daemon thread, for the sandbox and its users."""

import threading


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
