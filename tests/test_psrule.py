"""PSRule for Azure's own test data for Azure.APIM.DefenderCloud / Azure.Defender.Api, transcribed into our estate
(tests/data/psrule_estate.json), gives the same verdict per API as PSRule's tests.

PSRule's expectations (its Resources.APIM.json / Resources.Defender.json tests): apim-A fails api-A and api-B;
apim-B fails api-A; apim-C fails api-A; apim-D passes; plan defenderV (Standard P1) passes, defenderW (Free) fails.
One knowing difference: PSRule reads the create-time ``apiType`` field, so a GraphQL API without a collection counts
as an unonboarded REST API there; ARM reports ``type: graphql`` and we call it not applicable
(service apim-C-graphql-only, added to show it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator import EmulatorServer, load_estate
from monitors.azure.clients import ArmClients
from monitors.engine import Engine
from monitors.model import Kind, Reason, Status
from monitors.settings import load_settings
from tests.conftest import scan

SUB_V = "00000000-0000-0000-0000-000000000000"
SUB_W = "00000000-0000-0000-0000-0000000000ff"


@pytest.fixture(scope="module")
def verdicts():
    with EmulatorServer(load_estate(Path(__file__).parent / "data" / "psrule_estate.json")) as server:
        # PSRule's data uses the placeholder location "region"; PSRule ignores regions, so we accept it here, through
        # the "+" that admits a region missing from our list.
        settings = load_settings(
            {"MONITOR_ARM_ENDPOINT": server.url, "MONITOR_SUPPORTED_REGIONS": "+region,Australia East"}
        )
        clients = ArmClients(settings)
        findings = [f for sub in (SUB_V, SUB_W) for f in scan(Engine(settings, clients), sub)]
        clients.close()
    return {(f.service or f.subscription_id, f.api or f.kind.value): (f.status, f.reason) for f in findings}


FAIL = (Status.NONCOMPLIANT, Reason.NOT_ONBOARDED)
PASS = (Status.COMPLIANT, Reason.ONBOARDED)


@pytest.mark.parametrize(
    ("service", "api", "expected"),
    [
        pytest.param("apim-A", "api-A", FAIL, id="A-api-A-fails"),
        pytest.param("apim-A", "api-B", FAIL, id="A-api-B-fails"),
        pytest.param("apim-B", "api-A", FAIL, id="B-api-A-fails"),
        pytest.param("apim-B", "api-B", PASS, id="B-api-B-passes"),
        pytest.param("apim-C", "api-A", FAIL, id="C-api-A-fails"),
        pytest.param("apim-C", "api-B", PASS, id="C-graphql-with-collection-passes"),
        pytest.param("apim-D", "api-A", PASS, id="D-api-A-passes"),
        pytest.param("apim-D", "api-B", PASS, id="D-api-B-passes"),
        pytest.param("apim-C-graphql-only", "api-B", (Status.NOT_APPLICABLE, Reason.NON_REST_API), id="graphql-n/a"),
        pytest.param(SUB_V, Kind.PLAN.value, (Status.COMPLIANT, Reason.PLAN_ENABLED), id="defenderV-passes"),
        pytest.param(SUB_W, Kind.PLAN.value, (Status.NONCOMPLIANT, Reason.PLAN_NOT_ENABLED), id="defenderW-fails"),
    ],
)
def test_same_verdict_as_psrule(verdicts, service: str, api: str, expected) -> None:
    assert verdicts[(service, api)] == expected
