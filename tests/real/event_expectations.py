"""What each published Event Grid sample is about: its API (revision stripped; a delete or not), or nothing to act on.

Placeholders are mapped onto the seeded estate (tests/data/estate.json); ``myapi`` is not in it.
"""

from __future__ import annotations

import pytest

from monitors.model import ApiRef
from tests.conftest import PROD

MYAPI = ApiRef(PROD, "rg-apis", "apim-prod", "myapi")

SPECS = "events/specs-apimanagement"
# file -> (the API it is about, whether it is a delete), one entry per event in the file.
API_EVENTS = [
    pytest.param(f"{SPECS}/event-grid-schema/apiCreated.json", MYAPI, False, id="specs-eg-api-created"),
    pytest.param(f"{SPECS}/event-grid-schema/apiUpdated.json", MYAPI, False, id="specs-eg-api-updated"),
    pytest.param(f"{SPECS}/cloud-events-schema/apiCreated.json", MYAPI, False, id="specs-ce-api-created"),
    pytest.param(f"{SPECS}/cloud-events-schema/apiUpdated.json", MYAPI, False, id="specs-ce-api-updated"),
    pytest.param("events/docs-apim/event-grid-schema/api_updated.json", MYAPI, False, id="docs-eg-api-updated"),
]

# Events about something other than an API: gateway assignments, releases, products, users, circuit breakers,
# gateway tokens, storage accounts, event subscriptions, listKeys actions. Also two API samples published against
# the CloudEvents 1.0 spec ("specVersion"; "Type" / "Time" with the JSON number 1.0 as specversion): attribute
# names are lower-case and specversion is the string "1.0" in real deliveries, and the worker's own converter only
# knows "specversion". We keep the parser strict: both are acknowledged as malformed with a one-line reason. And the
# legacy APIDeleted sample, whose resourceUri reads "/subscriptions/subscription-id}/..." (a '{' is missing) while its
# topic names another subscription: a topic and a resourceUri that disagree are ignored with a reason naming both.
OTHER_EVENTS = [
    pytest.param(name, id=name.removeprefix("events/").removesuffix(".json").replace("/", "-"))
    for name in (
        "events/specs-apimanagement/legacy/apiDeleted.json",
        "events/specs-apimanagement/cloud-events-schema/apiDeleted.json",
        "events/docs-apim/cloud-event-schema/api_updated.json",
        "events/specs-apimanagement/event-grid-schema/gatewayApiAdded.json",
        "events/specs-apimanagement/event-grid-schema/gatewayApiRemoved.json",
        "events/specs-apimanagement/event-grid-schema/apiReleaseCreated.json",
        "events/specs-apimanagement/cloud-events-schema/gatewayApiAdded.json",
        "events/specs-apimanagement/cloud-events-schema/apiReleaseCreated.json",
        "events/specs-resources/event-grid-schema/resource_write_success.json",
        "events/specs-resources/event-grid-schema/resource_delete_success.json",
        "events/specs-resources/cloud-events-schema/resource_write_success.json",
        "events/specs-resources/cloud-events-schema/resource_delete_success.json",
        "events/sdk-java/ResourceWriteSuccessEvent.json",
        "events/sdk-java/ResourceDeleteSuccessEvent.json",
        "events/docs-apim/cloud-event-schema/product_created.json",
        "events/docs-apim/event-grid-schema/product_created.json",
        "events/docs-apim/cloud-event-schema/user_deleted.json",
        "events/docs-apim/event-grid-schema/user_deleted.json",
        "events/docs-apim/cloud-event-schema/circuit_breaker_opened.json",
        "events/docs-apim/event-grid-schema/circuit_breaker_opened.json",
        "events/docs-apim/cloud-event-schema/gateway_token_expired.json",
        "events/docs-apim/event-grid-schema/gateway_token_expired.json",
        "events/docs-subscriptions/event-grid-schema/resource_write_success.json",
        "events/docs-subscriptions/event-grid-schema/resource_action_success.json",
    )
]
