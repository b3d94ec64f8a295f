"""Reads an APIM service's traffic from Azure Monitor: the ``Requests`` metric, summed over a window of days.

Defender for APIs bills a subscription by the API calls of the month, and Microsoft's own way to estimate them is this
metric, "Aggregation = Sum" (the REST API's ``Total``) over the last 30 days, per service, summed over the
subscription's services (learn.microsoft.com/azure/defender-for-cloud/defender-for-apis-deploy). It counts every
gateway request, onboarded API or not, so it is an upper bound of what Defender bills.

One GET per service: ``{service id}/providers/Microsoft.Insights/metrics`` (operation Metrics_List, api-version
2023-10-01), sent through an ARM client's own pipeline (auth, retries, the request budget) as plain JSON, so no
monitor SDK is needed. Needs ``Microsoft.Insights/metrics/read`` on the service (Monitoring Reader or Reader); without
it ARM answers 403 AuthorizationFailed, raised as AzurePermissionError.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from monitors.azure.clients import arm_call, send_json
from monitors.errors import ArmRequestError
from monitors.model import ServiceRef

API_VERSION = "2023-10-01"
METRIC = "Requests"
AGGREGATION = "Total"
INTERVAL = "P1D"


def metrics_path(service: ServiceRef, start: dt.datetime, end: dt.datetime) -> str:
    """The request path of the service's daily Requests totals from ``start`` to ``end`` (aware datetimes)."""
    timespan = quote(f"{_utc(start)}/{_utc(end)}", safe="")
    return (
        f"{service.resource_id}/providers/Microsoft.Insights/metrics?api-version={API_VERSION}"
        f"&metricnames={METRIC}&aggregation={AGGREGATION}&interval={INTERVAL}&timespan={timespan}"
    )


def monthly_requests(client: Any, service: ServiceRef, *, now: dt.datetime, days: int = 30) -> int:
    """The service's gateway requests over the ``days`` before ``now``: the sum of every daily total.

    ``client`` is any ARM SDK client of the service's subscription (``ArmClients.apim``): only its pipeline is used.
    Raises AzurePermissionError on a 403, the other AzureError types on other failures.
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    path = metrics_path(service, now - dt.timedelta(days=days), now)
    with arm_call("read the Requests metric of", service.resource_id):
        body = send_json(client, "GET", path)
    return requests_in(body, service.resource_id)


def requests_in(body: Mapping[str, Any], resource_id: str) -> int:
    """The sum of ``total`` over every data point of a Metrics_List body; a point without ``total`` (no traffic, or
    not reported yet) counts 0, as does an empty time series. A metric that failed inside the 200 (``errorCode`` other
    than Success, as the spec's GetMetricError.json) raises ArmRequestError: its zero would read as "no traffic"."""
    total = 0.0
    for metric in body.get("value") or []:
        code = metric.get("errorCode")
        if code not in (None, "Success"):
            message = " ".join(str(metric.get("errorMessage") or "").split())[:200]
            raise ArmRequestError(
                f"read the Requests metric of {resource_id}: {code}: {message}", resource_id=resource_id
            )
        for series in metric.get("timeseries") or []:
            for point in series.get("data") or []:
                value = point.get("total")
                if isinstance(value, int | float) and not isinstance(value, bool):
                    total += value
    return round(total)


def _utc(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("metrics time spans need an aware datetime (UTC)")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
