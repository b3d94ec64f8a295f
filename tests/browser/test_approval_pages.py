"""The approval pages in a real browser (issue 12): headless Chromium opens the links a Teams alert carries, reads the
confirmation page, clicks its button and reads the result, while the emulator's request log shows what reached ARM.

Each test asserts on what the page shows and on the ARM writes (PUT, PATCH, DELETE): a GET never writes; a click
acts once; a bad, expired, reused or foreign link, a user without the approver role and a second concurrent click
change nothing. The browser posts the form with its own Origin and Fetch metadata, which no hand-built request shows
(under the pages' former Referrer-Policy: no-referrer, Chromium sent Origin: null and every click was refused).
"""

from __future__ import annotations

import datetime as dt
import http.client
import threading
from typing import Any
from urllib.parse import urlencode, urlsplit

from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.common.by import By

from demo.approval_site import ApprovalSite, click_and_wait
from emulator.receiver import Receiver
from monitors.approval_token import ApprovalToken, Decision, sign
from tests.approval.conftest import APPROVER, KEY, STRANGER, SVC, App, card_links, card_texts, token_of
from tests.approval.test_approve_function import decisions

ANA, EVE = "ana@contoso.example", "eve@contoso.example"
ONBOARD, EXEMPT = "Onboard", "Exempt for 30 days"
LOSER = ("This link is in use", "This link has already been used")  # the other click: still acting, or done


def alert_links(app: App, receiver: Receiver) -> dict[str, str]:
    """The links of the Teams card an event about the not-onboarded API 'orders' makes."""
    app.event("orders")
    links = card_links(receiver)
    assert {ONBOARD, EXEMPT} <= set(links), links
    return links


def shown(browser: Any) -> tuple[str, str]:
    """The page's heading and its whole visible text."""
    return browser.find_element(By.TAG_NAME, "h1").text, browser.find_element(By.TAG_NAME, "body").text


def has_button(browser: Any) -> bool:
    try:
        browser.find_element(By.ID, "confirm")
    except NoSuchElementException:
        return False
    return True


def writes(app: App) -> list[str]:
    """Every ARM write the emulator answered."""
    return [f"{r.method} {r.path}" for r in app.arm.requests if r.method in ("PUT", "PATCH", "DELETE")]


