"""Event Grid alerts: one CloudEvent 1.0 per alerted finding, published to a custom topic (key or managed identity).

Subscribers filter on the event type ``ApimDefenderMonitor.FindingChanged`` and on ``subject`` (the ARM id of the
API, plan or collection); ``data`` is the finding in the findings-contract shape plus ``alert_kind``. The event id is
the alert id, so a redelivered alert carries the same id and subscribers can drop the duplicate.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from azure.core.credentials import AzureKeyCredential, TokenCredential
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestTimeoutError,
    ServiceResponseTimeoutError,
)
from azure.core.messaging import CloudEvent

from monitors.alerts import digest
from monitors.alerts.bounded import Call, bounded
from monitors.alerts.http import refusal
from monitors.azure.data_plane import eventgrid_publisher
from monitors.errors import DeliveryError
from monitors.model import Alert, OutboxItem

EVENT_TYPE = "ApimDefenderMonitor.FindingChanged"
SOURCE = "/apim-defender-monitor"
MAX_BATCH_BYTES = 512 * 1024  # a basic topic takes at most 1 MB per publish request
MAX_RESPONSE_BYTES = 65536  # Event Grid answers a publish with an empty body, or a short error
_EVENT_OVERHEAD = 400  # the envelope around data: id, source, type, subject, time, specversion

# The basic-topic publisher is built without the client's keyword arguments (so retry, redirect and timeout settings
# can only be given per call), and it also forwards send()'s keyword arguments into every generated CloudEvent model,
# which logs "<option> is not a known attribute ... and will be ignored" once per event and option. The pipeline does
# honour them; this filter drops exactly those spurious records.
_SDK_SERIALIZER_LOGGER = "azure.eventgrid._legacy._generated._serialization"
_CALL_OPTIONS = ("retry_total", "permit_redirects", "connection_timeout", "read_timeout")


class _DropCallOptionWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not (args and args[0] in _CALL_OPTIONS and "not a known attribute" in str(record.msg))


_CALL_OPTION_FILTER = _DropCallOptionWarnings()


def render_cloudevents(alerts: Sequence[Alert], source: str = SOURCE) -> list[CloudEvent[dict[str, Any]]]:
    """One CloudEvent per alerted finding, worst first: id = alert id, subject = the finding's resource id."""
    return [
        CloudEvent(
            source=source,
            type=EVENT_TYPE,
            id=alert.alert_id,
            subject=alert.finding.resource_id,
            time=alert.created_at,
            datacontenttype="application/json",
            data={"alert_kind": alert.kind.value, **alert.finding.to_dict()},
        )
        for alert in digest.order_alerts(alerts)
    ]


class EventGridSink:
    """Publishes alerts to one Event Grid custom topic; the SDK's own retries are off (the outbox retries).

    The sink owns ``credential`` (a topic key, or the app's credential from ``monitors.azure.clients``): ``close``
    closes it with the publisher client.
    """

    name = "eventgrid"

    def __init__(
        self,
        endpoint: str,
        credential: AzureKeyCredential | TokenCredential,
        *,
        timeout: float = 10.0,
        source: str = SOURCE,
        max_batch_bytes: int = MAX_BATCH_BYTES,
    ) -> None:
        logging.getLogger(_SDK_SERIALIZER_LOGGER).addFilter(_CALL_OPTION_FILTER)
        self._credential = credential
        self._client = eventgrid_publisher(endpoint, credential)
        self._timeout = timeout
        self._source = source
        self._max_batch_bytes = max_batch_bytes

    def send(self, item: OutboxItem) -> None:
        """Publish the item's events in batches under 1 MB; raises DeliveryError unless every batch was accepted.
        A failed later batch resends the earlier ones on retry: subscribers dedupe on the event id."""
        for batch in _batches(render_cloudevents(item.alerts, self._source), self._max_batch_bytes):
            self._publish(batch)

    def close(self) -> None:
        """Close the publisher's connections, then the credential (a token credential holds its own; a key does not)."""
        try:
            self._client.close()
        finally:
            close_credential = getattr(self._credential, "close", None)
            if callable(close_credential):
                close_credential()

    def _publish(self, events: list[CloudEvent[dict[str, Any]]]) -> None:
        # An overall deadline and a cap on the answer: azure-core's timeouts are per socket read, and it would read
        # a whole body into memory.
        with bounded(self._timeout, MAX_RESPONSE_BYTES) as call:
            try:
                self._client.send(
                    events,
                    retry_total=0,
                    permit_redirects=False,
                    connection_timeout=self._timeout,
                    read_timeout=self._timeout,
                )
            except AzureError as exc:
                raise self._failure(exc, call) from None
            if not call.finish():
                raise DeliveryError(f"{self.name}: no answer within {self._timeout:g} s")

    def _failure(self, exc: AzureError, call: Call) -> DeliveryError:
        """What went wrong, from the call's deadline and cap first: cutting a connection short can surface as a
        broken read (IncompleteReadError is an HttpResponseError) rather than as a timeout."""
        if call.too_large:
            return DeliveryError(f"{self.name}: answer over {MAX_RESPONSE_BYTES} bytes, not read")
        if call.expired or isinstance(exc, (ServiceRequestTimeoutError, ServiceResponseTimeoutError)):
            return DeliveryError(f"{self.name}: no answer within {self._timeout:g} s")
        if isinstance(exc, HttpResponseError):
            return _refused(exc)
        return DeliveryError(f"{self.name}: not delivered ({type(exc).__name__})")


def _refused(exc: HttpResponseError) -> DeliveryError:
    """Map an azure-core error from its status and headers only: its message can name the topic."""
    status = exc.status_code
    if status is None and isinstance(exc, ResourceNotFoundError):
        status = 404  # the wrapper re-raises a 404 as a ResourceNotFoundError without the response
    if status is None:
        return DeliveryError(f"{EventGridSink.name}: refused ({type(exc).__name__})")
    headers: Mapping[str, str] = getattr(exc.response, "headers", None) or {}
    return refusal(EventGridSink.name, status, headers.get("retry-after"))


def _batches(events: list[CloudEvent[dict[str, Any]]], max_bytes: int) -> Iterator[list[CloudEvent[dict[str, Any]]]]:
    batch: list[CloudEvent[dict[str, Any]]] = []
    size = 0
    for event in events:
        event_size = len(json.dumps(event.data)) + len(event.subject or "") + _EVENT_OVERHEAD
        if batch and size + event_size > max_bytes:
            yield batch
            batch, size = [], 0
        batch.append(event)
        size += event_size
    if batch:
        yield batch
