"""The words and the order every alert message shares: which alerts come first, how they are counted, and the names,
links and phrases a person reads. Pure text helpers for the Teams and Slack renderers; no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from monitors import severity
from monitors.model import Action, Alert, AlertKind, Finding, Kind, Severity, Status
from monitors.texts import REASON_TEXT

Json = dict[str, Any]  # a message body (Teams card, Slack blocks) as the renderers build it
DIGEST_LIMIT = 10
# An Azure Tables entity holds at most ~1 MiB; a stored alert takes about 0.5 KB, so digests hold at most 400 alerts.
DIGEST_PART = 400
PORTAL_RESOURCE = "https://portal.azure.com/#resource"
# Defender for Cloud > Environment settings: where the Defender for APIs plan of a subscription is switched on.
PORTAL_PLANS = "https://portal.azure.com/#view/Microsoft_Azure_Security/SecurityMenuBlade/~/EnvironmentSettings"
MORE_HINT = "run `python -m monitors scan` for the full list (the signed webhook JSON carries every alert)"

KIND_WORDS: dict[AlertKind, str] = {
    AlertKind.NEW: "New",
    AlertKind.RENOTIFY: "Reminder",
    AlertKind.RESOLVED: "Resolved",
    AlertKind.ONBOARDED: "Onboarded",
}
STATUS_WORDS: dict[Status, str] = {
    Status.NONCOMPLIANT: "Noncompliant",
    Status.ERROR: "Could not tell",
    Status.EXEMPT: "Exempt",
    Status.NOT_APPLICABLE: "Not applicable",
    Status.COMPLIANT: "Compliant",
}
SEVERITY_WORDS: dict[Severity, str] = {level: level.value.capitalize() for level in Severity}
ACTION_WORDS: dict[Action, str] = {
    Action.NONE: "Nothing was done",
    Action.ONBOARDED: "Onboarded to Defender for APIs by the monitor",
    Action.WOULD_ONBOARD: "Would onboard (dry run)",
    Action.ONBOARD_FAILED: "Onboarding was attempted and failed",
    Action.OFFBOARDED: "Offboarded by the monitor",
    Action.WOULD_OFFBOARD: "Would offboard (dry run)",
    Action.OFFBOARD_FAILED: "Offboarding was attempted and failed",
    Action.ONBOARD_QUEUED: "Onboarding is queued",
    Action.ONBOARD_DEFERRED: "Onboarding deferred by the per-service rate limit",
    Action.AWAITING_APPROVAL: "Waiting for an approver to onboard or exempt it",
    Action.EXEMPTED: "Exempted by an approver",
}
_KIND_RANK = {AlertKind.NEW: 0, AlertKind.RENOTIFY: 1, AlertKind.RESOLVED: 2, AlertKind.ONBOARDED: 2}
_STATUS_RANK = {status: rank for rank, status in enumerate(STATUS_WORDS)}


def order_alerts(alerts: Sequence[Alert]) -> list[Alert]:
    """Worst offenders first: new problems (most severe first, then noncompliant before unknown), then reminders, then
    fixes and onboardings."""

    def key(alert: Alert) -> tuple[int, int, int, str, str, str, str]:
        f = alert.finding
        rank = (_KIND_RANK[alert.kind], severity.of(f).rank, _STATUS_RANK[f.status])
        return (*rank, f.subscription_id, f.service.lower(), f.api.lower(), alert.alert_id)

    return sorted(alerts, key=key)


def count_kinds(alerts: Sequence[Alert]) -> list[tuple[str, int]]:
    """Alerts per kind, in the order people care about, leaving out kinds with none."""
    counts = Counter(a.kind for a in alerts)
    return [(word, counts[kind]) for kind, word in KIND_WORDS.items() if counts[kind]]


def count_statuses(alerts: Sequence[Alert]) -> list[tuple[str, int]]:
    """Alerts per finding status, worst first, leaving out statuses with none."""
    counts = Counter(a.finding.status for a in alerts)
    return [(word, counts[status]) for status, word in STATUS_WORDS.items() if counts[status]]


def format_counts(alerts: Sequence[Alert]) -> str:
    """One plain line: "500 alerts: 300 New, 100 Reminder; 400 Noncompliant, 100 Compliant"."""
    kinds = ", ".join(f"{n} {word}" for word, n in count_kinds(alerts))
    statuses = ", ".join(f"{n} {word}" for word, n in count_statuses(alerts))
    return f"{len(alerts)} alerts: {kinds}; {statuses}"


def digest_title(alerts: Sequence[Alert]) -> str:
    return f"Defender for APIs: {len(alerts)} alerts"


def headline(alert: Alert) -> str:
    """The alert kind and the reason's title: "New: Not onboarded to Defender for APIs"."""
    return f"{KIND_WORDS[alert.kind]}: {REASON_TEXT[alert.finding.reason].title}"


def subject_name(finding: Finding, name_limit: int = 120) -> str:
    """What a person calls the thing: the API's display name (clipped) and id, the plan, or the leftover collection."""
    if finding.kind is Kind.PLAN:
        return f"Defender for APIs plan of subscription {finding.subscription_id}"
    if finding.kind is Kind.ORPHAN_COLLECTION:
        return f"Defender collection {finding.api}"
    name = finding.display_name or finding.api
    if name == finding.api or not finding.api:  # a service's own finding (its onboarding paused) names no API
        return clip(name, name_limit)
    return f"{clip(name, name_limit)} ({finding.api})"


def severity_word(finding: Finding) -> str:
    """ "High", "Low", ...: the finding's severity as a person reads it."""
    return SEVERITY_WORDS[severity.of(finding)]


def portal_url(finding: Finding) -> str:
    """The Azure portal blade for the finding: the resource itself, or Defender's plan settings for a plan."""
    if finding.kind is Kind.PLAN:
        return PORTAL_PLANS
    return PORTAL_RESOURCE + quote(finding.resource_id, safe="/")


def docs_url(finding: Finding) -> str:
    return REASON_TEXT[finding.reason].docs_url


def more_line(hidden: int) -> str:
    """The closing line of a truncated digest: how many alerts are not shown and where to see them."""
    return f"…and {hidden} more not shown: {MORE_HINT}."


def clip(text: str, limit: int) -> str:
    """Shorten to at most ``limit`` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"
