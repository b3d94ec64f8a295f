"""Coverage summary of a scan: how many applicable APIs are onboarded, per subscription and per APIM service.

Counts come from API findings only: plan findings give each subscription its plan state and orphan collections are
not APIs. Not applicable and exempt APIs leave the denominator; errors stay in it, because an API we could not check
never counts as covered. Renders a terminal table and Markdown (``monitors.reports.html`` draws the same model as a
page); every name goes through the shared cell rules of ``monitors.reports._text``: names come from resources anyone
with write access can create. Pure text builders.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from monitors.model import Finding, Kind, Reason, Status
from monitors.reports._text import align, md_row

TITLE = "Defender for APIs coverage"
PLAN_WORD = {True: "on", False: "off", None: "unknown"}
_T = TypeVar("_T")
_PLAN_STATE = {Reason.PLAN_ENABLED: True, Reason.PLAN_CALLS_NEAR_INCLUDED: True, Reason.PLAN_NOT_ENABLED: False}
_HEADER = ("SCOPE", "PLAN", "APIS", "APPLICABLE", "ONBOARDED", "NONCOMPLIANT", "NOT APPLICABLE", "EXEMPT", "ERRORS")


@dataclass(frozen=True)
class Coverage:
    """Onboarding coverage of one subscription (``service`` is "") or one APIM service (``scope`` is
    "subscription/resource group/service")."""

    scope: str
    subscription_id: str
    service: str
    apis: int
    applicable: int
    onboarded: int
    noncompliant: int
    not_applicable: int
    exempt: int
    errors: int
    plan_enabled: bool | None

    @property
    def percent(self) -> float | None:
        """Onboarded share of the applicable APIs (0-100); None when no API applies."""
        return None if self.applicable == 0 else self.onboarded / self.applicable * 100

    def parts(self) -> list[tuple[str, int]]:
        """The APIs split by outcome, in chart order, keyed by the words the renderers print."""
        return [
            ("onboarded", self.onboarded),
            ("noncompliant", self.noncompliant),
            ("not applicable", self.not_applicable),
            ("exempt", self.exempt),
            ("errors", self.errors),
        ]


def _group(items: Sequence[_T], key: Callable[[_T], str]) -> dict[str, list[_T]]:
    groups: dict[str, list[_T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def _apis(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.kind is Kind.API]


def _plan_states(findings: Sequence[Finding]) -> dict[str, bool | None]:
    return {f.subscription_id.lower(): _PLAN_STATE.get(f.reason) for f in findings if f.kind is Kind.PLAN}


def _tally(scope: str, subscription_id: str, service: str, apis: Sequence[Finding], plan: bool | None) -> Coverage:
    counts = Counter(f.status for f in apis)
    return Coverage(
        scope=scope,
        subscription_id=subscription_id,
        service=service,
        apis=len(apis),
        applicable=len(apis) - counts[Status.NOT_APPLICABLE] - counts[Status.EXEMPT],
        onboarded=counts[Status.COMPLIANT],
        noncompliant=counts[Status.NONCOMPLIANT],
        not_applicable=counts[Status.NOT_APPLICABLE],
        exempt=counts[Status.EXEMPT],
        errors=counts[Status.ERROR],
        plan_enabled=plan,
    )


def _worst_first(rows: list[Coverage]) -> list[Coverage]:
    """Lowest percentage first, "n/a" last (nothing there to fix), then by scope."""
    return sorted(rows, key=lambda c: (c.percent is None, c.percent or 0.0, c.scope.lower()))


def coverage_by_subscription(findings: Sequence[Finding]) -> list[Coverage]:
    """One row per subscription that has any finding (a plan finding alone is enough), worst coverage first."""
    plans = _plan_states(findings)
    groups = _group(findings, lambda f: f.subscription_id.lower())
    rows = [_tally(g[0].subscription_id, g[0].subscription_id, "", _apis(g), plans.get(k)) for k, g in groups.items()]
    return _worst_first(rows)


def _service_row(apis: list[Finding], plan: bool | None) -> Coverage:
    first = apis[0]
    return _tally(
        f"{first.subscription_id}/{first.resource_group}/{first.service}",
        first.subscription_id,
        first.service,
        apis,
        plan,
    )


def coverage_by_service(findings: Sequence[Finding]) -> list[Coverage]:
    """One row per APIM service with API findings (names compared case-insensitively, as ARM does), worst first."""
    plans = _plan_states(findings)
    groups = _group(_apis(findings), lambda f: f"{f.subscription_id}/{f.resource_group}/{f.service}".lower())
    rows = [_service_row(g, plans.get(g[0].subscription_id.lower())) for g in groups.values()]
    return _worst_first(rows)


def coverage_overall(findings: Sequence[Finding]) -> Coverage:
    """All API findings together; the plan is on only when every subscription's plan is known to be on."""
    plans = {c.plan_enabled for c in coverage_by_subscription(findings)}
    plan = False if False in plans else (True if plans == {True} else None)
    return _tally("all", "", "", _apis(findings), plan)


