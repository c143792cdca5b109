"""A webhook receiver on loopback: where a test's alerts arrive, as a person's chat channel would get them."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    """Every JSON body posted to the receiver, in order of arrival."""

    url: str
    bodies: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, matches: Callable[[dict], bool], timeout: float) -> dict:
        """The first body `matches` accepts, waited for; a timeout names what did arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = next((body for body in self.bodies if matches(body)), None)
            if found is not None:
                return found
            time.sleep(0.5)
        raise AssertionError(f"no matching alert within {timeout:g} s; received: {self.bodies}")


@contextlib.contextmanager
def webhook_receiver() -> Iterator[Received]:
    """An HTTP server on a free loopback port taking POSTs at /alerts; stopped at the end."""
    received: Received

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the name http.server calls
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with received.lock:
                received.bodies.append(json.loads(body or b"{}"))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):  # quiet: the test reports what it needs
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received = Received(f"http://127.0.0.1:{server.server_address[1]}/alerts")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
