"""The approvers' audit trail as ``python -m monitors approvals`` lists it: one line per decision, oldest first, or
JSON. Pure."""

from __future__ import annotations

import json
from collections.abc import Sequence

from monitors.escape import terminal
from monitors.model import DecisionRecord


def format_decisions(records: Sequence[DecisionRecord], *, as_json: bool = False) -> str:
    """Who decided what on which API, when, and what came of it; names and details made safe for a terminal."""
    ordered = sorted(records, key=lambda r: (r.at, r.nonce))
    if as_json:
        return json.dumps([r.to_dict() for r in ordered], indent=2)
    if not ordered:
        return "no approval decisions recorded"
    lines = [
        f"{r.at.isoformat(timespec='seconds')}  {r.decision}  {r.result}  {r.approver}  {r.api_id}  {r.detail}"
        for r in ordered
    ]
    return "\n".join(terminal(line) for line in lines)
