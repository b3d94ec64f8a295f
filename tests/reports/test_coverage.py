"""Coverage summary: the arithmetic per service and subscription, ordering, and the pinned wording of the renderers."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from monitors.model import Action, Finding, Kind, Reason, Status
from monitors.reports import coverage
from monitors.reports.html import CHART_CAP, render_coverage_html

SUB_A = "00000000-0000-0000-0000-00000000000a"
SUB_B = "00000000-0000-0000-0000-00000000000b"
REASON = {
    Status.COMPLIANT: Reason.ONBOARDED,
    Status.NONCOMPLIANT: Reason.NOT_ONBOARDED,
    Status.NOT_APPLICABLE: Reason.NON_REST_API,
    Status.EXEMPT: Reason.EXEMPT,
    Status.ERROR: Reason.ARM_ERROR,
}
HOSTILE = "<script>alert(1)</script>"


def api(name, status, service="svc", sub=SUB_A, kind=Kind.API, action=Action.NONE):
    reason = Reason.COLLECTION_WITHOUT_API if kind is Kind.ORPHAN_COLLECTION else REASON[status]
    return Finding(
        kind=kind,
        resource_id=f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ApiManagement/service/{service}"
        f"/apis/{name}",
        subscription_id=sub,
        resource_group="rg",
        service=service,
        api=name,
        display_name=name,
        status=status,
        reason=reason,
        detail=f"API '{name}' of APIM service '{service}' is {status}.",
        action=action,
    )


def plan(sub, reason):
    return Finding(
        kind=Kind.PLAN,
        resource_id=f"/subscriptions/{sub}/providers/Microsoft.Security/pricings/Api",
        subscription_id=sub,
        resource_group="",
        service="",
        api="",
        display_name="Defender for APIs plan",
        status=Status.ERROR if reason is Reason.ARM_ERROR else Status.COMPLIANT,
        reason=reason,
        detail=f"The Defender for APIs plan of subscription {sub} is Standard.",
    )


def many(count, status, service="svc", sub=SUB_A):
    return [api(f"{status}-{i}", status, service, sub) for i in range(count)]


# Subscription A: plan on, svc-a 7 of 8 onboarded, svc-b 1 of 2 (plus one exempt); subscription B: plan off,
# svc-c with one not applicable API only.
EXAMPLE = [
    plan(SUB_A, Reason.PLAN_ENABLED),
    *many(7, Status.COMPLIANT, "svc-a"),
    api("orders", Status.NONCOMPLIANT, "svc-a"),
    api("legacy", Status.ERROR, "svc-b"),
    api("users", Status.COMPLIANT, "svc-b"),
    api("partner", Status.EXEMPT, "svc-b"),
    plan(SUB_B, Reason.PLAN_NOT_ENABLED),
    api("soap", Status.NOT_APPLICABLE, "svc-c", SUB_B),
]


def by_service(findings):
    return {c.service: c for c in coverage.coverage_by_service(findings)}


def test_service_percent_is_onboarded_over_applicable() -> None:
    assert by_service(EXAMPLE)["svc-a"].percent == 87.5


def test_subscription_percent_spans_its_services() -> None:
    row = coverage.coverage_by_subscription(EXAMPLE)[0]
    assert (row.subscription_id, row.onboarded, row.applicable) == (SUB_A, 8, 10)


def test_not_applicable_and_exempt_leave_the_denominator() -> None:
    findings = [
        api("a", Status.COMPLIANT),
        api("b", Status.NONCOMPLIANT),
        api("c", Status.NOT_APPLICABLE),
        api("d", Status.EXEMPT),
    ]
    row = by_service(findings)["svc"]
    assert (row.apis, row.applicable, row.percent) == (4, 2, 50.0)


def test_errors_stay_in_the_denominator() -> None:
    row = by_service([api("a", Status.COMPLIANT), api("b", Status.ERROR)])["svc"]
    assert (row.applicable, row.errors, row.percent) == (2, 1, 50.0)


def test_nothing_applicable_is_n_a() -> None:
    row = by_service([api("a", Status.NOT_APPLICABLE), api("b", Status.EXEMPT)])["svc"]
    assert (row.percent, coverage.format_percent(row)) == (None, "n/a")


@pytest.mark.parametrize(
    ("onboarded", "applicable", "text"),
    [
        pytest.param(7, 8, "87.5%", id="exact"),
        pytest.param(1, 16, "6.3%", id="half-up"),
        pytest.param(1999, 2000, "99.9%", id="gap-never-100"),
        pytest.param(1, 2000, "0.1%", id="one-never-0"),
        pytest.param(3, 3, "100.0%", id="full"),
    ],
)
def test_percent_is_formatted_with_one_decimal(onboarded, applicable, text) -> None:
    findings = [*many(onboarded, Status.COMPLIANT), *many(applicable - onboarded, Status.NONCOMPLIANT)]
    assert coverage.format_percent(by_service(findings)["svc"]) == text


@pytest.mark.parametrize(
    ("plan_findings", "expected"),
    [
        pytest.param([plan(SUB_A, Reason.PLAN_ENABLED)], True, id="on"),
        pytest.param([plan(SUB_A, Reason.PLAN_NOT_ENABLED)], False, id="off"),
        pytest.param([plan(SUB_A, Reason.ARM_ERROR)], None, id="unreadable"),
        pytest.param([], None, id="missing"),
    ],
)
def test_plan_state_comes_from_the_plan_finding(plan_findings, expected) -> None:
    findings = [*plan_findings, api("a", Status.COMPLIANT)]
    rows = (coverage.coverage_by_subscription(findings)[0], by_service(findings)["svc"])
    assert [r.plan_enabled for r in rows] == [expected, expected]


def test_subscription_with_only_a_plan_finding_is_listed_as_n_a() -> None:
    row = coverage.coverage_by_subscription([plan(SUB_B, Reason.PLAN_NOT_ENABLED)])[0]
    assert (row.subscription_id, row.apis, row.percent, row.plan_enabled) == (SUB_B, 0, None, False)


def test_orphan_collections_are_not_apis() -> None:
    findings = [api("a", Status.COMPLIANT), api("gone", Status.NONCOMPLIANT, kind=Kind.ORPHAN_COLLECTION)]
    row = coverage.coverage_by_subscription(findings)[0]
    assert (row.apis, row.noncompliant, row.percent) == (1, 0, 100.0)


def test_service_names_are_compared_case_insensitively() -> None:
    findings = [api("a", Status.COMPLIANT, "Svc"), api("b", Status.NONCOMPLIANT, "svc")]
    assert [(c.service, c.apis) for c in coverage.coverage_by_service(findings)] == [("Svc", 2)]


def test_services_come_worst_first_then_by_name_with_n_a_last() -> None:
    findings = [
        api("a", Status.NOT_APPLICABLE, "aaa"),
        api("b", Status.COMPLIANT, "bbb"),
        api("c", Status.NONCOMPLIANT, "zzz"),
        api("d", Status.NONCOMPLIANT, "yyy"),
    ]
    assert [c.service for c in coverage.coverage_by_service(findings)] == ["yyy", "zzz", "bbb", "aaa"]


def test_overall_plan_is_off_when_any_subscription_is_off() -> None:
    assert coverage.coverage_overall(EXAMPLE).plan_enabled is False


def test_table_wording() -> None:
    assert coverage.render_coverage_table(EXAMPLE) == "\n".join(
        [
            "SCOPE                                 PLAN  APIS  APPLICABLE  ONBOARDED  NONCOMPLIANT  NOT APPLICABLE"
            "  EXEMPT  ERRORS  COVERAGE",
            "00000000-0000-0000-0000-00000000000a  on      11          10          8             1               0"
            "       1       1     80.0%",
            "  rg/svc-b                                     3           2          1             0               0"
            "       1       1     50.0%",
            "  rg/svc-a                                     8           8          7             1               0"
            "       0       0     87.5%",
            "",
            "00000000-0000-0000-0000-00000000000b  off      1           0          0             0               1"
            "       0       0       n/a",
            "  rg/svc-c                                     1           0          0             0               1"
            "       0       0       n/a",
            "",
            "Overall: 8 of 10 applicable APIs onboarded (80.0%) across 3 services in 2 subscriptions: "
            "1 noncompliant, 1 not applicable, 1 exempt, 1 error.",
        ]
    )


def test_markdown_wording() -> None:
    assert coverage.render_coverage_markdown(EXAMPLE) == "\n".join(
        [
            "## Defender for APIs coverage",
            "",
            "8 of 10 applicable APIs onboarded (80.0%) across 3 services in 2 subscriptions: "
            "1 noncompliant, 1 not applicable, 1 exempt, 1 error.",
            "",
            "### Subscriptions",
            "",
            "| Subscription | Plan | APIs | Applicable | Onboarded | Noncompliant | Not applicable | Exempt | Errors"
            " | Coverage |",
            "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
            f"| {SUB_A} | on | 11 | 10 | 8 | 1 | 0 | 1 | 1 | 80.0% |",
            f"| {SUB_B} | off | 1 | 0 | 0 | 0 | 1 | 0 | 0 | n/a |",
            "",
            "### Services, worst first",
            "",
            "| Service | Subscription/resource group | APIs | Applicable | Onboarded | Noncompliant | Not applicable"
            " | Exempt | Errors | Coverage |",
            "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
            f"| svc-b | {SUB_A}/rg | 3 | 2 | 1 | 0 | 0 | 1 | 1 | 50.0% |",
            f"| svc-a | {SUB_A}/rg | 8 | 8 | 7 | 1 | 0 | 0 | 0 | 87.5% |",
            f"| svc-c | {SUB_B}/rg | 1 | 0 | 0 | 0 | 1 | 0 | 0 | n/a |",
            "",
        ]
    )


def test_markdown_escapes_pipes_and_html() -> None:
    text = coverage.render_coverage_markdown([api("a", Status.COMPLIANT, "a|<b>")])
    assert "| a\\|&lt;b&gt; |" in text


HOSTILE_FINDINGS = [
    api(HOSTILE, Status.NONCOMPLIANT, HOSTILE),
    api("ok", Status.COMPLIANT, f'x"><img src=x onerror=alert(1)>{HOSTILE}'),
    plan(SUB_A, Reason.PLAN_ENABLED),
]


def test_html_escapes_hostile_names() -> None:
    page = render_coverage_html(HOSTILE_FINDINGS, "2025-01-01T00:00:00+00:00")
    assert ("<script" in page, "<img" in page, "&lt;script&gt;alert(1)&lt;/script&gt;" in page) == (
        False,
        False,
        True,
    )


class TagBalance(HTMLParser):
    """Records end tags that do not close the innermost open element, and what stays open at the end."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.mismatched: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.open += [] if tag in self.VOID else [tag]

    def handle_endtag(self, tag) -> None:
        top = self.open.pop() if self.open else None
        self.mismatched += [] if top == tag else [f"{top}!={tag}"]


