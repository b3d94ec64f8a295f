"""Trigger arguments built the way the Python worker builds them, from the payloads the Functions host sends (the
trigger's TypedData and its trigger metadata), never hand-built ``func.EventGridEvent`` objects: those hid a crash on
every CloudEvents delivery. Also runs invocations concurrently, as the worker's thread pool does for sync functions.

Version-aware, like the platform: on Python 3.13 the real worker library from PyPI (azure-functions-runtime)
converts each payload, through tests/runtime313/host.py; before 3.13 the worker is not on PyPI, and its conversion
is the lookup done here: azure-functions' binding registry, then the converter's ``decode``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

THREADPOOL_THREADS = 8  # what the worker uses when PYTHON_THREADPOOL_THREAD_COUNT asks for it
WORKER_LIBRARY = sys.version_info >= (3, 13)  # azure-functions 2.x and azure-functions-runtime (requirements-dev.txt)
QUEUE_TIME = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC).isoformat()


@dataclass(frozen=True)
class Payload:
    """What the host sends for one trigger: the binding type, the trigger's data and the trigger metadata.

    Each datum is (TypedData field, value), e.g. ("json", "{...}") or ("string", "body"), as in FunctionRpc.proto.
    """

    binding: str
    data: tuple[str, Any]
    metadata: Mapping[str, tuple[str, Any]] = field(default_factory=dict)


def event_grid_payload(host_json: str | dict[str, Any]) -> Payload:
    """One delivered event in either schema: the host passes its JSON through as delivered."""
    text = host_json if isinstance(host_json, str) else json.dumps(host_json)
    return Payload("eventGridTrigger", ("json", text))


def queue_payload(body: str, *, dequeue_count: int = 1, message_id: str = "m-1") -> Payload:
    """One queue message; host.json's messageEncoding "none" makes the body a string. The host serialises
    non-string trigger metadata (DequeueCount, the times) as JSON; host.json maxDequeueCount bounds DequeueCount."""
    when = ("json", json.dumps(QUEUE_TIME))
    metadata = {
        "Id": ("string", message_id),
        "DequeueCount": ("json", json.dumps(dequeue_count)),
        "InsertionTime": when,
        "ExpirationTime": when,
        "NextVisibleTime": when,
        "PopReceipt": ("string", "receipt"),
        "QueueTrigger": ("string", body),
    }
    return Payload("queueTrigger", ("string", body), metadata)


def timer_payload(*, past_due: bool = False) -> Payload:
    """One timer tick, as the host's TimerInfo JSON."""
    info = {"Schedule": {"AdjustForDST": True}, "ScheduleStatus": None, "IsPastDue": past_due}
    return Payload("timerTrigger", ("json", json.dumps(info)))


def http_payload(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    params: Mapping[str, str] | None = None,
) -> Payload:
    """One HTTP request as the host hands it over (RpcHttp): method, URL, headers, the query parsed into ``query``,
    the route's parameters and the body as bytes. ``params`` defaults to the URL's own query."""
    query = dict(params) if params is not None else dict(parse_qsl(urlsplit(url).query))
    http = {"method": method, "url": url, "headers": dict(headers or {}), "query": query, "params": {}, "body": body}
    return Payload("httpTrigger", ("http", http))


def decode(payload: Payload) -> Any:
    """The trigger argument the function receives for ``payload``."""
    if WORKER_LIBRARY:
        from tests.runtime313.host import decode as decode_in_worker

        return decode_in_worker(payload)
    from azure.functions import get_binding_registry, meta

    converter = get_binding_registry().get(payload.binding)
    metadata = {key: meta.Datum(type=kind, value=value) for key, (kind, value) in payload.metadata.items()}
    kind, value = payload.data
    if kind == "http":  # the worker turns RpcHttp into a mapping of Datums (its from_incoming_proto)
        value = {
            "method": meta.Datum(type="string", value=value["method"]),
            "url": meta.Datum(type="string", value=value["url"]),
            "headers": {k: meta.Datum(type="string", value=v) for k, v in value["headers"].items()},
            "query": {k: meta.Datum(type="string", value=v) for k, v in value["query"].items()},
            "params": {k: meta.Datum(type="string", value=v) for k, v in value["params"].items()},
            "body": meta.Datum(type="bytes", value=value["body"]),
        }
    return converter.decode(meta.Datum(type=kind, value=value), trigger_metadata=metadata)


def decode_http(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    params: Mapping[str, str] | None = None,
) -> Any:
    """The HTTP trigger argument (``func.HttpRequest``) for one request, as the worker builds it from RpcHttp."""
    return decode(http_payload(method, url, headers=headers, body=body, params=params))


def decode_event_grid(host_json: str | dict[str, Any]) -> Any:
    """The Event Grid trigger argument for one delivered event: ``func.EventGridEvent`` or ``func.CloudEvent``."""
    return decode(event_grid_payload(host_json))


def decode_queue(body: str, *, dequeue_count: int = 1, message_id: str = "m-1") -> Any:
    """The queue trigger argument; the host sends DequeueCount as JSON in trigger metadata."""
    return decode(queue_payload(body, dequeue_count=dequeue_count, message_id=message_id))


def decode_timer(*, past_due: bool = False) -> Any:
    """The timer trigger argument, from the JSON the host sends."""
    return decode(timer_payload(past_due=past_due))


def run_concurrently(function: Callable[[Any], Any], arguments: Sequence[Any]) -> list[Any]:
    """Invoke ``function`` once per argument on a worker-sized thread pool; exceptions are returned, not raised."""

    def call(argument: Any) -> Any:
        try:
            return function(argument)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(max_workers=THREADPOOL_THREADS) as pool:
        return list(pool.map(call, arguments))
