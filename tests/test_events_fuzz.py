"""monitors.events fuzzed with hypothesis: any JSON, text, bytes, mutated fixture event or ARM id either parses or
raises EventError, never anything else."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from monitors import events
from monitors.errors import EventError
from monitors.events import load_payload, parse_event
from tests.event_files import FIXTURES, RG, SERVICE, SUB, load_event, parse_payload, write_event

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
id_segments = st.sampled_from(
    [
        "subscriptions",
        SUB,
        "",
        "resourceGroups",
        "resourcegroups",
        RG,
        "providers",
        "Microsoft.ApiManagement",
        "Microsoft.Security",
        "pricings",
        "Api",
        "service",
        SERVICE,
        "1bad-",
        "apis",
        "APIS",
        "echo-api",
        "echo-api;rev=2",
        "echo;rev=x",
        ";Rev=1",
        "%3Brev%3D",
        "a*b",
        "workspaces",
        "team-a",
        "operations",
        "policy",
    ]
)
resource_ids = st.lists(id_segments | st.text(max_size=8), max_size=12).map(lambda parts: "/" + "/".join(parts))
envelope_keys = st.sampled_from(
    ["id", "eventType", "type", "subject", "topic", "source", "data", "specversion", "dataVersion", "eventTime"]
)
event_types = st.sampled_from(
    [
        events.RESOURCE_WRITE_SUCCESS,
        events.RESOURCE_DELETE_SUCCESS.upper(),
        events.APIM_API_CREATED,
        events.APIM_API_DELETED,
        events.SUBSCRIPTION_VALIDATION,
        "Microsoft.Resources.ResourceWriteFailure",
    ]
)


@st.composite
def mutated_events(draw: st.DrawFn) -> dict[str, Any]:
    """A valid fixture event with ids re-pointed, some fields replaced by arbitrary JSON and some removed."""
    event = load_event(draw(st.sampled_from(FIXTURES)))
    for key in draw(st.sets(st.sampled_from(["subject", "topic", "source"]))):
        event[key] = draw(resource_ids)
    if isinstance(event.get("data"), dict):
        event["data"]["resourceUri"] = draw(resource_ids | json_values)
    event.update(draw(st.dictionaries(envelope_keys, json_values | resource_ids | event_types, max_size=3)))
    for key in draw(st.sets(envelope_keys, max_size=2)):
        event.pop(key, None)
    return event


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_value_parses_or_raises_event_error(value):
    with contextlib.suppress(EventError):
        parse_payload(json.dumps(value))


@settings(max_examples=300, deadline=None)
@given(st.text() | st.binary())
def test_any_text_or_bytes_loads_or_raises_event_error(raw):
    with contextlib.suppress(EventError):
        load_payload(raw)


@settings(max_examples=300, deadline=None)
@given(mutated_events())
def test_mutated_event_parses_or_raises_event_error(event):
    with contextlib.suppress(EventError):
        parse_event(event)


@settings(max_examples=300, deadline=None)
@given(resource_ids)
def test_any_resource_id_parses_or_raises_event_error(resource_id):
    with contextlib.suppress(EventError):
        parse_event(write_event(resource_id))
