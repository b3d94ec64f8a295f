"""Defender's posture of an onboarded API (apiCollections, api-version 2023-11-15) reaches its finding from the lists
the monitor already reads: no request more per API. Issue 11, item 3 (exposure), first part."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from azure.mgmt.security.models import ApiCollection

from monitors.exposure import Posture
from monitors.inventory import ServiceWork, take_inventory
from monitors.model import Alert, AlertKind, Finding, Reason, Status
from monitors.reports import render
from monitors.state._codec import decode_alerts, encode_alerts
from tests.conftest import PROD, SUB_DEV, scan, service_of

T0 = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
EXAMPLE = (
    Path(__file__).resolve().parents[1]
    / "data/real/arm/security/2023-11-15/APICollections_GetByAzureApiManagementService_example.json"
)


def test_the_published_example_gives_every_posture_field_through_the_sdk() -> None:
    body = json.loads(EXAMPLE.read_text())["responses"]["200"]["body"]
    through_sdk = ApiCollection.deserialize(body).serialize(keep_readonly=True)["properties"]
    assert Posture.from_properties(through_sdk) == Posture(
        endpoints=6,
        inactive_endpoints=3,
        unauthenticated_endpoints=1,
        external_endpoints=3,
        sensitive_data_endpoints=1,
        sensitivity_label="Highly Confidential",
        base_url="https://apimservice1.azure-api.net/echo",
        discovered_via=body["properties"]["discoveredVia"],
    )


@pytest.mark.parametrize(
    "properties",
    [{}, {"provisioningState": "Succeeded"}, {"numberOfApiEndpoints": "6", "numberOfExternalApiEndpoints": True}],
    ids=["empty", "awaiting-data", "wrong-types"],
)
def test_a_collection_without_usable_posture_has_none(properties: dict[str, object]) -> None:
    assert Posture.from_properties(properties) is None


def test_a_value_of_the_wrong_type_is_left_out_and_the_rest_kept() -> None:
    posture = Posture.from_properties({"numberOfApiEndpoints": 4, "numberOfInactiveApiEndpoints": -1, "baseUrl": 7})
    assert (posture, Posture.from_dict({"endpoints": 4, "colour": "red"})) == (Posture(endpoints=4), Posture(4))


def _onboarded(findings: list[Finding]) -> dict[str, Posture | None]:
    return {
        f.resource_id.lower(): f.posture
        for f in findings
        if f.status is Status.COMPLIANT and f.reason is Reason.ONBOARDED
    }


def test_every_onboarded_api_carries_its_posture_and_the_graph_and_arm_paths_agree(arm, make_engine) -> None:
    subs = [PROD, SUB_DEV]
    via_arm = [f for sub in subs for f in scan(make_engine(), sub)]
    engine = make_engine()
    via_graph = service_of(engine).sweep(take_inventory(engine.clients, subs, use_graph=True))
    arm_postures = _onboarded(via_arm)
    assert arm_postures and all(p is not None and p.endpoints is not None for p in arm_postures.values())
    assert _onboarded(via_graph) == arm_postures


def test_a_finding_without_a_collection_has_no_posture_in_the_json(arm, make_engine) -> None:
    findings = scan(make_engine(), PROD)
    document = json.loads(render(findings, "json", version="test", stamp="2026-12-02T00:00:00+00:00"))
    has_posture = {f["reason"]: "posture" in f for f in document["findings"]}
    assert (has_posture.get("onboarded"), has_posture.get("not_onboarded")) == (True, False)


def test_posture_survives_the_sweep_message_and_the_outbox(arm, make_engine) -> None:
    engine = make_engine()
    work = take_inventory(engine.clients, [PROD]).work
    assert any(c.posture for w in work for c in (w.collections or {}).values())
    assert [ServiceWork.from_message(w.to_message()) for w in work] == work
    finding = next(f for f in scan(engine, PROD) if f.posture is not None)
    alert = Alert("a-1", AlertKind.NEW, finding, T0)
    assert decode_alerts(encode_alerts((alert,))) == (alert,)
