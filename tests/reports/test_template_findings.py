"""Template scan findings in the reports: SARIF points at the template's file and line, Markdown shows the fix."""

from __future__ import annotations

import json
from dataclasses import replace

from sarif_kit.validate import validation_errors

from monitors.model import Finding, FindingSource, Reason, Status
from monitors.reports import findings
from tests.reports.test_findings import FINDINGS, finding

FIX = "resource ordersCollection 'Microsoft.Security/apiCollections@2023-11-15' = {\n  scope: svc\n  name: 'orders'\n}"


def located(source: FindingSource, fix: str | None = FIX, api: str = "orders") -> Finding:
    return replace(finding(api, Status.NONCOMPLIANT, Reason.NOT_ONBOARDED), source=source, fix=fix)


def physical(rendered: str) -> list[dict[str, object]]:
    return [r["locations"][0]["physicalLocation"] for r in json.loads(rendered)["runs"][0]["results"]]


def test_sarif_points_at_the_template_file_and_line() -> None:
    rendered = findings.render_sarif([located(FindingSource("infra/apis/main.bicep", 42))], "1.0")
    assert physical(rendered) == [{"artifactLocation": {"uri": "infra/apis/main.bicep"}, "region": {"startLine": 42}}]
    assert validation_errors(json.loads(rendered)) == []


def test_sarif_uris_are_relative_with_forward_slashes_and_escaped() -> None:
    sources = [FindingSource(".\\infra\\my apis#1.json", 3), FindingSource("./main.bicep", None)]
    rendered = findings.render_sarif([located(s, api=f"a{i}") for i, s in enumerate(sources)], "1.0")
    assert physical(rendered) == [
        {"artifactLocation": {"uri": "infra/my%20apis%231.json"}, "region": {"startLine": 3}},
        {"artifactLocation": {"uri": "main.bicep"}},
    ]
    assert validation_errors(json.loads(rendered)) == []


def test_sarif_without_source_is_unchanged() -> None:
    assert physical(findings.render_sarif(FINDINGS, "1.0"))[1] == {
        "artifactLocation": {
            "uri": "azure/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers"
            "/Microsoft.ApiManagement/service/svc/apis/b"
        },
        "region": {"startLine": 1},
    }


def test_markdown_shows_each_fix_in_a_fenced_block_under_its_finding() -> None:
    text = findings.render_markdown([*FINDINGS, located(FindingSource("main.bicep", 20))])
    assert text.endswith("### Fixes\n\nAPI orders of svc (main.bicep:20): add\n\n```bicep\n" + FIX + "\n```\n"), text
    assert text.count("```") == 2


def test_markdown_fix_cannot_close_its_fence_or_act_on_the_reader() -> None:
    hostile = '{\n  "name": "```\\n# owned\x1b[31m"\n}'
    text = findings.render_markdown([located(FindingSource("a_b|c.json", 1), fix=hostile, api="x*y")])
    fixes = text.split("### Fixes\n\n", 1)[1]
    assert fixes.splitlines()[0] == "API x\\*y of svc (a\\_b\\|c.json:1): add"
    assert "````json\n" in fixes and fixes.rstrip().endswith("\n````")
    assert "\x1b" not in fixes and "\\x1b[31m" in fixes


def test_markdown_without_fixes_has_no_fix_section() -> None:
    assert "### Fixes" not in findings.render_markdown(FINDINGS)
