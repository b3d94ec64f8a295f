"""Renders findings as a terminal table, the findings JSON contract, Markdown or SARIF 2.1.0. Pure text builders."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence

from monitors import severity
from monitors.escape import terminal, uri_path
from monitors.model import Action, Finding, FindingSource, Reason, Severity, Status
from monitors.reports._text import align, md_cell, md_row
from monitors.texts import REASON_TEXT

SCHEMA = "apim-defender-monitor/findings@2"  # @2: a finding's severity, posture and exposure; counts by severity
TOOL_URI = "https://learn.microsoft.com/azure/defender-for-cloud/defender-for-apis-introduction"
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# A noncompliant finding stays an error and an unknown one a warning, whatever its severity, so a pipeline that gates
# on errors keeps gating; a finding reported only for its severity (an onboarded API Defender sees exposed) is an error.
_SARIF_LEVEL = {Status.NONCOMPLIANT: "error", Status.ERROR: "warning"}
# GitHub code scanning reads a rule's "security-severity" (0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high, 9.0+ critical).
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
_ORDER = {Status.ERROR: 0, Status.NONCOMPLIANT: 1, Status.EXEMPT: 2, Status.NOT_APPLICABLE: 3, Status.COMPLIANT: 4}


def sort_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Worst first (by severity, then status), then by subscription, service and API."""

    def key(f: Finding) -> tuple[int, int, str, str, str]:
        return (severity.of(f).rank, _ORDER[f.status], f.subscription_id, f.service.lower(), f.api.lower())

    return sorted(findings, key=key)


def count_severities(findings: Sequence[Finding]) -> dict[str, int]:
    """Findings per severity, worst first, every severity present."""
    counts = Counter(severity.of(f) for f in findings)
    return {level.value: counts.get(level, 0) for level in Severity}


def summarize(findings: Sequence[Finding]) -> dict[str, object]:
    counts = Counter(f.status for f in findings)
    summary: dict[str, object] = {"total": len(findings)}
    summary.update({status.value: counts.get(status, 0) for status in Status})
    summary["onboarded"] = sum(1 for f in findings if f.action is Action.ONBOARDED)
    summary["by_severity"] = count_severities(findings)
    return summary


def findings_document(findings: Sequence[Finding], generated_at: str) -> dict[str, object]:
    """The findings JSON contract as a dict (schema, generated_at, summary, findings worst first), for a caller that
    adds keys before serialising it once."""
    return {
        "schema": SCHEMA,
        "generated_at": generated_at,
        "summary": summarize(findings),
        "findings": [f.to_dict() for f in sort_findings(findings)],
    }


def render_json(findings: Sequence[Finding], generated_at: str) -> str:
    return json.dumps(findings_document(findings, generated_at), indent=2)


def render_table(findings: Sequence[Finding]) -> str:
    header = ("SEVERITY", "STATUS", "REASON", "ACTION", "SERVICE", "API")
    rows = [
        (severity.of(f), f.status, f.reason, f.action, f.service or f.subscription_id, f.api or f.kind)
        for f in sort_findings(findings)
    ]
    return "\n".join([*align([header, *rows]), "", format_summary(findings)])


def format_summary(findings: Sequence[Finding]) -> str:
    s = summarize(findings)
    by_severity = ", ".join(f"{n} {level}" for level, n in count_severities(findings).items() if n)
    return (
        f"{s['total']} findings: {s['compliant']} compliant, {s['noncompliant']} noncompliant, "
        f"{s['not_applicable']} not applicable, {s['exempt']} exempt, {s['error']} error; "
        f"{s['onboarded']} onboarded now" + (f"; by severity: {by_severity}" if by_severity else "")
    )


def render_markdown(findings: Sequence[Finding]) -> str:
    lines = [
        "## Defender for APIs coverage",
        "",
        format_summary(findings),
        "",
        md_row(("Severity", "Status", "Reason", "Action", "Service", "API", "Detail")),
        "|---|---|---|---|---|---|---|",
    ]
    for f in sort_findings(findings):
        row = (severity.of(f), f.status, REASON_TEXT[f.reason].title, f.action, f.service, f.api, f.detail)
        lines.append(md_row(row))
    fixes = [f for f in sort_findings(findings) if f.fix]
    if fixes:
        lines += ["", "### Fixes"]
    for f in fixes:
        where = f" ({_where(f.source)})" if f.source else ""
        lines += ["", f"API {md_cell(f.api)} of {md_cell(f.service)}{md_cell(where)}: add", "", *_fenced(f)]
    return "\n".join(lines) + "\n"


