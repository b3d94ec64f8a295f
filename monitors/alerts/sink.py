"""What a sink is, and the sinks a process's settings ask for.

A sink delivers one outbox item (a single alert or a digest of many) as ONE message and raises ``DeliveryError`` for
anything but acceptance; the dispatcher keeps the item in the outbox until ``send`` returns. A sink owns what it
sends with (a ``Poster``, or the Event Grid client and its credential) and ``close`` releases it; whoever holds the
sinks closes them (``Notifier.close``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from monitors.alerts.http import Poster
from monitors.alerts.links import Linker, approval_links
from monitors.alerts.slack import SlackSink
from monitors.alerts.teams import TeamsSink
from monitors.alerts.webhook import WebhookSink
from monitors.errors import SettingsError
from monitors.model import OutboxItem
from monitors.routing import Route
from monitors.settings import Settings


class Sink(Protocol):
    """One alert destination; ``name`` is the outbox's sink key: "teams", "slack", "webhook" or "eventgrid", or a
    routed sink's ``<kind>@<setting>`` (``monitors.routing``)."""

    name: str

    def send(self, item: OutboxItem) -> None:
        """Deliver the item as one message; raise DeliveryError unless the destination accepted it."""
        ...

    def close(self) -> None:
        """Release the sink's connections and credential; it sends nothing after."""
        ...


def build_sinks(settings: Settings) -> list[Sink]:
    """One sink per configured destination, in a fixed order; none when nothing is configured.

    Each webhook sink gets a ``Poster`` of its own and closes it with itself; the caller closes the sinks. On a
    SettingsError the sinks already built are closed first.
    """
    sinks: list[Sink] = []
    try:
        links = approval_links(settings)
        if settings.teams_webhook_url:
            sinks.append(TeamsSink(settings.teams_webhook_url, poster=Poster(), links=links))
        if settings.slack_webhook_url:
            sinks.append(SlackSink(settings.slack_webhook_url, poster=Poster(), links=links))
        if settings.webhook_url:
            if not settings.webhook_secret:
                raise SettingsError("MONITOR_WEBHOOK_SECRET: required when MONITOR_WEBHOOK_URL is set")
            sinks.append(WebhookSink(settings.webhook_url, settings.webhook_secret, poster=Poster()))
        if settings.eventgrid_topic_endpoint:
            sinks.append(_eventgrid_sink(settings, settings.eventgrid_topic_endpoint))
        sinks += _routed_sinks(settings, links)
    except BaseException:
        close_sinks(sinks)
        raise
    return sinks


class RoutedSink:
    """A sink that MONITOR_ROUTES names: a Teams or Slack sink posting to the URL in the app setting a route names,
    under its own outbox name (``teams@payments_teams_url``), so that its claims and retries are its own."""

    def __init__(self, name: str, inner: Sink) -> None:
        self.name = name
        self._inner = inner

    def send(self, item: OutboxItem) -> None:
        self._inner.send(item)

    def close(self) -> None:
        self._inner.close()


def _routed_sinks(settings: Settings, links: Linker | None) -> list[Sink]:
    """One sink per (kind, URL setting) the routes name, in route order; routes naming the same one share it, and
    its every message mentions the people of all of them. An owner's alert awaiting approval carries the same
    Onboard and Exempt links as on the default route: the owner is who decides."""
    urls = dict(settings.route_urls)
    chosen: dict[str, list[Route]] = {}
    for route in settings.routes:
        chosen.setdefault(route.sink_name, []).append(route)
    sinks: list[Sink] = []
    for name, routes in chosen.items():
        first = routes[0]
        url = urls[first.url_setting]
        if first.kind == "teams":
            people = dict.fromkeys(mention for route in routes for mention in route.teams_mentions)
            sinks.append(RoutedSink(name, TeamsSink(url, poster=Poster(), links=links, mentions=list(people))))
        else:
            groups = dict.fromkeys(mention for route in routes for mention in route.slack_mentions)
            sinks.append(RoutedSink(name, SlackSink(url, poster=Poster(), links=links, mentions=list(groups))))
    return sinks


def close_sinks(sinks: Sequence[Sink]) -> None:
    """Close every sink, each once, even when one fails to close (the first such error is raised after the rest)."""
    failure: BaseException | None = None
    for sink in sinks:
        try:
            sink.close()
        except Exception as exc:  # the others still close; the first error is re-raised below
            failure = failure or exc
    if failure is not None:
        raise failure


def _eventgrid_sink(settings: Settings, endpoint: str) -> Sink:
    """A topic key when one is set, else the app's credential for the function's managed identity (AZURE_CLIENT_ID,
    ``Settings.client_id``, picks a user-assigned one); the sink owns and closes either.

    The token path needs the "EventGrid Data Sender" role on the topic. Imported here so that processes without an
    Event Grid sink never load the Event Grid SDK or azure-identity.
    """
    from azure.core.credentials import AzureKeyCredential, TokenCredential

    from monitors.alerts.eventgrid import EventGridSink
    from monitors.azure.data_plane import credential as app_credential

    credential: AzureKeyCredential | TokenCredential
    if settings.eventgrid_topic_key:
        credential = AzureKeyCredential(settings.eventgrid_topic_key)
    else:
        credential = app_credential(settings.client_id)
    return EventGridSink(endpoint, credential)
