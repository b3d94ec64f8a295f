"""Defender for Cloud's own verdict on an API: the recommendation "Azure API Management APIs should be onboarded to
Defender for APIs", read from Resource Graph's ``securityresources`` table in the sweep's Graph pass.

Sources (checked 2026-12): the recommendation is listed in Defender's API recommendations reference
(recommendations-reference-api.md, severity High) with one assessment per APIM API, Healthy (onboarded), Unhealthy
(not onboarded) or NotApplicable; its assessment key, 1c0ba94f-e732-43c7-bf3a-05e80f45d642, and the
``additionalData`` fields APIManagementResourceName / apiCollectionName come from a public onboarding sample that
queries it, not from a Microsoft page. Defender takes up to about 50 minutes to show a newly onboarded API
(defender-for-apis-deploy.md), so "onboarded but Unhealthy" is normal for that long.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

ASSESSMENT_KEY = "1c0ba94f-e732-43c7-bf3a-05e80f45d642"
SETTLE = dt.timedelta(minutes=50)  # how long Defender may take to turn Healthy after onboarding


class Disagreement(StrEnum):
    """Where Defender's recommendation and the monitor's own reading of ARM differ."""

    ONBOARDED_BUT_UNHEALTHY = "onboarded_but_unhealthy"
    HEALTHY_WITHOUT_COLLECTION = "healthy_without_collection"


@dataclass(frozen=True)
class DefenderVerdict:
    """One row of the recommendation: Defender's status for one API and when it last changed (None if not given)."""

    status: str  # "Healthy" / "Unhealthy" / "NotApplicable"
    changed_at: dt.datetime | None = None

    @property
    def healthy(self) -> bool:
        return self.status.lower() == "healthy"

    @property
    def unhealthy(self) -> bool:
        return self.status.lower() == "unhealthy"

    def to_dict(self) -> dict[str, str]:
        stamp = {"status_changed": self.changed_at.isoformat()} if self.changed_at else {}
        return {"status": self.status} | stamp

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> DefenderVerdict | None:
        """Inverse of ``to_dict``; None when there is no status."""
        status = data.get("status")
        if not isinstance(status, str) or not status:
            return None
        return cls(status, parse_time(data.get("status_changed")))


def parse_time(value: object) -> dt.datetime | None:
    """An ISO 8601 timestamp as Resource Graph prints it (``...Z``, up to 7 fractional digits); None if unreadable."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:  # Python 3.11 reads at most 6 fractional digits; the offset after them is kept
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[:digits][:6].ljust(6, '0')}{rest[digits:]}"
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
