"""A real S3 outage between boto3 and the S3 server, over HTTP, nothing in boto3 patched.

`FlakyS3Endpoint` is a small reverse proxy on a loopback port in front of an S3 endpoint (the moto server of
the suite). A boto3 client pointed at `proxy.url` works exactly as against the server itself, until the test
asks the proxy to answer some requests with an S3 error (503 SlowDown by default) instead of forwarding
them: the client then gets the error over HTTP as it would from S3, and botocore parses and retries it as
its own code does.
"""

from __future__ import annotations

import http.client
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

# Headers that belong to one hop of HTTP, not to the request or response: never relayed as they are.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "expect",
    }
)
UPSTREAM_TIMEOUT = 60


class _FailurePlan:
    """Which requests are answered with an error: `after` matching ones pass, then `times` fail."""

    def __init__(
        self, method: str | None, after: int, times: int | None, status: int, code: str, message: str
    ):
        self.method, self.to_pass, self.to_fail = method, after, times
        self.status, self.code, self.message = status, code, message

    def should_fail(self, method: str) -> bool:
        """Whether this request fails; counts it against the plan when it matches."""
        if self.to_fail == 0 or (self.method is not None and method != self.method):
            return False
        if self.to_pass > 0:
            self.to_pass -= 1
            return False
        if self.to_fail is not None:
            self.to_fail -= 1
        return True


