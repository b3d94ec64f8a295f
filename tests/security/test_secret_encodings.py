"""A webhook URL is a secret in every spelling: the raw path, the percent-encoded one requests sends (and urllib3
logs at DEBUG), and the decoded one, none reaches a log line or an error."""

from __future__ import annotations

import logging
import traceback
from urllib.parse import quote

import pytest

from monitors.alerts.http import post
from monitors.errors import DeliveryError

SECRET = "XX|SE{CR}ET^`XX"  # characters requests percent-encodes on the way out


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param((200, {}, b""), id="accepted"),
        pytest.param((500, {}, b""), id="refused"),
    ],
)
def test_secret_never_appears_in_any_encoding(receiver, caplog, answer) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.answer(answer)
    try:
        post(f"{receiver.base_url}/hooks/{SECRET}", b"{}", {"content-type": "application/json"}, sink="webhook")
        error = ""
    except DeliveryError as exc:
        error = "".join(traceback.format_exception(exc))
    spellings = {SECRET, quote(SECRET), quote(SECRET, safe=""), "SE%7BCR%7DET"}
    assert [s for s in spellings if s in error + caplog.text] == []
