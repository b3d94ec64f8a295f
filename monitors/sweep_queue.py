"""The Storage queue that fans a sweep out to one function invocation per APIM service (azure-storage-queue).

Messages are plain JSON text; host.json sets the queue extension's messageEncoding to "none" to match. In Azure the
queue lives in the Functions storage account, reached with its connection string or, identity-based, with the
function's managed identity (Storage Queue Data Contributor).
"""

from __future__ import annotations

from collections.abc import Iterable

from azure.core.exceptions import AzureError as SdkAzureError
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient

from monitors.errors import SettingsError, StateError
from monitors.settings import Settings


def open_sweep_queue(settings: Settings) -> QueueClient:
    """A client for MONITOR_SWEEP_QUEUE in the Functions storage account; the queue is created when missing."""
    target = settings.queue_storage
    if not target:
        raise SettingsError("AzureWebJobsStorage: required for the sweep queue, none is set")
    if target.lower().startswith("https://"):
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential(managed_identity_client_id=settings.client_id)
        client = QueueClient(target, settings.sweep_queue, credential=credential)
    else:
        try:
            client = QueueClient.from_connection_string(target, settings.sweep_queue)
        except ValueError:
            raise SettingsError("AzureWebJobsStorage: not a valid storage connection string (value hidden)") from None
    try:
        client.create_queue()
    except ResourceExistsError:
        pass
    except SdkAzureError as exc:
        raise StateError(f"sweep queue: create failed ({type(exc).__name__})") from None
    return client


def send_messages(client: QueueClient, messages: Iterable[str]) -> int:
    """Enqueue every message; a failure names the queue, never the account key."""
    sent = 0
    for message in messages:
        try:
            client.send_message(message)
        except SdkAzureError as exc:
            raise StateError(f"sweep queue: send failed after {sent} messages ({type(exc).__name__})") from None
        sent += 1
    return sent
