"""Renderers: wording is pinned here (and only here), ordering, summary, and SARIF shape."""

from __future__ import annotations

import json

from monitors.model import Action, Finding, Kind, Reason, Status
from monitors.reports import findings


def finding(api: str, status: Status, reason: Reason, action: Action = Action.NONE) -> Finding:
    sub = "00000000-0000-0000-0000-000000000001"
    return Finding(
        kind=Kind.API,
        resource_id=f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc/apis/{api}",
        subscription_id=sub,
        resource_group="rg",
        service="svc",
        api=api,
        display_name=api.title(),
        status=status,
        reason=reason,
        detail=f"API '{api}' of APIM service 'svc' | detail.",
        action=action,
    )


FINDINGS = [
    finding("a", Status.COMPLIANT, Reason.ONBOARDED, Action.ONBOARDED),
    finding("b", Status.NONCOMPLIANT, Reason.NOT_ONBOARDED),
    finding("c", Status.ERROR, Reason.ARM_ERROR),
]


def test_worst_findings_come_first() -> None:
    assert [f.api for f in findings.sort_findings(FINDINGS)] == ["c", "b", "a"]


def test_summary_line_wording() -> None:
    assert findings.format_summary(FINDINGS) == (
        "3 findings: 1 compliant, 1 noncompliant, 0 not applicable, 0 exempt, 1 error; 1 onboarded now; "
        "by severity: 2 medium, 1 info"
    )


def test_table_has_header_and_rows() -> None:
    lines = findings.render_table(FINDINGS).splitlines()
    assert (lines[0].split(), lines[1].split()[:3]) == (
        ["SEVERITY", "STATUS", "REASON", "ACTION", "SERVICE", "API"],
        ["medium", "error", "arm_error"],
    )


def test_markdown_escapes_pipes() -> None:
    assert "'svc' \\| detail." in findings.render_markdown(FINDINGS)


def test_sarif_reports_only_actionable_findings_with_levels() -> None:
    results = json.loads(findings.render_sarif(FINDINGS, "1.0"))["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("arm_error", "warning"), ("not_onboarded", "error")]


def test_sarif_fingerprints_are_stable_and_distinct() -> None:
    first = json.loads(findings.render_sarif(FINDINGS, "1.0"))["runs"][0]["results"]
    again = json.loads(findings.render_sarif(list(reversed(FINDINGS)), "1.0"))["runs"][0]["results"]
    prints = [r["partialFingerprints"]["primaryLocationLineHash"] for r in first]
    assert (prints, len(set(prints))) == ([r["partialFingerprints"]["primaryLocationLineHash"] for r in again], 2)
