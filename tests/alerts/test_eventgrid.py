"""Event Grid: one CloudEvent per alerted finding, published by the real SDK client to a loopback topic."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from azure.core.credentials import AccessToken, AzureKeyCredential

from emulator.receiver import DROP, HANG, stop_receiver
from monitors import severity
from monitors.alerts.eventgrid import EVENT_TYPE, SOURCE, EventGridSink, render_cloudevents
from monitors.assessment import DefenderVerdict, Disagreement
from monitors.errors import DeliveryError
from monitors.exposure import Exposure
from monitors.model import AlertKind, Coverage, Status
from tests.alerts.factories import NOW, make_alert, many_alerts, outbox_item
from tests.alerts.sockets import established_to, needs_proc

TOPIC_KEY = "XXTOPICKEYXX"
FINDINGS_SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "findings.schema.json").read_text())


class StaticToken:
    """A TokenCredential that hands out a fixed token, to exercise the bearer path without Azure."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken("token", int(dt.datetime.now(dt.UTC).timestamp()) + 3600)


def topic(receiver):
    return receiver.base_url + "/api/events"


def publish(receiver, alerts, **options):
    sink = EventGridSink(topic(receiver), AzureKeyCredential(TOPIC_KEY), **options)
    sink.send(outbox_item(alerts, sink="eventgrid"))
    sink.close()


def test_one_cloudevent_per_alert_worst_first():
    alerts = (make_alert("b", AlertKind.RESOLVED, status=Status.COMPLIANT), make_alert("a"))

    events = render_cloudevents(alerts)

    assert [(e.id, e.type, e.source, e.subject) for e in events] == [
        ("alert-a-new", EVENT_TYPE, SOURCE, alerts[1].finding.resource_id),
        ("alert-b-resolved", EVENT_TYPE, SOURCE, alerts[0].finding.resource_id),
    ]


def test_event_data_is_the_finding_plus_alert_kind():
    alert = make_alert()

    (event,) = render_cloudevents((alert,))

    assert (event.data, event.time) == ({"alert_kind": "new", **alert.finding.to_dict()}, NOW)


def test_source_is_the_monitor():
    assert SOURCE == "/apim-defender-monitor" and EVENT_TYPE == "ApimDefenderMonitor.FindingChanged"


def test_sink_posts_a_cloudevents_batch_with_the_topic_key(receiver):
    publish(receiver, many_alerts(5))

    seen = receiver.requests[0]
    assert (seen.path, seen.headers["content-type"], seen.headers["aeg-sas-key"]) == (
        "/api/events?api-version=2018-01-01",
        "application/cloudevents-batch+json; charset=utf-8",
        TOPIC_KEY,
    )


def test_sink_posts_one_event_per_finding(receiver):
    alerts = many_alerts(5)

    publish(receiver, alerts)

    events = json.loads(receiver.requests[0].body)
    assert sorted(e["id"] for e in events) == sorted(a.alert_id for a in alerts)


def test_posted_event_carries_subject_type_and_data(receiver):
    alert = make_alert()

    publish(receiver, (alert,))

    (event,) = json.loads(receiver.requests[0].body)
    assert (event["specversion"], event["type"], event["subject"], event["data"]["alert_kind"]) == (
        "1.0",
        EVENT_TYPE,
        alert.finding.resource_id,
        "new",
    )


def test_posted_event_data_is_a_finding_of_the_findings_contract(receiver):
    """The event's data (less ``alert_kind``) is one finding as the findings JSON Schema defines it, with every
    optional part issue 11 added."""
    verdict = DefenderVerdict("Healthy", NOW)
    finding = severity.graded(
        replace(
            make_alert().finding,
            exposure=Exposure(subscription_required=False, oauth=False, protocols=("https",)),
            coverage=Coverage.POSTURE_ONLY,
            defender=verdict,
            disagreement=Disagreement.HEALTHY_WITHOUT_COLLECTION,
        )
    )
    publish(receiver, (replace(make_alert(), finding=finding),))

    (event,) = json.loads(receiver.requests[0].body)
    data = {key: value for key, value in event["data"].items() if key != "alert_kind"}
    item = FINDINGS_SCHEMA["properties"]["findings"]["items"]
    jsonschema.Draft202012Validator(item).validate(data)
    assert (data["severity"], data["coverage"], data["defender_assessment"]["disagreement"]) == (
        "medium",
        "posture_only",
        "healthy_without_collection",
    )


