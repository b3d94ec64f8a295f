"""Trigger arguments built the way the Python worker builds them: azure-functions' own converters applied to the JSON
the Functions host sends, never hand-built ``func.EventGridEvent`` objects (those hid a crash on every CloudEvents
delivery). Also runs invocations concurrently, as the worker's thread pool does for sync functions.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from azure.functions import meta
from azure.functions.eventgrid import EventGridEventInConverter
from azure.functions.queue import QueueMessageInConverter
from azure.functions.timer import TimerRequestConverter

THREADPOOL_THREADS = 8  # what the worker uses when PYTHON_THREADPOOL_THREAD_COUNT asks for it


def decode_event_grid(host_json: str | dict[str, Any]) -> Any:
    """The Event Grid trigger argument for one delivered event: ``func.EventGridEvent`` or ``func.CloudEvent``."""
    text = host_json if isinstance(host_json, str) else json.dumps(host_json)
    return EventGridEventInConverter.decode(meta.Datum(type="json", value=text), trigger_metadata={})


def decode_queue(body: str, *, dequeue_count: int = 1, message_id: str = "m-1") -> Any:
    """The queue trigger argument; the host sends DequeueCount as JSON in trigger metadata."""
    now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC).isoformat()
    metadata = {
        "Id": meta.Datum(type="string", value=message_id),
        "DequeueCount": meta.Datum(type="json", value=json.dumps(dequeue_count)),
        "InsertionTime": meta.Datum(type="string", value=now),
        "ExpirationTime": meta.Datum(type="string", value=now),
        "NextVisibleTime": meta.Datum(type="string", value=now),
        "PopReceipt": meta.Datum(type="string", value="receipt"),
    }
    return QueueMessageInConverter.decode(meta.Datum(type="string", value=body), trigger_metadata=metadata)


def decode_timer(*, past_due: bool = False) -> Any:
    """The timer trigger argument, from the JSON the host sends."""
    info = {"Schedule": {"AdjustForDST": True}, "ScheduleStatus": None, "IsPastDue": past_due}
    return TimerRequestConverter.decode(meta.Datum(type="json", value=json.dumps(info)), trigger_metadata={})


def run_concurrently(function: Callable[[Any], Any], arguments: Sequence[Any]) -> list[Any]:
    """Invoke ``function`` once per argument on a worker-sized thread pool; exceptions are returned, not raised."""

    def call(argument: Any) -> Any:
        try:
            return function(argument)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(max_workers=THREADPOOL_THREADS) as pool:
        return list(pool.map(call, arguments))
