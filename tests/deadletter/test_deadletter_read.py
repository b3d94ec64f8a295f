"""What a dead-letter blob holds and when it was written (monitors.deadletter), and where the settings say the
dead-letter container is."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from monitors.deadletter import blob_time, parse_since, read_blob, written_since
from monitors.errors import EventError, SettingsError
from monitors.settings import load_settings
from tests.deadletter.conftest import DATA, microsoft_sample

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
SAMPLE = DATA / "deadletter" / "dead-letter.event-grid-schema.json"


def test_the_event_is_replayed_as_it_was_delivered_without_the_dead_letter_fields() -> None:
    (letter,) = read_blob("x.json", SAMPLE.read_bytes())
    published = json.loads(SAMPLE.read_text())
    added = ("deadLetterReason", "deliveryAttempts", "lastDeliveryOutcome", "publishTime", "lastDeliveryAttemptTime")
    assert letter.event == {k: v for k, v in published.items() if k not in added}
    assert (letter.event_id, letter.reason, letter.outcome) == (
        "93902694-901e-008f-6f95-7153a806873c",
        "MaxDeliveryAttemptsExceeded",
        "NotFound",
    )


def test_the_cloud_events_schema_spells_the_fields_in_lower_case() -> None:
    body = json.dumps([microsoft_sample(cloud_events=True), {**microsoft_sample(), "lastHttpStatusCode": 503}])
    first, second = read_blob("x.json", body.encode())
    assert ("deadletterreason" in first.event, "lastHttpStatusCode" in second.event) == (False, False)
    assert sorted(first.event) == ["data", "datacontenttype", "dataversion", "id", "source", "subject", "type"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "not JSON"),
        (b"\xff\xfe", "not UTF-8 text"),
        (b"[]", "expected a JSON array of events, found an empty array"),
        (b'"text"', "expected a JSON array of events, found a string"),
        (b"[{}, 3]", "item 1 is a number, not an event object"),
    ],
)
def test_a_blob_that_is_not_dead_letters_says_why_in_one_line(body: bytes, says: str) -> None:
    with pytest.raises(EventError) as raised:
        read_blob("SUB/2026/1/2/3/a.json", body)
    assert str(raised.value).startswith(f"SUB/2026/1/2/3/a.json: {says}") and "\n" not in str(raised.value)


def test_the_path_names_the_hour_in_utc_not_zero_padded() -> None:
    assert blob_time("MY-BLOB-SUBSCRIPTION/2019/8/8/5/111111111-1111-1111-1111-111111111111.json") == dt.datetime(
        2019, 8, 8, 5, tzinfo=dt.UTC
    )
    assert (blob_time("elsewhere/file.json"), blob_time("S/2019/13/40/5/x.json")) == (None, None)


def test_a_blob_counts_from_its_hour_or_else_its_last_write() -> None:
    since = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)
    assert written_since("S/2026/11/27/9/a.json", None, since)  # the hour may hold events from 9:30 on
    assert not written_since("S/2026/11/27/8/a.json", NOW, since)  # the path wins over the last write
    assert written_since("loose.json", since, since) and not written_since("loose.json", NOW.replace(hour=9), since)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20", dt.datetime(2026, 11, 20, tzinfo=dt.UTC)),
        ("2026-11-20T08:15Z", dt.datetime(2026, 11, 20, 8, 15, tzinfo=dt.UTC)),
        ("2026-11-20T10:15+02:00", dt.datetime(2026, 11, 20, 8, 15, tzinfo=dt.UTC)),
        ("90m", NOW - dt.timedelta(minutes=90)),
        ("36h", NOW - dt.timedelta(hours=36)),
        ("7d", NOW - dt.timedelta(days=7)),
        ("2w", NOW - dt.timedelta(weeks=2)),
        ("PT6H", NOW - dt.timedelta(hours=6)),
        ("P1DT12H", NOW - dt.timedelta(hours=36)),
    ],
)
def test_since_is_a_date_a_moment_or_a_duration_back_from_now(text: str, expected: dt.datetime) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "P", "PT", "5y", "", "2026-13-01"])
def test_a_since_that_is_none_of_those_is_refused(text: str) -> None:
    with pytest.raises(SettingsError, match=r"^--since="):
        parse_since(text, NOW)


CONNECTION = "DefaultEndpointsProtocol=https;AccountName=monstate;AccountKey=a2V5;EndpointSuffix=core.windows.net"


@pytest.mark.parametrize(
    ("env", "storage"),
    [
        ({}, None),
        ({"MONITOR_STATE": f"tables:{CONNECTION}"}, CONNECTION),
        ({"AzureWebJobsStorage": CONNECTION}, CONNECTION),
        ({"MONITOR_STATE": "tables:https://monstate.table.core.windows.net"}, "https://monstate.blob.core.windows.net"),
        (
            {"AzureWebJobsStorage__tableServiceUri": "https://fn.table.core.chinacloudapi.cn"},
            "https://fn.blob.core.chinacloudapi.cn",
        ),
        (
            {
                "AzureWebJobsStorage__tableServiceUri": "https://fn.table.core.windows.net",
                "AzureWebJobsStorage__blobServiceUri": "https://fnblobs.blob.core.windows.net",
            },
            "https://fnblobs.blob.core.windows.net",
        ),
        ({"AzureWebJobsStorage__accountName": "fnstore"}, "https://fnstore.blob.core.windows.net"),
        (
            {"MONITOR_STATE": "sqlite:x", "MONITOR_DEADLETTER_ACCOUNT_URL": "https://dl.blob.core.windows.net/"},
            "https://dl.blob.core.windows.net",
        ),
    ],
)
def test_the_dead_letter_account_is_the_state_account_unless_set(env: dict[str, str], storage: str | None) -> None:
    settings = load_settings(env)
    assert (settings.deadletter_storage, settings.deadletter_container) == (storage, "deadletter")
    assert CONNECTION not in repr(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MONITOR_DEADLETTER_ACCOUNT_URL": "http://dl.blob.core.windows.net"}, "MONITOR_DEADLETTER_ACCOUNT_URL"),
        ({"MONITOR_STATE": "tables:https://state.example.com"}, "MONITOR_DEADLETTER_ACCOUNT_URL: required"),
        ({"MONITOR_DEADLETTER_CONTAINER": "Dead_Letters"}, "MONITOR_DEADLETTER_CONTAINER='Dead_Letters'"),
    ],
)
def test_a_dead_letter_setting_that_cannot_work_fails_at_start(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    assert str(raised.value).startswith(message)
