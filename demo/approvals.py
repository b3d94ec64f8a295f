"""``make demo``'s approval section: MONITOR_AUTO_ONBOARD=approve for one new API, decided by a person in a browser.

A new API appears and is not onboarded; its event's Teams alert carries signed Onboard and Exempt links. The
function app's Approve function serves those links on a loopback site behind a stand-in for App Service
authentication (``demo.approval_site``), as a signed-in approver. Headless Chromium opens the Onboard link (the
confirmation page, nothing changed yet; screenshot ``approval-confirm.png``) and clicks (the result page; screenshot
``approval-result.png``); the API collection now exists and the follow-up alert names the approver. Without Chromium
and its driver, the same flow runs over plain HTTP requests, and the demo says how to install them.

Locally the approved onboarding runs in place (``build_runtime(in_azure=False)``); in Azure it goes through the
onboarding queue.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import azure.functions as func

import function_app
from demo.approval_site import APPROVE_PATH, ApprovalSite, browser_missing, chromium, click_and_wait
from emulator import EmulatorServer
from emulator.receiver import Receiver
from monitors.approvers import encode
from monitors.events import parse_api_id
from monitors.model import WriteMode
from monitors.runtime import LazyRuntime, build_runtime
from monitors.settings import Settings

APPROVER = "dana.approver@contoso.example"
ROLE = "Defender.Approver"
SUB = "11111111-1111-1111-1111-111111111111"
RG, SERVICE, API = "rg-apis-prod", "apim-contoso-prod", "invoices"
API_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ApiManagement/service/{SERVICE}/apis/{API}"
CONFIRM_PNG, RESULT_PNG = "approval-confirm.png", "approval-result.png"
ONBOARD = "Onboard"


def _minutes_ago(minutes: int) -> str:
    """An Event Grid timestamp of this run, so that the time to protect ``status`` shows is this demo's."""
    at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def function_request(method: str, url: str, headers: dict[str, str], body: bytes) -> Any:
    """The ``func.HttpRequest`` the worker would build for one request (query parsed into params)."""
    params = dict(parse_qsl(urlsplit(url).query))
    return func.HttpRequest(method=method, url=url, headers=headers, params=params, route_params={}, body=body)


def invoke_approve(method: str, url: str, headers: dict[str, str], body: bytes) -> Any:
    """function_app's Approve user function, called as the host calls it."""
    return function_app.approve(function_request(method, url, headers, body))


@contextlib.contextmanager
def function_app_on(settings: Settings) -> Iterator[None]:
    """function_app's runtime built from ``settings`` (the demo's emulator, state and receivers), onboarding in place
    as a local run does; the app's own runtime is put back afterwards."""
    saved = function_app.RUNTIME
    function_app.RUNTIME = LazyRuntime(lambda: build_runtime(settings, in_azure=False))
    try:
        yield
    finally:
        function_app.RUNTIME.close()
        function_app.RUNTIME = saved


@dataclass
class Seen:
    """What a page showed: its heading and its text."""

    heading: str
    text: str


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.heading = ""
        self.token = ""
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in.append(tag)
        values = dict(attrs)
        if tag == "input" and values.get("name") == "t":
            self.token = values.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] in ("style", "title"):
            return
        if self._in and self._in[-1] == "h1" and not self.heading:
            self.heading = data.strip()
        if data.strip():
            self.parts.append(data.strip())


@dataclass
class HttpVisitor:
    """Plain HTTP requests where a browser would go: GET the link, then POST its form as the browser would."""

    origin: str
    token: str = ""
    clicking: str = "Posted the page's form (as its button would)"

    def open(self, url: str) -> Seen:
        return self._request("GET", url, b"", {})

    def confirm(self) -> Seen:
        body = urlencode({"t": self.token}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin}
        return self._request("POST", self.origin + APPROVE_PATH, body, headers)

    def screenshot(self, path: Path) -> None:
        pass

    def _request(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> Seen:
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.netloc, timeout=30)
        try:
            connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body, headers)
            html = connection.getresponse().read().decode("utf-8", "replace")
        finally:
            connection.close()
        parser = _Text()
        parser.feed(html)
        self.token = parser.token or self.token
        return Seen(parser.heading, " ".join(parser.parts))


@dataclass
class BrowserVisitor:
    """Headless Chromium: open the link, click the confirmation's button, save screenshots."""

    driver: Any
    clicking: str = "Clicked the button"

    def open(self, url: str) -> Seen:
        self.driver.get(url)
        return self._seen()

    def confirm(self) -> Seen:
        click_and_wait(self.driver, "confirm")
        return self._seen()

    def screenshot(self, path: Path) -> None:
        self.driver.save_screenshot(str(path))

    def _seen(self) -> Seen:
        from selenium.webdriver.common.by import By

        heading, body = (self.driver.find_element(By.TAG_NAME, tag).text for tag in ("h1", "body"))
        return Seen(heading, body)


@contextlib.contextmanager
def _visitor(site: ApprovalSite, say: Callable[[str], None]) -> Iterator[Any]:
    """Chromium where there is one; else plain HTTP, with one line saying why (and how to install it)."""
    missing = browser_missing()
    with contextlib.ExitStack() as stack:
        if missing is None:
            try:
                driver = stack.enter_context(chromium())
            except Exception as exc:  # a browser that is installed but cannot start (selenium's WebDriverException)
                missing = f"Chromium did not start ({str(exc).strip().splitlines()[0]})"
        if missing is not None:
            say(f"  No browser for the approval pages: {missing}; the same flow runs over plain HTTP, no screenshots.")
            yield HttpVisitor(site.url)
            return
        say("  Headless Chromium (Selenium, /usr/bin/chromium) opens the link from the Teams alert.")
        yield BrowserVisitor(driver)


