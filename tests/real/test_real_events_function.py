"""Every published Event Grid sample through ``OnApiEvent`` as the Python worker calls it.

The host delivers one event per invocation (maxEventsPerBatch 1): its JSON is the event object, which
azure-functions' EventGridEventInConverter turns into ``func.EventGridEvent`` or, for a CloudEvents delivery,
``func.CloudEvent``. A sample published as an array of one event is delivered as that event. No exception may
escape, and the log says either the finding (``status=``) or why the event was ignored.
"""

from __future__ import annotations

import json
import logging

import pytest

from tests.real.event_expectations import API_EVENTS, OTHER_EVENTS
from tests.real.payloads import real_text, with_estate_ids
from tests.worker import decode_event_grid


def _host_json(name: str) -> str:
    """The JSON the Functions host hands the worker for the sample's one event."""
    text = with_estate_ids(real_text(name))
    document = json.loads(text)
    return json.dumps(document[0]) if isinstance(document, list) else text


@pytest.fixture
def on_api_event(functions, arm, monkeypatch, emulator_env):
    for key, value in emulator_env.items():
        monkeypatch.setenv(key, value)
    return functions["OnApiEvent"].get_user_function()


@pytest.mark.parametrize(("name", "api", "deleted"), API_EVENTS)
def test_function_logs_a_finding_on_the_api_of_an_api_event(on_api_event, caplog, name, api, deleted) -> None:
    with caplog.at_level(logging.INFO, logger="monitors.function"):
        on_api_event(decode_event_grid(_host_json(name)))
    assert (f"{api.resource_id} status=" in caplog.text, "ignored" in caplog.text) == (True, False)


@pytest.mark.parametrize("name", OTHER_EVENTS)
def test_function_logs_any_other_event_as_ignored(on_api_event, caplog, name) -> None:
    with caplog.at_level(logging.INFO, logger="monitors.function"):
        on_api_event(decode_event_grid(_host_json(name)))
    assert (" ignored: " in caplog.text, "status=" in caplog.text) == (True, False)
