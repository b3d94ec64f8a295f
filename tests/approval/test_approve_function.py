"""MONITOR_AUTO_ONBOARD=approve end to end through the function app as the host calls it: the event's alert carries
signed links; the Approve function's GET only confirms; its POST acts once, as an approver; the outcome is announced
and kept in the audit trail."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import function_app
from emulator.receiver import Receiver, start_receiver, stop_receiver
from monitors.approval_token import ApprovalToken, Decision, sign
from monitors.cli import main
from monitors.settings import load_settings
from monitors.state import open_store
from tests.approval.conftest import (
    APPROVE_URL,
    APPROVER,
    KEY,
    STRANGER,
    SVC,
    App,
    card_links,
    card_texts,
    token_of,
)
from tests.worker import run_concurrently


def alert_links(app: App, receiver: Receiver, api: str = "orders") -> dict[str, str]:
    app.event(api)
    links = card_links(receiver)
    assert {"Onboard", "Exempt for 30 days"} <= set(links), links
    return links


def page(response: Any) -> str:
    return response.get_body().decode()


def decisions(storage: Any) -> list[Any]:
    store = open_store(f"tables:{storage.connection_string}", default_sqlite_path="unused")
    try:
        return store.decisions()
    finally:
        store.close()


def test_alert_links_confirm_on_get_and_onboard_once_on_post(app: App, receiver: Receiver, storage: Any) -> None:
    links = alert_links(app, receiver)
    assert "Waiting for an approver to onboard or exempt it" in card_texts(receiver)
    requests_before = len(app.arm.requests)

    confirm = app.get(links["Onboard"], APPROVER)
    assert confirm.status_code == 200
    assert 'method="post"' in page(confirm) and "Nothing has changed yet" in page(confirm)
    assert app.collection_puts() == [] and app.run_onboard_worker() == 0
    assert all(r.method == "GET" for r in app.arm.requests[requests_before:])

    done = app.post(token_of(links["Onboard"]), APPROVER, origin="http://127.0.0.1:7071")
    assert done.status_code == 202, page(done)
    assert "Onboarding approved" in page(done)
    assert app.run_onboard_worker() == 1
    assert len(app.collection_puts()) == 1
    onboarded = card_texts(receiver)
    assert any("approved by ana@contoso.example" in text for text in onboarded), onboarded
    [record] = decisions(storage)
    assert (record.decision, record.approver, record.result) == ("onboard", "ana@contoso.example", "queued")


def test_a_used_link_refuses_and_changes_nothing(app: App, receiver: Receiver) -> None:
    token = token_of(alert_links(app, receiver)["Onboard"])
    assert app.post(token, APPROVER).status_code == 202
    again = app.post(token, APPROVER)
    assert again.status_code == 409 and "already been used" in page(again)
    assert "ana@contoso.example used it" in page(again)
    assert app.run_onboard_worker() == 1


def test_two_concurrent_posts_of_one_link_act_exactly_once(app: App, receiver: Receiver) -> None:
    token = token_of(alert_links(app, receiver)["Onboard"])
    answers = run_concurrently(lambda _: app.post(token, APPROVER), range(6))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [202, 409, 409, 409, 409, 409], statuses
    assert app.run_onboard_worker() == 1


def test_a_tampered_link_is_refused_on_get_and_post(app: App, receiver: Receiver) -> None:
    url = alert_links(app, receiver)["Onboard"]
    kid, payload, signature = token_of(url).split(".")
    edited = f"{kid}.{payload[:-2]}{'AA' if payload[-2:] != 'AA' else 'BB'}.{signature}"
    for answer in (app.get(url.replace(token_of(url), edited), APPROVER), app.post(edited, APPROVER)):
        assert answer.status_code == 410 and "has been altered" in page(answer)
    assert app.run_onboard_worker() == 0


def test_an_expired_link_is_refused(app: App) -> None:
    past = int((dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).timestamp())
    # Signed with the app's key: only the expiry is wrong (it is checked before anything is read).
    token = sign(ApprovalToken(Decision.ONBOARD, f"{SVC}/apis/orders", past, "n-expired", "0" * 16), KEY.encode())
    answer = app.post(token, APPROVER)
    assert answer.status_code == 410 and "expired" in page(answer)
    assert app.run_onboard_worker() == 0


def test_an_approver_without_the_role_is_refused(app: App, receiver: Receiver) -> None:
    token = token_of(alert_links(app, receiver)["Onboard"])
    for answer in (app.get(f"{APPROVE_URL}?t={token}", STRANGER), app.post(token, STRANGER)):
        assert answer.status_code == 403 and "eve@contoso.example" in page(answer)
    assert app.run_onboard_worker() == 0 and app.collection_puts() == []


def test_without_sign_in_a_get_goes_to_the_login_page_and_a_post_is_refused(app: App, receiver: Receiver) -> None:
    url = alert_links(app, receiver)["Onboard"]
    login = app.get(url)
    assert login.status_code == 302 and login.headers["Location"].startswith(
        "/.auth/login/aad?post_login_redirect_uri="
    )
    assert app.post(token_of(url)).status_code == 401
    assert app.run_onboard_worker() == 0


def test_a_post_from_another_site_is_refused(app: App, receiver: Receiver) -> None:
    token = token_of(alert_links(app, receiver)["Onboard"])
    answer = app.post(token, APPROVER, origin="https://evil.example")
    assert answer.status_code == 403
    assert app.post(token, APPROVER).status_code == 202  # the link was not spent


def test_exempt_writes_the_tag_with_its_expiry_and_announces_it(
    app: App, receiver: Receiver, storage: Any, approve_env: Any
) -> None:
    token = token_of(alert_links(app, receiver)["Exempt for 30 days"])
    answer = app.post(token, APPROVER)
    assert answer.status_code == 200, page(answer)
    [write] = app.tag_writes()
    assert write.endswith("/service/apim-prod/providers/Microsoft.Resources/tags/default")
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).date().isoformat()
    assert f"exempt until {until}" in page(answer)
    assert any("approved by ana@contoso.example" in text for text in card_texts(receiver))
    [record] = decisions(storage)
    assert (record.decision, record.result) == ("exempt", "exempted")
    approve_env.setenv("MONITOR_STATE", f"tables:{storage.connection_string}")
    out = io.StringIO()
    assert main(["approvals", "--json"], stdout=out, stderr=io.StringIO()) == 0
    [shown] = json.loads(out.getvalue())
    assert (shown["approver"], shown["decision"], shown["result"]) == ("ana@contoso.example", "exempt", "exempted")
    app.event("orders", event_id="6b1f0000-0000-4000-8000-000000000002")  # the next event reads the tag: no alert
    assert len(receiver.requests) == 2


def test_on_an_owner_route_the_links_and_the_decision_go_to_the_owner(
    app: App, receiver: Receiver, approve_env: Any
) -> None:
    owner = start_receiver()  # apim-prod carries the tag owner=platform (tests/data/estate.json)
    try:
        approve_env.setenv("MONITOR_ROUTES", "owner=platform -> teams:PLATFORM_TEAMS_URL")
        approve_env.setenv("PLATFORM_TEAMS_URL", owner.url)
        app.event("orders")
        assert receiver.requests == []
        token = token_of(card_links(owner)["Exempt for 30 days"])
        assert app.post(token, APPROVER).status_code == 200
        assert any("approved by ana@contoso.example" in text for text in card_texts(owner))
        assert receiver.requests == []
    finally:
        stop_receiver(owner)


def test_a_link_for_an_api_that_changed_meanwhile_does_nothing(app: App, receiver: Receiver) -> None:
    links = alert_links(app, receiver)
    assert app.post(token_of(links["Exempt for 30 days"]), APPROVER).status_code == 200
    answer = app.post(token_of(links["Onboard"]), APPROVER)  # the other link of the same alert
    assert answer.status_code == 409 and "changed since the alert" in page(answer)
    assert app.run_onboard_worker() == 0 and app.collection_puts() == []


def test_without_app_service_authentication_the_principal_header_is_not_trusted(
    app: App, receiver: Receiver, approve_env: Any
) -> None:
    token = token_of(alert_links(app, receiver)["Onboard"])
    approve_env.delenv("WEBSITE_AUTH_ENABLED")
    function_app.RUNTIME.close()  # settings are read afresh at the next invocation, as after an app restart
    for answer in (app.get(f"{APPROVE_URL}?t={token}", APPROVER), app.post(token, APPROVER)):
        assert answer.status_code == 503 and "authentication is off" in page(answer)
    assert app.run_onboard_worker() == 0


def test_approve_links_are_off_unless_the_mode_is_approve(app: App, approve_env: Any) -> None:
    approve_env.setenv("MONITOR_AUTO_ONBOARD", "off")
    assert load_settings().auto_onboard.value == "off"
    answer = app.get(f"{APPROVE_URL}?t=x.y", APPROVER)
    assert answer.status_code == 404