def _card(request: Any) -> dict[str, Any]:
    content: dict[str, Any] = json.loads(request.body)["attachments"][0]["content"]
    return content


def _card_text(request: Any) -> str:
    """A Teams card's heading and first sentence."""
    texts = [block["text"] for block in _card(request)["body"] if block.get("text")]
    return " · ".join(texts[:2])


def _writes(server: EmulatorServer) -> list[str]:
    return [f"{r.method} {r.path}" for r in server.requests if r.method in ("PUT", "PATCH", "DELETE")]


def run_approvals(
    server: EmulatorServer, base: Settings, out: Path, teams: Receiver, say: Callable[[str], None]
) -> list[str]:
    """The approval section; returns why it did not show what it should (empty when it did)."""
    server.state.add_api(SUB, RG, SERVICE, {"name": API, "displayName": "Invoices API", "path": API})
    say(f"== 4. Approval links (MONITOR_AUTO_ONBOARD=approve): a new API, {API}, waits for a person")
    with ApprovalSite(invoke_approve, principal=encode(APPROVER, roles=[ROLE])) as site:
        settings = replace(
            base,
            auto_onboard=WriteMode.APPROVE,
            approval_url=site.approve_url,
            approval_keys=(secrets.token_bytes(32),),
            approvers=(f"role:{ROLE}",),
            easy_auth=True,  # App Service authentication is on in front of the app (WEBSITE_AUTH_ENABLED=true)
        )
        alerts = len(teams.requests)
        event = {"id": "evt-approve-1", "eventType": "Microsoft.Resources.ResourceWriteSuccess",
                 "topic": f"/subscriptions/{SUB}", "subject": API_ID, "dataVersion": "2",
                 "data": {"resourceUri": API_ID, "operationName": "Microsoft.ApiManagement/service/apis/write"},
                 "eventTime": _minutes_ago(2)}  # fmt: skip
        runtime = build_runtime(settings, in_azure=False)
        try:
            runtime.process_event(event)
        finally:
            runtime.close()
        if len(teams.requests) == alerts:
            return ["approval: the Teams receiver got no alert for the new API"]
        links = {a["title"]: a["url"] for a in _card(teams.requests[-1]).get("actions", [])}
        say(f"  Teams alert: {_card_text(teams.requests[-1])}")
        say(f"  Its links: {', '.join(links) or '(none)'}, to {site.approve_url}?t=<signed token>")
        if ONBOARD not in links:
            return ["approval: the Teams alert carried no Onboard link"]
        say(f"  The function app's Approve function serves them on {site.url} behind an Easy Auth stand-in;")
        say(f"  signed in as {APPROVER} (app role {ROLE}, listed in MONITOR_APPROVERS).")
        with function_app_on(settings), _visitor(site, say) as visitor:
            return _decide(server, out, teams, visitor, links[ONBOARD], say)


def _decide(
    server: EmulatorServer, out: Path, teams: Receiver, visitor: Any, link: str, say: Callable[[str], None]
) -> list[str]:
    problems: list[str] = []
    writes = len(_writes(server))
    confirm: Seen = visitor.open(link)
    visitor.screenshot(out / CONFIRM_PNG)
    changed = _writes(server)[writes:]
    says = "says" if "Nothing has changed yet" in confirm.text else "does not say"
    say(f'  GET {ONBOARD} link: page "{confirm.heading}" {says} "Nothing has changed yet"; ARM writes: {len(changed)}')
    if changed:
        problems.append(f"approval: opening the link wrote to ARM: {changed}")
    if "Nothing has changed yet" not in confirm.text or APPROVER not in confirm.text:
        return [*problems, f"approval: the link did not show its confirmation page: {confirm.text[:300]!r}"]
    alerts = len(teams.requests)
    result: Seen = visitor.confirm()
    visitor.screenshot(out / RESULT_PNG)
    done = _writes(server)[writes:]
    puts = [w for w in done if w.startswith("PUT") and "/apiCollections/" in w and w.lower().endswith(f"/{API}")]
    say(f'  {visitor.clicking}: page "{result.heading}"')
    say(f"  ARM writes since the link was opened: {'; '.join(done) or 'none'}")
    if result.heading != "Onboarded to Defender for APIs" or len(puts) != 1:
        problems.append(f"approval: onboarding did not happen once: page {result.text[:300]!r}; ARM writes {done}")
    now = function_app.RUNTIME.get().engine.assess_api(parse_api_id(API_ID))
    say(f"  {API} now: {now.status}/{now.reason}")
    follow = [_card_text(r) for r in teams.requests[alerts:]]
    for text in follow:
        say(f"  Follow-up Teams alert: {text}")
    if not any(f"approved by {APPROVER}" in text for text in follow):
        problems.append("approval: no follow-up alert names the approver")
    if isinstance(visitor, BrowserVisitor):
        say(f"  Screenshots of both pages: {out / CONFIRM_PNG}, {out / RESULT_PNG}")
    return problems
