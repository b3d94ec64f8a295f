"""Fixtures for the approval pages in a real browser: headless Chromium (Selenium) on the Approve function, served as
the Functions host serves it behind a stand-in for App Service authentication (demo/approval_site.py), with the
approval tests' setup (tests/approval/conftest.py: the emulator, Azurite, a loopback receiver as Teams).

Without Chromium and chromedriver (/usr/bin/chromium, /usr/bin/chromedriver: apt-get install chromium
chromium-driver) the tests skip with that hint, except under TESTS_REQUIRE_BROWSER=1 (set by .ci/run), which turns
any skip in this directory into a failure: CI cannot go green without them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from demo.approval_site import ApprovalSite, browser_missing, chromium
from tests.approval.conftest import APPROVER, App

# The approval tests' fixtures, reused as they are (re-exported, so pytest finds them here too).
from tests.approval.conftest import app as app
from tests.approval.conftest import approve_env as approve_env
from tests.worker import decode_http

REQUIRE = "TESTS_REQUIRE_BROWSER"


def _fail_if_required(report: Any, what: str) -> None:
    if report.skipped and os.environ.get(REQUIRE) == "1":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"{REQUIRE}=1, yet {what} was skipped: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    if not hasattr(report, "wasxfail"):
        _fail_if_required(report, item.nodeid)
    return report


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module (a fresh profile, no outside connection)."""
    missing = browser_missing()
    if missing is not None:
        pytest.skip(f"no browser for the approval pages: {missing}")
    with chromium() as driver:
        yield driver


@pytest.fixture
def site(app: App, approve_env: pytest.MonkeyPatch) -> Iterator[ApprovalSite]:
    """The Approve function on a loopback port, decoded by the worker's converters, behind the Easy Auth stand-in
    with the approver signed in; the alerts' links point at it (set before the app's runtime is first built)."""
    approve = app.functions["Approve"].get_user_function()

    def invoke(method: str, url: str, headers: dict[str, str], body: bytes) -> Any:
        return approve(decode_http(method, url, headers=headers, body=body))

    with ApprovalSite(invoke, principal=APPROVER["x-ms-client-principal"]) as running:
        approve_env.setenv("MONITOR_APPROVAL_URL", running.approve_url)
        approve_env.setenv("WEBSITE_AUTH_ENABLED", "true")  # App Service authentication is on: its header is trusted
        yield running
