"""Attacker-chosen names through every renderer: whatever an API or service is called, each finding stays one table
row, nothing reaches the terminal (stdout or stderr) as a control sequence, nothing renders as HTML or a link in
Markdown or a Teams card, no Slack link or mention is forged, and SARIF artifact URIs stay valid URI references."""

from __future__ import annotations

import io
import json
import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from monitors.alerts.slack import render_slack
from monitors.alerts.teams import render_teams
from monitors.cli import main
from monitors.reports.coverage import render_coverage_markdown, render_coverage_table
from monitors.reports.findings import render_markdown, render_sarif, render_table
from tests.alerts.factories import make_alert, make_finding

HOSTILE = st.text(min_size=1, max_size=40) | st.sampled_from(
    [
        "evil\nNONCOMPLIANT  fake-row",
        "\x1b[2J\x1b[31mred",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "![x](https://evil.example/x.png)",
        "a|b|c",
        "\u202eevil",
    ]
)
UNESCAPED_LINK = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(")


def _controls(text: str) -> list[str]:
    return [ch for ch in text if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")]


@settings(max_examples=150, deadline=None)
@given(api=HOSTILE, service=HOSTILE)
def test_terminal_table_keeps_one_row_per_finding_and_no_control_characters(api, service) -> None:
    text = render_table([make_finding(api, service=service), make_finding("orders")])
    assert (text.count("\n"), _controls(text)) == (4, [])


@settings(max_examples=150, deadline=None)
@given(api=HOSTILE, service=HOSTILE)
def test_markdown_keeps_one_row_per_finding_without_html_or_links(api, service) -> None:
    rows = [line for line in render_markdown([make_finding(api, service=service)]).splitlines() if line.startswith("|")]
    body = rows[2]
    assert (len(rows), "<" in body, UNESCAPED_LINK.search(body), _controls(body)) == (3, False, None, [])


@settings(max_examples=100, deadline=None)
@given(service=HOSTILE)
def test_coverage_renderers_keep_hostile_service_names_inert(service) -> None:
    findings = [make_finding("orders", service=service)]
    table, markdown = render_coverage_table(findings), render_coverage_markdown(findings)
    assert (_controls(table), _controls(markdown), "<" in markdown.split("###")[-1]) == ([], [], False)


IMG = "<img src=x onerror=alert(1)>|x"
INERT_IMG = "&lt;img src=x onerror=alert(1)&gt;\\|x"
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in UNESCAPED_PIPE.split(row)[1:-1]]


def test_a_hostile_name_renders_inert_in_both_markdown_reports() -> None:
    """The findings report and the coverage report share one Markdown cell rule (monitors.reports._text): the name
    is shown as text in its own cell, no tag renders and its pipe does not split the row."""
    findings = [make_finding(IMG, service=IMG)]
    rows = [
        line
        for text in (render_markdown(findings), render_coverage_markdown(findings))
        for line in text.splitlines()
        if INERT_IMG in line
    ]
    assert [(len(_cells(row)), _cells(row)[:1], "<" in row) for row in rows] == [
        (7, ["medium"], False),  # findings: severity, status, reason, action, service, API, detail
        (10, [INERT_IMG], False),  # coverage: service, subscription/resource group and the eight counts
    ]
    assert _cells(rows[0])[4:6] == [INERT_IMG, INERT_IMG]


# --- every other renderer: SARIF, Teams, Slack and the CLI's stderr (issue 9, item 7) -------------------------------

RFC3986_REFERENCE = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
TEAMS_UNESCAPED = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(|(?<!\\)<")


@settings(max_examples=150, deadline=None)
@given(api=HOSTILE, service=HOSTILE)
def test_sarif_artifact_uris_are_valid_uri_references(api, service) -> None:
    run = json.loads(render_sarif([make_finding(api, service=service)], "1.0.0"))["runs"][0]
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"] for loc in r["locations"]]
    assert [bool(RFC3986_REFERENCE.fullmatch(uri)) and "#" not in uri for uri in uris] == [True]


def _teams_texts(node: object) -> list[str]:
    """Every string Teams renders as Markdown: TextBlock text and Fact titles and values."""
    if isinstance(node, list):
        return [text for item in node for text in _teams_texts(item)]
    if not isinstance(node, dict):
        return []
    own = [node["text"]] if node.get("type") == "TextBlock" else []
    own += [node[k] for k in ("title", "value") if "facts" not in node and k in node and "type" not in node]
    return own + [text for value in node.values() for text in _teams_texts(value)]


@settings(max_examples=150, deadline=None)
@given(api=HOSTILE, display=HOSTILE, service=HOSTILE)
def test_teams_cards_render_no_link_autolink_or_line_break_from_a_name(api, display, service) -> None:
    alert = make_alert(api, display_name=display, service=service)
    for message in (render_teams((alert,)), render_teams((alert, make_alert("orders")))):
        texts = _teams_texts(message)
        assert [t for t in texts if TEAMS_UNESCAPED.search(t) or _controls(t) or "\n" in t] == []


@settings(max_examples=150, deadline=None)
@given(api=HOSTILE, display=HOSTILE, service=HOSTILE)
def test_slack_messages_carry_no_link_mention_or_entity_from_a_name(api, display, service) -> None:
    alert = make_alert(api, display_name=display, service=service)
    for message in (render_slack((alert,)), render_slack((alert, make_alert("orders")))):
        mrkdwn = [t for t in _slack_texts(message)]
        # Our own links are <https://portal.azure.com...|...> and <https://learn.microsoft.com...|...>; nothing else.
        opened = [m for t in mrkdwn for m in re.findall(r"<([^>]*)>", t)]
        assert [
            o for o in opened if not o.startswith(("https://portal.azure.com", "https://learn.microsoft.com"))
        ] == []


def _slack_texts(node: object) -> list[str]:
    if isinstance(node, list):
        return [text for item in node for text in _slack_texts(item)]
    if not isinstance(node, dict):
        return []
    own = [node["text"]] if node.get("type") == "mrkdwn" else []
    return own + [text for value in node.values() for text in _slack_texts(value)]


@settings(max_examples=60, deadline=None)
@given(event_id=HOSTILE)
def test_cli_stderr_lines_carry_no_control_characters(event_id, tmp_path_factory) -> None:
    batch = tmp_path_factory.mktemp("events") / "batch.json"
    batch.write_text(json.dumps([{"id": event_id, "eventType": "Microsoft.Resources.ResourceWriteSuccess"}]))
    err = io.StringIO()
    main(["handle-event", str(batch), "--format", "json"], stdout=io.StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert (len(lines) >= 1, [line for line in lines if _controls(line)]) == (True, [])
