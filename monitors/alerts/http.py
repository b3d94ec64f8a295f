"""One guarded HTTP POST for the webhook sinks: https only (http to loopback), no redirects, a capped response read,
and a ``DeliveryError`` for anything but a 2xx.

A ``Poster`` owns what the POSTs need: its ``requests.Session`` (connection pool), the redaction of the URLs it posts
to and the bounded reads; ``sink.build_sinks`` gives each webhook sink one, and closing the sink closes it. Nothing
here does I/O or touches logging at import.

Webhook URLs are secrets (Slack and Teams embed their key in the path or query), so no message, log line or exception
chain raised here carries the URL: errors name the sink, the status and the exception class, and urllib3's DEBUG log
lines have the paths we post to redacted.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import math
import re
import threading
import time
from collections.abc import Mapping
from urllib.parse import quote, unquote, urlsplit

import requests

from monitors.alerts.bounded import bounded
from monitors.errors import DeliveryError
from monitors.urls import url_problem

log = logging.getLogger(__name__)

USER_AGENT = "apim-defender-monitor"
_URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry")
# A short error token in a refusal body is worth showing (Slack answers "invalid_blocks", "channel_is_archived");
# anything with ':' or '/' could echo a URL, so it is left out.
_ERROR_TOKEN = re.compile(r"[A-Za-z0-9_.\- ]{1,80}")


class _RedactPostedPaths(logging.Filter):
    """urllib3 logs every request's path and query at DEBUG ('"POST /services/T0/B0/secret HTTP/1.1" 200');
    for webhooks those are the secret, so records that mention a path we posted to get it replaced."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._paths: set[str] = set()

    def remember(self, url: str) -> None:
        """Remember the path and query we post to, in every spelling a log line may carry: as configured, as requests
        sends it (percent-encoded), and decoded."""
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        sent = requests.Request("POST", url).prepare().path_url
        spellings = {path, sent, unquote(path), unquote(sent), quote(unquote(path), safe="/?&=")}
        with self._lock:
            self._paths.update(s for s in spellings if len(s) > 1)

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            paths = sorted(self._paths, key=len, reverse=True)
        message = record.getMessage()
        hits = [p for p in paths if p in message]
        if hits:
            for path in hits:
                message = message.replace(path, "/<redacted>")
            record.msg, record.args = message, ()
        return True


_REDACTOR: _RedactPostedPaths | None = None
_REDACTOR_LOCK = threading.Lock()


def _installed_redactor() -> _RedactPostedPaths:
    """The process's one redacting filter on urllib3's loggers, installed by the first ``Poster`` (idempotent).

    The filter exists because urllib3 logs each request's path and query, which for a webhook are its secret, and
    loggers are process-wide, so it is too. It is installed when a poster is created, not at import, so that importing
    this module changes no logging state; and it stays installed once a poster has existed, so it is in force whenever
    a poster is alive (and for any record a connection logs after its poster closed).
    """
    global _REDACTOR
    with _REDACTOR_LOCK:
        if _REDACTOR is None:
            _REDACTOR = _RedactPostedPaths()
            for name in _URLLIB3_LOGGERS:
                logging.getLogger(name).addFilter(_REDACTOR)
        return _REDACTOR


class Poster:
    """Guarded POSTs over one ``requests.Session``: the connections it keeps open are closed by ``close``."""

    def __init__(self) -> None:
        self._redactor = _installed_redactor()  # before the session can send, and so log, anything
        self._session = requests.Session()

    def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        sink: str,
        timeout: float = 10.0,
        max_response_bytes: int = 65536,
    ) -> None:
        """POST ``body`` and return only when the receiver answered 2xx, within ``timeout`` seconds overall (not per
        read: a receiver dripping its answer is cut off), reading at most ``max_response_bytes`` of the answer.

        Raises:
            DeliveryError: refused URL, redirect, non-2xx status (with ``retry_after`` on 429/503), the deadline, or a
                broken connection. The message names ``sink`` and never the URL.
        """
        _check_url(url, sink)
        self._redactor.remember(url)
        started = time.monotonic()
        # The connection's own cap is a backstop with room to spare: _read_capped stops at max_response_bytes exactly.
        with bounded(timeout, 2 * max_response_bytes + 65536) as call:
            try:
                response = self._session.post(
                    url,
                    data=body,
                    headers={"user-agent": USER_AGENT, **headers},
                    timeout=timeout,
                    allow_redirects=False,
                    stream=True,
                )
                try:
                    content = _read_capped(response, max_response_bytes)
                finally:
                    response.close()
            except requests.RequestException as exc:
                if call.expired or isinstance(exc, requests.Timeout):
                    raise DeliveryError(f"{sink}: no answer within {timeout:g} s") from None
                raise DeliveryError(f"{sink}: connection failed ({type(exc).__name__})") from None
            if not call.finish():
                raise DeliveryError(f"{sink}: no answer within {timeout:g} s")
        status = response.status_code
        log.debug("sink %s: HTTP %d in %.0f ms", sink, status, (time.monotonic() - started) * 1000)
        if not 200 <= status < 300:
            raise refusal(sink, status, response.headers.get("retry-after"), _error_token(content, url))

    def close(self) -> None:
        """Close the session's pooled connections (idempotent)."""
        self._session.close()

    def __enter__(self) -> Poster:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    sink: str,
    timeout: float = 10.0,
    max_response_bytes: int = 65536,
) -> None:
    """One ``Poster.post`` on a poster of its own, closed afterwards (no connection is kept): for a single delivery
    outside a sink. Same arguments, same guarantees, same errors."""
    with Poster() as poster:
        poster.post(url, body, headers, sink=sink, timeout=timeout, max_response_bytes=max_response_bytes)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110 §10.2.3); None if absent
    or unreadable."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return _retry_after_date(value, now)
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _retry_after_date(value: str, now: float) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(when.timestamp() - now, 0.0)


def _check_url(url: str, sink: str) -> None:
    """The settings' URL rule once more at delivery: a URL that reached a sink another way is held to it too."""
    problem = url_problem(url, http_to_loopback=True)
    if problem:
        raise DeliveryError(f"{sink}: refused: the URL {problem}")


def _read_capped(response: requests.Response, cap: int) -> bytes:
    """Read at most ``cap`` bytes of the body; closing the response afterwards drops the rest unread."""
    chunks: list[bytes] = []
    total = 0
    if cap <= 0:
        return b""
    for chunk in response.iter_content(chunk_size=min(cap, 16384)):
        taken = chunk[: cap - total]
        chunks.append(taken)
        total += len(taken)
        if total >= cap:
            break
    return b"".join(chunks)


def refusal(sink: str, status: int, retry_after_header: str | None, detail: str = "") -> DeliveryError:
    """The DeliveryError for a non-2xx answer: names the sink and the status, with Retry-After on 429 and 503."""
    if 300 <= status < 400:
        return DeliveryError(f"{sink}: HTTP {status}: redirect refused", status_code=status)
    retry_after = parse_retry_after(retry_after_header, time.time()) if status in (429, 503) else None
    hint = f" (retry after {math.ceil(retry_after)} s)" if retry_after is not None else ""
    suffix = f": {detail}" if detail else ""
    return DeliveryError(f"{sink}: HTTP {status}{hint}{suffix}", retry_after=retry_after, status_code=status)


def _error_token(content: bytes, url: str) -> str:
    """A short error word from a refusal body, or "" when the body is anything else or echoes part of the URL."""
    token = content.decode("utf-8", "replace").strip()
    return token if _ERROR_TOKEN.fullmatch(token) and token not in url else ""
