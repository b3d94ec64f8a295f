"""``python -m monitors status``: coverage now and its trend, the oldest unprotected APIs, time to protect, the
outbox and the last sweep, as text or JSON. Pure."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from monitors.escape import terminal
from monitors.status import StatusReport

OLDEST_SHOWN = 10


def _age(delta: dt.timedelta | float | None) -> str:
    if delta is None:
        return "-"
    seconds = delta.total_seconds() if isinstance(delta, dt.timedelta) else delta
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _percent(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio * 100:.1f}%"


def as_dict(report: StatusReport) -> dict[str, Any]:
    now = report.now
    return {
        "at": now.isoformat(),
        "coverage": [
            {
                "subscription_id": c.subscription_id,
                "applicable": c.applicable,
                "onboarded": c.onboarded,
                "ratio": c.ratio,
                "trend": [
                    {"at": t.at.isoformat(), "applicable": t.applicable, "onboarded": t.onboarded, "ratio": t.ratio}
                    for t in report.trend.get(c.subscription_id, [])
                ],
            }
            for c in report.coverage
        ],
        "unprotected": [
            {"api_id": u.api_id, "since": u.since.isoformat(), "age_seconds": u.age(now).total_seconds()}
            for u in report.unprotected
        ],
        "time_to_protect": [
            {"stage": t.stage, "count": t.count, "p50_seconds": t.p50_seconds, "p95_seconds": t.p95_seconds}
            for t in report.time_to_protect
        ],
        "outbox": {
            "waiting": report.outbox_waiting,
            "parked": report.outbox_parked,
            "oldest_age_seconds": (now - report.outbox_oldest).total_seconds() if report.outbox_oldest else None,
        },
        "last_sweep": {
            "at": report.last_sweep.isoformat() if report.last_sweep else None,
            "services": report.last_sweep_services,
        },
    }


def render_status(report: StatusReport, fmt: str = "table") -> str:
    if fmt == "json":
        return json.dumps(as_dict(report), indent=2)
    now = report.now
    applicable = sum(c.applicable for c in report.coverage)
    onboarded = sum(c.onboarded for c in report.coverage)
    overall = onboarded / applicable if applicable else None
    lines = [f"Coverage: {onboarded} of {applicable} applicable APIs onboarded ({_percent(overall)})"]
    for c in report.coverage:
        trend = report.trend.get(c.subscription_id, [])
        was = f"; {_percent(trend[0].ratio)} {_age(now - trend[0].at)} ago" if trend else ""
        lines.append(f"  {c.subscription_id}: {c.onboarded} of {c.applicable} ({_percent(c.ratio)}){was}")
    lines.append(f"Unprotected APIs: {len(report.unprotected)}" + (", oldest first:" if report.unprotected else ""))
    lines += [f"  {_age(u.age(now)):>8}  {u.api_id}" for u in report.unprotected[:OLDEST_SHOWN]]
    if len(report.unprotected) > OLDEST_SHOWN:
        lines.append(f"  ... and {len(report.unprotected) - OLDEST_SHOWN} more (--format json lists them all)")
    for t in report.time_to_protect:
        lines.append(
            f"Time to {t.stage}: p50 {_age(t.p50_seconds)}, p95 {_age(t.p95_seconds)} over {t.count} APIs"
            if t.count
            else f"Time to {t.stage}: no API yet"
        )
    oldest = f", oldest {_age(now - report.outbox_oldest)}" if report.outbox_oldest else ""
    lines.append(f"Outbox: {report.outbox_waiting} waiting, {report.outbox_parked} parked{oldest}")
    if report.last_sweep is None:
        lines.append("Last sweep: none recorded")
    else:
        stamp = report.last_sweep.isoformat(timespec="seconds")
        lines.append(
            f"Last sweep: {stamp} ({_age(now - report.last_sweep)} ago, {report.last_sweep_services} services)"
        )
    return "\n".join(terminal(line) for line in lines)
