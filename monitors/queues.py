"""The Storage queues of the function app (azure-storage-queue): the sweep's fan-out, one message per APIM service,
and the onboarding queue, one message per API to onboard off the event path.

Messages are keyed, versioned JSON text; host.json sets the queue extension's messageEncoding to "none" to match. In
Azure the queues live in the Functions storage account, reached with its connection string or, identity-based, with
the function's managed identity (Storage Queue Data Contributor) at ``AzureWebJobsStorage__queueServiceUri``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from azure.core.exceptions import AzureError as SdkAzureError
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient

from monitors.azure.data_plane import queue_client
from monitors.errors import EventError, SettingsError, StateError
from monitors.events import parse_api_id
from monitors.model import ApiRef
from monitors.settings import Settings

ONBOARD_MESSAGE = "onboard"


@dataclass(frozen=True)
class OnboardRequest:
    """An API the event path found not onboarded, to onboard (and wait for) in the onboarding worker."""

    api: ApiRef
    event_id: str
    approved_by: str | None = None  # the approver whose decision queued it (MONITOR_AUTO_ONBOARD=approve)

    def to_message(self) -> str:
        body = {"v": 1, "kind": ONBOARD_MESSAGE, "api": self.api.resource_id, "event_id": self.event_id}
        if self.approved_by:
            body["approved_by"] = self.approved_by
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def from_message(cls, text: str) -> OnboardRequest:
        """Raises EventError for a message this version cannot read, or one naming a malformed API id."""
        try:
            body = json.loads(text)
            if body["v"] != 1 or body["kind"] != ONBOARD_MESSAGE:
                raise ValueError(f"version {body['v']!r} of kind {body['kind']!r}")
            api, event_id = str(body["api"]), str(body.get("event_id") or "")
            approved_by = str(body["approved_by"]) if body.get("approved_by") else None
        except (ValueError, KeyError, TypeError) as exc:
            raise EventError(f"onboarding message is not an onboarding request ({type(exc).__name__}: {exc})") from None
        return cls(parse_api_id(api), event_id, approved_by)


def open_queue(settings: Settings, name: str) -> QueueClient:
    """A client for the queue ``name`` in the Functions storage account; the queue is created when missing.

    Identity-based (an ``https://`` queue service URL), the client signs in as ``settings.client_id`` with a credential
    of its own that closing the client closes too.
    """
    target = settings.queue_storage
    if not target:
        raise SettingsError("AzureWebJobsStorage: required for the function app's queues, none is set")
    try:
        client = queue_client(target, name, client_id=settings.client_id)
    except ValueError:
        if target.lower().startswith("https://"):
            raise  # not a connection string: the SDK's own word on the URL, as ever
        raise SettingsError("AzureWebJobsStorage: not a valid storage connection string (value hidden)") from None
    try:
        client.create_queue()
    except ResourceExistsError:
        pass
    except SdkAzureError as exc:
        raise StateError(f"queue {name}: create failed ({type(exc).__name__})") from None
    return client


def send_messages(client: QueueClient, messages: Iterable[str], *, delay_seconds: int = 0) -> int:
    """Enqueue every message, visible after ``delay_seconds``; a failure names the queue, never the account key."""
    sent = 0
    for message in messages:
        try:
            client.send_message(message, visibility_timeout=delay_seconds or None)
        except SdkAzureError as exc:
            raise StateError(
                f"queue {client.queue_name}: send failed after {sent} messages ({type(exc).__name__})"
            ) from None
        sent += 1
    return sent
