"""The credential of the app and the clients of its own Azure resources: the state store's Tables service, the
Storage queues and the Event Grid topic. Light on purpose: it loads none of the ARM SDKs, and the Tables and Event Grid
SDKs and azure-identity only when first asked for. With ``clients`` (the ARM clients) the only place that constructs
SDK clients or credentials; whoever gets one from here owns it and closes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from azure.core.credentials import TokenCredential
from azure.storage.queue import QueueClient

if TYPE_CHECKING:
    from azure.core.credentials import AzureKeyCredential
    from azure.data.tables import TableServiceClient
    from azure.eventgrid import EventGridPublisherClient
    from azure.identity import DefaultAzureCredential
    from azure.storage.blob import ContainerClient


def credential(client_id: str | None) -> DefaultAzureCredential:
    """The credential every Azure client of the app signs in with: the user-assigned managed identity ``client_id``
    (``Settings.client_id``, from AZURE_CLIENT_ID), or azure-identity's own chain when it is None. The caller owns it:
    close it with (after) the clients that use it. Building it makes no request; the first token does.
    """
    from azure.identity import DefaultAzureCredential  # only processes that sign in to Azure load azure-identity

    # With no id, leave the keyword out rather than pass None: azure-identity then falls back to AZURE_CLIENT_ID
    # itself, as the Tables store's credential always did. Settings.client_id is that variable, so both agree.
    options = {"managed_identity_client_id": client_id} if client_id else {}
    return DefaultAzureCredential(**options)


def table_service(
    account: str, *, client_id: str | None, **options: Any
) -> tuple[TableServiceClient, DefaultAzureCredential | None]:
    """The Table service of an ``https://`` account URL, signing in with ``credential(client_id)``, or of a connection
    string; with the credential built for it (None for a connection string), which the caller closes after the client.

    Raises ValueError for a malformed connection string (azure-data-tables' own message: it may quote the string).
    """
    from azure.data.tables import TableServiceClient  # a CLI on SQLite never loads the Tables SDK

    if account.lower().startswith("https://"):
        owned = credential(client_id)
        return TableServiceClient(endpoint=account, credential=owned, **options), owned
    return TableServiceClient.from_connection_string(account, **options), None


class _OwningQueueClient(QueueClient):
    """A queue client that also closes the credential built for it: the queue is that credential's only user."""

    def __init__(self, account_url: str, queue_name: str, owned: DefaultAzureCredential) -> None:
        super().__init__(account_url, queue_name, credential=owned)
        self._owned = owned

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._owned.close()

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def queue_client(account: str, name: str, *, client_id: str | None) -> QueueClient:
    """The queue ``name`` of an ``https://`` queue service URL, signing in with ``credential(client_id)`` (closed with
    the client), or of a connection string.

    Raises ValueError for a malformed connection string (azure-storage-queue's own message: it may quote the string).
    """
    if account.lower().startswith("https://"):
        return _OwningQueueClient(account, name, credential(client_id))
    return QueueClient.from_connection_string(account, name)


def blob_container(account: str, name: str, *, client_id: str | None) -> ContainerClient:
    """The blob container ``name`` of an ``https://`` blob service URL, signing in with ``credential(client_id)``
    (closed with the client), or of a connection string; the Blob SDK loads here, on first use.

    Raises ValueError for a malformed connection string (azure-storage-blob's own message: it may quote the string).
    """
    from azure.storage.blob import ContainerClient

    if account.lower().startswith("https://"):
        owned = credential(client_id)

        class _Owning(ContainerClient):  # closes the credential built for it: the container is its only user
            def close(self) -> None:
                try:
                    super().close()
                finally:
                    owned.close()

        return _Owning(account, name, credential=owned)
    return ContainerClient.from_connection_string(account, name)


def eventgrid_publisher(endpoint: str, credential: AzureKeyCredential | TokenCredential) -> EventGridPublisherClient:
    """The publisher of one Event Grid topic (the caller owns ``credential``); the Event Grid SDK loads here."""
    from azure.eventgrid import EventGridPublisherClient

    return EventGridPublisherClient(endpoint, credential)
