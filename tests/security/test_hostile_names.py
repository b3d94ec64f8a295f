"""Names chosen by an attacker (anyone who can create an API, or write an event) never steer a request elsewhere:
every ARM request the emulator records addresses the named resource or nothing at all."""

from __future__ import annotations

import pytest

from monitors.errors import InvalidNameError
from monitors.model import ApiRef
from tests.conftest import PROD

APIM = "/providers/Microsoft.ApiManagement/service"
SVC = f"/subscriptions/{PROD}/resourceGroups/rg-apis{APIM}/apim-prod"


@pytest.mark.parametrize(
    "resource_id",
    [
        pytest.param(f"{SVC}/apis/..", id="api-dot-dot"),
        pytest.param(f"{SVC}/apis/.", id="api-dot"),
        pytest.param(f"{SVC}/apis/.;rev=2", id="api-dot-revision"),
        pytest.param(f"{SVC}/apis/a\\..\\b", id="api-backslash"),
        pytest.param(f"{SVC}/apis/a\u0007b", id="api-control-character"),
        pytest.param(f"{SVC}/apis/{'x' * 257}", id="api-too-long"),
        pytest.param(f"{SVC}/workspaces/../apis/orders", id="workspace-dot-dot"),
        pytest.param(f"{SVC}/providers/Microsoft.Security/apiCollections/..", id="collection-dot-dot"),
        pytest.param(f"/subscriptions/{PROD}/resourceGroups/..{APIM}/apim-prod/apis/x", id="resource-group-dot-dot"),
        pytest.param(f"/subscriptions/../resourceGroups/rg-apis{APIM}/apim-prod/apis/x", id="subscription-dot-dot"),
    ],
)
def test_hostile_name_in_an_event_sends_no_request_at_all(arm, make_engine, event_for, resource_id) -> None:
    outcome = make_engine(auto_onboard="on").handle_event(event_for(resource_id))
    assert (outcome.finding, "malformed event" in (outcome.ignored or ""), arm.requests) == (None, True, [])


def test_every_request_of_an_onboarding_addresses_the_named_api(arm, make_engine, event_for) -> None:
    make_engine(auto_onboard="on").handle_event(event_for(f"{SVC}/apis/orders"))
    targets = {r.path.split("?")[0].rstrip("/").lower() for r in arm.requests}
    named = {
        f"{SVC}/providers/Microsoft.Security/apiCollections/orders".lower(),
        f"{SVC}/apis/orders".lower(),
        SVC.lower(),
        f"{SVC}/providers/Microsoft.Insights/metrics".lower(),  # the service's Capacity, before its onboarding wave
        f"/subscriptions/{PROD}/providers/Microsoft.Security/pricings".lower(),  # the list of Api and CloudPosture
    }
    assert targets <= named


@pytest.mark.parametrize("name", ["..", ".", "a/b", "a\\b", "a\nb", ""])
def test_no_reference_can_be_built_from_a_name_no_request_may_carry(name) -> None:
    with pytest.raises(InvalidNameError):
        ApiRef(PROD, "rg-apis", "apim-prod", name)
