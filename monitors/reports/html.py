"""The coverage report as one self-contained, printable HTML page: inline CSS and SVG, no scripts or external
resources, every text escaped (names come from resources anyone with write access can create). Pure text builder:
the caller passes the generation time in.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from monitors import severity
from monitors.model import Finding, Kind, Severity, Status
from monitors.plans import PlanUsage
from monitors.reports.coverage import (
    PLAN_WORD,
    TITLE,
    Coverage,
    coverage_by_service,
    coverage_by_subscription,
    coverage_overall,
    format_coverage_summary,
    format_percent,
)
from monitors.reports.findings import sort_findings
from monitors.texts import REASON_TEXT, exposure_words

CHART_CAP = 50
_COLOR = {
    "onboarded": "#107c10",
    "noncompliant": "#c50f1f",
    "not applicable": "#8a8886",
    "exempt": "#0f6cbd",
    "errors": "#eaa300",
}
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
        f'<td><span class="badge plan-{PLAN_WORD[c.plan_enabled]}">plan {PLAN_WORD[c.plan_enabled]}</span></td>'
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
        ("detail", exposure_words(f) or ""),
        ("nowrap", f.action.value.replace("_", " ")),
    ]
    level = severity.of(f).value
    badges = (
        f'<td><span class="badge sev-{level}">{level}</span></td>'
        f'<td><span class="badge {f.status.value}">{f.status.value}</span></td>'
    )
    tds = "".join(f'<td class="{css}">{_e(text)}</td>' for css, text in cells)
    return f"<tr>{badges}{tds}</tr>"


def _plan_row(f: Finding, u: PlanUsage) -> str:
    share = f"{u.share_of_included:.0%}" if u.share_of_included is not None else "-"
    overage = f"${u.forecast_overage_cost:,.2f}" if u.forecast_overage_cost is not None else "-"
    saving = f"${u.monthly_saving:,.2f}" if u.monthly_saving else "-"
    cells = [
        ("id", f.subscription_id),
        ("nowrap", u.sub_plan or "off"),
        ("n", f"{u.monthly_calls:,}"),
        ("n", share),
        ("n", overage),
        ("nowrap", u.fitting_plan),
        ("n", saving),
    ]
    return "<tr>" + "".join(f'<td class="{css}">{_e(text)}</td>' for css, text in cells) + "</tr>"


def _html_plans(findings: Sequence[Finding]) -> str:
    """Per subscription: the month's API calls against its sub-plan, the forecast overage and the plan that fits."""
    plans = sorted((f for f in findings if f.kind is Kind.PLAN), key=lambda f: f.subscription_id)
    sized = [(f, f.plan_usage) for f in plans if f.plan_usage is not None]
    if not sized:
        return ""
    head = "".join(
        f"<th{css}>{name}</th>"
        for name, css in (
            ("Subscription", ""),
            ("Sub-plan", ""),
            ("API calls, 30 days", ' class="n"'),
            ("Of included", ' class="n"'),
            ("Forecast overage", ' class="n"'),
            ("Plan that fits", ""),
            ("Saving a month", ' class="n"'),
        )
    )
    rows = "".join(_plan_row(f, u) for f, u in sized)
    return (
        "<section><h2>Defender for APIs plans: size and cost</h2><table><thead><tr>"
        f'{head}</tr></thead><tbody>{rows}</tbody></table><p class="muted">USD at list prices '
        "(MONITOR_PLAN_TABLE); the Requests metric counts every gateway call, so this is an upper bound.</p></section>"
    )


_FINDINGS_TITLE = "Findings to act on, most severe first"


def _to_act_on(f: Finding) -> bool:
    return f.status in (Status.ERROR, Status.NONCOMPLIANT) or severity.of(f).at_least(Severity.HIGH)


def _html_findings(findings: Sequence[Finding]) -> str:
    """Noncompliant and unknown findings, and any other of high severity or worse (an onboarded API that Defender
    sees exposed), most severe first."""
    open_items = [f for f in sort_findings(findings) if _to_act_on(f)]
    if not open_items:
        return f'<section><h2>{_FINDINGS_TITLE}</h2><p class="muted">None.</p></section>'
    return (
        f"<section><h2>{_FINDINGS_TITLE}</h2><table><thead><tr><th>Severity</th><th>Status</th><th>API</th>"
        "<th>Service</th><th>Reason</th><th>Detail</th><th>Exposure</th><th>Action</th></tr></thead>"
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
.sev-critical{background:#750b1c}.sev-high{background:#c50f1f}.sev-medium{background:#eaa300;color:#242424}
.sev-low{background:#0f6cbd}.sev-info{background:#8a8886}
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
        _html_plans(findings),
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
