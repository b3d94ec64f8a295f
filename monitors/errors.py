"""The project's exceptions, one small tree.

MonitorError
├── SettingsError        a MONITOR_* setting is missing or malformed (one line naming it); CLI exit 2
├── EventError           an event payload cannot be understood; logged and acknowledged, never retried
│   └── InvalidNameError  a name that cannot stand in an ARM request path ('..', '/', control characters)
├── EventBusyError       another invocation is processing the same event right now: Event Grid redelivers later
├── StateError           the state store failed (names the store and operation): the host redelivers; CLI exit 3
├── DeliveryError        an alert sink refused or never answered; the outbox retries with backoff, then parks
└── AzureError           ARM answered badly after the SDK's own retries
    ├── TransientAzureError   429, 5xx, timeouts, dropped connections: the host should redeliver
    │   └── CredentialError   no token (managed identity unreachable, misconfigured): a platform failure, redeliver
    ├── AzurePermissionError  401 / 403: retrying will not help
    └── ArmRequestError       any other ARM error (4xx with an ARM error body)
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error this project raises on purpose."""


class SettingsError(MonitorError):
    """A setting is invalid; the message names the setting and what is allowed."""


class EventError(MonitorError):
    """An event payload is malformed; the message says what is wrong with it."""


class InvalidNameError(EventError):
    """A name (from an event, a message or a list ARM returned) that no ARM request may be built from."""


class EventBusyError(MonitorError):
    """An event id is claimed by an invocation still at work; raising makes Event Grid try again later."""


class StateError(MonitorError):
    """The state store failed; the message names the store and the operation, never a connection string."""


class DeliveryError(MonitorError):
    """A sink refused or never answered; ``retry_after`` is the sink's own hint in seconds, when it gave one.
    The message names the sink, never its URL."""

    def __init__(self, message: str, *, retry_after: float | None = None, status_code: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status_code = status_code


class AzureError(MonitorError):
    """ARM could not answer; the message names the resource and the status code."""

    def __init__(self, message: str, *, resource_id: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.resource_id = resource_id
        self.status_code = status_code


class TransientAzureError(AzureError):
    """Throttling, a server error or a broken connection: worth retrying later."""


class CredentialError(TransientAzureError):
    """The identity could not get a token at all; ARM never saw the request, so it says nothing about the resource."""


class AzurePermissionError(AzureError):
    """The identity may not read or write the resource."""


class ArmRequestError(AzureError):
    """ARM rejected the request for a reason retrying will not fix."""
