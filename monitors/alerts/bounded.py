"""Every sink's HTTP call gets an overall deadline and a cap on the response bytes it reads, whoever makes the call:
``http.post`` directly, or the Event Grid SDK through azure-core's requests transport.

A requests timeout bounds each socket operation, not the call: a receiver that drips a byte every few seconds holds a
delivery for as long as it likes, and the SDK reads a whole response body into memory. Inside ``bounded(...)``, the
connection a call uses registers itself; a timer shuts its socket down when the deadline passes (so a blocked read
ends at once, in the headers or the body), and the response body's reads stop with ``ResponseTooLarge`` once they pass
the cap.

The Event Grid client for basic topics drops every constructor option, its transport included, so the connections
cannot be given to it: ``install()`` makes them urllib3's default connection classes for the process instead. They
behave exactly as urllib3's own on any thread that is not inside ``bounded(...)`` (ARM, Tables, token requests).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ProtocolError
from urllib3.poolmanager import pool_classes_by_scheme
from urllib3.response import HTTPResponse

_CURRENT = threading.local()


class ResponseTooLarge(ProtocolError):
    """The response body passed the call's byte cap (a ProtocolError, so both HTTP stacks treat it as a broken
    response)."""


class Call:
    """One bounded call: whether its deadline passed or its response ran over the cap."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.read = 0
        self.expired = False
        self.too_large = False
        self._finished = False
        self._lock = threading.Lock()
        self._connection: HTTPConnection | None = None

    def attach(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connection = connection
            if self.expired:
                _shut(connection)

    def finish(self) -> bool:
        """The call's answer is read: the deadline can no longer cut it. False if it was cut before: a socket shut
        mid-headers can leave an answer that parses, so an expired call failed whatever its status said."""
        with self._lock:
            self._finished = True
            return not self.expired

    def expire(self) -> None:
        """The deadline passed: end whatever the connection is blocked on."""
        with self._lock:
            if self._finished:
                return
            self.expired = True
            if self._connection is not None:
                _shut(self._connection)

    def count(self, size: int) -> None:
        self.read += size
        if self.read > self.max_bytes:
            self.too_large = True
            raise ResponseTooLarge(f"response body over {self.max_bytes} bytes")


@contextmanager
def bounded(deadline_seconds: float, max_bytes: int) -> Iterator[Call]:
    """Run the HTTP calls of the block (on this thread) under one deadline and cap."""
    install()
    call = Call(max_bytes)
    timer = threading.Timer(deadline_seconds, call.expire)
    timer.daemon = True
    previous = getattr(_CURRENT, "call", None)
    _CURRENT.call = call
    timer.start()
    try:
        yield call
    finally:
        call.finish()
        timer.cancel()
        _CURRENT.call = previous


def install() -> None:
    """Make every urllib3 connection pool of the process use the bounded connections (idempotent)."""
    pool_classes_by_scheme.update({"http": _Pool, "https": _TlsPool})


class _CountingReader:
    """The socket file under an http.client response: reads never ask for more than one byte past the cap (a body
    sent as one 100 MB chunk is not read whole), and every byte read counts against it."""

    def __init__(self, raw: Any, call: Call) -> None:
        self._raw = raw
        self._call = call

    def read(self, size: int | None = -1) -> bytes:
        return self._counted(self._raw.read(self._limit(size)))

    def read1(self, size: int = -1) -> bytes:
        return self._counted(self._raw.read1(self._limit(size)))

    def readline(self, size: int | None = -1) -> bytes:
        return self._counted(self._raw.readline(self._limit(size)))

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        read: int = self._raw.readinto(view[: self._limit(len(view))])
        self._call.count(read)
        return read

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)

    def _limit(self, size: int | None) -> int:
        room = max(self._call.max_bytes - self._call.read, 0) + 1
        return room if size is None or size < 0 else min(size, room)

    def _counted(self, data: bytes) -> bytes:
        self._call.count(len(data))
        return data


class _Bounded:
    """Mixed into urllib3's connections: register with the current call, and count what its response body reads."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        call = getattr(_CURRENT, "call", None)
        if call is not None:
            call.attach(self)
        super().request(*args, **kwargs)  # type: ignore[misc]

    def getresponse(self) -> HTTPResponse:
        response: HTTPResponse = super().getresponse()  # type: ignore[misc]
        call = getattr(_CURRENT, "call", None)
        inner = getattr(response, "_fp", None)  # the http.client response; its .fp is the socket file
        if call is not None and inner is not None and getattr(inner, "fp", None) is not None:
            inner.fp = _CountingReader(inner.fp, call)
        return response


class _Connection(_Bounded, HTTPConnection):  # type: ignore[misc]
    pass


class _TlsConnection(_Bounded, HTTPSConnection):  # type: ignore[misc]
    pass


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TlsPool(HTTPSConnectionPool):
    ConnectionCls = _TlsConnection


def _shut(connection: HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)