def fetch(
    site: ApprovalSite, method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    """One request without a browser (a link unfurler, a script): status, headers, body."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(urlsplit(site.url).netloc, timeout=30)
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body, headers or {})
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read().decode()
    finally:
        connection.close()


def post_form(site: ApprovalSite, token: str, **headers: str) -> tuple[int, dict[str, str], str]:
    form = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    return fetch(site, "POST", site.approve_url, urlencode({"t": token}).encode(), form)


def test_onboard_link_confirms_then_onboards_once(
    app: App, receiver: Receiver, site: ApprovalSite, browser: Any
) -> None:
    links = alert_links(app, receiver)
    browser.get(links[ONBOARD])
    heading, text = shown(browser)
    assert heading == "Onboard to Defender for APIs?"
    assert "orders" in text and "apim-prod" in text and "Nothing has changed yet" in text and ANA in text, text
    assert writes(app) == [] and app.run_onboard_worker() == 0

    click_and_wait(browser, "confirm")
    heading, text = shown(browser)
    assert heading == "Onboarding approved", text
    assert f"Approved by {ANA}" in text
    assert app.run_onboard_worker() == 1
    [put] = app.collection_puts()
    assert put.endswith("/service/apim-prod/providers/Microsoft.Security/apiCollections/orders")
    assert any(f"onboarded to Defender for APIs, approved by {ANA}" in t for t in card_texts(receiver))


def test_exempt_link_writes_the_tag_once(app: App, receiver: Receiver, site: ApprovalSite, browser: Any) -> None:
    browser.get(alert_links(app, receiver)[EXEMPT])
    heading, text = shown(browser)
    assert heading.startswith("Exempt ") and heading.endswith(" for 30 days?"), heading
    assert "orders" in text and "Nothing has changed yet" in text and ANA in text, text
    assert writes(app) == []

    click_and_wait(browser, "confirm")
    heading, text = shown(browser)
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).date().isoformat()
    assert heading == "Exempted" and f"exempt until {until}" in text and ANA in text, text
    [tag] = app.tag_writes()
    assert tag.endswith("/service/apim-prod/providers/Microsoft.Resources/tags/default")
    assert writes(app) == [f"PATCH {tag}"] and app.run_onboard_worker() == 0


def test_a_tampered_link_shows_why_and_offers_nothing(
    app: App, receiver: Receiver, site: ApprovalSite, browser: Any
) -> None:
    url = alert_links(app, receiver)[ONBOARD]
    kid, payload, signature = token_of(url).split(".")
    edited = f"{kid}.{payload[:-2]}{'AA' if payload[-2:] != 'AA' else 'BB'}.{signature}"
    browser.get(url.replace(token_of(url), edited))
    heading, _ = shown(browser)
    assert heading == "This approval link has been altered" and not has_button(browser)
    status, _, page = post_form(site, edited, Origin=site.url)
    assert status == 410 and "has been altered" in page
    assert writes(app) == [] and app.run_onboard_worker() == 0


def test_an_expired_link_shows_why_and_offers_nothing(app: App, site: ApprovalSite, browser: Any) -> None:
    past = int((dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).timestamp())
    token = sign(ApprovalToken(Decision.ONBOARD, f"{SVC}/apis/orders", past, "n-expired", "0" * 16), KEY.encode())
    browser.get(f"{site.approve_url}?t={token}")
    heading, _ = shown(browser)
    assert heading == "This approval link has expired" and not has_button(browser)
    assert writes(app) == [] and app.run_onboard_worker() == 0


def test_a_used_link_cannot_act_again_after_back_or_reload(
    app: App, receiver: Receiver, site: ApprovalSite, browser: Any, storage: Any
) -> None:
    link = alert_links(app, receiver)[ONBOARD]
    browser.get(link)
    click_and_wait(browser, "confirm")
    assert shown(browser)[0] == "Onboarding approved"

    browser.back()  # the confirmation is no-store: going back asks the function again
    heading, text = shown(browser)
    if has_button(browser):  # a browser that kept the old page: its button now meets a spent link
        click_and_wait(browser, "confirm")
        heading, text = shown(browser)
    assert heading == "This link has already been used" and f"{ANA} used it" in text, text
    browser.refresh()
    heading, _ = shown(browser)
    assert heading == "This link has already been used" and not has_button(browser)
    status, _, page = post_form(site, token_of(link), Origin=site.url)  # the form's POST, replayed
    assert status == 409 and "already been used" in page
    assert app.run_onboard_worker() == 1 and len(app.collection_puts()) == 1
    assert [d.result for d in decisions(storage)] == ["queued"]


def test_opening_a_link_never_acts(
    app: App, receiver: Receiver, site: ApprovalSite, browser: Any, storage: Any
) -> None:
    link = alert_links(app, receiver)[ONBOARD]
    for _ in range(3):
        browser.get(link)
        heading, text = shown(browser)
        assert heading == "Onboard to Defender for APIs?" and "Nothing has changed yet" in text
    unfurler = {"User-Agent": "Mozilla/5.0 (compatible; Slackbot-LinkExpanding 1.0)", "Accept": "text/html"}
    status, _, page = fetch(site, "GET", link, headers=unfurler)  # signed in: still only the confirmation
    assert status == 200 and "Nothing has changed yet" in page
    site.principal = None
    status, headers, _ = fetch(site, "GET", link, headers=unfurler)  # signed out, as an unfurler is: sign in first
    assert status == 302 and headers["Location"].startswith("/.auth/login/aad?")
    assert writes(app) == [] and app.run_onboard_worker() == 0 and decisions(storage) == []

    site.principal = APPROVER["x-ms-client-principal"]
    browser.get(link)  # and the link still works afterwards
    assert has_button(browser)


def test_a_user_without_the_approver_role_is_refused_by_name(
    app: App, receiver: Receiver, site: ApprovalSite, browser: Any
) -> None:
    link = alert_links(app, receiver)[ONBOARD]
    site.principal = STRANGER["x-ms-client-principal"]
    browser.get(link)
    heading, text = shown(browser)
    assert heading == "You may not approve this" and EVE in text and not has_button(browser), text
    status, _, page = post_form(site, token_of(link), Origin=site.url)
    assert status == 403 and EVE in page
    assert writes(app) == [] and app.run_onboard_worker() == 0


def test_signed_out_the_link_goes_to_sign_in_and_a_forged_principal_is_stripped(
    app: App, receiver: Receiver, site: ApprovalSite, browser: Any
) -> None:
    link = alert_links(app, receiver)[ONBOARD]
    site.principal = None
    browser.get(link)
    assert urlsplit(browser.current_url).path == "/.auth/login/aad"
    assert shown(browser)[0] == "Sign in to continue"
    assert browser.find_element(By.ID, "back").text == urlsplit(link).path + "?" + urlsplit(link).query
    # A client that sends App Service authentication's header itself: the platform removes it.
    status, _, page = post_form(site, token_of(link), **{"X-MS-CLIENT-PRINCIPAL": APPROVER["x-ms-client-principal"]})
    assert status == 401 and "Sign in first" in page
    assert writes(app) == [] and app.run_onboard_worker() == 0


def test_two_clicks_at_the_same_moment_act_once(
    app: App, receiver: Receiver, site: ApprovalSite, browser: Any, storage: Any
) -> None:
    link = alert_links(app, receiver)[ONBOARD]
    browser.get(link)
    assert has_button(browser)
    # The browser's POST and a direct one reach the function together: each waits at the gate for the other.
    gate = threading.Barrier(2, timeout=20)
    invoke = site.invoke

    def together(method: str, url: str, headers: dict[str, str], body: bytes) -> Any:
        if method == "POST":
            gate.wait()
        return invoke(method, url, headers, body)

    site.invoke = together
    direct: list[tuple[int, dict[str, str], str]] = []
    other = threading.Thread(target=lambda: direct.append(post_form(site, token_of(link), Origin=site.url)))
    other.start()
    click_and_wait(browser, "confirm")
    other.join(30)
    heading, _ = shown(browser)
    [(status, _, page)] = direct
    browser_won = heading == "Onboarding approved"
    assert browser_won or heading in LOSER, heading
    assert (status, browser_won) in ((409, True), (202, False)), (status, heading)
    assert "Onboarding approved" in page if status == 202 else any(title in page for title in LOSER), page
    assert app.run_onboard_worker() == 1 and len(app.collection_puts()) == 1
    assert [d.result for d in decisions(storage)] == ["queued"]
