"""The dashboard and the alerts (infra/modules/dashboard.bicep, infra/monitoring/): the workbook is valid JSON whose
queries are well formed and read only the telemetry contract, and the two alert rules fire on the contract's
thresholds ("unprotected longer than sloHours", "outbox oldest older than an hour"), each through the action group."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from monitors.telemetry import INSTRUMENTS
from tests.infra.bicep import INFRA, condition, module, render, resource, template
from tests.infra.expressions import evaluate
from tests.infra.kql import KqlError, read_query

DASHBOARD = "modules/dashboard.bicep"
MONITORING = INFRA / "monitoring"
WORKBOOK = json.loads((MONITORING / "workbook.json").read_text(encoding="utf-8"))

# The telemetry contract (README "Dashboard and alerts"; monitors/telemetry.py): instrument -> its attributes, which
# Application Insights shows as customDimensions; and the log rows KQL reads from traces, with their attributes.
CONTRACT: dict[str, frozenset[str]] = {
    "monitor.findings": frozenset({"status", "reason", "subscription"}),
    "monitor.coverage": frozenset({"subscription"}),
    "monitor.unprotected.oldest_age": frozenset({"subscription"}),
    "monitor.onboardings": frozenset({"outcome"}),
    "monitor.deliveries": frozenset({"outcome", "sink"}),
    "monitor.outbox.depth": frozenset(),
    "monitor.outbox.oldest_age": frozenset(),
    "monitor.arm.requests": frozenset({"subscription", "status"}),
    "monitor.event.duration": frozenset(),
    "monitor.time_to_protect": frozenset({"stage"}),
}
LOG_ROWS: dict[str, frozenset[str]] = {"time_to_protect": frozenset({"api_id", "stage", "seconds"})}


def _items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every item, groups (type 12) opened."""
    return [x for item in items for x in ([item, *_items(item["content"].get("items", []))])]


def _parameters() -> dict[str, str]:
    """Workbook parameter name -> a value as the deployment fills it in (the SLO of the default deployment)."""
    values = {"__SLO_HOURS__": "24"}
    return {
        p["name"]: values.get(str(p.get("value")), "ago(7d)")
        for item in _items(WORKBOOK["items"])
        if item["type"] == 9
        for p in item["content"]["parameters"]
    }


QUERIES = {item["name"]: item["content"]["query"] for item in _items(WORKBOOK["items"]) if item["type"] == 3}
ALERT_QUERIES = sorted(path.name for path in MONITORING.glob("*.kql"))
ALL_QUERIES = [
    *(pytest.param(text, id=f"workbook:{name}") for name, text in QUERIES.items()),
    *(pytest.param((MONITORING / name).read_text(encoding="utf-8"), id=name) for name in ALERT_QUERIES),
]


def _rule(symbol: str) -> dict[str, Any]:
    return resource(DASHBOARD, symbol)


def _condition(symbol: str) -> dict[str, Any]:
    (only,) = _rule(symbol)["properties"]["criteria"]["allOf"]
    return only


def test_contract_names_the_instruments_the_code_creates():
    assert set(CONTRACT) == set(INSTRUMENTS)


# ---- the workbook ----


def test_workbook_is_a_notebook_with_items():
    assert (WORKBOOK["version"], len(WORKBOOK["items"]) > 0) == ("Notebook/1.0", True)


def test_workbook_item_names_are_unique():
    names = [item["name"] for item in _items(WORKBOOK["items"])]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("text", ALL_QUERIES)
def test_query_is_well_formed(text):
    assert read_query(text, _parameters()).table in {"customMetrics", "traces"}


@pytest.mark.parametrize("text", ALL_QUERIES)
def test_query_reads_exactly_one_instrument_or_log_row_of_the_contract(text):
    query = read_query(text, _parameters())
    named = (query.instruments & CONTRACT.keys()) | (query.messages & LOG_ROWS.keys())
    assert (len(query.instruments | query.messages), len(named)) == (1, 1)


@pytest.mark.parametrize("text", ALL_QUERIES)
def test_query_reads_only_dimensions_its_instrument_has(text):
    query = read_query(text, _parameters())
    allowed = frozenset().union(*(CONTRACT[i] for i in query.instruments), *(LOG_ROWS[m] for m in query.messages))
    assert query.dimensions - allowed == set()


@pytest.mark.parametrize("text", ALL_QUERIES)
def test_metric_queries_read_custom_metrics_and_log_row_queries_read_traces(text):
    query = read_query(text, _parameters())
    assert query.table == ("customMetrics" if query.instruments else "traces")


