"""`EmulatorServer`: the local ARM emulator's public Python API, bound to loopback only.

It owns the state store, settings, request log, fault plan and read throttle, answers ARM requests, Resource Graph
queries included (record, delay, inject faults, check the bearer token, throttle reads when switched on, route) and
hands `/_emulator/...` requests to the control endpoints, which are neither recorded, delayed, faulted nor throttled.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from types import TracebackType
from urllib.parse import parse_qsl, unquote, urlsplit

from emulator import control
from emulator.config import DEFAULT_GRAPH_PAGE_SIZE, EmulatorConfig, Env, LroMode
from emulator.estate import Estate
from emulator.faults import FaultPlan, fault_reply, make_fault
from emulator.httpd import LoopbackHTTPServer
from emulator.protocol import ArmError, Call, Reply, error_reply
from emulator.requestlog import DROPPED, RequestLog, RequestRecord
from emulator.routes import dispatch
from emulator.store import Store
from emulator.throttle import (
    ARM_READ_BUCKET,
    ARM_READ_REFILL_PER_SECOND,
    REMAINING_READS_HEADER,
    ReadThrottle,
    ThrottleSettings,
)

CONTROL_PREFIX = "/_emulator"
_AUTH_CHALLENGE = (
    'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", '
    "error_description=\"The authentication failed because of missing 'Authorization' header.\""
)


def _loopback_host(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or address.version != 4 or not address.is_loopback:
        raise ValueError(f"EmulatorServer binds IPv4 loopback only (127.0.0.0/8 or localhost), got host {host!r}")
    return host


class EmulatorServer:
    """A local ARM endpoint serving `estate` over HTTP until `stop()`; usable as a context manager."""

    def __init__(
        self,
        estate: Estate,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        page_size: int = 100,
        graph_page_size: int = DEFAULT_GRAPH_PAGE_SIZE,
    ) -> None:
        self.estate = estate
        self._host = _loopback_host(host)
        self._requested_port = port
        self._defaults = EmulatorConfig(page_size=page_size, graph_page_size=graph_page_size)
        self.state = Store(estate)
        self.settings = EmulatorConfig(page_size=page_size)
        self.graph_page_size = graph_page_size
        self._env = Env(self.state, self.settings)
        self._log = RequestLog()
        self._faults = FaultPlan()
        self._throttle = ReadThrottle()
        self._httpd: LoopbackHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`; only valid after `start()`."""
        if self._httpd is None:
            raise RuntimeError("EmulatorServer is not started")
        return f"http://{self._host}:{self._httpd.server_address[1]}"

    def start(self) -> EmulatorServer:
        """Bind and serve in a background daemon thread."""
        if self._httpd is not None:
            raise RuntimeError("EmulatorServer is already started")
        self._httpd = LoopbackHTTPServer((self._host, self._requested_port), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="arm-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and release the port."""
        httpd, thread = self._httpd, self._thread
        self._httpd, self._thread = None, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the ARM request log, oldest first."""
        return self._log.records()

    @property
    def request_count(self) -> int:
        """How many ARM requests were answered (or dropped) since the last reset."""
        return len(self._log)

    def reset_requests(self) -> None:
        """Forget the request log."""
        self._log.clear()

    @property
    def page_size(self) -> int:
        """The largest page a list operation returns."""
        return self.settings.page_size

    @page_size.setter
    def page_size(self, value: int) -> None:
        if value < 1:
            raise ValueError(f"page_size must be at least 1, got {value}")
        self.settings.page_size = value

    @property
    def graph_page_size(self) -> int:
        """The largest page a Resource Graph query returns (1..1000; ARG's own maximum is 1000)."""
        return self.settings.graph_page_size

    @graph_page_size.setter
    def graph_page_size(self, value: int) -> None:
        if not 1 <= value <= DEFAULT_GRAPH_PAGE_SIZE:
            raise ValueError(f"graph_page_size must be 1..{DEFAULT_GRAPH_PAGE_SIZE}, got {value}")
        self.settings.graph_page_size = value

    def set_graph_enabled(self, enabled: bool) -> None:
        """Disabled, every Resource Graph query answers 403 AuthorizationFailed (the caller lacks ARG read)."""
        self.settings.graph_enabled = enabled

    def set_latency(self, ms: int) -> None:
        """Delay every ARM response by `ms` milliseconds."""
        if ms < 0:
            raise ValueError(f"latency must be >= 0 ms, got {ms}")
        self.settings.latency_ms = ms

    def add_fault(
        self,
        method: str | None,
        path_contains: str,
        *,
        status: int | None = None,
        retry_after: int | None = None,
        drop: bool = False,
        times: int = 1,
    ) -> None:
        """Make the next `times` matching ARM requests answer `status` (ARM error body) or drop the connection."""
        fault = make_fault(method, path_contains, status=status, retry_after=retry_after, drop=drop, times=times)
        self._faults.add(fault)

    def clear_faults(self) -> None:
        """Disarm every fault."""
        self._faults.clear()

    @property
    def throttling(self) -> ThrottleSettings:
        """Whether ARM's read throttling is on, with its bucket size and refill rate."""
        return self._throttle.settings

    def set_throttling(
        self, enabled: bool, *, bucket: int = ARM_READ_BUCKET, refill_per_second: float = ARM_READ_REFILL_PER_SECOND
    ) -> None:
        """Switch ARM's per-subscription read bucket on (ARM's 250 and 25 a second by default) or off; full buckets."""
        self._throttle.configure(ThrottleSettings(enabled, bucket, refill_per_second))

    def set_lro_mode(self, mode: LroMode | str, polls: int = 1, *, retry_after_ms: int | None = None) -> None:
        """Choose how onboarding PUTs answer ("200", "201", "202" or "fail") and how many polls they take."""
        if polls < 0:
            raise ValueError(f"polls must be >= 0, got {polls}")
        self.settings.lro_mode = LroMode(mode)
        self.settings.lro_polls = polls
        if retry_after_ms is not None:
            self.settings.lro_retry_after_ms = retry_after_ms

    def reset(self) -> None:
        """Restore the estate as loaded and default settings; clear the request log and faults; throttling off."""
        self.state.restore(self.estate)
        for name, value in self._defaults.__dict__.items():
            setattr(self.settings, name, value)
        self._faults.clear()
        self._throttle.configure(ThrottleSettings())
        self._log.clear()

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply | None:
        """Answer one HTTP request; None drops the connection."""
        split = urlsplit(target)
        if split.path == CONTROL_PREFIX or split.path.startswith(CONTROL_PREFIX + "/"):
            return control.handle(self, method, split.path[len(CONTROL_PREFIX) :], body)
        received = time.monotonic()
        call = self._parse(method, split.path, split.query, body)
        decoded = "/" + "/".join(call.segments)
        reply = self._answer(call, decoded, headers)
        record = RequestRecord(method, decoded, call.query, reply.status if reply else DROPPED, received)
        self._log.add(record)
        return reply

    def _parse(self, method: str, path: str, query: str, body: bytes) -> Call:
        stripped = path.strip("/")
        segments = tuple(unquote(part) for part in stripped.split("/")) if stripped else ()
        params = {key.lower(): value for key, value in parse_qsl(query, keep_blank_values=True)}
        return Call(method, path, segments, params, body, self.url)

    def _answer(self, call: Call, decoded_path: str, headers: Mapping[str, str]) -> Reply | None:
        if self.settings.latency_ms:
            time.sleep(self.settings.latency_ms / 1000)
        fault = self._faults.take(call.method, decoded_path)
        if fault is not None:
            return None if fault.drop else fault_reply(fault)
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            error = ArmError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                {"WWW-Authenticate": _AUTH_CHALLENGE},
            )
            return error_reply(error)
        try:
            remaining = self._throttle.take(call.method, call.segments)
        except ArmError as error:
            return error_reply(error)
        reply = dispatch(call, self._env)
        if remaining is None:
            return reply
        return replace(reply, headers={**reply.headers, REMAINING_READS_HEADER: str(remaining)})
