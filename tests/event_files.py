"""Our fixture events (tests/data/events, both delivery schemas), the ARM ids they name, and ways to change them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from monitors.events import Ignored, ParsedEvent, load_payload, parse_event
from monitors.model import ApiRef

DATA = Path(__file__).parent / "data" / "events"
SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg-apis"
SERVICE = "apim-prod"
SERVICE_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ApiManagement/service/{SERVICE}"
ECHO_ID = f"{SERVICE_ID}/apis/echo-api"
ECHO = ApiRef(SUB, RG, SERVICE, "echo-api")
FIXTURES = sorted(path.name for path in DATA.glob("*.json") if not path.name.startswith("batch."))
WRITE_EG = "resource_write_success.api.event-grid-schema.json"
APIM_CREATED_EG = "apim_api_created.event-grid-schema.json"


def load_event(name: str) -> dict[str, Any]:
    """One of our fixture events, freshly parsed so a test may change it."""
    event: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return event


def write_event(resource_id: str) -> dict[str, Any]:
    """The Event Grid ResourceWriteSuccess fixture, re-pointed at another ARM id."""
    event = load_event(WRITE_EG)
    event["subject"] = resource_id
    event["data"]["resourceUri"] = resource_id
    return event


def with_changes(name: str, **changes: Any) -> dict[str, Any]:
    """A fixture event with top-level fields replaced; a value of ... removes the field."""
    event = load_event(name)
    event.update({key: value for key, value in changes.items() if value is not ...})
    return {key: value for key, value in event.items() if changes.get(key) is not ...}


def parse_payload(raw: str | bytes) -> list[ParsedEvent | Ignored]:
    return [parse_event(event) for event in load_payload(raw)]
