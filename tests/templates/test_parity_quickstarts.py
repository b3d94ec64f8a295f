"""Parity on public templates (issue 13): Azure quickstart templates and Azure-Samples repositories kept verbatim in
tests/data/templates/public/ (sources in tests/data/templates/public/SOURCES.md). Each test states, per API, the
verdict the live check gives once the template is deployed (EXPECTED, written by hand from reading the template),
and asserts that ``scan-template`` (before deployment) and the live check after deployment (the emulator) both give
it.

The context is ``parity.CONTEXT``: subscription 00000000-0000-0000-0000-000000000000, resource group rg-parity,
location westeurope. ``uniqueString(resourceGroup().id)`` there is ``mmypmtpp3q7ya`` and
``uniqueString(subscription().id, resourceGroup().id)`` is ``n42vtxuci5rtg``.
"""

from __future__ import annotations

from pathlib import Path

from monitors.model import Reason, Status
from tests.templates.parity import Verdicts, deployed_verdicts, scan_verdicts

PUBLIC = Path(__file__).resolve().parents[1] / "data" / "templates" / "public"
AI_GATEWAY = PUBLIC / "ai-gateway"
APIM_SAMPLES = PUBLIC / "apim-samples"

NONCOMPLIANT = (Status.NONCOMPLIANT, Reason.NOT_ONBOARDED)
CONSUMPTION_OR_V2 = (Status.NOT_APPLICABLE, Reason.UNSUPPORTED_TIER)
NON_REST = (Status.NOT_APPLICABLE, Reason.NON_REST_API)


# --- Azure quickstart templates -------------------------------------------------------------------------------------

# api-management-create-all-resources: one service 'apiservice' + uniqueString(resourceGroup().id), sku parameter
# default Standard (Bicep: Developer), location = resource group's (westeurope, supported); three APIs declared as
# children, none with apiType (so REST), no apiCollection and no Defender plan in the template (plan assumed on). The
# products/apis link 'exampleApi' is a product membership, not a second API.
ALL_RESOURCES_SERVICE = "apiservicemmypmtpp3q7ya"
ALL_RESOURCES: Verdicts = {
    (ALL_RESOURCES_SERVICE, "PetStoreSwaggerImportExample"): NONCOMPLIANT,
    (ALL_RESOURCES_SERVICE, "exampleApi"): NONCOMPLIANT,
    (ALL_RESOURCES_SERVICE, "exampleApiWithPolicy"): NONCOMPLIANT,
}


def test_quickstart_create_all_resources_bicep() -> None:
    path = PUBLIC / "quickstart-api-management-create-all-resources.bicep"
    assert scan_verdicts([path]) == ALL_RESOURCES
    assert deployed_verdicts([path]) == ALL_RESOURCES


def test_quickstart_create_all_resources_arm_json_with_its_parameter_file() -> None:
    # The ARM JSON of the same quickstart: nested child `resources` two deep, concat() and uniqueString() names, and
    # the quickstart's own parameter file (which leaves the securestring parameters out: none of them names anything).
    path = PUBLIC / "quickstart-api-management-create-all-resources.json"
    parameters = PUBLIC / "quickstart-api-management-create-all-resources.azuredeploy.parameters.json"
    assert scan_verdicts([path], parameters=parameters) == ALL_RESOURCES
    assert deployed_verdicts([path], parameters=parameters) == ALL_RESOURCES


# publish-api-to-apim-opendocs: one API into a service the template does not create (Bicep: `existing`; ARM: just
# the name), with `copy` loops over products and product links. With the quickstart's parameter file the names are
# 'TODO'. Before deployment the tier, region and tags of 'TODO' are unknown, so scan-template says it cannot check it
# (an error finding, exit 3); after deployment the verdict depends on that service, which the template does not
# describe, so the deployed estate has no such API (parity.py leaves APIs on services not deployed out).
OPENDOCS_SCAN: Verdicts = {("TODO", "TODO"): (Status.ERROR, Reason.ARM_ERROR)}


def test_quickstart_publish_api_to_existing_service_bicep() -> None:
    path = PUBLIC / "quickstart-publish-api-to-apim-opendocs.bicep"
    parameters = PUBLIC / "quickstart-publish-api-to-apim-opendocs.azuredeploy.parameters.json"
    assert scan_verdicts([path], parameters=parameters) == OPENDOCS_SCAN
    assert deployed_verdicts([path], parameters=parameters) == {}