@pytest.mark.parametrize(
    "instrument",
    [
        pytest.param("monitor.coverage", id="coverage-over-time"),
        pytest.param("monitor.unprotected.oldest_age", id="unprotected-by-age"),
        pytest.param("monitor.outbox.depth", id="outbox-depth"),
        pytest.param("monitor.outbox.oldest_age", id="outbox-age"),
        pytest.param("monitor.deliveries", id="deliveries-by-outcome"),
    ],
)
def test_workbook_charts_each_section_of_the_issue(instrument):
    assert any(instrument in read_query(text, _parameters()).instruments for text in QUERIES.values())


def test_coverage_is_charted_over_time_per_subscription():
    item = next(i for i in _items(WORKBOOK["items"]) if i["name"] == "coverage-over-time")
    query = item["content"]["query"]
    assert (item["content"]["visualization"], "by bin(timestamp, 1h), subscription" in query) == ("timechart", True)


def test_time_to_protect_p50_and_p95_come_from_the_log_rows_seconds():
    query = QUERIES["time-to-protect-percentiles"]
    percentiles = re.findall(r"percentile\(seconds, (\d+)\)", query)
    assert (read_query(query).messages, percentiles, "seconds = todouble(customDimensions.seconds)" in query) == (
        frozenset({"time_to_protect"}),
        ["50", "95"],
        True,
    )


def test_deliveries_are_split_by_outcome():
    assert "by bin(timestamp, 1h), outcome" in QUERIES["deliveries-by-outcome"]


def test_every_query_item_runs_on_application_insights_in_the_time_range():
    contents = [i["content"] for i in _items(WORKBOOK["items"]) if i["type"] == 3]
    assert {(c["queryType"], c["resourceType"], c["timeContextFromParameter"]) for c in contents} == {
        (0, "microsoft.insights/components", "TimeRange")
    }


def test_structural_reader_rejects_a_broken_query():
    with pytest.raises(KqlError, match="unbalanced"):
        read_query('customMetrics | where name == "monitor.coverage")')


def test_structural_reader_rejects_an_unknown_table():
    with pytest.raises(KqlError, match="unknown table"):
        read_query('customMetric | where name == "monitor.coverage"')


# ---- the deployment fills the workbook's placeholders ----


@pytest.mark.parametrize("placeholder", ["__APP_INSIGHTS_ID__", "__SLO_HOURS__"])
def test_each_placeholder_occurs_once_in_the_workbook(placeholder):
    assert (MONITORING / "workbook.json").read_text(encoding="utf-8").count(placeholder) == 1


def test_workbook_is_deployed_from_its_file_with_both_placeholders_filled():
    serialized = render(resource(DASHBOARD, "workbook")["properties"]["serializedData"])
    assert serialized == (
        "replace(replace(loadTextContent(../monitoring/workbook.json), __APP_INSIGHTS_ID__, appInsights.id), "
        "__SLO_HOURS__, sloHours)"
    )


def test_workbook_opens_on_the_application_insights_component():
    workbook = resource(DASHBOARD, "workbook")
    assert (workbook["kind"], render(workbook["properties"]["sourceId"]), WORKBOOK["fallbackResourceIds"]) == (
        "shared",
        "appInsights.id",
        ["__APP_INSIGHTS_ID__"],
    )


def test_workbook_slo_parameter_is_the_placeholder_the_deployment_fills():
    assert _parameters()["SloHours"] == "24"


# ---- the alert rules ----


@pytest.mark.parametrize(
    ("symbol", "query_file", "instrument"),
    [
        pytest.param("unprotectedRule", "unprotected-slo.kql", "monitor.unprotected.oldest_age", id="slo"),
        pytest.param("outboxRule", "outbox-age.kql", "monitor.outbox.oldest_age", id="outbox"),
    ],
)
def test_alert_rule_queries_its_file_for_the_contracts_instrument(symbol, query_file, instrument):
    query = read_query((MONITORING / query_file).read_text(encoding="utf-8"))
    assert (render(_condition(symbol)["query"]), query.instruments) == (
        f"loadTextContent(../monitoring/{query_file})",
        frozenset({instrument}),
    )


@pytest.mark.parametrize("symbol", ["unprotectedRule", "outboxRule"])
def test_alert_rule_fires_when_the_maximum_exceeds_the_threshold(symbol):
    criterion = _condition(symbol)
    assert (criterion["timeAggregation"], criterion["operator"]) == ("Maximum", "GreaterThan")


@pytest.mark.parametrize(
    ("symbol", "query_file"),
    [pytest.param("unprotectedRule", "unprotected-slo.kql"), pytest.param("outboxRule", "outbox-age.kql")],
)
def test_alert_rule_measures_the_column_its_query_summarizes(symbol, query_file):
    text = (MONITORING / query_file).read_text(encoding="utf-8")
    column = _condition(symbol)["metricMeasureColumn"]
    assert re.search(rf"summarize {column} = max\(value\)", text) is not None


@pytest.mark.parametrize(("slo_hours", "seconds"), [("24", 86400), ("48", 172800), ("1", 3600)])
def test_slo_threshold_is_slo_hours_in_seconds(slo_hours, seconds):
    threshold = _condition("unprotectedRule")["threshold"]
    assert evaluate(threshold, {"sloHours": slo_hours}, DASHBOARD) == seconds


