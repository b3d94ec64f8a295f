"""Reads APIM services' traffic from Azure Monitor: the ``Requests`` metric, summed over a window of days.

Defender for APIs bills a subscription by the API calls of the month, and Microsoft's own way to estimate them is this
metric, "Aggregation = Sum" (the REST API's ``Total``) over the last 30 days, per service, summed over the
subscription's services (learn.microsoft.com/azure/defender-for-cloud/defender-for-apis-deploy). It counts every
gateway request, onboarded API or not, so it is an upper bound of what Defender bills.

One GET per subscription and region, whatever the number of services: Azure Monitor's multi-resource query
``/subscriptions/{sub}/providers/Microsoft.Insights/metrics`` (operation Metrics_ListAtSubscriptionScope,
api-version 2023-10-01, specification/monitor/resource-manager/Microsoft.Insights/stable/2023-10-01/metrics_API.json
of Azure/azure-rest-api-specs). As that spec has it: ``region`` is required (the region code, "eastus", of the
resources asked for); ``metricnamespace`` picks the resource type; ``$filter=Microsoft.ResourceId eq '*'`` splits the
answer into one time series per resource, each naming it in ``metadatavalues`` (``microsoft.resourceid``, as the
spec's PostMultiResourceMetricBody.json); ``top`` is "the maximum number of records to retrieve. Valid only if a
filter is specified. Defaults to 10": the number of time series, so the caller passes at least its number of services
in that region, or series beyond the tenth would be cut. Sent through an ARM client's own pipeline (auth, retries, the
request budget) as plain JSON, so no monitor SDK is needed. Needs ``Microsoft.Insights/metrics/read`` on the
subscription's services (Monitoring Reader or Reader); without it ARM answers 403 AuthorizationFailed, raised as
AzurePermissionError.

The onboarding waves (``monitors.remediation``) also read one service's gateway load, the ``Capacity`` metric
(Percent; aggregations Average and Maximum; grain PT1M), with Azure Monitor's resource-scoped query
``{service id}/providers/Microsoft.Insights/metrics`` (operation Metrics_List of the same spec file, whose parameters
are ``timespan`` "startDateTime_ISO/endDateTime_ISO", ``interval`` an ISO 8601 duration, ``metricnames`` and
``aggregation`` comma-separated lists; the answer is shaped like its GetMetric.json example: one metric, one time
series without metadata values when nothing splits it, a data point per minute holding one field per aggregation).
Microsoft's metric reference says of Capacity "For skus other than Premium, 'Max' aggregation will show the value as
0" (learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-apimanagement-service-metrics), so
both aggregations are asked for and each minute counts the larger: the Maximum on Premium, the Average elsewhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from monitors.azure.clients import arm_call, send_json
from monitors.errors import ArmRequestError
from monitors.model import normalize_region

API_VERSION = "2023-10-01"
NAMESPACE = "microsoft.apimanagement/service"
METRIC = "Requests"
AGGREGATION = "Total"
INTERVAL = "P1D"
EVERY_RESOURCE = "Microsoft.ResourceId eq '*'"
RESOURCE_ID_DIMENSION = "microsoft.resourceid"


CAPACITY_METRIC = "Capacity"
CAPACITY_AGGREGATION = "Average,Maximum"
CAPACITY_INTERVAL = "PT1M"
CAPACITY_WINDOW = dt.timedelta(minutes=15)


def metrics_path(subscription_id: str, region: str, start: dt.datetime, end: dt.datetime, top: int) -> str:
    """The request path of the daily Requests totals of every APIM service of the subscription in ``region`` (a region
    code) from ``start`` to ``end`` (aware datetimes), at most ``top`` services."""
    timespan = quote(f"{_utc(start)}/{_utc(end)}", safe="")
    return (
        f"/subscriptions/{subscription_id}/providers/Microsoft.Insights/metrics?api-version={API_VERSION}"
        f"&region={quote(region, safe='')}&metricnamespace={quote(NAMESPACE, safe='')}&metricnames={METRIC}"
        f"&aggregation={AGGREGATION}&interval={INTERVAL}&timespan={timespan}"
        f"&$filter={quote(EVERY_RESOURCE, safe='')}&top={top}"
    )


def requests_by_service(
    client: Any, subscription_id: str, region: str, *, now: dt.datetime, days: int = 30, top: int
) -> dict[str, int]:
    """The gateway requests of each APIM service of the subscription in ``region`` over the ``days`` before ``now``,
    keyed by lower-cased service resource id: the sum of every daily total.

    ``region`` is either form ARM gives ("East US" or "eastus"); Azure Monitor is asked with the code. ``top`` is the
    most services answered: pass at least the number of the subscription's services in that region. A service absent
    from the answer had no traffic. ``client`` is any ARM SDK client of the subscription (``ArmClients.apim``): only
    its pipeline is used. Raises AzurePermissionError on a 403, the other AzureError types on other failures.
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    code = normalize_region(region)
    if not code:
        raise ValueError("the metrics query needs a region")
    path = metrics_path(subscription_id, code, now - dt.timedelta(days=days), now, top)
    scope = f"/subscriptions/{subscription_id}"
    with arm_call(f"read the Requests metric of the APIM services in {code} of", scope):
        body = send_json(client, "GET", path)
    return requests_in(body, scope)


