"""Event Grid's dead-letter container (azure-storage-blob): list its blobs, read one, delete one.

The container is MONITOR_DEADLETTER_CONTAINER in the account Settings.deadletter_storage names (the state storage
account unless MONITOR_DEADLETTER_ACCOUNT_URL says otherwise). Identity-based, the client signs in as the app's
identity, which needs Storage Blob Data Contributor on the container to delete what it replayed. A failure names the
container and blob, never the account key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from azure.core.exceptions import AzureError as SdkAzureError
from azure.core.exceptions import ResourceNotFoundError

from monitors.azure.data_plane import blob_container
from monitors.errors import SettingsError, StateError
from monitors.settings import Settings


@dataclass(frozen=True)
class BlobEntry:
    """One blob of the container: its name, size in bytes, and when it was last written."""

    name: str
    size: int
    last_modified: dt.datetime | None


class DeadLetterContainer:
    """The dead-letter container of one storage account; close it when done (it owns its client)."""

    def __init__(self, settings: Settings) -> None:
        target = settings.deadletter_storage
        self.name = settings.deadletter_container
        if not target:
            raise SettingsError(
                "MONITOR_DEADLETTER_ACCOUNT_URL: not set, and no state storage account (MONITOR_STATE=tables:... or"
                " AzureWebJobsStorage) to find the dead-letter container in"
            )
        try:
            self._client = blob_container(target, self.name, client_id=settings.client_id)
        except ValueError:
            if target.lower().startswith("https://"):
                raise SettingsError(
                    "MONITOR_DEADLETTER_ACCOUNT_URL: not a usable blob endpoint (expected https://ACCOUNT.blob...)"
                ) from None
            raise SettingsError(
                "MONITOR_STATE / AzureWebJobsStorage: not a valid storage connection string for the dead-letter"
                " container (value hidden)"
            ) from None

    def blobs(self) -> Iterator[BlobEntry]:
        """Every blob, in name order (Event Grid's names sort by subscription, then date). Raises SettingsError for a
        container that does not exist, StateError when the account cannot be read."""
        try:
            for blob in self._client.list_blobs():
                yield BlobEntry(str(blob.name), int(blob.size or 0), blob.last_modified)
        except ResourceNotFoundError:
            raise SettingsError(
                f"MONITOR_DEADLETTER_CONTAINER={self.name}: no such container in the dead-letter storage account"
            ) from None
        except SdkAzureError as exc:
            raise StateError(f"dead-letter container {self.name}: cannot be listed ({type(exc).__name__})") from None

    def read(self, name: str) -> bytes:
        """The blob's bytes. Raises StateError when it cannot be read."""
        try:
            return bytes(self._client.download_blob(name).readall())
        except SdkAzureError as exc:
            raise StateError(f"{self.name}/{name}: cannot be read ({type(exc).__name__})") from None

    def delete(self, name: str) -> None:
        """Delete the blob; one already gone counts as deleted. Raises StateError when it cannot be deleted."""
        try:
            self._client.delete_blob(name)
        except ResourceNotFoundError:
            return
        except SdkAzureError as exc:
            raise StateError(f"{self.name}/{name}: cannot be deleted ({type(exc).__name__})") from None

    def close(self) -> None:
        self._client.close()
