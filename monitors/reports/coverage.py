"""Coverage summary of a scan: how many applicable APIs are onboarded, per subscription and per APIM service.

Counts come from API findings only: plan findings give each subscription its plan state and orphan collections are
not APIs. Not applicable and exempt APIs leave the denominator; errors stay in it, because an API we could not check
never counts as covered. Renders a terminal table, Markdown and one self-contained HTML page (inline CSS and SVG, no
scripts or external resources) in which every text is escaped: names come from resources anyone with write access
can create. Pure text builders.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from monitors.escape import markdown, terminal
from monitors.model import Finding, Kind, Reason, Status
from monitors.reports.findings import sort_findings
from monitors.texts import REASON_TEXT

TITLE = "Defender for APIs coverage"
CHART_CAP = 50
_T = TypeVar("_T")
_PLAN_STATE = {Reason.PLAN_ENABLED: True, Reason.PLAN_NOT_ENABLED: False}
_PLAN_WORD = {True: "on", False: "off", None: "unknown"}
_HEADER = ("SCOPE", "PLAN", "APIS", "APPLICABLE", "ONBOARDED", "NONCOMPLIANT", "NOT APPLICABLE", "EXEMPT", "ERRORS")
_COLOR = {
    "onboarded": "#107c10",
    "noncompliant": "#c50f1f",
    "not applicable": "#8a8886",
    "exempt": "#0f6cbd",
    "errors": "#eaa300",
}


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


def _align(row: tuple[str, ...], widths: list[int]) -> str:
    row = tuple(terminal(cell) for cell in row)
    cells = [cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
    return "  ".join(cells).rstrip()


def render_coverage_table(findings: Sequence[Finding]) -> str:
    """Aligned plain text: one block per subscription (worst first) with its services below it, then the total."""
    services = _group(coverage_by_service(findings), lambda c: c.subscription_id.lower())
    blocks = [
        [
            _cells(sub.scope, _PLAN_WORD[sub.plan_enabled], sub),
            *(_cells("  " + _service_label(s), "", s) for s in services.get(sub.subscription_id.lower(), [])),
        ]
        for sub in coverage_by_subscription(findings)
    ]
    header = (*_HEADER, "COVERAGE")
    rows = [header, *(row for block in blocks for row in block)]
    widths = [max(len(terminal(row[i])) for row in rows) for i in range(len(header))]
    lines = [_align(header, widths)]
    for block in blocks:
        lines += [_align(row, widths) for row in block] + [""]
    return "\n".join([*lines, f"Overall: {format_coverage_summary(findings)}."])


def _md_table(first: str, second: str, rows: list[tuple[str, ...]]) -> list[str]:
    head = [first, second, "APIs", "Applicable", "Onboarded", "Noncompliant", "Not applicable", "Exempt", "Errors"]
    lines = ["| " + " | ".join([*head, "Coverage"]) + " |", "|---|---|" + "--:|" * 8]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def render_coverage_markdown(findings: Sequence[Finding]) -> str:
    """A summary sentence, a table of subscriptions and a table of services, both worst first."""
    subscriptions = [
        _cells(markdown(c.scope), _PLAN_WORD[c.plan_enabled], c) for c in coverage_by_subscription(findings)
    ]
    services = [
        _cells(markdown(c.service), markdown(c.scope.rpartition("/")[0]), c) for c in coverage_by_service(findings)
    ]
    lines = [f"## {TITLE}", "", format_coverage_summary(findings) + ".", "", "### Subscriptions", ""]
    lines += [*_md_table("Subscription", "Plan", subscriptions), "", "### Services, worst first", ""]
    lines += _md_table("Service", "Subscription/resource group", services)
    return "\n".join(lines) + "\n"


_e = html.escape
_ROW_H, _BAR_H, _LABEL_W, _BAR_W, _CHART_W, _NAME_MAX = 26, 16, 320, 500, 960, 38


def _segments(c: Coverage, x: float, y: float, width: float, height: float) -> str:
    """Stacked rectangles, one per non-empty outcome, over a light track that shows when a scope has no APIs."""
    out = [f'<rect x="{x}" y="{y}" width="{width}" height="{height}" fill="#f0f0f0"/>']
    for word, count in c.parts():
        if count:
            w = width * count / c.apis
            out.append(
                f'<rect x="{x:.2f}" y="{y}" width="{w:.2f}" height="{height}" fill="{_COLOR[word]}">'
                f"<title>{_phrase(count, word)}</title></rect>"
            )
            x += w
    return "".join(out)


def _word(count: int, word: str) -> str:
    return "error" if (count, word) == (1, "errors") else word


def _phrase(count: int, word: str) -> str:
    return f"{count} {_word(count, word)}"


def _breakdown(c: Coverage) -> str:
    return ", ".join(_phrase(count, word) for word, count in c.parts())


def _chart_row(c: Coverage, index: int) -> str:
    y = index * _ROW_H
    name = c.service if len(c.service) <= _NAME_MAX else c.service[: _NAME_MAX - 1] + "\u2026"
    text_y = y + _BAR_H - 3
    return (
        f'<g class="bar"><title>{_e(c.scope)}: {_e(_breakdown(c))}</title>'
        f'<text x="{_LABEL_W - 8}" y="{text_y}" text-anchor="end">{_e(name)}</text>'
        f"{_segments(c, _LABEL_W, y, _BAR_W, _BAR_H)}"
        f'<text x="{_LABEL_W + _BAR_W + 8}" y="{text_y}">{format_percent(c)} ({c.onboarded}/{c.applicable})</text></g>'
    )


def _html_chart(services: list[Coverage]) -> str:
    if not services:
        return '<p class="muted">No APIs found.</p>'
    shown = services[:CHART_CAP]
    rows = "".join(_chart_row(c, i) for i, c in enumerate(shown))
    svg = (
        f'<svg class="chart" viewBox="0 0 {_CHART_W} {len(shown) * _ROW_H}" role="img" '
        f'aria-label="Coverage per service, worst first">{rows}</svg>'
    )
    more = len(services) - len(shown)
    return svg + (f'<p class="muted">and {more} more {"service" if more == 1 else "services"}</p>' if more else "")


def _bar_svg(c: Coverage, css_class: str) -> str:
    return (
        f'<svg class="{css_class}" viewBox="0 0 1000 10" preserveAspectRatio="none" role="img" '
        f'aria-label="{_e(_breakdown(c))}">{_segments(c, 0, 0, 1000, 10)}</svg>'
    )


def _html_headline(findings: Sequence[Finding], total: Coverage) -> str:
    tiles = "".join(
        f'<li><span class="swatch" style="background:{_COLOR[word]}"></span><b>{count}</b> {_word(count, word)}</li>'
        for word, count in total.parts()
    )
    return (
        f"<header><h1>{TITLE}</h1>"
        f'<p class="headline"><span class="pct">{format_percent(total)}</span> of applicable APIs onboarded</p>'
        f'<p class="muted">{_e(format_coverage_summary(findings))}.</p>'
        f'{_bar_svg(total, "overall")}<ul class="counts">{tiles}</ul></header>'
    )


def _num_cells(c: Coverage) -> str:
    counts = (c.apis, c.onboarded, c.noncompliant, c.not_applicable, c.exempt, c.errors)
    return "".join(f'<td class="n">{n}</td>' for n in counts)


def _html_subscriptions(subscriptions: list[Coverage]) -> str:
    head = "".join(f'<th class="n">{h}</th>' for h in ("APIs", *(word.capitalize() for word in _COLOR)))
    rows = "".join(
        f'<tr><td class="id">{_e(c.scope)}</td>'
        f'<td><span class="badge plan-{_PLAN_WORD[c.plan_enabled]}">plan {_PLAN_WORD[c.plan_enabled]}</span></td>'
        f'<td class="n">{format_percent(c)}</td><td>{_bar_svg(c, "mini")}</td>{_num_cells(c)}</tr>'
        for c in subscriptions
    )
    return (
        "<section><h2>Subscriptions</h2><table><thead><tr><th>Subscription</th><th>Plan</th>"
        f'<th class="n">Coverage</th><th></th>{head}</tr></thead><tbody>{rows}</tbody></table></section>'
    )


def _finding_row(f: Finding) -> str:
    api = f.api or ("Defender for APIs plan" if f.kind is Kind.PLAN else "(whole service)")
    cells = [
        ("name", api),
        ("name", f.service or f.subscription_id),
        ("reason", REASON_TEXT[f.reason].title),
        ("detail", f.detail),
        ("nowrap", f.action.value.replace("_", " ")),
    ]
    status = f'<td><span class="badge {f.status.value}">{f.status.value}</span></td>'
    tds = "".join(f'<td class="{css}">{_e(text)}</td>' for css, text in cells)
    return f"<tr>{status}{tds}</tr>"


def _html_findings(findings: Sequence[Finding]) -> str:
    open_items = [f for f in sort_findings(findings) if f.status in (Status.ERROR, Status.NONCOMPLIANT)]
    if not open_items:
        return '<section><h2>Noncompliant and error findings</h2><p class="muted">None.</p></section>'
    return (
        "<section><h2>Noncompliant and error findings</h2><table><thead><tr><th>Status</th><th>API</th>"
        "<th>Service</th><th>Reason</th><th>Detail</th><th>Action</th></tr></thead>"
        f"<tbody>{''.join(_finding_row(f) for f in open_items)}</tbody></table></section>"
    )


_CSS = """
*{box-sizing:border-box;-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font:14px/1.45 'Segoe UI',system-ui,-apple-system,Roboto,sans-serif;color:#242424;background:#fff;
margin:0 auto;padding:24px;max-width:1100px}
h1{font-size:20px;margin:0}h2{font-size:17px;margin:32px 0 8px;padding-bottom:4px;border-bottom:1px solid #e0e0e0}
.headline{margin:8px 0 0}.pct{font-size:48px;font-weight:700;margin-right:8px}.muted{color:#616161;margin:4px 0}
.counts{list-style:none;padding:0;margin:12px 0;display:flex;flex-wrap:wrap;gap:8px}
.counts li{border:1px solid #e0e0e0;border-radius:6px;padding:6px 12px}.counts b{font-size:18px;margin-right:4px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
table{border-collapse:collapse;width:100%}thead{display:table-header-group}tr{break-inside:avoid}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #e0e0e0;vertical-align:top}
th{background:#f5f5f5;font-weight:600}.n{text-align:right;font-variant-numeric:tabular-nums}
.name{overflow-wrap:anywhere}.reason{min-width:9em}.detail{min-width:16em;overflow-wrap:anywhere}
.nowrap{white-space:nowrap}.id{white-space:nowrap;font-family:ui-monospace,Consolas,monospace;font-size:12px}
.badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;
white-space:nowrap}
.plan-on{background:#107c10}.plan-off,.noncompliant{background:#c50f1f}.plan-unknown{background:#8a8886}
.error{background:#eaa300;color:#242424}
.overall{display:block;width:100%;height:14px;margin:12px 0 0}.mini{width:90px;height:10px}
.chart{display:block;width:100%;max-width:960px;height:auto}.chart text{font-size:13px;fill:#242424}
footer{margin-top:32px;padding-top:8px;border-top:1px solid #e0e0e0;color:#616161;font-size:12px}
@media print{body{padding:0;max-width:none}h2{break-after:avoid}}
"""


def render_coverage_html(findings: Sequence[Finding], generated_at: str) -> str:
    """One self-contained, printable page: headline, subscriptions, a worst-first chart of services (the worst
    ``CHART_CAP``) and the noncompliant and error findings."""
    subscriptions, services = coverage_by_subscription(findings), coverage_by_service(findings)
    sections = [
        _html_headline(findings, coverage_overall(findings)),
        _html_subscriptions(subscriptions) if subscriptions else "",
        f"<section><h2>Services, worst first</h2>{_html_chart(services)}</section>",
        _html_findings(findings),
        f"<footer>Generated {_e(generated_at)} by apim-defender-monitor.</footer>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{TITLE}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )
