"""HTTP layer: stdlib ``ThreadingHTTPServer`` speaking HTTP/1.1 keep-alive.

Every response carries ``Content-Length`` (including 204 and 304), ``x-ms-activity-id`` and
``x-ms-request-charge`` (Cosmos DB REST "Common response headers",
https://learn.microsoft.com/rest/api/cosmos-db/common-cosmosdb-rest-response-headers); headers
and body go out in one write with ``TCP_NODELAY`` set. Session tokens are never sent: the SDK
then tracks none (``azure/cosmos/_session.py``).
"""

from __future__ import annotations

import contextlib
import socket
import sys
import traceback
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cosmosdb_emulator import auth, resource_tokens, routing
from cosmosdb_emulator.app import App
from cosmosdb_emulator.errors import CosmosError
from cosmosdb_emulator.handlers import dispatch
from cosmosdb_emulator.messages import Headers, Request, Response, error_response

_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    207: "Multi-Status",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    424: "Failed Dependency",
    429: "Too Many Requests",
    449: "Retry With",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}

MAX_REQUEST_BYTES = 16 * 1024 * 1024


class DropConnection(Exception):
    """Raised by a hook to close the connection without answering (fault injection)."""


def handle_request(
    app: App, method: str, path: str, headers: Headers, body: bytes, base_url: str
) -> Response:
    """Authenticate, route and run one request, mapping errors to Cosmos error responses.

    Args:
        app: Server state.
        method: HTTP method.
        path: Raw request target.
        headers: Request headers.
        body: Request body bytes.
        base_url: ``scheme://host/`` the request arrived on.

    Returns:
        The response to send.

    Raises:
        DropConnection: If a hook asks for the connection to be dropped.
    """
    try:
        route = routing.resolve(path)
    except UnicodeDecodeError:
        route = None
    if route is None:
        return error_response(CosmosError(404, f"Unknown resource path {path.split('?')[0]!r}."))
    if not auth.verify(
        app.key,
        method,
        route.auth_type,
        route.auth_link,
        headers.get("x-ms-date"),
        headers.get("authorization"),
    ):
        denied = resource_tokens.authorize(app, method, path, headers)
        if denied == 403:
            return error_response(
                CosmosError(
                    403,
                    "Insufficient permissions provided in the authorization header for the"
                    " corresponding request.",
                )
            )
        if denied is not None:
            return error_response(
                CosmosError(
                    401,
                    "The input authorization token can't serve the request. The wrong key is "
                    "being used or the expected payload is not built as per the protocol.",
                )
            )
    request = Request(method, path, route, headers, body, base_url)
    response: Response | None = None
    try:
        for hook in app.hooks:
            response = hook.before(app, request)
            if response is not None:
                break
        if response is None:
            response = dispatch(app, request)
    except CosmosError as exc:
        response = error_response(exc)
    except DropConnection:
        raise
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        response = error_response(
            CosmosError(500, f"Internal emulator error: {type(exc).__name__}: {exc}")
        )
    for hook in reversed(app.hooks):
        try:
            response = hook.after(app, request, response)
        except DropConnection:
            raise
    return response


class CosmosRequestHandler(BaseHTTPRequestHandler):
    """One keep-alive connection; the server's ``app`` attribute holds the state."""

    protocol_version = "HTTP/1.1"
    server_version = "cosmosdb-emulator/0.1"
    server: EmulatorHTTPServer

    def setup(self) -> None:
        """Turn off Nagle so small responses are not delayed."""
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def finish(self) -> None:
        """Release this thread's SQLite connection when the HTTP connection ends."""
        try:
            super().finish()
        finally:
            self.server.app.store.release()

    def log_message(self, format: str, *args: object) -> None:
        """Silence per-request logging."""

    def _base_url(self) -> str:
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        return f"{self.server.scheme}://{host}/"

    def _read_chunked(self) -> bytes | None:
        """Read a ``Transfer-Encoding: chunked`` body; ``None`` once it exceeds the limit."""
        parts: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024)
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > MAX_REQUEST_BYTES:
                return None
            parts.append(self.rfile.read(size))
            self.rfile.readline(1024)  # CRLF after the chunk

    def _handle(self) -> None:
        too_large = error_response(CosmosError(413, "Request size is too large."))
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            try:
                chunked = self._read_chunked()
            except ValueError:
                self._send(
                    error_response(CosmosError(400, "Malformed chunked request body.")), close=True
                )
                return
            if chunked is None:
                self._send(too_large, close=True)
                return
            body = chunked
        else:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_REQUEST_BYTES:
                self._send(too_large, close=True)
                return
            body = self.rfile.read(length) if length > 0 else b""
        headers = Headers(list(self.headers.items()))
        try:
            response = handle_request(
                self.server.app, self.command, self.path, headers, body, self._base_url()
            )
        except DropConnection:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        activity = headers.get("x-ms-activity-id")
        if activity:
            response.headers.setdefault("x-ms-activity-id", activity)
        self._send(response)

    def _send(self, response: Response, close: bool = False) -> None:
        lines = [f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Status')}"]
        headers = {
            "Date": formatdate(usegmt=True),
            "Server": self.server_version,
            "Content-Type": "application/json",
            "x-ms-request-charge": f"{response.charge:.2f}",
        }
        headers.update(response.headers)
        headers["Content-Length"] = str(len(response.body))
        if close:
            headers["Connection"] = "close"
            self.close_connection = True
        lines.extend(f"{k}: {v}" for k, v in headers.items())
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + response.body
        self.wfile.write(payload)

    do_GET = _handle
    do_POST = _handle
    do_PUT = _handle
    do_PATCH = _handle
    do_DELETE = _handle


class EmulatorHTTPServer(ThreadingHTTPServer):
    """Threading HTTP server carrying the emulator state."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: App, scheme: str = "http") -> None:
        self.app = app
        self.scheme = scheme
        super().__init__(address, CosmosRequestHandler)


def make_server(app: App, host: str, port: int, scheme: str = "http") -> EmulatorHTTPServer:
    """Bind a server (port 0 picks a free port); call ``serve_forever()`` to run it."""
    return EmulatorHTTPServer((host, port), app, scheme)
