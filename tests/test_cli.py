"""``python -m monitors`` through ``main([...])``: exit codes, the findings JSON contract, SARIF, event replay."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
from sarif_kit.validate import validation_errors

from monitors.cli import main, template_kind
from monitors.errors import StateError
from monitors.runtime import Scope, build_runtime
from monitors.templates.resources import Source, TemplateFile, TemplateResource
from tests.alerts.sockets import established_to, needs_proc
from tests.conftest import PROD, SUB_DEV

DATA = Path(__file__).parent / "data"


@pytest.fixture
def cli(arm, monkeypatch, emulator_env):
    for key, value in emulator_env.items():
        monkeypatch.setenv(key, value)

    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    return run


def test_scan_with_noncompliant_api_exits_1(cli) -> None:
    assert cli("scan", "--subscription", PROD)[0] == 1


def test_scan_fail_on_never_exits_0(cli) -> None:
    assert cli("scan", "--subscription", PROD, "--fail-on", "never")[0] == 0


def test_scan_of_compliant_service_exits_0(cli, arm) -> None:
    code, out, _ = cli("scan", "--subscription", PROD, "--service", "apim-far", "--format", "json")
    assert (code, json.loads(out)["summary"]["noncompliant"]) == (0, 0)


def test_scan_json_matches_the_findings_contract(cli) -> None:
    _, out, _ = cli("scan", "--subscription", PROD, "--format", "json")
    schema = json.loads((DATA / "findings.schema.json").read_text())
    jsonschema.validate(json.loads(out), schema)


def test_scan_summary_counts_findings(cli) -> None:
    _, out, _ = cli("scan", "--subscription", SUB_DEV, "--format", "json")
    body = json.loads(out)
    assert body["summary"] == {
        "total": 2,
        "compliant": 0,
        "noncompliant": 2,
        "not_applicable": 0,
        "exempt": 0,
        "error": 0,
        "onboarded": 0,
        "by_severity": {"critical": 0, "high": 1, "medium": 1, "low": 0, "info": 0},  # the plan is off; one API
    }


def test_scan_sarif_is_what_code_scanning_accepts(cli) -> None:
    _, out, _ = cli("scan", "--subscription", PROD, "--format", "sarif")
    sarif = json.loads(out)
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    results_ok = [
        r["ruleId"] in rule_ids
        and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        and r["message"]["text"]
        for r in run["results"]
    ]
    assert (sarif["version"], bool(results_ok) and all(results_ok)) == ("2.1.0", True)


def test_scan_sarif_validates_against_the_oasis_schema(cli) -> None:
    _, out, _ = cli("scan", "--subscription", PROD, "--format", "sarif")
    assert validation_errors(json.loads(out)) == []


def test_handle_event_with_arm_throttling_reports_an_error_finding_and_exits_3(cli, arm) -> None:
    arm.add_fault("GET", "apiCollections", status=429, retry_after=0, times=100)
    code, out, _ = cli("handle-event", str(DATA / "event_burst.json"), "--format", "json")
    reasons = sorted({f["reason"] for f in json.loads(out)["findings"]})
    assert (code, reasons) == (3, ["arm_error"])


def test_scan_markdown_has_a_row_per_finding(cli) -> None:
    _, out, _ = cli("scan", "--subscription", SUB_DEV, "--format", "markdown")
    assert out.count(" | noncompliant |") == 2


def test_scan_with_arm_failing_exits_3(cli, arm) -> None:
    arm.add_fault("GET", "/apis", status=500, times=100)
    code, out, _ = cli("scan", "--subscription", PROD, "--format", "json")
    assert (code, json.loads(out)["summary"]["error"] > 0) == (3, True)


def test_handle_event_replays_a_dead_lettered_file(cli) -> None:
    code, out, err = cli("handle-event", str(DATA / "event_burst.json"), "--format", "json")
    findings = json.loads(out)["findings"]
    assert (code, sorted(f["api"] for f in findings), err.count("ignored")) == (1, ["echo-api", "orders"], 4)


def test_handle_event_reads_stdin(cli, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((DATA / "event_burst.json").read_bytes())))
    assert cli("handle-event", "-")[0] == 1


def test_handle_event_with_bad_json_exits_2_with_one_line(cli, tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, _, err = cli("handle-event", str(bad))
    assert (code, err.count("\n"), err.startswith("error:")) == (2, 1, True)


def test_missing_event_file_exits_2(cli, tmp_path) -> None:
    assert cli("handle-event", str(tmp_path / "absent.json"))[0] == 2


def test_usage_error_exits_2(cli) -> None:
    assert cli("scan")[0] == 2


def test_bad_setting_exits_2_naming_it(cli, monkeypatch) -> None:
    monkeypatch.setenv("MONITOR_AUTO_ONBOARD", "yes")
    code, _, err = cli("scan", "--subscription", PROD)
    assert (code, "MONITOR_AUTO_ONBOARD" in err) == (2, True)


@pytest.fixture
def alerting_cli(cli, monkeypatch, receiver, tmp_path):
    monkeypatch.setenv("MONITOR_STATE", f"sqlite:{tmp_path / 'state.sqlite'}")
    monkeypatch.setenv("MONITOR_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("MONITOR_WEBHOOK_SECRET", "whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw==")
    return cli


def test_scan_sends_one_digest_per_sink(alerting_cli, receiver) -> None:
    alerting_cli("scan", "--subscription", PROD)
    bodies = [json.loads(r.body) for r in receiver.requests]
    assert (len(bodies), len(bodies[0]["alerts"]) > 1) == (1, True)


@needs_proc
def test_closing_the_runtime_lets_its_sink_connections_go(make_settings, receiver, tmp_path) -> None:
    settings = make_settings(state=f"sqlite:{tmp_path / 'state.sqlite'}", slack_webhook_url=receiver.url)
    runtime = build_runtime(settings, in_azure=False)
    runtime.scan(Scope((PROD,), use_graph=False))  # one digest, over a kept-alive connection
    open_while_alive = established_to(receiver.server.server_address[1])
    runtime.close()
    assert (len(receiver.requests), open_while_alive, established_to(receiver.server.server_address[1])) == (1, 1, 0)


def test_a_sink_that_fails_to_close_leaves_nothing_else_open(make_settings, receiver, tmp_path, monkeypatch) -> None:
    settings = make_settings(state=f"sqlite:{tmp_path / 'state.sqlite'}", slack_webhook_url=receiver.url)
    runtime = build_runtime(settings, in_azure=False)
    assert runtime.notifier is not None and runtime.store is not None

    def stuck() -> None:
        raise OSError("sink stuck")

    monkeypatch.setattr(runtime.notifier, "close", stuck)
    with pytest.raises(OSError, match="sink stuck"):
        runtime.close()
    with pytest.raises(StateError, match="closed database"):
        runtime.store.get_status("k")  # the store was closed all the same


def test_second_scan_is_quiet(alerting_cli, receiver) -> None:
    alerting_cli("scan", "--subscription", PROD)
    alerting_cli("scan", "--subscription", PROD)
    assert len(receiver.requests) == 1


def test_alerts_shows_an_empty_outbox_after_delivery(alerting_cli) -> None:
    alerting_cli("scan", "--subscription", PROD)
    code, out, _ = alerting_cli("alerts", "--pending")
    assert (code, out.strip()) == (0, "outbox empty: every alert was delivered")


def test_alerts_pending_shows_a_parked_alert_and_exits_3(alerting_cli, receiver, monkeypatch) -> None:
    monkeypatch.setenv("MONITOR_ALERT_MAX_ATTEMPTS", "1")
    receiver.answer((500, {}, b""))
    alerting_cli("scan", "--subscription", PROD)
    code, out, _ = alerting_cli("alerts", "--pending")
    assert (code, "PARKED" in out, "HTTP 500" in out, "XXSECRETXX" in out) == (3, True, True, False)


def test_alerts_parked_lists_only_parked_alerts_and_pending_lists_every_waiting_one(
    alerting_cli, receiver, monkeypatch
) -> None:
    receiver.answer((503, {}, b""))
    alerting_cli("scan", "--subscription", PROD)  # one digest, waiting for its retry
    shown = {flag: alerting_cli("alerts", flag) for flag in ("--pending", "--parked")}
    assert (shown["--pending"][0], "next try" in shown["--pending"][1]) == (0, True)
    assert (shown["--parked"][0], shown["--parked"][1].strip()) == (0, "no parked alerts")


def test_alerts_deliver_retries_the_outbox(alerting_cli, receiver, monkeypatch) -> None:
    monkeypatch.setenv("MONITOR_ALERT_RETRY_SECONDS", "0")
    receiver.answer((503, {}, b""))
    alerting_cli("scan", "--subscription", PROD)
    code, out, _ = alerting_cli("alerts", "--deliver")
    assert (code, out.splitlines()[0]) == (0, "delivered 1, retrying 0, parked 0")


def test_alerts_without_state_is_a_usage_error(cli) -> None:
    code, _, err = cli("alerts")
    assert (code, "MONITOR_STATE" in err) == (2, True)


def test_scan_all_covers_every_subscription_with_a_coverage_summary(cli, monkeypatch) -> None:
    monkeypatch.setenv("MONITOR_SUBSCRIPTIONS", f"{PROD},{SUB_DEV}")
    code, out, err = cli("scan", "--all")
    assert (code, "Overall:" in out, SUB_DEV in out, err) == (1, True, True, "")


def test_scan_all_lists_subscriptions_when_none_configured(cli) -> None:
    code, out, _ = cli("scan", "--all", "--format", "json")
    subs = sorted({f["subscription_id"] for f in json.loads(out)["findings"]})
    assert (code, subs) == (1, [PROD, SUB_DEV])


def test_scan_all_html_report_has_a_chart(cli) -> None:
    _, out, _ = cli("scan", "--all", "--format", "html")
    assert (out.lstrip().lower().startswith("<!doctype html>"), "<svg" in out) == (True, True)


def test_scan_all_when_arm_cannot_list_subscriptions_exits_3_with_one_line(cli, arm) -> None:
    arm.add_fault("GET", "/subscriptions", status=503, times=100)
    arm.add_fault("POST", "Microsoft.ResourceGraph", status=503, times=100)
    code, _, err = cli("scan", "--all")
    assert (code, err.startswith("error: "), err.count("\n")) == (3, True, 1)


def test_state_file_that_cannot_be_opened_exits_2_naming_the_setting(cli, monkeypatch, tmp_path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("MONITOR_STATE", f"sqlite:{blocker}/state.sqlite")
    code, _, err = cli("scan", "--subscription", PROD)
    assert (code, err.count("\n"), "MONITOR_STATE" in err) == (2, 1, True)


# scan-template: the readers are other modules' work; these tests stand a small ARM reader in for them (literal names,
# no expressions), so they pin the command itself: file walking, error lines, exit codes, no Azure, the renderers.


def _fake_read_arm(
    path: str, parameters_path: str | None = None, *, context: Mapping[str, str] | None = None
) -> TemplateFile:
    text = Path(path).read_text()
    try:
        template = json.loads(text)
    except ValueError as exc:
        return TemplateFile(path, "arm", errors=(f"{path}: not JSON ({exc})",))
    resources = []
    for r in template.get("resources", []):
        line = next((n for n, row in enumerate(text.splitlines(), 1) if f'"name": "{r["name"]}"' in row), None)
        resources.append(
            TemplateResource(
                type=r["type"],
                name=r["name"],
                source=Source(path, line),
                sku=(r.get("sku") or {}).get("name"),
                location=r.get("location"),
                tags=r.get("tags") or {},
                properties=r.get("properties") or {},
                scope=r.get("scope"),
                subscription_id=(context or {}).get("subscriptionId"),
                resource_group=(context or {}).get("resourceGroup"),
            )
        )
    return TemplateFile(path, "arm", resources=tuple(resources))


def _template(*, collection: bool = False, service: str = "apim-shop", apis: tuple[str, ...] = ("orders",)) -> str:
    resources: list[dict[str, object]] = [
        {
            "type": "Microsoft.ApiManagement/service",
            "name": service,
            "location": "westeurope",
            "sku": {"name": "Developer"},
        }
    ]
    for api in apis:
        resources.append({"type": "Microsoft.ApiManagement/service/apis", "name": f"{service}/{api}", "properties": {}})
        if collection:
            resources.append(
                {
                    "type": "Microsoft.Security/apiCollections",
                    "name": api,
                    "scope": f"Microsoft.ApiManagement/service/{service}",
                }
            )
    return json.dumps(
        {
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "resources": resources,
        },
        indent=2,
    )


@pytest.fixture
def scan_template(monkeypatch, tmp_path):
    """``main(["scan-template", ...])`` in tmp_path, with the stand-in ARM reader and any Azure access failing."""
    monkeypatch.setitem(sys.modules, "monitors.templates.arm", SimpleNamespace(read_arm=_fake_read_arm))
    monkeypatch.chdir(tmp_path)

    def no_azure(*args: object, **kwargs: object) -> None:
        raise AssertionError("scan-template without --live must not build a runtime or ARM clients")

    monkeypatch.setattr("monitors.cli.build_runtime", no_azure)
    monkeypatch.setattr("monitors.azure.clients.ArmClients.__init__", no_azure)

    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(["scan-template", *argv], stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    return run


def test_scan_template_reports_an_api_without_collection_at_its_line_with_the_json_fix(scan_template, tmp_path) -> None:
    (tmp_path / "main.json").write_text(_template())
    code, out, err = scan_template("main.json", "--format", "json")
    body = json.loads(out)
    jsonschema.validate(body, json.loads((DATA / "findings.schema.json").read_text()))
    (finding,) = body["findings"]
    assert (code, err, finding["reason"], finding["source"]) == (
        1,
        "",
        "not_onboarded",
        {"file": "main.json", "line": 14},
    )
    assert json.loads(finding["fix"])["scope"] == "Microsoft.ApiManagement/service/apim-shop"


def test_scan_template_sarif_points_at_the_template(scan_template, tmp_path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.json").write_text(_template())
    code, out, _ = scan_template("infra", "--format", "sarif")
    sarif = json.loads(out)
    location = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert (code, location) == (1, {"artifactLocation": {"uri": "infra/main.json"}, "region": {"startLine": 14}})
    assert validation_errors(sarif) == []


def test_scan_template_with_the_collection_declared_exits_0(scan_template, tmp_path) -> None:
    (tmp_path / "main.json").write_text(_template(collection=True))
    code, out, _ = scan_template("main.json", "--format", "markdown")
    assert (code, "### Fixes" in out) == (0, False)


def test_scan_template_directory_scans_the_good_file_and_names_the_bad_one(scan_template, tmp_path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "good.json").write_text(_template())
    (tmp_path / "templates" / "broken.json").write_text("{not json")
    (tmp_path / "templates" / "good.parameters.json").write_text("{not read either")
    code, out, err = scan_template("templates", "--format", "json")
    assert (code, json.loads(out)["summary"]["total"], err.count("\n")) == (1, 1, 1)
    assert err.startswith("error: templates/broken.json: not JSON")


def test_scan_template_exits_2_when_nothing_could_be_read(scan_template, tmp_path) -> None:
    (tmp_path / "broken.json").write_text("{not json")
    code, out, err = scan_template("broken.json", str(tmp_path / "absent.bicep"))
    assert (code, out, err.count("\n")) == (2, "", 3)
    assert err.splitlines()[-1] == "error: no template could be read"


def test_scan_template_picks_the_reader_by_extension_and_shape(tmp_path) -> None:
    whatif, arm, bicep = tmp_path / "plan.json", tmp_path / "main.json", tmp_path / "main.bicep"
    whatif.write_text(json.dumps({"status": "Succeeded", "changes": []}))
    arm.write_text(_template())
    bicep.write_text("param x string\n")
    assert [template_kind(str(p)) for p in (whatif, arm, bicep)] == ["whatif", "arm", "bicep"]


@pytest.fixture
def scan_template_live(cli, monkeypatch, tmp_path):
    """``cli`` on the emulator, with the stand-in ARM reader, in tmp_path."""
    monkeypatch.setitem(sys.modules, "monitors.templates.arm", SimpleNamespace(read_arm=_fake_read_arm))
    monkeypatch.chdir(tmp_path)
    return lambda *argv: cli("scan-template", *argv)


def test_scan_template_live_finds_collections_that_exist_in_azure(scan_template_live, tmp_path) -> None:
    (tmp_path / "main.json").write_text(_template(service="apim-prod", apis=("echo-api", "orders")))
    located = ("--subscription", PROD, "--resource-group", "rg-apis")
    code, out, err = scan_template_live("main.json", "--live", *located, "--format", "json")
    verdicts = {
        f["api"]: (f["reason"], f["resource_id"].startswith(f"/subscriptions/{PROD}/"))
        for f in json.loads(out)["findings"]
    }
    assert (code, err, verdicts) == (1, "", {"echo-api": ("onboarded", True), "orders": ("not_onboarded", True)})


def test_scan_template_live_without_the_subscription_says_it_cannot_look(scan_template_live, tmp_path) -> None:
    (tmp_path / "main.json").write_text(_template(service="apim-prod", apis=("echo-api",)))
    code, out, _ = scan_template_live("main.json", "--live", "--format", "json")
    (finding,) = json.loads(out)["findings"]
    assert (code, finding["reason"], "--live cannot look" in finding["detail"]) == (1, "not_onboarded", True)
