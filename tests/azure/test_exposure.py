"""APIM's own exposure facts for APIs that are not onboarded, read from the lists the monitor already reads, and the
severity they give, over the emulator: the ARM path, the Resource Graph path and the event path agree, and the CLI
shows and gates on them. Issue 11, item 3."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from emulator import EmulatorServer
from monitors.cli import main
from monitors.engine import Engine
from monitors.inventory import take_inventory
from monitors.model import ApiRef, Finding, Severity
from tests.azure.own_estate import engine_on, serving
from tests.conftest import scan, service_of

SUB = "00000000-0000-0000-0000-0000000000e1"
RG = "rg-exposure"
SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "findings.schema.json").read_text())


def _service(name: str, apis: list[dict[str, object]], **network: str) -> dict[str, object]:
    return {"resourceGroup": RG, "name": name, "location": "West Europe", "sku": "Premium", "apis": apis, **network}


ONBOARDED = "00000000-0000-0000-0000-0000000000e2"  # 40 onboarded APIs, with the emulator's varied posture
ESTATE = {
    "subscriptions": [
        {
            "id": SUB,
            "pricings": {"Api": {"pricingTier": "Standard", "subPlan": "P1"}},
            "services": [
                _service(
                    "apim-public",
                    [
                        {"name": "open", "subscriptionRequired": False},
                        {"name": "keyed"},
                        {"name": "token", "subscriptionRequired": False, "oAuth2Server": "entra"},
                        {"name": "plain", "subscriptionRequired": False, "protocols": ["http", "https"]},
                    ],
                ),
                _service(
                    "apim-internal", [{"name": "open", "subscriptionRequired": False}], virtualNetworkType="Internal"
                ),
                _service(
                    "apim-external", [{"name": "open", "subscriptionRequired": False}], virtualNetworkType="External"
                ),
                _service(
                    "apim-private", [{"name": "open", "subscriptionRequired": False}], publicNetworkAccess="Disabled"
                ),
            ],
        },
        {
            "id": ONBOARDED,
            "pricings": {"Api": {"pricingTier": "Standard"}},
            "services": [
                _service("apim-onboarded", [{"name": f"api-{n:02d}"} for n in range(40)])
                | {"apiCollections": [f"api-{n:02d}" for n in range(40)]}
            ],
        },
    ]
}
EXPECTED = {
    ("apim-public", "open"): Severity.HIGH,
    ("apim-public", "keyed"): Severity.MEDIUM,
    ("apim-public", "token"): Severity.MEDIUM,
    ("apim-public", "plain"): Severity.HIGH,
    ("apim-internal", "open"): Severity.LOW,
    ("apim-external", "open"): Severity.HIGH,
    ("apim-private", "open"): Severity.LOW,
}


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with serving(ESTATE) as running:
        yield running


@pytest.fixture
def env(server: EmulatorServer) -> dict[str, str]:
    return {"MONITOR_ARM_ENDPOINT": server.url, "MONITOR_SUPPORTED_REGIONS": "West Europe"}


@pytest.fixture
def engine(server: EmulatorServer) -> Iterator[Engine]:
    with engine_on(server, supported_regions="West Europe") as built:
        yield built


def _graded(findings: list[Finding]) -> dict[tuple[str, str], Severity | None]:
    return {(f.service, f.api): f.severity for f in findings if f.api}


def test_each_unprotected_api_is_graded_by_what_apim_says_of_it(engine: Engine) -> None:
    assert _graded(scan(engine, SUB)) == EXPECTED


def _by_posture(f: Finding) -> Severity:
    """The posture rows of the README's table, as a person reads them off the finding's posture."""
    p = f.posture
    assert p is not None
    external, open_, sensitive = (
        bool(n) for n in (p.external_endpoints, p.unauthenticated_endpoints, p.sensitive_data_endpoints)
    )
    if external and open_:
        return Severity.CRITICAL if sensitive else Severity.HIGH
    return Severity.MEDIUM if sensitive else Severity.INFO


def test_each_posture_row_grades_onboarded_apis_as_defender_reports_them(engine: Engine) -> None:
    onboarded = [f for f in scan(engine, ONBOARDED) if f.api]
    graded = {(f.api, f.severity, _by_posture(f)) for f in onboarded}
    assert (
        [api for api, given, expected in graded if given != expected],
        {given for _, given, _ in graded},
    ) == ([], {Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.INFO})


def test_the_graph_path_and_the_event_path_see_the_same_exposure(engine: Engine) -> None:
    via_arm = {(f.service, f.api): f.exposure for f in scan(engine, SUB) if f.api}
    via_graph = service_of(engine).sweep(take_inventory(engine.clients, [SUB], use_graph=True))
    per_event = {key: engine.check_api(ApiRef(SUB, RG, *key)).exposure for key in EXPECTED}
    assert ({(f.service, f.api): f.exposure for f in via_graph if f.api}, per_event) == (via_arm, via_arm)


def test_the_exposure_in_the_json_says_what_arm_said(engine: Engine) -> None:
    exposure = {(f.service, f.api): f.to_dict()["exposure"] for f in scan(engine, SUB) if f.api}
    assert (exposure["apim-public", "plain"], exposure["apim-internal", "open"]) == (
        {
            "subscription_required": False,
            "oauth": False,
            "protocols": ["http", "https"],
            "public_network_access": "Enabled",
            "virtual_network_type": "None",
            "internet_facing": True,
            "credential_expected": False,
        },
        {
            "subscription_required": False,
            "oauth": False,
            "protocols": ["https"],
            "public_network_access": "Enabled",
            "virtual_network_type": "Internal",
            "internet_facing": False,
            "credential_expected": False,
        },
    )


def _cli(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[int, str]:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    out = io.StringIO()
    return main(list(argv), stdout=out, stderr=io.StringIO()), out.getvalue()


@pytest.mark.parametrize(
    ("fail_on", "code"), [("critical", 0), ("high", 1), ("never", 0)], ids=["critical", "high", "never"]
)
def test_fail_on_a_severity_gates_the_pipeline(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, fail_on: str, code: int
) -> None:
    assert _cli(env, monkeypatch, "scan", "--subscription", SUB, "--fail-on", fail_on)[0] == code


def test_the_json_counts_by_severity_and_lists_worst_first(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, out = _cli(env, monkeypatch, "scan", "--subscription", SUB, "--format", "json")
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    ranks = [Severity(f["severity"]).rank for f in document["findings"]]
    assert (document["summary"]["by_severity"], ranks == sorted(ranks)) == (
        {"critical": 0, "high": 3, "medium": 2, "low": 2, "info": 1},  # info: the plan, which is on
        True,
    )


def test_sarif_carries_each_results_security_severity(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    _, out = _cli(env, monkeypatch, "scan", "--subscription", SUB, "--format", "sarif")
    run = json.loads(out)["runs"][0]
    results = {r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]: r for r in run["results"]}
    open_api = results[
        f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ApiManagement/service/apim-public/apis/open"
    ]
    rule = run["tool"]["driver"]["rules"][open_api["ruleIndex"]]
    assert (
        open_api["level"],
        open_api["properties"]["security-severity"],
        rule["properties"]["security-severity"],
    ) == (
        "error",
        "8.0",
        "8.0",
    )
