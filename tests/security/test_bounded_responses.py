"""A sink's endpoint cannot hold a delivery or fill the process's memory (issue 9, item 9): every call has an
overall deadline, however slowly the answer trickles, and no sink reads more than its cap of an answer, the Event Grid
sink included (its SDK would read a whole body into memory)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from azure.core.credentials import AzureKeyCredential

from emulator.receiver import Drip, Flood, Receiver
from monitors.alerts.eventgrid import EventGridSink
from monitors.alerts.http import post
from monitors.errors import DeliveryError
from tests.alerts.factories import make_alert, outbox_item

ROOT = Path(__file__).resolve().parents[2]
BODY, JSON = b'{"text": "hi"}', {"content-type": "application/json"}
TOPIC_KEY = "ZXZlbnRncmlkLXRvcGljLWtleS1mb3ItdGVzdHM="


def eventgrid(receiver: Receiver, timeout: float) -> EventGridSink:
    return EventGridSink(receiver.base_url + "/api/events", AzureKeyCredential(TOPIC_KEY), timeout=timeout)


@pytest.mark.parametrize("phase", ["headers", "body"])
def test_a_dripping_webhook_answer_is_cut_off_at_the_deadline(receiver, phase) -> None:
    receiver.answer(Drip(phase=phase, interval=0.05, size=100_000))  # each byte well within the 1 s read timeout
    started = time.monotonic()
    with pytest.raises(DeliveryError, match=r"^webhook: no answer within 1 s$"):
        post(receiver.url, BODY, JSON, sink="webhook", timeout=1.0)
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("phase", ["headers", "body"])
def test_a_dripping_event_grid_answer_is_cut_off_at_the_deadline(receiver, phase) -> None:
    receiver.answer(Drip(phase=phase, interval=0.05, size=100_000))
    sink = eventgrid(receiver, timeout=1.0)
    started = time.monotonic()
    with pytest.raises(DeliveryError, match=r"^eventgrid: no answer within 1 s$"):
        sink.send(outbox_item((make_alert("orders"),), sink="eventgrid"))
    sink.close()
    assert time.monotonic() - started < 2.0


def test_a_huge_event_grid_answer_is_not_read(receiver) -> None:
    flood = Flood(status=200, size=100 * 1024 * 1024)
    receiver.answer(flood)
    sink = eventgrid(receiver, timeout=5.0)
    with pytest.raises(DeliveryError, match=r"^eventgrid: answer over 65536 bytes, not read$"):
        sink.send(outbox_item((make_alert("orders"),), sink="eventgrid"))
    sink.close()
    seen = receiver.requests[0]
    assert seen.done.wait(5) and seen.bytes_sent < flood.size // 8


PEAK_RSS = """
import json, resource, sys
from azure.core.credentials import AzureKeyCredential
from monitors.alerts.eventgrid import EventGridSink
from monitors.errors import DeliveryError
from tests.alerts.factories import make_alert, outbox_item
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sink = EventGridSink(sys.argv[1], AzureKeyCredential("a2V5"), timeout=10)
try:
    sink.send(outbox_item((make_alert("orders"),), sink="eventgrid"))
except DeliveryError as exc:
    error = str(exc)
print(json.dumps({"grew_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before, "error": error}))
"""


def test_a_100_mb_event_grid_answer_leaves_the_process_small(receiver) -> None:
    receiver.answer(Flood(status=200, size=100 * 1024 * 1024))
    run = subprocess.run([sys.executable, "-c", PEAK_RSS, receiver.base_url + "/api/events"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert (result["error"].startswith("eventgrid: answer over"), result["grew_kib"] < 16 * 1024) == (True, True)