class FlakyS3Endpoint:
    """A proxy to an S3 endpoint that can be told to fail requests, as an outage of S3 would.

    `url` is the proxy's own endpoint (http://127.0.0.1:<port>); `requests` lists (method, path, status
    returned) of every request seen, in order, the path without its query and percent-decoded
    ("/bucket/key"); `failed` counts the requests answered with an error. Use it as a context manager, or
    call `close()`.
    """

    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) endpoint: {upstream!r}")
        self.upstream = upstream
        self._connection_class = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        self._upstream_host, self._upstream_port = parts.hostname, parts.port
        self._lock = threading.Lock()
        self._plan: _FailurePlan | None = None
        self._requests: list[tuple[str, str, int]] = []
        self._failed = 0
        self._open: set[socket.socket] = set()
        self._server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler, self)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name=f"flaky-s3-{port}", daemon=True
        )
        self._thread.start()

    def fail(
        self,
        *,
        method: str | None = "PUT",
        after: int = 0,
        times: int | None = 1,
        status: int = 503,
        code: str = "SlowDown",
        message: str = "Please reduce your request rate.",
    ) -> None:
        """From now on, let `after` matching requests through, then answer the next `times` matching
        requests with an S3 XML error (status, code) instead of forwarding them (times=None: for good);
        then pass everything again. Matching = method equal (None: any method). Replaces any earlier plan;
        `fail(times=0)` ends one.
        """
        with self._lock:
            self._plan = _FailurePlan(method.upper() if method else None, after, times, status, code, message)

    @property
    def requests(self) -> list[tuple[str, str, int]]:
        """(method, path, status returned) of every request seen so far, in order."""
        with self._lock:
            return list(self._requests)

    @property
    def failed(self) -> int:
        """How many requests were answered with the error instead of being forwarded."""
        with self._lock:
            return self._failed

    def close(self) -> None:
        """Stop the proxy, and drop the connections clients keep open to it."""
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            still_open = list(self._open)
        for connection in still_open:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join()

    def __enter__(self) -> FlakyS3Endpoint:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Called by the request handler threads.

    def _decide(self, method: str) -> _FailurePlan | None:
        """The plan that fails this request, or None when it is to be forwarded."""
        with self._lock:
            plan = self._plan
            if plan is not None and plan.should_fail(method):
                self._failed += 1
                return plan
            return None

    def _record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self._requests.append((method, unquote(urlsplit(path).path), status))

    def _forward(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        """Send the request to the upstream endpoint; its status, reason, headers and body."""
        connection = self._connection_class(
            self._upstream_host, self._upstream_port, timeout=UPSTREAM_TIMEOUT
        )
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                connection.putheader(name, value)
            connection.endheaders(body if body else None)
            response = connection.getresponse()
            data = response.read()
            return response.status, response.reason, response.getheaders(), data
        finally:
            connection.close()


class _ProxyServer(ThreadingHTTPServer):
    """The HTTP server of one FlakyS3Endpoint; it keeps track of the connections it serves."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, endpoint: FlakyS3Endpoint):
        self.endpoint = endpoint
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        """Serve a new connection, remembered until it closes so that `close()` can end it."""
        with self.endpoint._lock:
            self.endpoint._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        """Close a connection, and forget it."""
        with self.endpoint._lock:
            self.endpoint._open.discard(request)
        super().shutdown_request(request)


class _ProxyHandler(BaseHTTPRequestHandler):
    """One client connection: every request forwarded upstream, or answered with the planned error."""

    protocol_version = "HTTP/1.1"  # keep-alive as with S3, and `Expect: 100-continue` answered
    timeout = UPSTREAM_TIMEOUT  # an idle kept-alive connection is dropped after this
    server: _ProxyServer

    def do_GET(self):
        """Proxy any method the same way."""
        self._proxy()

    do_HEAD = do_PUT = do_POST = do_DELETE = do_OPTIONS = do_PATCH = do_GET

    def log_message(self, format, *args):
        """Quiet: the tests read `requests` instead."""

    def _proxy(self) -> None:
        endpoint = self.server.endpoint
        method = self.command
        body = self._read_body()
        plan = endpoint._decide(method)
        if plan is not None:
            status, reason, headers, data = self._error(plan)
        else:
            forwarded = [(name, value) for name, value in self.headers.items() if not _hop_by_hop(name)]
            forwarded = [(n, v) for n, v in forwarded if n.lower() != "content-length"]
            if body or method in ("PUT", "POST", "PATCH"):
                forwarded.append(("Content-Length", str(len(body))))
            try:
                status, reason, headers, data = endpoint._forward(method, self.path, forwarded, body)
            except OSError as error:
                status, reason = 502, "Bad Gateway"
                data = f"upstream {endpoint.upstream} unreachable: {error}".encode()
                headers = [("Content-Type", "text/plain")]
        endpoint._record(method, self.path, status)  # before the client can see the answer
        self._respond(method, status, reason, headers, data)

    def _read_body(self) -> bytes:
        """The request body, whether sent with a Content-Length or in HTTP chunks."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers: not relayed
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _error(self, plan: _FailurePlan) -> tuple[int, str, list[tuple[str, str]], bytes]:
        """The S3 error answer of the plan, as S3 writes it (no body to a HEAD, as S3)."""
        request_id = uuid.uuid4().hex[:16].upper()
        data = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{escape(plan.code)}</Code><Message>{escape(plan.message)}</Message>"
            f"<RequestId>{request_id}</RequestId><HostId>flaky-s3</HostId></Error>"
        ).encode()
        headers = [
            ("Content-Type", "application/xml"),
            ("x-amz-request-id", request_id),
            ("x-amz-id-2", "flaky-s3"),
        ]
        reason = http.client.responses.get(plan.status, "Error")
        return plan.status, reason, headers, data

    def _respond(
        self, method: str, status: int, reason: str, headers: list[tuple[str, str]], data: bytes
    ) -> None:
        self.send_response_only(status, reason)
        length = None
        for name, value in headers:
            if _hop_by_hop(name):
                continue
            if name.lower() == "content-length":
                length = value
                continue
            self.send_header(name, value)
        no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
        if no_body:
            if length is not None:  # a HEAD says how long the object is, without sending it
                self.send_header("Content-Length", length)
        else:
            self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not no_body:
            self.wfile.write(data)
        self.wfile.flush()


def _hop_by_hop(name: str) -> bool:
    return name.lower() in HOP_BY_HOP