def test_quickstart_publish_api_to_existing_service_arm_json_with_copy_loops() -> None:
    path = PUBLIC / "quickstart-publish-api-to-apim-opendocs.json"
    parameters = PUBLIC / "quickstart-publish-api-to-apim-opendocs.azuredeploy.parameters.json"
    assert scan_verdicts([path], parameters=parameters) == OPENDOCS_SCAN
    assert deployed_verdicts([path], parameters=parameters) == {}


# --- Azure-Samples/AI-Gateway ---------------------------------------------------------------------------------------


def test_ai_gateway_response_streaming_consumption_tier() -> None:
    # labs/_deprecated/response-streaming: service '<apimResourceName>-' + uniqueString(subscription().id,
    # resourceGroup().id), sku parameter default 'Consumption' (the handwritten parameter file leaves it), one API
    # 'openai' with apiType 'http' and no collection: Defender for APIs does not support the Consumption tier.
    path = AI_GATEWAY / "labs" / "_deprecated" / "response-streaming" / "main.bicep"
    parameters = PUBLIC / "ai-gateway-response-streaming.parameters.json"
    expected = {("apim-n42vtxuci5rtg", "openai"): CONSUMPTION_OR_V2}
    assert scan_verdicts([path], parameters=parameters) == expected
    assert deployed_verdicts([path], parameters=parameters) == expected


def test_ai_gateway_realtime_audio_websocket_api_on_a_service_created_by_a_module() -> None:
    # labs/realtime-audio: the service 'apim-' + uniqueString(subscription().id, resourceGroup().id) is created by the
    # module ../../modules/apim/v2/apim.bicep (sku Basicv2 from the handwritten parameter file, as the lab's notebook
    # sets) and referenced as `existing` by main.bicep, which adds the API 'realtime-audio' with apiType 'websocket'
    # (and `type: 'AzureOpenAI'`, not an ARM API type). A WebSocket API is not REST: not applicable, before the tier.
    path = AI_GATEWAY / "labs" / "realtime-audio" / "main.bicep"
    parameters = PUBLIC / "ai-gateway-realtime-audio.parameters.json"
    expected = {("apim-n42vtxuci5rtg", "realtime-audio"): NON_REST}
    assert scan_verdicts([path], parameters=parameters) == expected
    assert deployed_verdicts([path], parameters=parameters) == expected


def test_ai_gateway_foundry_model_gateway_compiled_arm_with_nested_deployments() -> None:
    # labs/ai-foundry-model-gateway/main.json: the lab's compiled ARM JSON (1 MB): inner-scoped nested deployments
    # apimModule (service 'apim-' + uniqueString(subscription().id, resourceGroup().id), apimSku default Developer,
    # location the resource group's) and inferenceAPIModule (API 'inference-api', apiType http). No collection and no
    # plan declared: not onboarded.
    path = AI_GATEWAY / "labs" / "ai-foundry-model-gateway" / "main.json"
    expected = {("apim-n42vtxuci5rtg", "inference-api"): NONCOMPLIANT}
    assert scan_verdicts([path]) == expected
    assert deployed_verdicts([path]) == expected


# --- Azure-Samples/Apim-Samples -------------------------------------------------------------------------------------


def test_apim_samples_simple_apim_module_loop_over_apis() -> None:
    # infrastructure/simple-apim: the service 'apim-' + uniqueString(subscription().id, resourceGroup().id) from the
    # module shared/bicep/modules/apim/v1/apim.bicep (sku Basicv2, the sample's default, from the handwritten parameter
    # file), and one module shared/bicep/modules/apim/v1/api.bicep per item of `apis` (a module loop): two APIs,
    # apiType 'http', no collection. Defender for APIs does not support the v2 tiers, so both are not applicable.
    # api.bicep line 137 is `[for (op, i) in api.operations: if (contains(...) && ...) {`, which pycep-parser 0.7.1
    # cannot parse (`if (` with a space inside a loop; `if(` parses), so today scan-template reads no API here.
    path = APIM_SAMPLES / "infrastructure" / "simple-apim" / "main.bicep"
    parameters = PUBLIC / "apim-samples-simple-apim.parameters.json"
    expected = {
        ("apim-n42vtxuci5rtg", "hello-world"): CONSUMPTION_OR_V2,
        ("apim-n42vtxuci5rtg", "request-headers"): CONSUMPTION_OR_V2,
    }
    assert scan_verdicts([path], parameters=parameters) == expected
    assert deployed_verdicts([path], parameters=parameters) == expected
