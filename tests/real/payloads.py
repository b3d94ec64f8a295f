"""Helpers for the tests on payloads published by Microsoft (tests/data/real, see its MANIFEST.json).

The files stay byte for byte as published; placeholders such as ``{subscription-id}`` are replaced here, in memory.
``replay`` is a loopback HTTP server that answers an ARM example's request path with the example's response, so the
real SDK clients parse the published bodies exactly as they would parse ARM's.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.conftest import PROD

REAL = Path(__file__).parent.parent / "data" / "real"
ARM = "https://management.azure.com"

# Placeholders of the published event samples, mapped onto the seeded estate (tests/data/estate.json).
EVENT_PLACEHOLDERS = {
    "{subscription-id}": PROD,
    "{your-rg}": "rg-apis",
    "{resource-group}": "rg-apis",
    "{your-APIM-instance}": "apim-prod",
    "{gateway-name}": "gw1",
}


def real_text(name: str) -> str:
    """A stored payload exactly as published."""
    return (REAL / name).read_bytes().decode("utf-8")


def real_json(name: str) -> Any:
    return json.loads(real_text(name))


def with_estate_ids(text: str) -> str:
    """The payload with its placeholders replaced by the ids of the emulator's seeded estate."""
    for placeholder, value in EVENT_PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    return text


def manifest() -> list[dict[str, Any]]:
    return list(real_json("MANIFEST.json")["files"])


def manifest_files(kind: str) -> list[str]:
    return sorted(entry["file"] for entry in manifest() if entry["kind"] == kind)


def file_of(values: Sequence[object]) -> str:
    """The payload file a ``pytest.param`` row of a test table names first (its ``values[0]``)."""
    name = values[0]
    assert isinstance(name, str), name
    return name


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ReplayServer:
    """Answers registered (method, path) pairs; anything else gets ARM's 404. Records every request it sees."""

    url: str = ""
    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)

    def answer(self, method: str, path: str, status: int, body: Any = None, headers: dict[str, str] | None = None):
        self.answers[(method, path.lower())] = Answer(status, body, headers or {})

    def answer_example(self, method: str, path: str, example: str, status: str = "200") -> None:
        """Answer with one response of an ARM example file; ARM's own URLs in its headers point back here."""
        response = real_json(example)["responses"][status]
        headers = {name: value.replace(ARM, self.url) for name, value in (response.get("headers") or {}).items()}
        self.answer(method, path, int(status), response.get("body"), headers)

    def paths(self, method: str) -> list[str]:
        return [path for seen_method, path in self.requests if seen_method == method]


def _handler(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            path = unquote(urlsplit(self.path).path)
            server.requests.append((self.command, path))
            found = server.answers.get((self.command, path.lower()))
            if found is None:
                error = {"code": "NotFound", "message": f"no replayed answer for {self.command} {path}"}
                found = Answer(404, {"error": error})
            payload = b"" if found.body is None else json.dumps(found.body).encode()
            self.send_response(found.status)
            for name, value in found.headers.items():
                self.send_header(name, value)
            if found.body is not None:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_PUT = do_DELETE = do_POST = do_HEAD = _reply

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def start_replay() -> tuple[ReplayServer, ThreadingHTTPServer, threading.Thread]:
    """Serve a new ReplayServer on a free loopback port, in a thread."""
    state = ReplayServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    return state, httpd, thread
