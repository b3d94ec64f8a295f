"""A stand-in for the Functions host that drives the real Python worker library for 3.13, azure-functions-runtime.

The proxy worker that runs beside the host only relays: it wraps each gRPC ``StreamingMessage`` in a
``WorkerRequest`` (with the generated ``protos`` module) and awaits the library's handler for it. This module does
the same in process, without gRPC: at host start ``worker_init_request`` (which imports function_app.py and indexes
it), ``functions_metadata_request`` (the raw binding JSON the host reads) and ``function_load_request``; per trigger
``invocation_request`` (an HTTP request arrives as ``RpcHttp`` in TypedData.http), whose inputs the library
converts itself (``bindings.meta.from_incoming_proto`` over azure-functions' binding registry) before running the
function on its thread pool. The messages are compiled from protocol/FunctionRpc.proto with grpcio-tools' protoc.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import importlib.util
import json
import sys
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import azure_functions_runtime as worker
import grpc_tools
from azure_functions_runtime.bindings import meta as worker_bindings
from grpc_tools import protoc

from tests.worker import Payload

PROTOCOL = Path(__file__).parent / "protocol" / "FunctionRpc.proto"
APP_MODULE = "function_app"  # the worker imports PYTHON_SCRIPT_FILE_NAME (default function_app.py) by module name
HOST_VERSION = "4.1040.0"


class WorkerStartError(RuntimeError):
    """The worker answered a start-up request (init, metadata, load) with a failure."""


@functools.cache
def protos() -> ModuleType:
    """The contract's message classes, compiled once per process; the library takes this module as its ``protos``."""
    includes = Path(grpc_tools.__file__).parent / "_proto"  # google/protobuf/duration.proto
    with tempfile.TemporaryDirectory() as out:
        args = ["protoc", f"-I{PROTOCOL.parent}", f"-I{includes}", f"--python_out={out}", str(PROTOCOL)]
        if protoc.main(args) != 0:
            raise RuntimeError(f"protoc could not compile {PROTOCOL}")
        spec = importlib.util.spec_from_file_location("FunctionRpc_pb2", Path(out) / "FunctionRpc_pb2.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


def typed_data(kind_and_value: tuple[str, Any]) -> Any:
    """One ``TypedData`` message from (field, value), e.g. ("json", "{...}"); ("http", {...}) is an ``RpcHttp``."""
    kind, value = kind_and_value
    if kind == "http":
        return protos().TypedData(http=rpc_http(value))
    return protos().TypedData(**{kind: value})


def rpc_http(request: Mapping[str, Any]) -> Any:
    """The ``RpcHttp`` the host sends for one request (tests.worker.http_payload's mapping). The library tells the
    host RpcHttpBodyOnly, RawHttpBodyBytes and RpcHttpTriggerMetadataRemoved at init: the body comes as bytes, no
    rawBody, and the request is in RpcHttp alone (headers, query and route params), not in trigger metadata."""
    return protos().RpcHttp(
        method=request["method"],
        url=request["url"],
        headers=request["headers"],
        query=request["query"],
        params=request["params"],
        body=protos().TypedData(bytes=request["body"]),
    )


def decode(payload: Payload, *, function_name: str = "test") -> Any:
    """The trigger argument exactly as the worker library converts the host's payload for an invocation."""
    worker_bindings.load_binding_registry()  # what worker_init_request does first: azure-functions' converters
    return worker_bindings.from_incoming_proto(
        payload.binding,
        protos().ParameterBinding(name="trigger", data=typed_data(payload.data)),
        pytype=None,
        trigger_metadata={key: typed_data(value) for key, value in payload.metadata.items()},
        function_name=function_name,
    )


@dataclasses.dataclass
class WorkerRequest:
    """What the proxy worker hands the library: the host's message and, at init, the protos module and host."""

    name: str
    request: Any
    properties: dict[str, Any] | None = None


class Host:
    """One worker process for one function app directory, started as the host starts it and then invoked."""

    def __init__(self, app_directory: Path) -> None:
        self.app_directory = app_directory
        self.app_module: ModuleType | None = None
        self.init_response: Any = None
        self.metadata: dict[str, Any] = {}

    def start(self) -> None:
        """Init (the worker imports and indexes the app), then metadata and one load per indexed function."""
        worker.start_threadpool_executor()
        with _private_app_import() as imported:
            self.init_response = self._send(
                worker.worker_init_request,
                properties={"protos": protos(), "host": "127.0.0.1"},
                worker_init_request=protos().WorkerInitRequest(
                    host_version=HOST_VERSION, function_app_directory=str(self.app_directory)
                ),
            )
        self.app_module = imported.get(APP_MODULE)
        _check("WorkerInitRequest", self.init_response.result)
        response = self._send(
            worker.functions_metadata_request,
            functions_metadata_request=protos().FunctionsMetadataRequest(
                function_app_directory=str(self.app_directory)
            ),
        )
        _check("FunctionsMetadataRequest", response.result)
        self.metadata = {function.name: function for function in response.function_metadata_results}
        for function in self.metadata.values():
            loaded = self._send(
                worker.function_load_request,
                function_load_request=protos().FunctionLoadRequest(function_id=function.function_id, metadata=function),
            )
            _check(f"FunctionLoadRequest for {function.name}", loaded.result)

    def stop(self) -> None:
        worker.stop_threadpool_executor()

    def raw_bindings(self, name: str) -> list[dict[str, Any]]:
        """The function's bindings as the host reads them from the worker's metadata (one JSON string each)."""
        return [json.loads(raw) for raw in self.metadata[name].raw_bindings]

    def invocation(self, name: str, payload: Payload) -> Any:
        """The ``InvocationRequest`` the host sends to run function ``name`` on ``payload``."""
        function = self.metadata[name]
        (trigger,) = [b for b in self.raw_bindings(name) if b["type"] == payload.binding and b["direction"] == "IN"]
        metadata = {key: typed_data(value) for key, value in payload.metadata.items()}
        metadata["sys"] = typed_data(("json", _sys_metadata(name)))  # the host adds this to every invocation
        return protos().InvocationRequest(
            invocation_id=str(uuid.uuid4()),
            function_id=function.function_id,
            input_data=[protos().ParameterBinding(name=trigger["name"], data=typed_data(payload.data))],
            trigger_metadata=metadata,
        )

    def invoke(self, name: str, payload: Payload) -> Any:
        """Run one invocation through the worker; returns its ``InvocationResponse``."""
        return self.invoke_concurrently(name, [payload])[0]

    def invoke_concurrently(self, name: str, payloads: Sequence[Payload]) -> list[Any]:
        """Send every invocation before awaiting any, as the dispatcher does: sync functions race on the pool."""

        async def send_all() -> list[Any]:
            requests = [self._request(invocation_request=self.invocation(name, p)) for p in payloads]
            return list(await asyncio.gather(*(worker.invocation_request(r) for r in requests)))

        return asyncio.run(send_all())

    def _send(self, handler: Any, *, properties: dict[str, Any] | None = None, **content: Any) -> Any:
        return asyncio.run(handler(self._request(properties=properties, **content)))

    @staticmethod
    def _request(*, properties: dict[str, Any] | None = None, **content: Any) -> WorkerRequest:
        (kind,) = content
        message = protos().StreamingMessage(request_id=str(uuid.uuid4()), **content)
        return WorkerRequest(name=kind, request=message, properties=properties)


def status_name(result: Any) -> str:
    """The status of a ``StatusResult`` by name: "Success", "Failure" or "Cancelled"."""
    return str(protos().StatusResult.Status.Name(result.status))


def _check(what: str, result: Any) -> None:
    if result.status != protos().StatusResult.Success:
        raise WorkerStartError(f"{what} failed: {result.exception.message}")


def _sys_metadata(name: str) -> str:
    now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC).isoformat()
    return json.dumps({"MethodName": name, "UtcNow": now, "RandGuid": str(uuid.uuid4())})


@contextmanager
def _private_app_import() -> Iterator[dict[str, ModuleType]]:
    """Let the worker import function_app afresh and keep that module to itself.

    azure-functions allows ``app.get_functions()`` once per app, and the suite's ``functions`` fixture may already
    have called it on the module in ``sys.modules``; the worker's indexing calls it again on its own import.
    """
    saved = sys.modules.pop(APP_MODULE, None)
    imported: dict[str, ModuleType] = {}
    try:
        yield imported
    finally:
        fresh = sys.modules.pop(APP_MODULE, None)
        if fresh is not None:
            imported[APP_MODULE] = fresh
        if saved is not None:
            sys.modules[APP_MODULE] = saved
