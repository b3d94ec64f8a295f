"""Every published Event Grid sample through ``OnApiEvent`` as the Python worker calls it.

The host delivers one event per invocation (maxEventsPerBatch 1): its JSON is the event object, which
azure-functions' EventGridEventInConverter turns into ``func.EventGridEvent`` or, for a CloudEvents delivery,
``func.CloudEvent``. A sample published as an array of one event is delivered as that event. No exception may
escape, and the log says either the finding (``status=``) or why the event was ignored.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

from monitors.protection import event_time
from tests.real.event_expectations import API_EVENTS, OTHER_EVENTS
from tests.real.payloads import file_of, real_text, with_estate_ids
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


@pytest.mark.parametrize("name", [pytest.param(file_of(p.values), id=p.id) for p in [*API_EVENTS, *OTHER_EVENTS]])
def test_the_time_to_protect_clock_reads_each_samples_own_time_through_the_worker(name) -> None:
    """The first write's time as Event Grid stamps it (``eventTime``, or CloudEvents' ``time``, with 7 fractional
    digits) survives azure-functions' converter and the function's wire mapping to start the API's clock. Some of
    Microsoft's CloudEvents samples spell ``specVersion``, ``Type`` or ``Time``: the converter then reads them as the
    Event Grid schema and the time is lost, so the clock starts when the event is processed (never a made-up time)."""
    import function_app

    document = json.loads(_host_json(name))
    stamp = document.get("time") if "specversion" in document else document.get("eventTime")
    expected = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None
    delivered = function_app._as_dict(decode_event_grid(json.dumps(document)))
    assert event_time(delivered) == expected
