"""The socket side: a loopback `ThreadingHTTPServer` speaking HTTP/1.1 keep-alive and a handler that only moves bytes.

The handler parses the request line, headers and body, asks the owning application for a `Reply` (or None to drop
the connection without answering) and writes it with an exact Content-Length, so the Azure SDK can reuse connections.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from emulator.protocol import Reply, error_body

_NO_BODY_STATUSES = frozenset({204, 304})


class Application(Protocol):
    """What the HTTP layer needs from the emulator."""

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply | None:
        """Answer one request; None means close the connection without any response."""
        ...


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that tracks open connections so that `close_connections` can end idle keep-alives."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: Application) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Shut down every open client connection (their handler threads then finish)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                continue


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: LoopbackHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length_header = self.headers.get("Content-Length") or "0"
        if not length_header.isdigit():
            self._send(Reply(400, error_body("InvalidContentLength", "Content-Length must be a number.")))
            self.close_connection = True
            return
        length = int(length_header)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            reply = self.server.app.handle(self.command, self.path, headers, body)
        except Exception as exc:  # a server must answer: the 500 carries the emulator bug to the client
            reply = Reply(500, error_body("InternalServerError", f"Emulator error: {exc!r}"))
        if reply is None:
            self.close_connection = True
            return
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        payload = b"" if reply.body is None else json.dumps(reply.body).encode("utf-8")
        self.send_response(reply.status)
        if reply.body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        if reply.status not in _NO_BODY_STATUSES:
            self.send_header("Content-Length", str(len(payload)))
        request_id = str(uuid.uuid4())
        self.send_header("x-ms-request-id", request_id)
        self.send_header("x-ms-correlation-request-id", request_id)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload and self.command != "HEAD" and reply.status not in _NO_BODY_STATUSES:
            self.wfile.write(payload)
