"""build_sinks: one sink per configured destination, and every sink sends a digest as exactly one message."""

from __future__ import annotations

import pytest

from monitors.alerts.sink import build_sinks
from monitors.errors import SettingsError
from monitors.settings import Settings
from tests.alerts.factories import many_alerts, outbox_item

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
    assert [sink.name for sink in build_sinks(settings)] == names


def test_webhook_without_secret_is_a_settings_error():
    with pytest.raises(SettingsError, match=r"^MONITOR_WEBHOOK_SECRET: required"):
        build_sinks(Settings(webhook_url=HOOK))


def test_every_sink_sends_a_digest_as_one_message(receiver):
    settings = Settings(
        teams_webhook_url=receiver.url,
        slack_webhook_url=receiver.url,
        webhook_url=receiver.url,
        webhook_secret="whsec_c2VjcmV0",
        eventgrid_topic_endpoint=receiver.base_url + "/api/events",
        eventgrid_topic_key="key",
    )
    alerts = many_alerts(120)

    for sink in build_sinks(settings):
        sink.send(outbox_item(alerts, sink=sink.name))

    assert [r.path for r in receiver.requests] == [
        "/hooks/XXSECRETXX",
        "/hooks/XXSECRETXX",
        "/hooks/XXSECRETXX",
        "/api/events?api-version=2018-01-01",
    ]
