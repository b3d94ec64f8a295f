"""http.post: https only (http to loopback), no redirects, capped reads, DeliveryError for everything but a 2xx,
and never the URL in an error or a log line."""

from __future__ import annotations

import logging
import traceback

import pytest

from emulator.receiver import DROP, HANG, Flood, stop_receiver
from monitors.alerts import http
from monitors.alerts.http import Poster, parse_retry_after, post
from monitors.errors import DeliveryError
from monitors.urls import is_loopback
from tests.alerts.sockets import established_to, needs_proc

BODY = b'{"text": "hello"}'
JSON = {"content-type": "application/json"}


def test_accepted_post_reaches_the_receiver(receiver):
    post(receiver.url, BODY, JSON, sink="teams")

    seen = receiver.requests[0]
    assert (seen.method, seen.path, seen.body, seen.headers["content-type"]) == (
        "POST",
        "/hooks/XXSECRETXX",
        BODY,
        "application/json",
    )


@pytest.mark.parametrize(
    "status",
    [pytest.param(200, id="200"), pytest.param(202, id="202-teams-workflows"), pytest.param(204, id="204")],
)
def test_any_2xx_is_acceptance(receiver, status):
    receiver.answer((status, {}, b""))

    post(receiver.url, BODY, JSON, sink="teams")  # accepted: no DeliveryError


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://example.com/hook", id="http-to-internet"),
        pytest.param("http://10.0.0.4/hook", id="http-to-private-ip"),
        pytest.param("http://127.0.0.1.nip.io/hook", id="http-to-name-that-looks-loopback"),
        pytest.param("ftp://127.0.0.1/hook", id="ftp"),
        pytest.param("file:///etc/passwd", id="file"),
        pytest.param("https:///no-host", id="https-without-host"),
        pytest.param("http://127.0.0.1:99999/hook", id="bad-port"),
    ],
)
def test_refuses_urls_other_than_https_or_loopback_http(url):
    with pytest.raises(DeliveryError, match=r"^slack: refused: "):
        post(url, BODY, JSON, sink="slack")


def test_refused_url_never_connects(receiver):
    with pytest.raises(DeliveryError):
        post(receiver.url.replace("http://", "ftp://"), BODY, JSON, sink="slack")

    assert receiver.requests == []


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        pytest.param("127.0.0.1", True, id="ipv4"),
        pytest.param("127.8.9.10", True, id="ipv4-slash-8"),
        pytest.param("::1", True, id="ipv6"),
        pytest.param("LocalHost", True, id="localhost-any-case"),
        pytest.param("10.0.0.1", False, id="private"),
        pytest.param("localhost.example.com", False, id="lookalike"),
        pytest.param(None, False, id="none"),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_redirect_is_refused_not_followed(receiver):
    port = receiver.server.server_address[1]
    receiver.answer((302, {"Location": f"http://localhost:{port}/elsewhere"}, b""))

    with pytest.raises(DeliveryError, match=r"^webhook: HTTP 302: redirect refused$") as caught:
        post(receiver.url, BODY, JSON, sink="webhook")

    assert (caught.value.status_code, len(receiver.requests)) == (302, 1)


