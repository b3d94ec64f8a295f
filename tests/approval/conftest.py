"""The function app in MONITOR_AUTO_ONBOARD=approve, called as the Functions host calls it: Event Grid events,
queue messages and HTTP requests decoded by the worker's own converters, with state and queues in Azurite and a
loopback receiver standing in for Teams."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient

from emulator import EmulatorServer
from emulator.receiver import Receiver
from monitors.approvers import encode
from tests.conftest import PROD
from tests.event_files import write_event
from tests.worker import decode_event_grid, decode_http, decode_queue

APPROVE_URL = "http://127.0.0.1:7071/api/approve"
KEY = "k" * 16 + "approval-key-for-tests-only!"
ROLE = "Defender.Approver"
SVC = f"/subscriptions/{PROD}/resourceGroups/rg-apis/providers/Microsoft.ApiManagement/service/apim-prod"
APPROVER = {"x-ms-client-principal": encode("ana@contoso.example", roles=[ROLE])}
STRANGER = {"x-ms-client-principal": encode("eve@contoso.example", roles=["Reader"])}


def api_event(api: str, event_id: str) -> Any:
    """The trigger argument for a ResourceWriteSuccess of one API of apim-prod (our fixture event, re-pointed)."""
    return decode_event_grid({**write_event(f"{SVC}/apis/{api}"), "id": event_id})


def card_links(receiver: Receiver) -> dict[str, str]:
    """The Action.OpenUrl links of the last Teams card the receiver got, by title."""
    card = json.loads(receiver.requests[-1].body)["attachments"][0]["content"]
    return {a["title"]: a["url"] for a in card["actions"]}


def card_texts(receiver: Receiver) -> list[str]:
    """Every TextBlock and Fact of every card received, in order."""
    texts: list[str] = []
    for request in receiver.requests:
        card = json.loads(request.body)["attachments"][0]["content"]
        for block in card["body"]:
            texts += [block.get("text", "")] + [f["value"] for f in block.get("facts", [])]
    return texts


def token_of(url: str) -> str:
    match = re.search(r"[?&]t=([^&]+)", url)
    assert match, url
    return match.group(1)


@dataclass
class App:
    """The function app's functions as the host calls them."""

    functions: dict[str, Any]
    queue: QueueClient
    arm: EmulatorServer

    def event(self, api: str, event_id: str = "6b1f0000-0000-4000-8000-000000000001") -> None:
        self.functions["OnApiEvent"].get_user_function()(api_event(api, event_id))

    def get(self, url: str, headers: dict[str, str] | None = None) -> Any:
        return self.functions["Approve"].get_user_function()(decode_http("GET", url, headers=headers))

    def post(self, token: str, headers: dict[str, str] | None = None, *, origin: str | None = None) -> Any:
        base = {"content-type": "application/x-www-form-urlencoded", "host": "127.0.0.1:7071"}
        if origin is not None:
            base["origin"] = origin
        body = f"t={token}".encode()
        request = decode_http("POST", APPROVE_URL, headers={**base, **(headers or {})}, body=body, params={})
        return self.functions["Approve"].get_user_function()(request)

    def run_onboard_worker(self) -> int:
        """Deliver every queued onboarding to OnboardWorker, as the host would; the number delivered."""
        done = 0
        for message in self.queue.receive_messages(visibility_timeout=60):
            self.functions["OnboardWorker"].get_user_function()(decode_queue(message.content))
            self.queue.delete_message(message)
            done += 1
        return done

    def collection_puts(self) -> list[str]:
        return [r.path for r in self.arm.requests if r.method == "PUT" and "apiCollections" in r.path]

    def tag_writes(self) -> list[str]:
        return [r.path for r in self.arm.requests if r.method == "PATCH" and "/tags/default" in r.path]


@pytest.fixture
def approve_env(monkeypatch: pytest.MonkeyPatch, emulator_env: dict[str, str], receiver: Receiver, storage: Any):
    for key, value in {
        **emulator_env,
        "MONITOR_AUTO_ONBOARD": "approve",
        "MONITOR_APPROVAL_URL": APPROVE_URL,
        "MONITOR_APPROVAL_KEY": KEY,
        "MONITOR_APPROVERS": f"role:{ROLE}",
        "MONITOR_TEAMS_WEBHOOK_URL": receiver.url,
        "WEBSITE_AUTH_ENABLED": "True",  # App Service sets it when authentication is on; the tests stand in for it
    }.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


@pytest.fixture
def app(functions: dict[str, Any], arm: EmulatorServer, approve_env: Any, storage: Any) -> Iterator[App]:
    queue = QueueClient.from_connection_string(storage.connection_string, "apim-onboard")
    with contextlib.suppress(ResourceExistsError):
        queue.create_queue()
    yield App(functions, queue, arm)
    queue.close()