def format_percent(coverage: Coverage) -> str:
    """The onboarded share with one decimal ("87.5%"), or "n/a" when nothing applies. Rounds half up, but never
    shows a gap as 100.0% nor a single onboarded API as 0.0%."""
    if coverage.applicable == 0:
        return "n/a"
    tenths = (coverage.onboarded * 2000 + coverage.applicable) // (2 * coverage.applicable)
    if coverage.onboarded < coverage.applicable:
        tenths = min(tenths, 999)
    if coverage.onboarded > 0:
        tenths = max(tenths, 1)
    return f"{tenths // 10}.{tenths % 10}%"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def format_coverage_summary(findings: Sequence[Finding]) -> str:
    """One sentence: onboarded of applicable, the percentage, the spread and the other outcomes."""
    total = coverage_overall(findings)
    services, subscriptions = len(coverage_by_service(findings)), len(coverage_by_subscription(findings))
    return (
        f"{total.onboarded} of {_count(total.applicable, 'applicable API')} onboarded ({format_percent(total)}) "
        f"across {_count(services, 'service')} in {_count(subscriptions, 'subscription')}: "
        f"{total.noncompliant} noncompliant, {total.not_applicable} not applicable, {total.exempt} exempt, "
        f"{_count(total.errors, 'error')}"
    )


def _service_label(coverage: Coverage) -> str:
    """The "resource group/service" part of a service scope."""
    return coverage.scope.partition("/")[2]


def _cells(label: str, plan: str, c: Coverage) -> tuple[str, ...]:
    counts = (c.apis, c.applicable, c.onboarded, c.noncompliant, c.not_applicable, c.exempt, c.errors)
    return (label, plan, *(str(n) for n in counts), format_percent(c))


def render_coverage_table(findings: Sequence[Finding]) -> str:
    """Aligned plain text: one block per subscription (worst first) with its services below it, then the total."""
    services = _group(coverage_by_service(findings), lambda c: c.subscription_id.lower())
    blocks = [
        [
            _cells(sub.scope, PLAN_WORD[sub.plan_enabled], sub),
            *(_cells("  " + _service_label(s), "", s) for s in services.get(sub.subscription_id.lower(), [])),
        ]
        for sub in coverage_by_subscription(findings)
    ]
    aligned = iter(align([(*_HEADER, "COVERAGE"), *(row for block in blocks for row in block)], right_from=2))
    lines = [next(aligned)]
    for block in blocks:
        lines += [next(aligned) for _ in block] + [""]
    return "\n".join([*lines, f"Overall: {format_coverage_summary(findings)}."])


def _md_table(first: str, second: str, rows: list[tuple[str, ...]]) -> list[str]:
    head = [first, second, "APIs", "Applicable", "Onboarded", "Noncompliant", "Not applicable", "Exempt", "Errors"]
    return [md_row([*head, "Coverage"]), "|---|---|" + "--:|" * 8, *(md_row(row) for row in rows)]


def render_coverage_markdown(findings: Sequence[Finding]) -> str:
    """A summary sentence, a table of subscriptions and a table of services, both worst first."""
    subscriptions = [_cells(c.scope, PLAN_WORD[c.plan_enabled], c) for c in coverage_by_subscription(findings)]
    services = [_cells(c.service, c.scope.rpartition("/")[0], c) for c in coverage_by_service(findings)]
    lines = [f"## {TITLE}", "", format_coverage_summary(findings) + ".", "", "### Subscriptions", ""]
    lines += [*_md_table("Subscription", "Plan", subscriptions), "", "### Services, worst first", ""]
    lines += _md_table("Service", "Subscription/resource group", services)
    return "\n".join(lines) + "\n"