def test_outbox_threshold_is_one_hour():
    assert evaluate(_condition("outboxRule")["threshold"], {}, DASHBOARD) == 3600


def test_slo_alert_is_raised_per_subscription():
    dimensions = _condition("unprotectedRule")["dimensions"]
    text = (MONITORING / "unprotected-slo.kql").read_text(encoding="utf-8")
    assert (dimensions, text.rstrip().endswith("by subscription")) == (
        [{"name": "subscription", "operator": "Include", "values": ["*"]}],
        True,
    )


def test_slo_window_holds_one_sweep_at_the_default_hourly_schedule():
    schedule = template("app.bicep")["parameters"]["sweepSchedule"]["default"]
    assert (_rule("unprotectedRule")["properties"]["windowSize"], schedule) == ("PT1H", "0 0 * * * *")


@pytest.mark.parametrize("symbol", ["unprotectedRule", "outboxRule"])
def test_alert_rule_notifies_the_action_group_and_resolves_itself(symbol):
    properties = _rule(symbol)["properties"]
    assert ([render(g) for g in properties["actions"]["actionGroups"]], properties["autoMitigate"]) == (
        ["actionGroup.id"],
        True,
    )


@pytest.mark.parametrize("symbol", ["unprotectedRule", "outboxRule"])
def test_alert_rule_is_a_log_alert_on_the_component(symbol):
    rule = _rule(symbol)
    assert (rule["kind"], [render(s) for s in rule["properties"]["scopes"]], rule["properties"]["enabled"]) == (
        "LogAlert",
        ["appInsights.id"],
        True,
    )


# ---- the action group, privileges and outputs ----


def test_action_group_exists_without_receivers_when_no_email_is_given():
    receivers = resource(DASHBOARD, "actionGroup")["properties"]["emailReceivers"]["operator"]["operands"]
    assert (render(receivers["condition"]), receivers["true_value"], receivers["false_value"]) == (
        "empty(alertEmail)",
        [],
        [{"name": "operator", "emailAddress": "alertEmail", "useCommonAlertSchema": True}],
    )


def test_action_group_is_global_with_a_short_name_within_twelve_characters():
    group = resource(DASHBOARD, "actionGroup")
    assert (group["location"], len(group["properties"]["groupShortName"]) <= 12) == ("global", True)


def test_dashboard_grants_nothing_and_gives_the_rules_no_identity():
    resources = template(DASHBOARD)["resources"].values()
    kinds = {r["type"] for r in resources}
    identities = [r for r in resources if "identity" in r["config"]]
    assert ("Microsoft.Authorization/roleAssignments" in kinds, identities) == (False, [])


def test_dashboard_outputs_only_resource_ids():
    outputs = template(DASHBOARD)["outputs"]
    assert {name: render(o["value"]) for name, o in outputs.items()} == {
        "workbookId": "workbook.id",
        "actionGroupId": "actionGroup.id",
    }


@pytest.mark.parametrize(
    ("resource_type", "api_version"),
    [
        pytest.param("Microsoft.Insights/workbooks", "2023-06-01", id="workbook"),
        pytest.param("Microsoft.Insights/scheduledQueryRules", "2023-12-01", id="rules"),
        pytest.param("Microsoft.Insights/actionGroups", "2023-01-01", id="action-group"),
    ],
)
def test_resources_use_the_stable_api_versions_their_shapes_were_checked_against(resource_type, api_version):
    versions = {r["api_version"] for r in template(DASHBOARD)["resources"].values() if r["type"] == resource_type}
    assert versions == {api_version}


# ---- wiring ----


def test_app_deploys_the_dashboard_on_the_monitoring_component_unconditionally():
    dashboard = module("app.bicep", "dashboard")
    assert (
        render(dashboard["params"]["appInsightsName"]),
        condition(template("app.bicep")["modules"]["dashboard"]),
    ) == (
        "monitoring.outputs.appInsightsName",
        None,
    )


@pytest.mark.parametrize("name", ["sloHours", "alertEmail"])
def test_app_passes_its_alert_parameters_to_the_dashboard(name):
    assert module("app.bicep", "dashboard")["params"][name] == name


@pytest.mark.parametrize("relative", ["app.bicep", "main.bicep", DASHBOARD])
def test_slo_defaults_to_24_hours(relative):
    assert template(relative)["parameters"]["sloHours"]["default"] == "24"


@pytest.mark.parametrize(
    ("parameter", "value"),
    [("sloHours", "${AZURE_SLO_HOURS=24}"), ("alertEmail", "${AZURE_ALERT_EMAIL}")],
)
def test_azd_environment_sets_the_alert_parameters(parameter, value):
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    assert parameters[parameter]["value"] == value
