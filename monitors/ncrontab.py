"""NCRONTAB expressions as the Functions timer trigger reads them: six fields, each checked. Pure: no I/O."""

from __future__ import annotations

import re

# NCRONTAB's six fields (https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer#ncrontab-expressions):
# name, lowest, highest, and the names it takes for its values (month JAN=1, day of week SUN=0).
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("second", 0, 59, ()),
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 6, _DAYS),
)


def problem(expression: str) -> str | None:
    """What is wrong with a six-field NCRONTAB expression, or None when it is valid."""
    fields = expression.split()
    if len(fields) != 6:
        return "expected a six-field NCRONTAB expression like '0 0 * * * *'"
    for text, (what, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        if not all(_cron_item_ok(item, low, high, names) for item in text.split(",")):
            allowed = f"{low}-{high}" + (f" or {names[0]}-{names[-1]}" if names else "")
            expected = f"expected {allowed}, '*', lists, ranges (a-b) or steps (/n)"
            return f"the {what} field {text[:20]!r} is not valid; {expected}"
    return None


def _cron_item_ok(item: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    """One comma item of an NCRONTAB field: ``*``, ``v`` or ``a-b``, each optionally with a step ``/n``."""
    body, slash, step = item.partition("/")
    if slash and not (re.fullmatch(r"[0-9]{1,2}", step) and 1 <= int(step) <= high - low + 1):
        return False
    if body == "*":
        return True
    first, dash, last = body.partition("-")
    start, end = _cron_value(first, low, high, names), _cron_value(last if dash else first, low, high, names)
    return start is not None and end is not None and start <= end


def _cron_value(text: str, low: int, high: int, names: tuple[str, ...]) -> int | None:
    if text.upper() in names:
        return low + names.index(text.upper())
    if re.fullmatch(r"[0-9]{1,2}", text) and low <= int(text) <= high:
        return int(text)
    return None
