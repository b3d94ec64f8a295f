"""The alert outbox as ``python -m monitors alerts`` lists it: one line per undelivered item, oldest first. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from monitors.escape import terminal
from monitors.model import OutboxItem


def format_outbox(items: Sequence[OutboxItem]) -> str:
    """One line per item; an error a sink answered with is shown, with its control characters made visible."""
    if not items:
        return "outbox empty: every alert was delivered"
    lines = []
    for item in sorted(items, key=lambda i: i.created_at):
        state = "PARKED" if item.parked else f"next try {item.next_attempt_at.isoformat(timespec='seconds')}"
        error = f": {item.last_error}" if item.last_error else ""
        lines.append(
            f"{item.item_id}  {item.sink}  {len(item.alerts)} alert(s)  {item.attempts} attempt(s)  {state}{error}"
        )
    return "\n".join(terminal(line) for line in lines)  # a sink's error text must not act on the terminal
