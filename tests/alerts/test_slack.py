"""Slack: Block Kit within Slack's limits, escaped mrkdwn, one digest message, and one message per second."""

from __future__ import annotations

import dataclasses
import json

import pytest

from monitors.alerts.slack import SlackSink, escape, render_slack
from monitors.errors import DeliveryError
from tests.alerts.factories import make_alert, many_alerts, outbox_item

SIZES = [pytest.param((make_alert(),), id="single-alert"), pytest.param(many_alerts(500), id="500-alert-digest")]


def sections(message):
    return [b for b in message["blocks"] if b["type"] == "section"]


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps (or the test advances it)."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("alerts", SIZES)
def test_at_most_50_blocks(alerts):
    assert len(render_slack(alerts)["blocks"]) <= 50


@pytest.mark.parametrize("alerts", SIZES)
def test_every_section_text_fits_3000_characters(alerts):
    longest = max(len(s["text"]["text"]) for s in sections(render_slack(alerts)))

    assert longest <= 3000


@pytest.mark.parametrize("alerts", SIZES)
def test_header_fits_150_characters(alerts):
    header = render_slack(alerts)["blocks"][0]

    assert (header["type"], header["text"]["type"], len(header["text"]["text"]) <= 150) == (
        "header",
        "plain_text",
        True,
    )


@pytest.mark.parametrize("alerts", SIZES)
def test_fallback_text_is_present(alerts):
    assert render_slack(alerts)["text"].startswith(("New: Not onboarded", "Defender for APIs: 500 alerts"))


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        pytest.param("a & b", "a &amp; b", id="ampersand"),
        pytest.param("<!channel>", "&lt;!channel&gt;", id="mention"),
        pytest.param("<https://evil|click>", "&lt;https://evil|click&gt;", id="link"),
        pytest.param("plain", "plain", id="plain"),
    ],
)
def test_escape(text, escaped):
    assert escape(text) == escaped


def test_names_are_escaped_in_mrkdwn():
    message = render_slack((make_alert(display_name="<!channel> & co"),))

    assert sections(message)[0]["text"]["text"].startswith("*&lt;!channel&gt; &amp; co (orders)*\n")


def test_cut_section_never_ends_in_half_an_entity():
    alert = make_alert()
    ampersands = dataclasses.replace(alert, finding=dataclasses.replace(alert.finding, detail="&" * 4000))

    text = sections(render_slack((ampersands,)))[0]["text"]["text"]

    assert (len(text) <= 3000, text[-6:]) == (True, "&amp;…")


def test_single_alert_has_header_section_fields_context_and_actions():
    types = [b["type"] for b in render_slack((make_alert(),))["blocks"]]

    assert types == ["header", "section", "section", "context", "actions"]


def test_single_alert_fields_say_status_reason_and_what_was_done():
    fields = [f["text"] for f in sections(render_slack((make_alert(),)))[0]["fields"]]

    assert fields[:4] == [
        "*Severity*\nMedium",
        "*Status*\nNoncompliant",
        "*Reason*\nNot onboarded to Defender for APIs",
        "*What was done*\nNothing was done",
    ]


def test_single_alert_buttons_open_the_portal_and_the_docs():
    alert = make_alert()
    actions = render_slack((alert,))["blocks"][-1]["elements"]

    assert [b["url"] for b in actions] == [
        "https://portal.azure.com/#resource" + alert.finding.resource_id,
        "https://learn.microsoft.com/azure/defender-for-cloud/defender-for-apis-deploy",
    ]


def test_digest_lists_ten_alerts_after_the_counts():
    assert len(sections(render_slack(many_alerts(500)))) == 1 + 10


def test_digest_lists_worst_first():
    first = sections(render_slack(many_alerts(500)))[1]["text"]["text"]

    assert first.startswith("*New* · *Medium* · <https://portal.azure.com/#resource/")


def test_digest_counts_are_fields():
    fields = [f["text"] for f in sections(render_slack(many_alerts(6)))[0]["fields"]]

    assert fields == [
        "*New*\n3",
        "*Reminder*\n1",
        "*Resolved*\n1",
        "*Onboarded*\n1",
        "*Noncompliant*\n3",
        "*Could not tell*\n1",
        "*Compliant*\n2",
    ]


def test_digest_says_how_many_more_and_where():
    context = render_slack(many_alerts(500))["blocks"][-2]["elements"][0]["text"]

    assert context.startswith("…and 490 more not shown: run `python -m monitors scan`")


def test_small_digest_says_everything_is_listed():
    context = render_slack(many_alerts(3))["blocks"][-2]["elements"][0]["text"]

    assert context == "All 3 alerts are listed."


def test_sink_posts_one_json_message_per_digest(receiver):
    item = outbox_item(many_alerts(40), sink="slack")

    SlackSink(receiver.url).send(item)

    assert [json.loads(r.body) for r in receiver.requests] == [render_slack(item.alerts)]


def test_sink_sleeps_to_keep_one_message_per_second(receiver):
    clock = FakeClock()
    sink = SlackSink(receiver.url, clock=clock, sleep=clock.sleep)

    for _ in range(3):
        sink.send(outbox_item((make_alert(),), sink="slack"))

    assert clock.sleeps == [1.0, 1.0]


def test_sink_does_not_sleep_when_a_second_has_passed(receiver):
    clock = FakeClock()
    sink = SlackSink(receiver.url, clock=clock, sleep=clock.sleep)
    sink.send(outbox_item((make_alert(),), sink="slack"))
    clock.now += 1.5

    sink.send(outbox_item((make_alert(),), sink="slack"))

    assert clock.sleeps == []


def test_sink_paces_after_a_failed_send_too(receiver):
    clock = FakeClock()
    sink = SlackSink(receiver.url, clock=clock, sleep=clock.sleep)
    receiver.answer((500, {}, b""))
    with pytest.raises(DeliveryError):
        sink.send(outbox_item((make_alert(),), sink="slack"))
    clock.now += 0.25

    sink.send(outbox_item((make_alert(),), sink="slack"))

    assert clock.sleeps == [0.75]


def test_sink_turns_429_into_retry_after(receiver):
    receiver.answer((429, {"Retry-After": "30"}, b"rate_limited"))

    with pytest.raises(DeliveryError) as caught:
        SlackSink(receiver.url).send(outbox_item((make_alert(),), sink="slack"))

    assert (caught.value.retry_after, caught.value.status_code) == (30.0, 429)