def test_429_carries_retry_after(receiver):
    receiver.answer((429, {"Retry-After": "3"}, b"rate_limited"))

    with pytest.raises(DeliveryError) as caught:
        post(receiver.url, BODY, JSON, sink="slack")

    assert (str(caught.value), caught.value.retry_after, caught.value.status_code) == (
        "slack: HTTP 429 (retry after 3 s): rate_limited",
        3.0,
        429,
    )


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        pytest.param("3", 3.0, id="delta-seconds"),
        pytest.param(" 120 ", 120.0, id="padded"),
        pytest.param("-5", 0.0, id="negative-clamped"),
        pytest.param("Wed, 21 Oct 2015 07:28:30 GMT", 30.0, id="http-date"),
        pytest.param("Wed, 21 Oct 2015 07:27:00 GMT", 0.0, id="http-date-past"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("nan", None, id="nan"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_parse_retry_after(value, seconds):
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT

    assert parse_retry_after(value, now) == seconds


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        pytest.param((500, {}, b""), "teams: HTTP 500", id="500"),
        pytest.param((503, {"Retry-After": "10"}, b""), "teams: HTTP 503 (retry after 10 s)", id="503-retry-after"),
        pytest.param((400, {}, b"invalid_blocks"), "teams: HTTP 400: invalid_blocks", id="400-error-token"),
        pytest.param((404, {}, b"see http://x/XXSECRETXX"), "teams: HTTP 404", id="404-body-with-url-not-echoed"),
        pytest.param(DROP, "teams: connection failed (ConnectionError)", id="dropped-connection"),
        pytest.param(HANG, "teams: no answer within 0.5 s", id="hang-past-timeout"),
    ],
)
def test_failures_raise_delivery_error(receiver, answer, message):
    receiver.answer(answer)

    with pytest.raises(DeliveryError) as caught:
        post(receiver.url, BODY, JSON, sink="teams", timeout=0.5)

    assert str(caught.value) == message


def test_connection_refused_raises_delivery_error(receiver):
    url = receiver.url
    stop_receiver(receiver)  # nothing listens on the port any more

    with pytest.raises(DeliveryError, match=r"^teams: connection failed \(ConnectionError\)$"):
        post(url, BODY, JSON, sink="teams", timeout=0.5)


def test_oversized_response_is_not_read_past_the_cap(receiver):
    flood = Flood(status=200, size=256 * 1024 * 1024)
    receiver.answer(flood)

    post(receiver.url, BODY, JSON, sink="webhook", max_response_bytes=65536)

    seen = receiver.requests[0]
    assert seen.done.wait(5) and seen.bytes_sent < flood.size // 8


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param((200, {}, b""), id="accepted"),
        pytest.param((302, {"Location": "https://elsewhere.example/XXSECRETXX"}, b""), id="redirect"),
        pytest.param((429, {"Retry-After": "1"}, b""), id="429"),
        pytest.param((500, {}, b"XXSECRETXX"), id="500"),
        pytest.param(DROP, id="dropped"),
        pytest.param(HANG, id="timeout"),
    ],
)
def test_url_never_appears_in_errors_or_logs(receiver, caplog, answer):
    caplog.set_level(logging.DEBUG)
    receiver.answer(answer)

    try:
        post(receiver.url, BODY, JSON, sink="slack", timeout=0.5)
        error = ""
    except DeliveryError as exc:
        error = "".join(traceback.format_exception(exc))

    assert "XXSECRETXX" not in error + caplog.text


def port_of(receiver) -> int:
    return int(receiver.server.server_address[1])


@needs_proc
def test_a_poster_keeps_one_connection_until_closed(receiver):
    poster = Poster()
    poster.post(receiver.url, BODY, JSON, sink="teams")
    poster.post(receiver.url, BODY, JSON, sink="teams")
    open_while_alive = established_to(port_of(receiver))
    poster.close()

    assert (len(receiver.requests), open_while_alive, established_to(port_of(receiver))) == (2, 1, 0)


@needs_proc
def test_the_one_shot_post_keeps_no_connection(receiver):
    post(receiver.url, BODY, JSON, sink="teams")

    assert (len(receiver.requests), established_to(port_of(receiver))) == (1, 0)


def test_the_urllib3_redaction_is_installed_once_whatever_the_number_of_posters():
    """Installed by the first poster, not at import (tests/test_architecture.py checks the import), and never twice."""
    Poster().close()
    Poster().close()

    for name in ("urllib3.connectionpool", "urllib3.util.retry"):
        redactors = [f for f in logging.getLogger(name).filters if isinstance(f, http._RedactPostedPaths)]
        assert len(redactors) == 1, name
