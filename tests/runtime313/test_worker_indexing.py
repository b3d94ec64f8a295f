"""Host start inside the real Python 3.13 worker library: it imports function_app.py, indexes every function and
answers the host's metadata request with the raw binding JSON from which the host binds each trigger."""

from __future__ import annotations

import json

import pytest

pytest.importorskip(
    "azure_functions_runtime",
    reason="azure-functions-runtime (the worker library) installs on Python 3.13+ only; make test runs these there",
)

from tests.runtime313.host import status_name

RAW_BINDINGS = {
    "OnApiEvent": [{"direction": "IN", "type": "eventGridTrigger", "name": "event"}],
    "SweepTimer": [
        {
            "direction": "IN",
            "type": "timerTrigger",
            "name": "timer",
            "schedule": "%MONITOR_SWEEP_SCHEDULE%",
            "runOnStartup": False,
            "useMonitor": True,
        }
    ],
    "SweepWorker": [
        {
            "direction": "IN",
            "type": "queueTrigger",
            "name": "msg",
            "queueName": "%MONITOR_SWEEP_QUEUE%",
            "connection": "AzureWebJobsStorage",
        }
    ],
    "OnboardWorker": [
        {
            "direction": "IN",
            "type": "queueTrigger",
            "name": "msg",
            "queueName": "%MONITOR_ONBOARD_QUEUE%",
            "connection": "AzureWebJobsStorage",
        }
    ],
    "Approve": [
        {
            "direction": "IN",
            "type": "httpTrigger",
            "name": "req",
            "methods": ["GET", "POST"],
            "authLevel": "ANONYMOUS",
            "route": "approve",
        },
        {"direction": "OUT", "type": "http", "name": "$return"},
    ],
    "DrainOutbox": [
        {
            "direction": "IN",
            "type": "timerTrigger",
            "name": "timer",
            "schedule": "0 */5 * * * *",
            "runOnStartup": False,
            "useMonitor": True,
        }
    ],
}


def test_worker_init_indexes_the_app_without_error(worker_host) -> None:
    result = worker_host.init_response.result
    assert (status_name(result), result.exception.message) == ("Success", "")


def test_worker_indexes_every_function_the_app_declares(worker_host, functions) -> None:
    assert sorted(worker_host.metadata) == sorted(functions) == sorted(RAW_BINDINGS)


@pytest.mark.parametrize(("name", "bindings"), [pytest.param(n, b, id=n) for n, b in RAW_BINDINGS.items()])
def test_raw_binding_json_is_what_the_host_binds(worker_host, name, bindings) -> None:
    raw = list(worker_host.metadata[name].raw_bindings)
    print(f"{name} raw_bindings: {json.dumps(raw)}")
    assert [json.loads(binding) for binding in raw] == bindings


def test_every_function_is_worker_indexed_from_function_app_py(worker_host) -> None:
    described = {
        (m.script_file, m.language, m.entry_point == m.name, tuple(sorted(m.properties.items())))
        for m in worker_host.metadata.values()
    }
    assert described == {("function_app.py", "python", True, (("worker_indexed", "True"),))}