def test_html_is_well_formed() -> None:
    parser = TagBalance()
    parser.feed(render_coverage_html([*EXAMPLE, *HOSTILE_FINDINGS], "2025-01-01"))
    parser.close()
    assert (parser.mismatched, parser.open) == ([], [])


def test_html_headline_has_the_overall_percentage() -> None:
    page = render_coverage_html(EXAMPLE, "2025-01-01")
    assert '<span class="pct">80.0%</span> of applicable APIs onboarded' in page


def test_html_draws_one_bar_per_service() -> None:
    page = render_coverage_html(EXAMPLE, "2025-01-01")
    assert (page.count('<g class="bar">'), "more service" in page) == (3, False)


def test_html_caps_the_chart_to_the_worst_services() -> None:
    findings = [api("a", Status.NONCOMPLIANT, f"svc-{i:03}") for i in range(CHART_CAP + 3)]
    page = render_coverage_html(findings, "2025-01-01")
    assert (page.count('<g class="bar">'), "and 3 more services" in page) == (CHART_CAP, True)


def test_html_shows_plan_badges() -> None:
    page = render_coverage_html(EXAMPLE, "2025-01-01")
    on, off = '<span class="badge plan-on">plan on</span>', '<span class="badge plan-off">plan off</span>'
    assert (on in page, off in page) == (True, True)


def test_html_lists_noncompliant_and_error_findings_with_reason_titles() -> None:
    page = render_coverage_html(EXAMPLE, "2025-01-01")
    assert (
        "Not onboarded to Defender for APIs" in page,
        "Azure could not answer" in page,
        "Exempted by tag" in page,
    ) == (
        True,
        True,
        False,
    )


def test_html_footer_has_generated_at() -> None:
    page = render_coverage_html(EXAMPLE, "2025-06-30T12:00:00+00:00")
    assert "<footer>Generated 2025-06-30T12:00:00+00:00 by apim-defender-monitor.</footer>" in page
