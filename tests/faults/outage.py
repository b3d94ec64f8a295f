"""A storage outage on demand: a loopback TCP proxy in front of Azurite that goes down (drops every open connection
and refuses new ones) after a chosen number of requests, and comes back on the same port with the data intact.

Stopping Azurite itself would lose its in-memory data; to the client, a proxy that is down is the same outage
(connection refused, or dropped mid-request). Requests are counted by their request lines as they pass.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from types import TracebackType

_REQUEST_LINE = re.compile(rb"(?:GET|POST|PUT|PATCH|DELETE|HEAD|MERGE|OPTIONS) \S+ HTTP/1\.1\r\n")


class Outage:
    def __init__(self, target_port: int) -> None:
        self._target = ("127.0.0.1", target_port)
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.port = 0
        self.requests = 0
        self._cut_at: int | None = None
        self.down = threading.Event()
        self.restore()

    def cut_after(self, requests: int) -> None:
        """Go down once ``requests`` more requests have started."""
        with self._lock:
            self._cut_at = self.requests + requests

    def cut(self) -> None:
        with self._lock:
            self._cut_locked()

    def restore(self) -> None:
        """Listen again on the same port."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener, self._cut_at = listener, None
            self.down.clear()
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self) -> None:
        self.cut()

    def __enter__(self) -> Outage:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _cut_locked(self) -> None:
        self.down.set()
        if self._listener is not None:
            _close(self._listener)  # shutdown first: a bare close leaves a thread blocked in accept() listening
            self._listener = None
        for sock in list(self._open):
            _close(sock)
        self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed: the outage began
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self.down.is_set():
                    _close(client)
                    _close(upstream)
                    return
                self._open.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, counting: bool) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if counting and data and self._count(len(_REQUEST_LINE.findall(data))):
                data = b""  # the outage begins before this request reaches the store
            if not data:
                _close(source)
                _close(sink)
                return
            try:
                sink.sendall(data)
            except OSError:
                _close(source)
                return

    def _count(self, started: int) -> bool:
        """Count requests that start; True when the outage begins with them."""
        with self._lock:
            self.requests += started
            if self._cut_at is not None and self.requests >= self._cut_at:
                self._cut_locked()
            return self.down.is_set()


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
