"""A loopback HTTP receiver standing in for Teams, Slack and webhook endpoints, for the tests and the demo.

It records every request and answers from a programmable queue.

Each queued answer is one of: a ``(status, headers, body)`` tuple; ``DROP`` (close the connection without
answering); ``HANG`` (answer nothing until the test ends, so the client times out); ``Flood(status, size)``
(stream ``size`` bytes of body and record how many actually left before the client hung up); or ``Drip(...)`` (a
byte at a time, each well within a client's read timeout, in the headers or the body). With an empty queue the
receiver answers ``200`` with an empty body.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

DROP: Literal["drop"] = "drop"
HANG: Literal["hang"] = "hang"
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Flood:
    """An answer whose body is ``size`` filler bytes, written in chunks until the client stops reading."""

    status: int = 200
    size: int = 256 * 1024 * 1024


@dataclass(frozen=True)
class Drip:
    """An answer that trickles: one byte every ``interval`` seconds, ``size`` bytes in all, in the ``headers`` (one
    endless header line) or the ``body``; the bytes that left are recorded until the client hangs up."""

    phase: Literal["headers", "body"] = "body"
    interval: float = 0.1
    size: int = 10_000


Answer = tuple[int, dict[str, str], bytes] | Literal["drop", "hang"] | Flood | Drip


@dataclass
class Request:
    """One request as the receiver saw it (header names lower-cased); ``bytes_sent`` counts the body bytes a
    ``Flood`` answer got out, and ``done`` is set once the answer is over."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    bytes_sent: int = 0
    done: threading.Event = field(default_factory=threading.Event)


@dataclass
class Receiver:
    """A running loopback server: ``url`` (ends in a fake secret path), ``requests`` seen, ``answer()`` to program."""

    server: ThreadingHTTPServer
    stop: threading.Event
    answers: deque[Answer] = field(default_factory=deque)
    requests: list[Request] = field(default_factory=list)
    secret_path: str = "/hooks/XXSECRETXX"  # noqa: S105 - a fake secret, so tests can prove URLs never leak

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        return self.base_url + self.secret_path

    def answer(self, *answers: Answer) -> None:
        self.answers.extend(answers)

    def answer_all(self, answers: Iterable[Answer]) -> None:
        self.answers.extend(answers)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet

    def _handle(self) -> None:
        record: Request | None = None
        try:
            record = self._answer()
        finally:
            if record is not None:
                record.done.set()

    def _answer(self) -> Request:
        receiver = self.server.receiver
        length = int(self.headers.get("content-length") or 0)
        headers = {name.lower(): value for name, value in self.headers.items()}
        record = Request(self.command, self.path, headers, self.rfile.read(length))
        receiver.requests.append(record)
        answer = receiver.answers.popleft() if receiver.answers else (200, {}, b"")
        if answer == DROP:
            self.close_connection = True
            return record
        if answer == HANG:
            receiver.stop.wait(10)
            self.close_connection = True
            return record
        if isinstance(answer, Flood):
            self._flood(answer, record)
            return record
        if isinstance(answer, Drip):
            self._drip(answer, record)
            return record
        assert isinstance(answer, tuple)
        status, headers, body = answer
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return record

    def _flood(self, answer: Flood, record: Request) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Length", str(answer.size))
        self.end_headers()
        chunk = b"x" * _CHUNK
        try:
            while record.bytes_sent < answer.size:
                self.wfile.write(chunk)
                record.bytes_sent += len(chunk)
        except OSError:
            pass  # the client hung up: exactly what the test wants to see
        self.close_connection = True

    def _drip(self, answer: Drip, record: Request) -> None:
        head = b"HTTP/1.1 200 OK\r\n"
        if answer.phase == "body":
            head += f"Content-Length: {answer.size}\r\n\r\n".encode()
        else:
            head += b"X-Slow: "
        try:
            self.wfile.write(head)
            self.wfile.flush()
            while record.bytes_sent < answer.size and not self.server.receiver.stop.is_set():
                self.wfile.write(b"x")
                self.wfile.flush()
                record.bytes_sent += 1
                self.server.receiver.stop.wait(answer.interval)
        except OSError:
            pass  # the client hung up
        self.close_connection = True

    do_POST = _handle
    do_GET = _handle
    do_PUT = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    receiver: Receiver


def start_receiver() -> Receiver:
    """Start a receiver on a free loopback port; call ``stop_receiver`` when done."""
    server = _Server(("127.0.0.1", 0), _Handler)
    receiver = Receiver(server=server, stop=threading.Event())
    server.receiver = receiver
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    return receiver


def stop_receiver(receiver: Receiver) -> None:
    receiver.stop.set()
    receiver.server.shutdown()
    receiver.server.server_close()
