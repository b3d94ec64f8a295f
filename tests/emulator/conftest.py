"""Fixtures for the emulator's own tests: real Azure SDK clients and a raw HTTP caller pointed at the emulator."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.security import SecurityCenter

from emulator import EmulatorServer
from tests.emulator.sdk_credential import NoCredential

SUB = "00000000-0000-0000-0000-000000000001"


class EmulatorBearerPolicy(SansIOHTTPPolicy[Any, Any]):
    """Adds a static bearer token; azure-core's own bearer policy refuses plain http."""

    def on_request(self, request: PipelineRequest[Any]) -> None:
        request.http_request.headers["Authorization"] = "Bearer emulator"


def _client_kwargs(server: EmulatorServer) -> dict[str, Any]:
    return {
        "base_url": server.url,
        "authentication_policy": EmulatorBearerPolicy(),
        "retry_total": 3,
        "retry_backoff_factor": 0.01,
    }


@pytest.fixture
def sdk_options() -> Callable[[EmulatorServer], dict[str, Any]]:
    """Builds the SDK client keyword arguments (base_url, static bearer token, fast retries) for any emulator."""
    return _client_kwargs


@pytest.fixture
def apim(emulator_under_test: EmulatorServer) -> Iterator[ApiManagementClient]:
    """The real ApiManagementClient (api-version 2024-05-01) talking to the emulator."""
    with ApiManagementClient(NoCredential(), SUB, **_client_kwargs(emulator_under_test)) as client:
        yield client


@pytest.fixture
def apim_for(emulator_under_test: EmulatorServer) -> Iterator[Callable[[str], ApiManagementClient]]:
    """A factory of ApiManagementClients for other subscription ids, closed after the test."""
    clients: list[ApiManagementClient] = []

    def make(subscription_id: str) -> ApiManagementClient:
        clients.append(ApiManagementClient(NoCredential(), subscription_id, **_client_kwargs(emulator_under_test)))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def security(emulator_under_test: EmulatorServer) -> Iterator[SecurityCenter]:
    """The real SecurityCenter client (apiCollections 2023-11-15, pricings 2024-01-01) talking to the emulator."""
    with SecurityCenter(NoCredential(), SUB, **_client_kwargs(emulator_under_test)) as client:
        yield client


@dataclass(frozen=True)
class RawReply:
    """A raw HTTP answer from the emulator."""

    status: int
    headers: dict[str, str]
    body: Any


RawCall = Callable[..., RawReply]


@pytest.fixture
def http_call(emulator_under_test: EmulatorServer) -> RawCall:
    """Send one raw HTTP request (`http_call("GET", "/subscriptions?api-version=...")`) and decode the JSON answer."""

    def call(method: str, target: str, body: Any = None, *, auth: bool = True) -> RawReply:
        netloc = urlsplit(emulator_under_test.url).netloc
        connection = http.client.HTTPConnection(netloc, timeout=10)
        headers = {"Authorization": "Bearer emulator"} if auth else {}
        payload = None if body is None else json.dumps(body).encode()
        try:
            connection.request(method, target, body=payload, headers=headers)
            response = connection.getresponse()
            data = response.read()
            reply_headers = {name.lower(): value for name, value in response.getheaders()}
        finally:
            connection.close()
        return RawReply(response.status, reply_headers, json.loads(data) if data else None)

    return call
