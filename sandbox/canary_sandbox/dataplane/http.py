"""A small threaded HTTP server on 127.0.0.1 that stops at once and leaves no thread behind.

The data plane runs many of them (one per listener, one per task). socketserver's own
shutdown() polls and its thread join has no timeout; this one wakes its accept loop
through a socket pair, cuts open keep-alive connections and joins its handler threads
within a bound.
"""

import logging
import selectors
import socket
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

LOG = logging.getLogger("canary_sandbox.dataplane.extension")

# A handler blocked longer than this on a socket (idle keep-alive, slow client) gives up.
SOCKET_TIMEOUT = 10.0
JOIN_TIMEOUT = 5.0
MAX_CONNECTIONS = 256  # per server: a flood of clients is refused rather than given unbounded threads


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 handler (keep-alive) that logs to the sandbox logger at debug level, not stderr."""

    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT
    # Headers and body leave in two writes: with Nagle's algorithm a keep-alive client's delayed
    # ACK would hold every answer back ~40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002 (the base class names it so)
        LOG.debug("%s %s", self.server.label, format % args)

    def send_body(self, status, body, headers=(), content_type="text/plain; charset=utf-8"):
        """One complete response with a Content-Length, so keep-alive clients know where it ends."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class LoopbackHTTPServer(HTTPServer):
    """Serves `handler_class` on 127.0.0.1 (a free port unless one is given) in its own threads."""

    daemon_threads = True  # belt and braces: close() joins them, but never let one block interpreter exit
    drain_seconds = 0.0

    def __init__(self, handler_class, label, port=0):
        super().__init__(("127.0.0.1", port), handler_class)
        self.label = label
        self.port = self.server_address[1]
        self._closing = threading.Event()
        self._aborting = threading.Event()
        self._wake_read, self._wake_write = socket.socketpair()
        self._lock = threading.Lock()
        self._connections = set()
        self._handlers = set()
        self._thread = threading.Thread(target=self._serve, name=f"dataplane-{label}", daemon=True)

    def server_bind(self):
        # HTTPServer.server_bind asks getfqdn() for a name: a resolver lookup nothing here needs.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def aborting(self):
        """Set once close() stops waiting for requests in flight: long waits in handlers end early."""
        return self._aborting

    def start(self):
        self._thread.start()
        return self

    def _serve(self):
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while not self._closing.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self.socket and not self._closing.is_set():
                        self._handle_request_noblock()

    def process_request(self, request, client_address):
        thread = threading.Thread(target=self._handle, args=(request, client_address), name=f"dataplane-{self.label}-conn", daemon=True)
        with self._lock:
            refused = self._closing.is_set() or len(self._connections) >= MAX_CONNECTIONS
            if not refused:
                self._connections.add(request)
                self._handlers.add(thread)
        if refused:
            LOG.debug("%s: connection from %s refused (closing, or %d open)", self.label, client_address, MAX_CONNECTIONS)
            self.shutdown_request(request)
            return
        thread.start()

    def _handle(self, request, client_address):
        try:
            self.finish_request(request, client_address)
        except Exception:  # a client that vanished mid-response is not the sandbox's problem
            LOG.debug("%s: connection from %s ended with an error", self.label, client_address, exc_info=True)
        finally:
            self.shutdown_request(request)
            with self._lock:
                self._connections.discard(request)
                self._handlers.discard(threading.current_thread())

    def close(self, drain=False):
        """Stop accepting; with drain, let requests in flight finish for up to drain_seconds (as a
        deregistered target drains); then cut open connections and wait for the handlers.
        Safe to call twice."""
        with self._lock:
            if self._closing.is_set():
                return
            self._closing.set()
        self._wake_write.send(b"x")
        if self._thread.is_alive():
            self._thread.join(JOIN_TIMEOUT)
        self.socket.close()  # refuse new connections at once rather than leave them in the backlog
        deadline = time.monotonic() + (self.drain_seconds if drain else 0.0)
        while time.monotonic() < deadline and self._handlers:
            time.sleep(0.02)
        self._aborting.set()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by its handler
        with self._lock:
            handlers = list(self._handlers)
        for handler in handlers:
            handler.join(JOIN_TIMEOUT)
            if handler.is_alive():
                LOG.warning("%s: a connection handler did not finish within %ss", self.label, JOIN_TIMEOUT)
        self.server_close()
        self._wake_read.close()
        self._wake_write.close()

    def live_threads(self):
        """Threads of this server still running (for tests and status)."""
        with self._lock:
            threads = [thread for thread in self._handlers if thread.is_alive()]
        if self._thread.is_alive():
            threads.append(self._thread)
        return threads
