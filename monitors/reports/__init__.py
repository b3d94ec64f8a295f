"""Every report the CLI prints, as pure text builders: no I/O and no clock (the caller passes the version and the
generation time in).

- ``findings``: the findings as a terminal table, the findings JSON contract, Markdown and SARIF 2.1.0;
- ``coverage``: onboarding coverage per subscription and APIM service, as a terminal table and Markdown;
- ``html``: the coverage as one self-contained HTML page;
- ``outbox``: the alert outbox listing;
- ``_text``: what every text table shares, one column aligner (``align``, exported for the demo's table too) and
  one Markdown cell escaping rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitors.model import Finding
from monitors.reports._text import align
from monitors.reports.coverage import render_coverage_markdown, render_coverage_table
from monitors.reports.findings import render_json, render_markdown, render_sarif, render_table
from monitors.reports.html import render_coverage_html
from monitors.reports.outbox import format_outbox

__all__ = ["FORMATS", "align", "format_outbox", "render"]
FORMATS = ("table", "json", "markdown", "sarif", "html")  # what ``render`` knows, and ``--format`` offers


def render(findings: Sequence[Finding], fmt: str, *, version: str, stamp: str) -> str:
    """The findings in one format of ``python -m monitors``: table and markdown end with the coverage per
    subscription and service; json and html say they were generated at ``stamp``, sarif names the tool ``version``.

    Raises:
        ValueError: ``fmt`` is none of table, json, markdown, sarif and html.
    """
    if fmt == "table":
        return render_table(findings) + "\n\n" + render_coverage_table(findings)
    if fmt == "json":
        return render_json(findings, stamp)
    if fmt == "markdown":
        return render_markdown(findings) + "\n" + render_coverage_markdown(findings)
    if fmt == "sarif":
        return render_sarif(findings, version)
    if fmt == "html":
        return render_coverage_html(findings, stamp)
    raise ValueError(f"unknown report format {fmt!r}")
