"""Attacker-chosen names through the text renderers: whatever an API or service is called, each finding stays one
table row, nothing reaches the terminal as a control sequence, and nothing renders as HTML or a link in Markdown."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from monitors.coverage import render_coverage_markdown, render_coverage_table
from monitors.report import render_markdown, render_table
from tests.alerts.factories import make_finding

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