def capacity_path(service_id: str, start: dt.datetime, end: dt.datetime) -> str:
    """The request path of a service's Capacity metric, per minute, from ``start`` to ``end`` (aware datetimes)."""
    timespan = quote(f"{_utc(start)}/{_utc(end)}", safe="")
    return (
        f"{service_id}/providers/Microsoft.Insights/metrics?api-version={API_VERSION}"
        f"&metricnames={CAPACITY_METRIC}&aggregation={quote(CAPACITY_AGGREGATION, safe='')}"
        f"&interval={CAPACITY_INTERVAL}&timespan={timespan}"
    )


def service_capacity(client: Any, service_id: str, *, now: dt.datetime) -> float | None:
    """The service's latest Capacity reading (percent) of the quarter hour before ``now``, or None when Azure Monitor
    has no value in it (a new service, or the metric is late). ``client`` is any ARM SDK client of the service's
    subscription. Raises AzurePermissionError on a 403, the other AzureError types on other failures."""
    path = capacity_path(service_id, now - CAPACITY_WINDOW, now)
    with arm_call("read the Capacity metric of", service_id):
        body = send_json(client, "GET", path)
    return latest_capacity(body, service_id)


def latest_capacity(body: Mapping[str, Any], scope: str) -> float | None:
    """The value of the latest minute that has one, in a Metrics_List body of the Capacity metric: the larger of its
    ``average`` and ``maximum`` (see the module's note on non-Premium tiers). None when no minute has a value; a metric
    that failed inside the 200 raises ArmRequestError, as in ``requests_in``."""
    latest: tuple[str, float] | None = None
    for metric in body.get("value") or []:
        _raise_failed(metric, CAPACITY_METRIC, scope)
        for series in metric.get("timeseries") or []:
            for point in series.get("data") or []:
                values = [point.get(k) for k in ("average", "maximum")]
                numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
                stamp = str(point.get("timeStamp") or "")
                if numbers and (latest is None or stamp >= latest[0]):
                    latest = (stamp, max(numbers))
    return None if latest is None else latest[1]


def requests_in(body: Mapping[str, Any], scope: str) -> dict[str, int]:
    """Each resource's sum of ``total`` over the data points of its time series in a Metrics_ListAtSubscriptionScope
    body, keyed by its lower-cased ``microsoft.resourceid`` metadata value. A series naming no resource is skipped; a
    point without ``total`` (no traffic, or not reported yet) counts 0. A metric that failed inside the 200
    (``errorCode`` other than Success, as the spec's GetMetricError.json) raises ArmRequestError: its zero would read
    as "no traffic"."""
    totals: dict[str, float] = {}
    for metric in body.get("value") or []:
        _raise_failed(metric, METRIC, scope)
        for series in metric.get("timeseries") or []:
            resource = _resource_id(series)
            if resource is None:
                continue
            total = totals.get(resource, 0.0)
            for point in series.get("data") or []:
                value = point.get("total")
                if isinstance(value, int | float) and not isinstance(value, bool):
                    total += value
            totals[resource] = total
    return {resource: round(total) for resource, total in totals.items()}


def _raise_failed(metric: Mapping[str, Any], name: str, scope: str) -> None:
    code = metric.get("errorCode")
    if code not in (None, "Success"):
        message = " ".join(str(metric.get("errorMessage") or "").split())[:200]
        raise ArmRequestError(f"read the {name} metric of {scope}: {code}: {message}", resource_id=scope)


def _resource_id(series: Mapping[str, Any]) -> str | None:
    for metadata in series.get("metadatavalues") or []:
        name = metadata.get("name") or {}
        value = metadata.get("value")
        if str(name.get("value", "")).lower() == RESOURCE_ID_DIMENSION and isinstance(value, str) and value:
            return value.lower()
    return None


def _utc(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("metrics time spans need an aware datetime (UTC)")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