def test_large_digest_is_split_into_batches_under_the_cap(receiver):
    publish(receiver, many_alerts(40), max_batch_bytes=8_000)

    sizes = [len(json.loads(r.body)) for r in receiver.requests]
    assert (len(sizes) > 1, sum(sizes), max(len(r.body) for r in receiver.requests) < 8_000) == (True, 40, True)


def test_429_carries_retry_after_and_is_not_retried_by_the_sdk(receiver):
    receiver.answer((429, {"Retry-After": "7"}, b'{"error":{"code":"TooManyRequests","message":"slow down"}}'))

    with pytest.raises(DeliveryError) as caught:
        publish(receiver, (make_alert(),))

    assert (str(caught.value), caught.value.retry_after, len(receiver.requests)) == (
        "eventgrid: HTTP 429 (retry after 7 s)",
        7.0,
        1,
    )


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        pytest.param((500, {}, b""), "eventgrid: HTTP 500", id="500"),
        pytest.param((401, {}, b""), "eventgrid: HTTP 401", id="401-bad-key"),
        pytest.param((404, {}, b""), "eventgrid: HTTP 404", id="404-no-topic"),
        pytest.param((413, {}, b""), "eventgrid: HTTP 413", id="413-too-large"),
        pytest.param(
            (307, {"Location": "http://localhost:1/x"}, b""), "eventgrid: HTTP 307: redirect refused", id="307"
        ),
        pytest.param(DROP, "eventgrid: not delivered (ServiceResponseError)", id="dropped-connection"),
        pytest.param(HANG, "eventgrid: no answer within 0.5 s", id="hang-past-timeout"),
    ],
)
def test_failures_raise_delivery_error(receiver, answer, message):
    receiver.answer(answer)

    with pytest.raises(DeliveryError) as caught:
        publish(receiver, (make_alert(),), timeout=0.5)

    assert (str(caught.value), len(receiver.requests)) == (message, 1)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param((429, {"Retry-After": "1"}, b'{"error":{"code":"x","message":"XXTOPICKEYXX"}}'), id="429"),
        pytest.param((500, {}, b"boom"), id="500"),
        pytest.param(DROP, id="dropped"),
    ],
)
def test_errors_never_name_the_endpoint_or_key(receiver, answer):
    receiver.answer(answer)

    with pytest.raises(DeliveryError) as caught:
        publish(receiver, (make_alert(),))

    assert TOPIC_KEY not in str(caught.value) and "127.0.0.1" not in str(caught.value)


def test_unreachable_topic_raises_delivery_error(receiver):
    endpoint = topic(receiver)
    stop_receiver(receiver)

    with pytest.raises(DeliveryError, match=r"^eventgrid: not delivered \(ServiceRequestError\)$"):
        EventGridSink(endpoint, AzureKeyCredential(TOPIC_KEY), timeout=0.5).send(outbox_item((make_alert(),)))


def test_token_credential_is_refused_over_plain_http(receiver):
    """azure-core sends bearer tokens over TLS only; managed identity therefore needs an https topic."""
    with pytest.raises(DeliveryError, match=r"^eventgrid: not delivered \(ServiceRequestError\)$"):
        EventGridSink(topic(receiver), StaticToken()).send(outbox_item((make_alert(),)))

    assert receiver.requests == []


def test_per_call_options_do_not_log_sdk_warnings(receiver, caplog):
    caplog.set_level(logging.WARNING)

    publish(receiver, many_alerts(3))

    assert [r.getMessage() for r in caplog.records] == []


class ClosableToken(StaticToken):
    """A token credential that, like the app's DefaultAzureCredential, must be closed."""

    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_close_closes_the_credential_the_sink_was_given(receiver):
    credential = ClosableToken()

    EventGridSink(topic(receiver), credential).close()

    assert credential.closed == 1


@needs_proc
def test_close_lets_the_publisher_connection_go(receiver):
    sink = EventGridSink(topic(receiver), AzureKeyCredential(TOPIC_KEY))
    sink.send(outbox_item((make_alert(),), sink="eventgrid"))
    open_while_alive = established_to(receiver.server.server_address[1])
    sink.close()

    assert (open_while_alive, established_to(receiver.server.server_address[1])) == (1, 0)
