"""build_sinks: one sink per configured destination, and every sink sends a digest as exactly one message."""

from __future__ import annotations

import pytest

from monitors.alerts import sink as sink_module
from monitors.alerts.http import Poster
from monitors.alerts.notifier import Notifier
from monitors.alerts.sink import build_sinks, close_sinks
from monitors.azure import data_plane
from monitors.errors import SettingsError
from monitors.settings import Settings
from monitors.state.sqlite import SqliteStateStore
from tests.alerts.factories import many_alerts, outbox_item
from tests.alerts.sockets import established_to, needs_proc

HOOK = "https://hooks.example/XXSECRETXX"
TOPIC = "https://topic.westeurope-1.eventgrid.azure.net/api/events"


@pytest.mark.parametrize(
    ("settings", "names"),
    [
        pytest.param(Settings(), [], id="none"),
        pytest.param(Settings(teams_webhook_url=HOOK), ["teams"], id="teams"),
        pytest.param(Settings(slack_webhook_url=HOOK), ["slack"], id="slack"),
        pytest.param(Settings(webhook_url=HOOK, webhook_secret="s3cret"), ["webhook"], id="webhook"),
        pytest.param(
            Settings(eventgrid_topic_endpoint=TOPIC, eventgrid_topic_key="key"), ["eventgrid"], id="eventgrid-key"
        ),
        pytest.param(
            Settings(eventgrid_topic_endpoint=TOPIC, client_id="11111111-2222-3333-4444-555555555555"),
            ["eventgrid"],
            id="eventgrid-managed-identity",
        ),
        pytest.param(
            Settings(slack_webhook_url=HOOK, eventgrid_topic_endpoint=TOPIC, eventgrid_topic_key="key"),
            ["slack", "eventgrid"],
            id="slack-and-eventgrid",
        ),
        pytest.param(
            Settings(
                teams_webhook_url=HOOK,
                slack_webhook_url=HOOK,
                webhook_url=HOOK,
                webhook_secret="s3cret",
                eventgrid_topic_endpoint=TOPIC,
                eventgrid_topic_key="key",
            ),
            ["teams", "slack", "webhook", "eventgrid"],
            id="all-four",
        ),
    ],
)
def test_one_sink_per_configured_setting(settings, names):
    sinks = build_sinks(settings)
    close_sinks(sinks)
    assert [sink.name for sink in sinks] == names


def test_webhook_without_secret_is_a_settings_error():
    with pytest.raises(SettingsError, match=r"^MONITOR_WEBHOOK_SECRET: required"):
        build_sinks(Settings(webhook_url=HOOK))


def test_every_sink_sends_a_digest_as_one_message(receiver):
    alerts = many_alerts(120)

    sinks = build_sinks(all_four(receiver))
    for sink in sinks:
        sink.send(outbox_item(alerts, sink=sink.name))
    close_sinks(sinks)

    assert [r.path for r in receiver.requests] == [
        "/hooks/XXSECRETXX",
        "/hooks/XXSECRETXX",
        "/hooks/XXSECRETXX",
        "/api/events?api-version=2018-01-01",
    ]


def all_four(receiver) -> Settings:
    return Settings(
        teams_webhook_url=receiver.url,
        slack_webhook_url=receiver.url,
        webhook_url=receiver.url,
        webhook_secret="whsec_c2VjcmV0",
        eventgrid_topic_endpoint=receiver.base_url + "/api/events",
        eventgrid_topic_key="key",
    )


@needs_proc
def test_closing_the_notifier_lets_every_sink_connection_go(receiver, tmp_path):
    settings = all_four(receiver)
    store = SqliteStateStore(str(tmp_path / "state.sqlite"))
    sinks = build_sinks(settings)
    notifier = Notifier(store, sinks, settings)
    for sink in sinks:
        sink.send(outbox_item(many_alerts(2), sink=sink.name))
    open_while_alive = established_to(receiver.server.server_address[1])
    notifier.close()
    store.close()

    assert (open_while_alive, established_to(receiver.server.server_address[1])) == (4, 0)


class RecordedCredential:
    """Stands in for the app's credential: records the identity asked for and its closing; never signs in."""

    def __init__(self, client_id):
        self.client_id, self.closed = client_id, 0

    def get_token(self, *scopes, **kwargs):
        raise AssertionError("no token is requested in this test")

    def close(self):
        self.closed += 1


def test_event_grid_without_a_key_signs_in_as_the_user_assigned_identity(monkeypatch):
    """The one credential factory, given Settings.client_id; the sink closes what it was given."""
    built: list[RecordedCredential] = []

    def recorded(client_id):
        built.append(RecordedCredential(client_id))
        return built[-1]

    monkeypatch.setattr(data_plane, "credential", recorded)
    settings = Settings(eventgrid_topic_endpoint=TOPIC, client_id="11111111-2222-3333-4444-555555555555")

    close_sinks(build_sinks(settings))

    assert [(c.client_id, c.closed) for c in built] == [("11111111-2222-3333-4444-555555555555", 1)]


def test_a_settings_error_closes_the_sinks_already_built(monkeypatch):
    closed: list[Poster] = []

    class RecordedPoster(Poster):
        def close(self) -> None:
            closed.append(self)
            super().close()

    monkeypatch.setattr(sink_module, "Poster", RecordedPoster)

    with pytest.raises(SettingsError):
        build_sinks(Settings(teams_webhook_url=HOOK, slack_webhook_url=HOOK, webhook_url=HOOK))

    assert len(closed) == 2  # Teams' and Slack's: the webhook sink, missing its secret, was never built


class Unclosable:
    name = "broken"

    def __init__(self, closed: list[str]) -> None:
        self._closed = closed

    def send(self, item) -> None:
        pass

    def close(self) -> None:
        self._closed.append(self.name)
        raise OSError("cannot close")


class Closable(Unclosable):
    name = "fine"

    def close(self) -> None:
        self._closed.append(self.name)


def test_close_sinks_closes_the_rest_when_one_fails():
    closed: list[str] = []

    with pytest.raises(OSError, match="cannot close"):
        close_sinks([Unclosable(closed), Closable(closed)])

    assert closed == ["broken", "fine"]
