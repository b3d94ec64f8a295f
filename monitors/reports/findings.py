"""Renders findings as a terminal table, the findings JSON contract, Markdown or SARIF 2.1.0. Pure text builders."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence

from monitors.escape import uri_path
from monitors.model import Action, Finding, Reason, Status
from monitors.reports._text import align, md_row
from monitors.texts import REASON_TEXT

SCHEMA = "apim-defender-monitor/findings@2"  # @2: a finding may carry Defender's "posture"
TOOL_URI = "https://learn.microsoft.com/azure/defender-for-cloud/defender-for-apis-introduction"
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Status.NONCOMPLIANT: "error", Status.ERROR: "warning"}
_ORDER = {Status.ERROR: 0, Status.NONCOMPLIANT: 1, Status.EXEMPT: 2, Status.NOT_APPLICABLE: 3, Status.COMPLIANT: 4}


def sort_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Worst first, then by subscription, service and API."""
    return sorted(findings, key=lambda f: (_ORDER[f.status], f.subscription_id, f.service.lower(), f.api.lower()))


def summarize(findings: Sequence[Finding]) -> dict[str, int]:
    counts = Counter(f.status for f in findings)
    summary = {"total": len(findings)}
    summary.update({status.value: counts.get(status, 0) for status in Status})
    summary["onboarded"] = sum(1 for f in findings if f.action is Action.ONBOARDED)
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
    header = ("STATUS", "REASON", "ACTION", "SERVICE", "API")
    rows = [
        (f.status, f.reason, f.action, f.service or f.subscription_id, f.api or f.kind) for f in sort_findings(findings)
    ]
    return "\n".join([*align([header, *rows]), "", format_summary(findings)])


def format_summary(findings: Sequence[Finding]) -> str:
    s = summarize(findings)
    return (
        f"{s['total']} findings: {s['compliant']} compliant, {s['noncompliant']} noncompliant, "
        f"{s['not_applicable']} not applicable, {s['exempt']} exempt, {s['error']} error; "
        f"{s['onboarded']} onboarded now"
    )


def render_markdown(findings: Sequence[Finding]) -> str:
    lines = [
        "## Defender for APIs coverage",
        "",
        format_summary(findings),
        "",
        md_row(("Status", "Reason", "Action", "Service", "API", "Detail")),
        "|---|---|---|---|---|---|",
    ]
    for f in sort_findings(findings):
        lines.append(md_row((f.status, REASON_TEXT[f.reason].title, f.action, f.service, f.api, f.detail)))
    return "\n".join(lines) + "\n"


def _sarif_rule(reason: Reason) -> dict[str, object]:
    text = REASON_TEXT[reason]
    return {
        "id": reason.value,
        "name": "".join(word.capitalize() for word in reason.value.split("_")),
        "shortDescription": {"text": text.title},
        "fullDescription": {"text": text.remediation},
        "helpUri": text.docs_url,
        "help": {"text": text.remediation},
    }


def _sarif_result(finding: Finding, rule_index: int) -> dict[str, object]:
    fingerprint = hashlib.sha256(f"{finding.resource_id.lower()}|{finding.reason}".encode()).hexdigest()
    return {
        "ruleId": finding.reason.value,
        "ruleIndex": rule_index,
        "level": _SARIF_LEVEL[finding.status],
        "message": {"text": finding.detail},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "azure" + uri_path(finding.resource_id)},
                    "region": {"startLine": 1},
                },
                "logicalLocations": [{"fullyQualifiedName": finding.resource_id, "kind": "resource"}],
            }
        ],
        "partialFingerprints": {"primaryLocationLineHash": fingerprint},
        "properties": {"status": finding.status.value, "action": finding.action.value},
    }


def render_sarif(findings: Sequence[Finding], version: str) -> str:
    """SARIF 2.1.0 for GitHub code scanning: noncompliant findings as errors, unknown ones as warnings."""
    reported = [f for f in sort_findings(findings) if f.status in _SARIF_LEVEL]
    reasons = sorted({f.reason for f in reported}, key=lambda r: r.value)
    index = {reason: i for i, reason in enumerate(reasons)}
    run = {
        "tool": {
            "driver": {
                "name": "apim-defender-monitor",
                "informationUri": TOOL_URI,
                "semanticVersion": version,
                "rules": [_sarif_rule(r) for r in reasons],
            }
        },
        "results": [_sarif_result(f, index[f.reason]) for f in reported],
    }
    return json.dumps({"$schema": _SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2)
