"""Reading Defender's verdict rows (monitors/assessment.py): Resource Graph prints times with up to seven fractional
digits and a Z or an offset; the verdict survives the findings JSON and the sweep message."""

from __future__ import annotations

import datetime as dt

import pytest

from monitors.assessment import DefenderVerdict, parse_time

UTC = dt.UTC
PLUS_TWO = dt.timezone(dt.timedelta(hours=2))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T00:00:00.0000000Z", dt.datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-03-05T10:20:30.1234567Z", dt.datetime(2024, 3, 5, 10, 20, 30, 123456, tzinfo=UTC)),
        ("2024-03-05T10:20:30Z", dt.datetime(2024, 3, 5, 10, 20, 30, tzinfo=UTC)),
        ("2024-03-05T10:20:30.12+02:00", dt.datetime(2024, 3, 5, 10, 20, 30, 120000, tzinfo=PLUS_TWO)),
        ("2024-03-05T10:20:30.1234567+02:00", dt.datetime(2024, 3, 5, 10, 20, 30, 123456, tzinfo=PLUS_TWO)),
        ("2024-03-05T10:20:30", dt.datetime(2024, 3, 5, 10, 20, 30, tzinfo=UTC)),  # no zone: ARG means UTC
        ("yesterday", None),
        ("", None),
        (7, None),
    ],
)
def test_resource_graph_times_are_read_with_their_zone(text: object, expected: dt.datetime | None) -> None:
    parsed = parse_time(text)
    assert (parsed, parsed.utcoffset() if parsed else None) == (expected, expected.utcoffset() if expected else None)


def test_a_verdict_round_trips_and_one_without_a_status_is_none() -> None:
    verdict = DefenderVerdict("Unhealthy", dt.datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    assert (DefenderVerdict.from_dict(verdict.to_dict()), DefenderVerdict.from_dict({"status": ""})) == (verdict, None)
