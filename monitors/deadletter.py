"""Event Grid's dead letters, read: what a dead-letter blob holds and when it was written. Pure: no I/O, no clock.

Event Grid writes the events it could not deliver to a blob container as
``<EVENT-SUBSCRIPTION-NAME>/<year>/<month>/<day>/<hour>/<guid>.json`` (the subscription's name upper-cased, the
date and hour in UTC and not zero-padded), each blob one or more events in a JSON array. Each event is the event as
it would have been delivered, plus the fields that say why it was not (``deadLetterReason``, ``deliveryAttempts``,
``lastDeliveryOutcome``, ``lastHttpStatusCode``, ``publishTime``, ``lastDeliveryAttemptTime``; spelled in lower case
in the CloudEvents schema). ``replay --dead-letter`` reads a blob with ``read_blob`` and hands each event, without
those fields, to the function's path (``Runtime.replay_dead_letters``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from monitors.errors import EventError, SettingsError

# What Event Grid adds to a dead-lettered event (learn.microsoft.com/azure/event-grid/delivery-and-retry), compared
# without case: the CloudEvents schema spells them in lower case.
DEAD_LETTER_FIELDS = frozenset(
    f.lower()
    for f in (
        "deadLetterReason",
        "deliveryAttempts",
        "lastDeliveryOutcome",
        "lastHttpStatusCode",
        "publishTime",
        "lastDeliveryAttemptTime",
    )
)
MAX_BLOB_BYTES = 64 * 1024 * 1024  # Event Grid's events are at most 1 MB each; a larger blob is reported, not read
_PATH_TIME = re.compile(r"(?:^|/)(\d{4})/(\d{1,2})/(\d{1,2})/(\d{1,2})/[^/]+$")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)
_ISO_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered event: the event as it was delivered (dead-letter fields removed) and why it was not."""

    event: dict[str, object]
    reason: str
    outcome: str

    @property
    def event_id(self) -> str:
        return str(self.event.get("id", "?"))[:100]


@dataclass
class BlobReport:
    """What became of one blob: its events replayed and deleted, kept (a failed event, a blob that cannot be read or
    deleted), or, on a dry run, listed. ``lines`` say, per event, what happened."""

    name: str
    events: int = 0
    deleted: bool = False
    failed: list[str] = field(default_factory=list)  # "event <id>: <why>", retrying may help
    unreadable: str | None = None  # why the blob is not dead letters this version reads: a person must look
    lines: list[str] = field(default_factory=list)
    dead_lettered: tuple[str, ...] = ()  # the distinct deadLetterReason / lastDeliveryOutcome pairs, for the listing


def read_blob(name: str, body: bytes) -> list[DeadLetter]:
    """The events of one dead-letter blob, in order. Raises EventError, naming the blob, for a body that is not a
    JSON array of event objects (one object alone is read as an array of one)."""
    check_size(name, len(body))
    try:
        loaded = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise EventError(f"{name}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise EventError(f"{name}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    items = [loaded] if isinstance(loaded, dict) else loaded
    if not isinstance(items, list) or not items:
        raise EventError(f"{name}: expected a JSON array of events, found {_kind(loaded)}")
    letters = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise EventError(f"{name}: item {index} is {_kind(item)}, not an event object")
        letters.append(_letter(item))
    return letters


def check_size(name: str, size: int) -> None:
    """Raises EventError for a blob larger than MAX_BLOB_BYTES: reported, not read (checked before downloading)."""
    if size > MAX_BLOB_BYTES:
        raise EventError(f"{name}: {size} bytes, larger than {MAX_BLOB_BYTES} (not read)")


def _letter(item: Mapping[str, object]) -> DeadLetter:
    extra = {k.lower(): v for k, v in item.items() if k.lower() in DEAD_LETTER_FIELDS}
    event = {k: v for k, v in item.items() if k.lower() not in DEAD_LETTER_FIELDS}
    return DeadLetter(
        event, str(extra.get("deadletterreason", "unknown"))[:100], str(extra.get("lastdeliveryoutcome", "?"))[:100]
    )


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "an empty array" if not value else "an array"
    return {dict: "an object", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def blob_time(name: str) -> dt.datetime | None:
    """The UTC hour a dead-letter blob's path names (``.../2019/8/8/5/<guid>.json`` is 2019-08-08 05:00), or None
    when its path has no such date."""
    match = _PATH_TIME.search(name)
    if match is None:
        return None
    try:
        year, month, day, hour = (int(part) for part in match.groups())
        return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)
    except ValueError:
        return None


def written_since(name: str, last_modified: dt.datetime | None, since: dt.datetime) -> bool:
    """True when the blob may hold events dead-lettered at or after ``since``: its path's hour ends after it, or,
    for a path without a date, it was last modified at or after it."""
    hour = blob_time(name)
    if hour is not None:
        return hour + dt.timedelta(hours=1) > since
    return last_modified is None or last_modified >= since


def parse_since(text: str, now: dt.datetime) -> dt.datetime:
    """``--since``: an ISO date or date-time (UTC unless it says otherwise), or a duration back from ``now``: ``90m``,
    ``36h``, ``7d``, ``2w`` or ISO 8601's ``PT6H`` / ``P1DT12H``. Raises SettingsError naming the option."""
    raw = text.strip()
    seconds = _duration_seconds(raw)
    if seconds is not None:
        return now - dt.timedelta(seconds=seconds)
    try:
        moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise SettingsError(
            f"--since={raw[:40]!r}: expected an ISO date or date-time (2026-11-27, 2026-11-27T09:00Z) or a duration"
            " (90m, 36h, 7d, PT6H)"
        ) from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _duration_seconds(raw: str) -> float | None:
    short = _DURATION.fullmatch(raw)
    if short:
        return float(short.group(1)) * _UNITS[short.group(2).lower()]
    iso = _ISO_DURATION.fullmatch(raw)
    if iso and raw.upper() not in ("P", "PT") and any(iso.groups()):
        days, hours, minutes, secs = (int(g or 0) for g in iso.groups())
        return days * 86400 + hours * 3600 + minutes * 60 + secs
    return None
