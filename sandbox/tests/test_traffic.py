"""canary_sandbox.traffic against a plain local HTTP server: paced traffic keeps its schedule even when responses are slow."""

import http.server
import threading
import time

import pytest

from canary_sandbox.traffic import Traffic, paced


class _Slow(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    delay = 0.0

    def do_GET(self):  # noqa: N802  (the handler's name is http.server's)
        time.sleep(self.delay)
        self.send_response(200)
        self.send_header("X-Canary-Version", "v1")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("delay", [0.0, 0.15])
def test_paced_traffic_keeps_its_rate_whatever_a_response_takes(server, delay):
    _Slow.delay = delay
    url = "http://127.0.0.1:%d" % server.server_address[1]
    # 10 requests a sandbox minute of 2 s: 5 a second, from two workers; with a pause after each response
    # instead of a schedule, 150 ms responses would have cut that by more than a third
    with paced(url, 10, 2.0) as traffic:
        time.sleep(3.0)
        since = time.time() - 2.0
        served = traffic.window(since=since).total
    assert 8 <= served <= 12, served


def test_a_paced_worker_that_fell_behind_catches_up_one_request_not_a_burst(server):
    _Slow.delay = 0.0
    url = "http://127.0.0.1:%d" % server.server_address[1]
    with Traffic(url, workers=1, interval=0.2) as traffic:
        time.sleep(1.0)
        _Slow.delay = 1.0  # one slow second: the schedule moves on
        time.sleep(1.2)
        _Slow.delay = 0.0
        time.sleep(2.5)  # a request begun just before may still take its second
        samples = [at for at, _version, _status in traffic.samples]
    gaps = [later - earlier for earlier, later in zip(samples, samples[1:], strict=False)]
    assert min(gaps[-4:]) >= 0.15, gaps  # back on its 0.2 s schedule, no catch-up burst
