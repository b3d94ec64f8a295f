"""The outbox as ``python -m monitors alerts`` lists it."""

from __future__ import annotations

import datetime as dt

from monitors.model import OutboxItem
from monitors.reports import format_outbox

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def test_a_sink_error_cannot_act_on_the_terminal_and_each_item_stays_one_line() -> None:
    hostile = "HTTP 500 from webhook: \x1b[2J\x1b]0;owned\x07\nnext line \u202egnp.exe"
    item = OutboxItem("webhook-a1", "webhook", (), T0, T0, attempts=8, last_error=hostile, parked=True)
    listed = format_outbox([item])
    assert (listed.count("\n"), "\x1b" in listed, "\u202e" in listed, listed.startswith("webhook-a1  webhook")) == (
        0,
        False,
        False,
        True,
    )
