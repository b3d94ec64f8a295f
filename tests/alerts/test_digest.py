"""The digest wording and order shared by the Teams and Slack renderers."""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import pytest

from monitors import severity
from monitors.alerts import digest
from monitors.alerts.slack import render_slack
from monitors.alerts.teams import render_teams
from monitors.exposure import Exposure
from monitors.model import Action, AlertKind, Kind, Reason, Status
from tests.alerts.factories import SUB, make_alert, make_finding


def test_worst_offenders_come_first():
    alerts = [
        make_alert("a", AlertKind.RESOLVED, status=Status.COMPLIANT, reason=Reason.ONBOARDED),
        make_alert("b", AlertKind.RENOTIFY),
        make_alert("c", AlertKind.NEW, status=Status.ERROR, reason=Reason.ARM_ERROR),
        make_alert("d", AlertKind.ONBOARDED, status=Status.COMPLIANT, action=Action.ONBOARDED),
        make_alert("e", AlertKind.NEW),
    ]

    assert [a.finding.api for a in digest.order_alerts(alerts)] == ["e", "c", "b", "a", "d"]


def test_counts_per_kind_and_status_leave_out_zeros():
    alerts = [
        make_alert("a", AlertKind.NEW),
        make_alert("b", AlertKind.NEW),
        make_alert("c", AlertKind.RESOLVED, status=Status.COMPLIANT),
    ]

    assert (digest.count_kinds(alerts), digest.count_statuses(alerts)) == (
        [("New", 2), ("Resolved", 1)],
        [("Noncompliant", 2), ("Compliant", 1)],
    )


def test_format_counts():
    alerts = [make_alert("a"), make_alert("b", AlertKind.RENOTIFY)]

    assert digest.format_counts(alerts) == "2 alerts: 1 New, 1 Reminder; 2 Noncompliant"


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        pytest.param({}, "Orders API (orders)", id="display-name-and-id"),
        pytest.param({"display_name": "orders"}, "orders", id="display-name-is-the-id"),
        pytest.param({"display_name": ""}, "orders", id="no-display-name"),
        pytest.param({"kind": Kind.PLAN}, f"Defender for APIs plan of subscription {SUB}", id="plan"),
        pytest.param({"kind": Kind.ORPHAN_COLLECTION}, "Defender collection orders", id="orphan-collection"),
    ],
)
def test_subject_name(changes, name):
    finding = dataclasses.replace(make_finding(), **changes)

    assert digest.subject_name(finding) == name


def test_portal_url_opens_the_resource_blade():
    finding = make_finding()

    assert digest.portal_url(finding) == "https://portal.azure.com/#resource" + finding.resource_id


def test_portal_url_of_a_plan_opens_defender_environment_settings():
    finding = dataclasses.replace(make_finding(), kind=Kind.PLAN)

    assert digest.portal_url(finding) == digest.PORTAL_PLANS


def test_more_line_says_how_many_and_where():
    assert digest.more_line(490) == (
        "…and 490 more not shown: run `python -m monitors scan` for the full list "
        "(the signed webhook JSON carries every alert)."
    )


@pytest.mark.parametrize(
    ("text", "limit", "clipped"),
    [
        pytest.param("short", 10, "short", id="fits"),
        pytest.param("exactly10!", 10, "exactly10!", id="exact"),
        pytest.param("far too long", 5, "far …", id="cut"),
    ],
)
def test_clip(text, limit, clipped):
    assert digest.clip(text, limit) == clipped


def card(message):
    return message["attachments"][0]["content"]


def sections(message):
    return [b for b in message["blocks"] if b["type"] == "section"]


OPEN_DOOR = Exposure(subscription_required=False, oauth=False, public_network_access="Enabled", protocols=("http",))


def test_the_most_severe_new_problem_comes_first_in_every_digest() -> None:
    medium = make_alert("keyed")
    high = make_alert("open")
    high = replace(high, finding=severity.graded(replace(high.finding, exposure=OPEN_DOOR)))
    teams_items = [b for b in card(render_teams((medium, high)))["body"] if b["type"] == "Container"]
    slack_lines = [s["text"]["text"] for s in sections(render_slack((medium, high)))[1:]]
    assert (
        [a.finding.api for a in digest.order_alerts([medium, high])],
        teams_items[0]["items"][0]["text"].startswith("**New** · High · Orders API (open)"),
        slack_lines[0].startswith("*New* · *High*"),
    ) == (["open", "keyed"], True, True)


def test_a_single_alert_says_how_exposed_the_api_is() -> None:
    alert = make_alert("open")
    alert = replace(alert, finding=replace(alert.finding, exposure=OPEN_DOOR))
    slack_fields = [f["text"] for f in sections(render_slack((alert,)))[0]["fields"]]
    teams_facts = {f["title"]: f["value"] for f in card(render_teams((alert,)))["body"][2]["facts"]}
    words = "internet-facing; no subscription key, no OAuth; plain HTTP allowed"
    assert (f"*Exposure*\n{words}" in slack_fields, teams_facts["Exposure"], teams_facts["Severity"]) == (
        True,
        words,
        "High",
    )
