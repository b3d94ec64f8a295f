"""The Approve function on a loopback web server, served the way the Functions host serves it, behind a stand-in for
App Service authentication (Easy Auth); and a headless Chromium to look at it. For the browser tests and the demo.

Every request to ``/api/approve`` becomes the host's HTTP payload (method, the URL as the client addressed it, the
headers, the body) and goes to ``invoke``, which the caller supplies: the tests decode it with the worker's converters
(tests/worker.py), the demo builds ``func.HttpRequest`` itself. ``invoke`` calls function_app's Approve user function
and returns its ``func.HttpResponse``, which becomes the HTTP answer.

The Easy Auth stand-in does what App Service does in front of the app: it removes every ``X-MS-CLIENT-PRINCIPAL*``
header a client sent, and injects ``X-MS-CLIENT-PRINCIPAL`` for the signed-in user (``principal``, a value of
``monitors.approvers.encode``; None: nobody is signed in). ``/.auth/login/aad`` answers with a small page, so that the
function's redirect of a signed-out visitor lands somewhere a browser can show.

Loopback only: the server binds 127.0.0.1 on a free port, and the browser runs with every background connection off.
"""

from __future__ import annotations

import contextlib
import html
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from monitors.approvers import PRINCIPAL_HEADER

APPROVE_PATH = "/api/approve"
LOGIN_PATH = "/.auth/login/aad"
MAX_BODY = 64 * 1024
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL_HINT = "apt-get install chromium chromium-driver"
# No connection leaves the machine: no sync, no component or safe-browsing updates, no QUIC probes, no first-run pages.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--window-size=1100,900",
)

# (method, URL, headers, body) -> the function's func.HttpResponse (status_code, headers, get_body()).
Invoke = Callable[[str, str, dict[str, str], bytes], Any]


@dataclass(frozen=True)
class Served:
    """One request the site answered, as the client sent it (before Easy Auth): method, path and query, status."""

    method: str
    path: str
    status: int


class ApprovalSite:
    """``with ApprovalSite(invoke, principal=encode(...)) as site:`` serves ``site.approve_url`` in the block."""

    def __init__(self, invoke: Invoke, *, principal: str | None = None) -> None:
        self.invoke = invoke
        self.principal = principal  # the signed-in user's X-MS-CLIENT-PRINCIPAL; None: signed out
        self.served: list[Served] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.site = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="approval-site", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def approve_url(self) -> str:
        """What MONITOR_APPROVAL_URL must be for the alerts' links to reach this site."""
        return self.url + APPROVE_PATH

    def start(self) -> ApprovalSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> ApprovalSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def host_headers(self, client_headers: Mapping[str, str]) -> dict[str, str]:
        """The headers the app gets: the client's, less any principal it claimed, plus the signed-in user's."""
        headers = {k: v for k, v in client_headers.items() if not k.lower().startswith(PRINCIPAL_HEADER)}
        if self.principal is not None:
            headers["X-MS-CLIENT-PRINCIPAL"] = self.principal
        return headers


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: ApprovalSite


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the tests and the demo print what matters

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._answer(405, {"Allow": "GET, POST"}, b"")

    def _serve(self) -> None:
        path = urlsplit(self.path).path
        if path == LOGIN_PATH:
            self._answer(200, {"Content-Type": "text/html; charset=utf-8"}, _login_page(self.path))
            return
        if path != APPROVE_PATH:
            self._answer(404, {"Content-Type": "text/plain; charset=utf-8"}, b"Not found.")
            return
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            self._answer(413, {"Content-Type": "text/plain; charset=utf-8"}, b"Request body too large.")
            return
        body = self.rfile.read(length) if length else b""
        site = self.server.site
        client = {name: ", ".join(self.headers.get_all(name) or []) for name in dict.fromkeys(self.headers.keys())}
        # The host hands the function the URL as the client addressed it (scheme, Host header, path and query).
        url = f"http://{self.headers.get('host') or site.url.removeprefix('http://')}{self.path}"
        try:
            response = site.invoke(self.command, url, site.host_headers(client), body)
        except Exception as exc:  # the host answers 500 when the function raises
            self._answer(500, {"Content-Type": "text/plain; charset=utf-8"}, f"Function failed: {exc}".encode())
            return
        self._answer(int(response.status_code), dict(response.headers), bytes(response.get_body()))

    def _answer(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.server.site.served.append(Served(self.command, self.path, status))
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _login_page(path: str) -> bytes:
    back = (parse_qs(urlsplit(path).query).get("post_login_redirect_uri") or ["/"])[0]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head><body>'
        '<h1 id="login">Sign in to continue</h1>'
        "<p>App Service authentication (a local stand-in) would sign you in with Microsoft Entra ID here, then take"
        f' you back to <code id="back">{html.escape(back)}</code>.</p></body></html>'
    ).encode()


def browser_missing() -> str | None:
    """Why there is no browser to drive, with how to install one; None when Chromium and its driver are here."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        return f"{' and '.join(missing)} not found (install them: {INSTALL_HINT})"
    if _find_selenium() is None:
        return "the selenium package is not installed (pip install -r requirements-dev.txt)"
    return None


def _find_selenium() -> object | None:
    try:
        import selenium
    except ImportError:
        return None
    return selenium


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium under Selenium, on a fresh profile removed afterwards: never Selenium Manager,
    never a download, no background connections."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager, should anything call it, may not download
    profile = tempfile.mkdtemp(prefix="approval-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        driver.set_page_load_timeout(20)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def click_and_wait(driver: Any, element_id: str, timeout: float = 20) -> None:
    """Click the element with ``element_id`` (a form's submit button) and wait until the next page has loaded.

    The page is marked before the click and the wait is for a loaded document without the mark. Waiting for the
    button to go stale instead races the navigation: Chromium can answer "node does not belong to the document", a
    plain WebDriverException, while the old page is torn down (seen in CI)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    driver.execute_script("window.__approvalSiteBefore = true;")
    driver.find_element(By.ID, element_id).click()

    def next_page_loaded(d: Any) -> bool:
        script = "return window.__approvalSiteBefore !== true && document.readyState === 'complete';"
        return bool(d.execute_script(script))

    WebDriverWait(driver, timeout, ignored_exceptions=(WebDriverException,)).until(next_page_loaded)
