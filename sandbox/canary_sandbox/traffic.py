"""Real HTTP traffic through a sandbox listener's local port, counted per version and second.

Used by the end-to-end tests, tools/demo.py and tests/benchmark/release.py:

    with Traffic(listener_url(endpoint, port=80), workers=4) as traffic:
        ...                                   # requests flow while a release runs
        window = traffic.window(since=t0)     # Counts of what was served after t0
    window.share("v2"), window.errors("v3")

Every request goes to 127.0.0.1 only (the URL is checked), each worker keeps one
HTTP/1.1 connection open, and the loop stops when the context exits.
"""

import collections
import http.client
import math
import threading
import time
import urllib.parse

from canary_sandbox.dataplane.extension import listener_url  # noqa: F401  (re-exported for the demo and benchmark)
from canary_sandbox.guard import assert_loopback

VERSION_HEADER = "X-Canary-Version"
MAX_WORKER_RATE = 2.0  # requests a second one paced client sends at most (it keeps pace while responses take up to 1/2 s)


class Counts:
    """What a window of traffic saw: requests per (version, ok) and the split between versions."""

    def __init__(self, samples):
        self.by_version = collections.Counter()
        self.failures = collections.Counter()
        self.other_errors = 0
        for _at, version, status in samples:
            if version is None:
                self.other_errors += 1
                continue
            self.by_version[version] += 1
            if status >= 500:
                self.failures[version] += 1

    @property
    def total(self):
        return sum(self.by_version.values())

    def share(self, version):
        """Percent of the requests that `version` served (0 when nothing was served)."""
        return 100.0 * self.by_version[version] / self.total if self.total else 0.0

    def errors(self, version=None):
        return sum(self.failures.values()) if version is None else self.failures[version]

    def describe(self):
        if not self.total:
            return "no responses"
        parts = [
            "%s %.0f%% (%d%s)" % (version, self.share(version), count, ", %d errors" % self.failures[version] if self.failures[version] else "")
            for version, count in sorted(self.by_version.items())
        ]
        return ", ".join(parts)


class Traffic:
    """Worker threads sending GET / in a loop; samples are (time, version or None, status).

    Without an interval each worker sends its next request as soon as it has a response; with
    one, each sends on a schedule of one request per `interval` seconds (paced traffic), whatever
    a response takes, catching up at most one request when it fell behind.
    """

    def __init__(self, url, workers=4, interval=None):
        self.url = assert_loopback(url, what="traffic URL")
        parsed = urllib.parse.urlparse(url)
        self._host, self._port = parsed.hostname, parsed.port
        self._workers = workers
        self._interval = interval
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = []
        self.samples = []

    def __enter__(self):
        for index in range(self._workers):
            # paced workers start spread over one interval, so that their requests interleave
            offset = (self._interval or 0.0) * index / self._workers
            thread = threading.Thread(target=self._run, args=(time.monotonic() + offset,), name=f"traffic-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _run(self, next_at):
        connection = None
        while not self._stop.is_set():
            if self._interval:
                if self._stop.wait(max(0.0, next_at - time.monotonic())):
                    break
                next_at = max(next_at + self._interval, time.monotonic() - self._interval)
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(self._host, self._port, timeout=5)
                connection.request("GET", "/")
                response = connection.getresponse()
                response.read()
                sample = (time.time(), response.getheader(VERSION_HEADER), response.status)
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                sample = (time.time(), None, 0)
                if connection is not None:
                    connection.close()
                connection = None
                self._stop.wait(0.05)
            with self._lock:
                self.samples.append(sample)
        if connection is not None:
            connection.close()

    def window(self, since=None, until=None):
        with self._lock:
            samples = [s for s in self.samples if (since is None or s[0] >= since) and (until is None or s[0] < until)]
        return Counts(samples)

    def rate(self, seconds=2.0):
        """Requests per second over the last `seconds`."""
        now = time.time()
        return self.window(since=now - seconds).total / seconds if seconds else 0.0

    def first_time(self, predicate, since=None):
        """When the first sample after `since` matching predicate(version, status) was seen, or None."""
        with self._lock:
            for at, version, status in self.samples:
                if (since is None or at >= since) and predicate(version, status):
                    return at
        return None

    def last_time(self, predicate, since=None):
        with self._lock:
            found = None
            for at, version, status in self.samples:
                if (since is None or at >= since) and predicate(version, status):
                    found = at
        return found


def at_rate(url, per_second, workers):
    """`workers` clients sending `per_second` requests a second between them, on a schedule.

    Clients that do not wait between requests take all the sandbox can serve (over 700 a second,
    more than a core of a two-core machine): tests that run side by side pace theirs instead.
    """
    return Traffic(url, workers=workers, interval=workers / per_second)


def paced(url, per_minute, minute_seconds):
    """Traffic at `per_minute` requests a sandbox minute, on a schedule (as long as the sandbox keeps up)."""
    per_second = per_minute / minute_seconds
    return at_rate(url, per_second, workers=max(1, int(math.ceil(per_second / MAX_WORKER_RATE))))