def _where(source: FindingSource) -> str:
    return source.file if source.line is None else f"{source.file}:{source.line}"


def _fenced(finding: Finding) -> list[str]:
    """A finding's fix as a fenced code block: each line shown as terminal text (no control character), the fence
    longer than any backtick run inside, so the snippet cannot close it early."""
    code = [terminal(line) for line in (finding.fix or "").splitlines()]
    fence = "`" * max(3, _longest_backticks(code) + 1)
    language = "json" if (finding.fix or "").lstrip().startswith("{") else "bicep"
    return [fence + language, *code, fence]


def _longest_backticks(lines: Sequence[str]) -> int:
    longest = run = 0
    for ch in "\n".join(lines):
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    return longest


def _sarif_rule(reason: Reason, worst: Severity) -> dict[str, object]:
    text = REASON_TEXT[reason]
    return {
        "id": reason.value,
        "name": "".join(word.capitalize() for word in reason.value.split("_")),
        "shortDescription": {"text": text.title},
        "fullDescription": {"text": text.remediation},
        "helpUri": text.docs_url,
        "help": {"text": text.remediation},
        "properties": {"security-severity": _SECURITY_SEVERITY[worst], "tags": ["security"]},
    }


def _sarif_result(finding: Finding, rule_index: int) -> dict[str, object]:
    fingerprint = hashlib.sha256(f"{finding.resource_id.lower()}|{finding.reason}".encode()).hexdigest()
    return {
        "ruleId": finding.reason.value,
        "ruleIndex": rule_index,
        "level": _SARIF_LEVEL.get(finding.status, "error"),
        "message": {"text": finding.detail},
        "locations": [
            {
                "physicalLocation": _physical(finding),
                "logicalLocations": [{"fullyQualifiedName": finding.resource_id, "kind": "resource"}],
            }
        ],
        "partialFingerprints": {"primaryLocationLineHash": fingerprint},
        "properties": {
            "status": finding.status.value,
            "action": finding.action.value,
            "severity": severity.of(finding).value,
            "security-severity": _SECURITY_SEVERITY[severity.of(finding)],
        },
    }


def _physical(finding: Finding) -> dict[str, object]:
    """Where code scanning shows the result: the template's file and line for a template scan's finding (a relative
    URI with forward slashes), else the resource under a pseudo ``azure/`` path at line 1."""
    if finding.source is None:
        return {"artifactLocation": {"uri": "azure" + uri_path(finding.resource_id)}, "region": {"startLine": 1}}
    path = finding.source.file.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    location: dict[str, object] = {"artifactLocation": {"uri": uri_path(path)}}
    if finding.source.line is not None:
        location["region"] = {"startLine": finding.source.line}
    return location


def _in_sarif(finding: Finding) -> bool:
    return finding.status in _SARIF_LEVEL or severity.of(finding).at_least(Severity.HIGH)


def render_sarif(findings: Sequence[Finding], version: str) -> str:
    """SARIF 2.1.0 for GitHub code scanning: every noncompliant finding (error) or unknown one (warning), and any other
    of high severity or worse (error: an onboarded API whose endpoints Defender sees exposed). Each result carries its
    severity, and each rule the worst security-severity among its results, which is the one GitHub shows."""
    reported = [f for f in sort_findings(findings) if _in_sarif(f)]
    reasons = sorted({f.reason for f in reported}, key=lambda r: r.value)
    index = {reason: i for i, reason in enumerate(reasons)}
    worst = {r: min((severity.of(f) for f in reported if f.reason is r), key=lambda s: s.rank) for r in reasons}
    run = {
        "tool": {
            "driver": {
                "name": "apim-defender-monitor",
                "informationUri": TOOL_URI,
                "semanticVersion": version,
                "rules": [_sarif_rule(r, worst[r]) for r in reasons],
            }
        },
        "results": [_sarif_result(f, index[f.reason]) for f in reported],
    }
    return json.dumps({"$schema": _SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2)
