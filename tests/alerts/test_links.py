"""The Onboard and Exempt links of an alert awaiting approval: minted at send time, signed, in Teams and Slack."""

from __future__ import annotations

import itertools
import json
import re

from monitors.alerts import teams
from monitors.alerts.links import ApprovalLinks, approval_links
from monitors.alerts.slack import render_slack
from monitors.alerts.teams import render_teams, serialize
from monitors.approval_token import Decision, verify
from monitors.model import Action, AlertKind, Status
from monitors.settings import load_settings
from tests.alerts.factories import NOW, make_alert

KEY = b"approval-key-for-the-link-tests-0123456789"
URL = "https://monitor.example/api/approve"


def linker() -> ApprovalLinks:
    counter = itertools.count()
    return ApprovalLinks(URL, KEY, hours=72, exempt_days=14, now=lambda: NOW, nonce=lambda: f"n{next(counter)}")


def waiting(api: str = "orders", kind: AlertKind = AlertKind.NEW):
    return make_alert(api, kind, action=Action.AWAITING_APPROVAL)


def test_an_alert_awaiting_approval_gets_two_signed_links_valid_for_the_set_hours() -> None:
    onboard, exempt = linker()(waiting())
    assert (onboard.title, exempt.title) == ("Onboard", "Exempt for 14 days")
    now = int(NOW.timestamp())
    first = verify(onboard.url.removeprefix(f"{URL}?t="), (KEY,), now)
    second = verify(exempt.url.removeprefix(f"{URL}?t="), (KEY,), now)
    assert (first.decision, second.decision, second.days) == (Decision.ONBOARD, Decision.EXEMPT, 14)
    assert first.expires == now + 72 * 3600 and first.nonce != second.nonce
    assert first.api_id == waiting().finding.resource_id


def test_only_new_or_repeated_alerts_awaiting_approval_get_links() -> None:
    assert linker()(waiting(kind=AlertKind.RENOTIFY))
    assert linker()(waiting(kind=AlertKind.RESOLVED)) == []
    assert linker()(make_alert(action=Action.NONE)) == []
    assert linker()(make_alert(action=Action.ONBOARDED, status=Status.COMPLIANT)) == []


def test_links_exist_only_in_approve_mode() -> None:
    base = {"MONITOR_APPROVAL_URL": URL, "MONITOR_APPROVAL_KEY": KEY.decode(), "MONITOR_APPROVERS": "role:A"}
    assert approval_links(load_settings({**base, "MONITOR_AUTO_ONBOARD": "approve"})) is not None
    assert approval_links(load_settings({**base, "MONITOR_AUTO_ONBOARD": "on"})) is None


def test_a_teams_card_offers_the_links_before_the_portal() -> None:
    card = render_teams([waiting()], links=linker())["attachments"][0]["content"]
    titles = [a["title"] for a in card["actions"]]
    assert titles[:3] == ["Onboard", "Exempt for 14 days", "Open in Azure portal"]
    assert card["actions"][0]["type"] == "Action.OpenUrl"


def test_a_teams_digest_lists_each_waiting_api_with_its_links_and_keeps_under_the_size_cap() -> None:
    alerts = [waiting(f"api-{n:03}") for n in range(200)]
    message = render_teams(alerts, links=linker())
    assert len(serialize(message)) <= teams.MAX_MESSAGE_BYTES
    text = json.dumps(message)
    listed = re.findall(r"\[Onboard\]\(https://monitor\.example/api/approve\?t=[\w.-]+\)", text)
    items = [b for b in message["attachments"][0]["content"]["body"] if b.get("type") == "Container"]
    assert len(listed) == len(items) > 0


def test_slack_gets_plain_links_not_buttons() -> None:
    blocks = render_slack([waiting()], links=linker())["blocks"]
    text = json.dumps(blocks)
    assert f"<{URL}?t=" in text and "|Onboard>" in text and "|Exempt for 14 days>" in text
    buttons = [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert "Onboard" not in buttons
    digest = json.dumps(render_slack([waiting("a"), waiting("b")], links=linker()))
    assert digest.count("|Onboard>") == 2


def test_without_a_linker_nothing_changes() -> None:
    assert "approve?t=" not in json.dumps(render_teams([waiting()])) + json.dumps(render_slack([waiting()]))
