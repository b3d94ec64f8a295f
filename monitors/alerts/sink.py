"""What a sink is, and the sinks a process's settings ask for.

A sink delivers one outbox item (a single alert or a digest of many) as ONE message and raises ``DeliveryError`` for
anything but acceptance; the dispatcher keeps the item in the outbox until ``send`` returns.
"""

from __future__ import annotations

from typing import Protocol

from monitors.alerts.slack import SlackSink
from monitors.alerts.teams import TeamsSink
from monitors.alerts.webhook import WebhookSink
from monitors.errors import SettingsError
from monitors.model import OutboxItem
from monitors.settings import Settings


class Sink(Protocol):
    """One alert destination; ``name`` is the outbox's sink key: "teams", "slack", "webhook" or "eventgrid"."""

    name: str

    def send(self, item: OutboxItem) -> None:
        """Deliver the item as one message; raise DeliveryError unless the destination accepted it."""
        ...


def build_sinks(settings: Settings) -> list[Sink]:
    """One sink per configured destination, in a fixed order; none when nothing is configured."""
    sinks: list[Sink] = []
    if settings.teams_webhook_url:
        sinks.append(TeamsSink(settings.teams_webhook_url))
    if settings.slack_webhook_url:
        sinks.append(SlackSink(settings.slack_webhook_url))
    if settings.webhook_url:
        if not settings.webhook_secret:
            raise SettingsError("MONITOR_WEBHOOK_SECRET: required when MONITOR_WEBHOOK_URL is set")
        sinks.append(WebhookSink(settings.webhook_url, settings.webhook_secret))
    if settings.eventgrid_topic_endpoint:
        sinks.append(_eventgrid_sink(settings, settings.eventgrid_topic_endpoint))
    return sinks


def _eventgrid_sink(settings: Settings, endpoint: str) -> Sink:
    """A topic key when one is set, else the function's managed identity (AZURE_CLIENT_ID picks a user-assigned one).

    The token path needs the "EventGrid Data Sender" role on the topic. Imported here so that processes without an
    Event Grid sink never load the Event Grid SDK or azure-identity.
    """
    from azure.core.credentials import AzureKeyCredential, TokenCredential

    from monitors.alerts.eventgrid import EventGridSink

    credential: AzureKeyCredential | TokenCredential
    if settings.eventgrid_topic_key:
        credential = AzureKeyCredential(settings.eventgrid_topic_key)
    else:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential(managed_identity_client_id=settings.client_id)
    return EventGridSink(endpoint, credential)
