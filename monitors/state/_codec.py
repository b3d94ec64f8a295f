"""The row format both state backends share, so that their storage stays identical: timezone-aware datetimes as
fixed-width UTC ISO strings (so they sort as text), alerts as a JSON list, errors clipped to what a row carries, and
the digest flag of items stored before it existed.
"""

from __future__ import annotations

import datetime as dt
import json

from monitors.model import DIGEST_ID_MARK, Alert

BAD_SPEC = (
    "MONITOR_STATE: expected sqlite:PATH, tables:CONNECTION_STRING or tables:https://ACCOUNT.table.core.windows.net"
)
MAX_ERROR_CHARS = 2000


def format_time(value: dt.datetime) -> str:
    """A fixed-width UTC ISO string, so that stored times compare correctly as text."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"state store: naive datetime {value.isoformat()}; expected a timezone-aware UTC time")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def parse_time(text: str) -> dt.datetime:
    """Inverse of ``format_time``."""
    return dt.datetime.fromisoformat(text)


def encode_alerts(alerts: tuple[Alert, ...]) -> str:
    """The outbox's JSON form of an item's alerts; ASCII only, so its length is also its size in bytes."""
    return json.dumps([alert.to_dict() for alert in alerts], separators=(",", ":"), ensure_ascii=True)


def decode_alerts(text: str) -> tuple[Alert, ...]:
    """Inverse of ``encode_alerts``."""
    return tuple(Alert.from_dict(data) for data in json.loads(text))


def clip_error(error: str) -> str:
    """A sink's error, shortened to what an outbox row should carry."""
    return error if len(error) <= MAX_ERROR_CHARS else error[: MAX_ERROR_CHARS - 3] + "..."


def stored_digest(flag: object, item_id: str) -> bool:
    """Whether a stored outbox item is a digest: its ``digest`` flag, or, for an item stored by a version without the
    flag (still waiting in a store after an upgrade), the mark those versions put in every digest's id."""
    return bool(flag) if flag is not None else DIGEST_ID_MARK in item_id
