"""Parity corpus, modules and PSRule's own templates (issue 13): Azure Verified Modules' APIM e2e test cases, the
AVM module's compiled ARM template, PSRule for Azure's APIM template tests and PSRule's Defender test data.

Each case gives, per API, the verdict the live check would give once the template is deployed, written by hand
from the template (the comment above it says why), and asserts that ``scan-template`` and the deployed estate
(``tests/templates/parity.py``) both give it. Sources: ``tests/data/templates/avm/SOURCES.md``,
``tests/data/templates/psrule-templates/SOURCES.md``, ``tests/data/templates/psrule/SOURCES.md``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitors.model import Reason, Status
from tests.templates.parity import Verdicts, deployed_verdicts, scan_verdicts

DATA = Path(__file__).resolve().parent.parent / "data" / "templates"
AVM = DATA / "avm"
AVM_SERVICE = AVM / "avm" / "res" / "api-management" / "service"
E2E = AVM_SERVICE / "tests" / "e2e"
PSRULE_TEMPLATES = DATA / "psrule-templates"

FAIL = (Status.NONCOMPLIANT, Reason.NOT_ONBOARDED)
PASS = (Status.COMPLIANT, Reason.ONBOARDED)
WORKSPACE = (Status.NOT_APPLICABLE, Reason.WORKSPACE_API)
V2_TIER = (Status.NOT_APPLICABLE, Reason.UNSUPPORTED_TIER)
UNKNOWN = (Status.ERROR, Reason.ARM_ERROR)

# PSRule's data uses the placeholder location "region"; admitted the way tests/test_psrule.py does.
PSRULE_REGIONS = {"MONITOR_SUPPORTED_REGIONS": "+region,Australia East"}


# --- Azure Verified Modules: avm/res/api-management/service e2e cases (Bicep, subscription scope) -------------
# Each case creates its resource group and calls the module ../../../main.bicep into it twice (init, idem: the same
# service). The module deploys each entry of `apis` through api/main.bicep (apiType defaults to 'http') and each
# workspace API through workspace/api/main.bicep; no case declares a Microsoft.Security/apiCollections. The module
# imports types from br/public:avm/utl/types and calls br/public:avm/res/network/private-endpoint in a loop over
# `privateEndpoints`, which no case sets: nothing from the registry is deployed, so the verdicts do not depend on it.
# e2e.parameters.json (handwritten) gives namePrefix 'avm', the token AVM's pipeline replaces before deploying.
AVM_E2E = [
    pytest.param(
        "max",
        # Premium (the module's default sku) in germanywestcentral (enforcedLocation, a Defender for APIs region);
        # echo-api: REST, no collection. workspace1's workspace-echo-api: a workspace API, which Defender for APIs
        # cannot onboard. workspace2 has no API.
        {("avmapismax001", "echo-api"): FAIL, ("avmapismax001", "workspace-echo-api"): WORKSPACE},
        id="avm-e2e-max",
    ),
    pytest.param(
        "waf-aligned",
        # Premium (default) in the resource group's region germanywestcentral (the module's location defaults to
        # resourceGroup().location); echo-api: REST, no collection.
        {("avmapiswaf002", "echo-api"): FAIL},
        id="avm-e2e-waf-aligned",
    ),
    pytest.param(
        "v2max",
        # sku PremiumV2 in norwayeast: Defender for APIs does not support the v2 tiers, so echo-api is out of scope
        # whatever its collection.
        {("avmapiv2max002", "echo-api"): V2_TIER},
        id="avm-e2e-v2max",
    ),
]


@pytest.mark.parametrize(("case", "expected"), AVM_E2E)
def test_avm_e2e_case_gives_the_live_verdict(case: str, expected: Verdicts) -> None:
    template = E2E / case / "main.test.bicep"
    parameters = AVM / "e2e.parameters.json"
    assert scan_verdicts([template], parameters=parameters) == expected
    assert deployed_verdicts([template], parameters=parameters) == expected


# --- The same AVM module as its compiled ARM template (main.json, shipped next to main.bicep) -----------------
# max.main.parameters.json (handwritten) passes main.json the `apis`, `apiVersionSets` and `workspaces` of the max
# case (the workspace API without its policies, diagnostics and operations). The module's optional parameters are
# `nullable` ARM parameters with no default, so ARM reads them as null and `length(coalesce(parameters('x'),
# createArray()))` counts 0; `tryGet(apis[i], 'apiType')` is null for echo-api, so the API module's default 'http'
# applies. Premium in germanywestcentral, no collection: echo-api fails; workspace-echo-api is a workspace API.
def test_avm_module_arm_template_gives_the_live_verdict() -> None:
    template = AVM_SERVICE / "main.json"
    parameters = AVM / "max.main.parameters.json"
    expected = {("avmapismax001", "echo-api"): FAIL, ("avmapismax001", "workspace-echo-api"): WORKSPACE}
    assert scan_verdicts([template], parameters=parameters) == expected
    assert deployed_verdicts([template], parameters=parameters) == expected


# --- PSRule for Azure's APIM template tests (apim.tests.bicep and its compiled apim.tests.json) ---------------
# apim-01: Premium in resourceGroup().location (the parity context's westeurope); api-01 has no apiType (REST) and
# no collection, so it fails. api-02 and api-03 go to services apim-02 and apim-03, which the template does not
# declare: before deployment their tier, region and tags are unknown, so scan-template reports them as errors; after
# deployment their verdict depends on services the template does not describe, so the deployed estate leaves them
# out (they would fail like api-01 on a supported service, as nothing onboards them).
PSRULE_APIM_TESTS = {("apim-01", "api-01"): FAIL, ("apim-02", "api-02"): UNKNOWN, ("apim-03", "api-03"): UNKNOWN}
DEPLOYED_APIM_TESTS = {("apim-01", "api-01"): FAIL}


@pytest.mark.parametrize("name", ["apim.tests.bicep", "apim.tests.json"])
def test_psrule_apim_template_test_gives_the_live_verdict(name: str) -> None:
    template = PSRULE_TEMPLATES / name
    assert scan_verdicts([template]) == PSRULE_APIM_TESTS
    assert deployed_verdicts([template]) == DEPLOYED_APIM_TESTS


# --- PSRule's own test data for Azure.APIM.DefenderCloud, as an ARM template (tests/data/templates/psrule) -----
# Four services in "region": apim-A..C Developer, apim-D Premium; collections by extension resource (scope: the API).
# apim-A: api-A, api-B, no collection -> both fail. apim-B: api-B has a collection -> api-A fails. apim-C: api-B
# (type graphql) has a collection, so it is onboarded either way; api-A fails. apim-D: both have collections.
PSRULE_DATA = {
    ("apim-A", "api-A"): FAIL,
    ("apim-A", "api-B"): FAIL,
    ("apim-B", "api-A"): FAIL,
    ("apim-B", "api-B"): PASS,
    ("apim-C", "api-A"): FAIL,
    ("apim-C", "api-B"): PASS,
    ("apim-D", "api-A"): PASS,
    ("apim-D", "api-B"): PASS,
}


def test_psrule_test_data_template_gives_the_live_verdict() -> None:
    template = DATA / "psrule" / "defendercloud-apim-A-D.template.json"
    assert scan_verdicts([template], env=PSRULE_REGIONS) == PSRULE_DATA
    assert deployed_verdicts([template], env=PSRULE_REGIONS) == PSRULE_DATA
