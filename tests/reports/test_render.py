"""``monitors.reports.render``: one entry point per CLI format, pure (the caller passes the stamp and the version)."""

from __future__ import annotations

import json

import pytest

from monitors import reports
from tests.alerts.factories import make_finding

STAMP = "2026-01-02T03:04:05+00:00"
FINDINGS = [make_finding("orders"), make_finding("billing", service="apim-dev")]


@pytest.mark.parametrize("fmt", reports.FORMATS)
def test_every_cli_format_renders(fmt) -> None:
    assert reports.render(FINDINGS, fmt, version="1.2.3", stamp=STAMP).strip() != ""


def test_json_and_html_carry_the_stamp_and_sarif_the_version() -> None:
    body = json.loads(reports.render(FINDINGS, "json", version="1.2.3", stamp=STAMP))
    sarif = json.loads(reports.render(FINDINGS, "sarif", version="1.2.3", stamp=STAMP))
    page = reports.render(FINDINGS, "html", version="1.2.3", stamp=STAMP)
    assert (
        body["generated_at"],
        sarif["runs"][0]["tool"]["driver"]["semanticVersion"],
        f"Generated {STAMP}" in page,
    ) == (
        STAMP,
        "1.2.3",
        True,
    )


def test_table_and_markdown_end_with_the_coverage() -> None:
    table = reports.render(FINDINGS, "table", version="1.2.3", stamp=STAMP)
    markdown = reports.render(FINDINGS, "markdown", version="1.2.3", stamp=STAMP)
    assert (
        "\n\nSCOPE " in table,
        table.splitlines()[-1].startswith("Overall: "),
        "### Services, worst first" in markdown,
    ) == (
        True,
        True,
        True,
    )


def test_an_unknown_format_is_an_error_not_a_table() -> None:
    with pytest.raises(ValueError, match="xml"):
        reports.render(FINDINGS, "xml", version="1.2.3", stamp=STAMP)
