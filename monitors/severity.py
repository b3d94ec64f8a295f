"""How much a finding matters: one documented table, read top to bottom; the first row that matches decides.

The table weighs what Defender has seen on an onboarded API (its posture) and what API Management says about an API
that is not onboarded (its exposure). The README's "How exposed are my unprotected APIs?" shows the same rows, and
``tests/test_severity.py`` holds one test per row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from monitors.model import Finding, Kind, Reason, Severity, Status


def _count(value: int | None) -> bool:
    return bool(value and value > 0)


def _exposed_sensitive(f: Finding) -> bool:
    p = f.posture
    return (
        p is not None
        and _count(p.external_endpoints)
        and _count(p.unauthenticated_endpoints)
        and _count(p.sensitive_data_endpoints)
    )


def _exposed(f: Finding) -> bool:
    p = f.posture
    return p is not None and _count(p.external_endpoints) and _count(p.unauthenticated_endpoints)


def _sensitive(f: Finding) -> bool:
    return f.posture is not None and _count(f.posture.sensitive_data_endpoints)


def _unprotected_api(f: Finding) -> bool:
    return f.kind is Kind.API and f.status is Status.NONCOMPLIANT


def _open_door(f: Finding) -> bool:
    e = f.exposure
    return _unprotected_api(f) and e is not None and e.internet_facing is True and e.credential_expected is False


def _plan_off(f: Finding) -> bool:
    return f.kind is Kind.PLAN and f.status is Status.NONCOMPLIANT and f.reason is Reason.PLAN_NOT_ENABLED


def _plan_near_limit(f: Finding) -> bool:
    return f.kind is Kind.PLAN and f.status is Status.NONCOMPLIANT and f.reason is Reason.PLAN_CALLS_NEAR_INCLUDED


def _public_or_unknown(f: Finding) -> bool:
    return _unprotected_api(f) and (f.exposure is None or f.exposure.internet_facing is not False)


def _unchecked(f: Finding) -> bool:
    return f.status is Status.ERROR


def _orphan(f: Finding) -> bool:
    return f.kind is Kind.ORPHAN_COLLECTION and f.status is Status.NONCOMPLIANT


def _anything(f: Finding) -> bool:
    return True


@dataclass(frozen=True)
class Row:
    severity: Severity
    when: str  # the row as the README states it
    matches: Callable[[Finding], bool]


TABLE: tuple[Row, ...] = (
    Row(
        Severity.CRITICAL,
        "Defender sees external, unauthenticated endpoints that expose sensitive data",
        _exposed_sensitive,
    ),
    Row(Severity.HIGH, "Defender sees external, unauthenticated endpoints", _exposed),
    Row(
        Severity.HIGH,
        "not protected, internet-facing, and neither a subscription key nor OAuth is expected",
        _open_door,
    ),
    Row(Severity.HIGH, "the subscription's Defender for APIs plan is off", _plan_off),
    Row(
        Severity.MEDIUM,
        "the month's API calls reach the alert share of the sub-plan's included calls",
        _plan_near_limit,
    ),
    Row(Severity.MEDIUM, "Defender sees endpoints that expose sensitive data", _sensitive),
    Row(Severity.MEDIUM, "not protected, and internet-facing or its exposure unknown", _public_or_unknown),
    Row(Severity.MEDIUM, "could not be checked (an ARM error or a missing permission)", _unchecked),
    Row(Severity.LOW, "not protected, reachable only from a private network", _unprotected_api),  # the rest of them
    Row(Severity.LOW, "an apiCollection whose API is gone (billed, protects nothing)", _orphan),
    Row(Severity.INFO, "anything else: protected, not applicable or exempt", _anything),
)


def grade(finding: Finding) -> Severity:
    """The severity of the first row of ``TABLE`` that matches."""
    return next(row.severity for row in TABLE if row.matches(finding))


def graded(finding: Finding) -> Finding:
    """The finding with its severity set from ``TABLE`` (again, after anything that changed it)."""
    return replace(finding, severity=grade(finding))


def of(finding: Finding) -> Severity:
    """A finding's severity: the one it carries, or graded now for a finding stored before severities existed."""
    return finding.severity or grade(finding)
