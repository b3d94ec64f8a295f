"""Handler for Azure Monitor's metrics of a subscription's APIM services: the ``Requests`` metric, summed per day.

`GET /subscriptions/{sub}/providers/Microsoft.Insights/metrics?api-version=2023-10-01&region={code}
&metricnamespace=microsoft.apimanagement/service&metricnames=Requests&aggregation=Total&interval=P1D
&timespan={start}/{end}&$filter=Microsoft.ResourceId eq '*'&top={N}` (Metrics_ListAtSubscriptionScope) answers the
spec's PostMultiResourceMetricBody.json shape: one `Requests` metric with one time series per APIM service of the
subscription in that region (regions compared as codes), in resource id order, each naming its service in
`metadatavalues` (`microsoft.resourceid`) and holding one data point per day of the time span, each `total` the
service's `requestsPerDay`. `top` (default 10, as the spec) cuts the series beyond it. Only that question is served:
a missing region (the spec's own error example, "Missing required region params"), another namespace, metric,
aggregation, interval or filter, a malformed `top`, or a missing or malformed time span is a 400 BadRequest. A caller
without permission is emulated with a fault: `server.add_fault("GET", "/providers/Microsoft.Insights/metrics",
status=403)` (for one subscription, put `/subscriptions/{id}` before that path).

`GET {service id}/providers/Microsoft.Insights/metrics?api-version=2023-10-01&metricnames=Capacity
&aggregation=Average,Maximum&interval=PT1M&timespan={start}/{end}` (Metrics_List, resource-scoped) answers the spec's
GetMetric.json shape: one `Capacity` metric (unit Percent) with one time series without metadata values and one data
point per minute of the time span, each with the aggregations asked for (Average and/or Maximum; no other is served).
Every point's `average` is the service's capacity; its `maximum` is the same on Premium and 0 on every other tier, as
Microsoft's metric reference says of that metric ("For skus other than Premium, 'Max' aggregation will show the value
as 0"). The capacity is `DEFAULT_CAPACITY` until set mid-run with `set_capacity` (the control API's
`POST /_emulator/capacity`); a capacity of None is a metric without data: points with only their `timeStamp`. A
restored estate starts at the default again. At most a day of minutes is served.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from emulator.config import Env
from emulator.protocol import Call, Reply, bad_request, ok
from emulator.store import ServiceState, Store
from emulator.wire import location_code

NAMESPACE = "microsoft.apimanagement/service"
METRIC = "Requests"
AGGREGATION = "Total"
INTERVAL = "P1D"
FILTER = "Microsoft.ResourceId eq '*'"
DEFAULT_TOP = 10
_DAY = dt.timedelta(days=1)
_MAX_SPAN = dt.timedelta(days=93)  # Azure Monitor keeps platform metrics 93 days


CAPACITY = "Capacity"
CAPACITY_AGGREGATIONS = ("average", "maximum")
CAPACITY_INTERVAL = "PT1M"
CAPACITY_DESCRIPTION = (
    "Utilization metric for ApiManagement service. Note: For skus other than Premium, 'Max' aggregation will show "
    "the value as 0."
)
DEFAULT_CAPACITY = 10.0
_CAPACITY_ATTRIBUTE = "emulated_capacity"  # kept on the service's state, so that restoring the estate resets it
_MINUTE = dt.timedelta(minutes=1)
_MAX_CAPACITY_SPAN = dt.timedelta(days=1)


def capacity_of(svc: ServiceState) -> float | None:
    """The service's emulated Capacity percentage (None: the metric has no data)."""
    value: float | None = getattr(svc, _CAPACITY_ATTRIBUTE, DEFAULT_CAPACITY)
    return value


def set_capacity(store: Store, service: str, percent: float | None) -> ServiceState:
    """Set the Capacity metric of ``service`` (its ARM id, or a name only one subscription has) from now on; None
    makes the metric answer without data. Raises ValueError for an unknown or ambiguous service or a bad percent."""
    if percent is not None and (isinstance(percent, bool) or not 0 <= float(percent) <= 100):
        raise ValueError(f"'percent' must be a number from 0 to 100, or null for no data; got {percent!r}")
    with store.lock:
        found = [
            svc
            for sub in store.subscriptions()
            for svc in store.services(sub.spec.id)
            if service.lower() in (svc.id.lower(), svc.spec.name.lower())
        ]
        if len(found) != 1:
            raise ValueError(f"'service' {service!r} names {len(found)} services; give its ARM id")
        setattr(found[0], _CAPACITY_ATTRIBUTE, None if percent is None else float(percent))
        return found[0]


def get_service_metrics(call: Call, env: Env) -> Reply:
    """GET {service id}/providers/Microsoft.Insights/metrics: the service's Capacity metric, per minute."""
    _expect(call, "metricnames", CAPACITY, "metric")
    _expect(call, "interval", CAPACITY_INTERVAL, "interval (time grain)")
    namespace = call.query.get("metricnamespace")
    if namespace is not None and namespace.lower() != NAMESPACE:
        _expect(call, "metricnamespace", NAMESPACE, "metric namespace")
    asked = [part.strip().lower() for part in (call.query.get("aggregation") or "").split(",") if part.strip()]
    if not asked or any(part not in CAPACITY_AGGREGATIONS for part in asked):
        raise bad_request(
            "BadRequest",
            f"The emulator serves only the Average and Maximum aggregations of {CAPACITY}; "
            f"aggregation {call.query.get('aggregation')!r} is not supported.",
        )
    start, end = _timespan(call.query.get("timespan"))
    if end - start > _MAX_CAPACITY_SPAN:
        raise bad_request("BadRequest", "The emulator serves at most a day of the Capacity metric per minute.")
    with env.store.lock:
        svc = env.store.service(call.param("sub"), call.param("rg"), call.param("svc"))
        return ok(capacity_body(svc, asked, start, end))


def capacity_body(svc: ServiceState, aggregations: list[str], start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """The Metrics_List answer for the service's Capacity: one series, one point a minute from `start` to `end`."""
    percent = capacity_of(svc)
    premium = svc.spec.sku.lower() == "premium"
    values = {"average": percent, "maximum": percent if premium else 0.0}
    minutes = []
    moment = start.replace(second=0, microsecond=0)
    while moment < end:
        point: dict[str, Any] = {"timeStamp": _text(moment)}
        if percent is not None:
            point |= {name: float(values[name] or 0.0) for name in aggregations}
        minutes.append(point)
        moment += _MINUTE
    return {
        "cost": len(minutes),
        "timespan": f"{_text(start)}/{_text(end)}",
        "interval": CAPACITY_INTERVAL,
        "value": [
            {
                "id": f"{svc.id}/providers/Microsoft.Insights/metrics/{CAPACITY}",
                "type": "Microsoft.Insights/metrics",
                "name": {"value": CAPACITY, "localizedValue": CAPACITY},
                "displayDescription": CAPACITY_DESCRIPTION,
                "unit": "Percent",
                "timeseries": [{"metadatavalues": [], "data": minutes}],
                "errorCode": "Success",
            }
        ],
        "namespace": NAMESPACE,
        "resourceregion": location_code(svc.spec.location),
    }


def get_metrics(call: Call, env: Env) -> Reply:
    """GET /subscriptions/{sub}/providers/Microsoft.Insights/metrics."""
    region = call.query.get("region")
    if not region:
        raise bad_request("BadRequest", "Missing required region params")
    _expect(call, "metricnamespace", NAMESPACE, "metric namespace")
    _expect(call, "metricnames", METRIC, "metric")
    _expect(call, "aggregation", AGGREGATION, "aggregation")
    _expect(call, "interval", INTERVAL, "interval (time grain)")
    _expect(call, "$filter", FILTER, "filter")
    top = _top(call.query.get("top"))
    start, end = _timespan(call.query.get("timespan"))
    code = location_code(region)
    with env.store.lock:
        sub = env.store.subscription(call.param("sub")).spec.id
        services = [s for s in env.store.services(sub) if location_code(s.spec.location) == code]
        services.sort(key=lambda s: s.id.lower())
        return ok(metrics_body(sub, code, services[:top], start, end))


def metrics_body(
    sub: str, region: str, services: list[ServiceState], start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    """The Metrics_ListAtSubscriptionScope answer: one `Requests` metric with one series per service, each with one
    daily point from `start` up to `end`."""
    days = []
    moment = start
    while moment < end:
        days.append(_text(moment))
        moment += _DAY
    series = [
        {
            "metadatavalues": [
                {"name": {"value": "microsoft.resourceid", "localizedValue": "microsoft.resourceid"}, "value": svc.id}
            ],
            "data": [{"timeStamp": day, "total": float(svc.spec.requests_per_day)} for day in days],
        }
        for svc in services
    ]
    return {
        "cost": len(days) * len(series),
        "timespan": f"{_text(start)}/{_text(end)}",
        "interval": INTERVAL,
        "value": [
            {
                "id": f"subscriptions/{sub}/providers/Microsoft.Insights/metrics/{METRIC}",
                "type": "Microsoft.Insights/metrics",
                "name": {"value": METRIC, "localizedValue": METRIC},
                "unit": "Count",
                "timeseries": series,
                "errorCode": "Success",
            }
        ],
        "namespace": NAMESPACE,
        "resourceregion": region,
    }


def _top(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_TOP
    try:
        top = int(raw)
    except ValueError:
        top = 0
    if top < 1:
        raise bad_request("BadRequest", f"Invalid top {raw!r}: expected a positive integer.")
    return top


def _expect(call: Call, parameter: str, expected: str, what: str) -> None:
    given = call.query.get(parameter)
    if given is None or given.lower() != expected.lower():
        raise bad_request(
            "BadRequest",
            f"The emulator serves only {parameter}={expected} for Microsoft.ApiManagement/service metrics; "
            f"{what} {given!r} is not supported.",
        )


def _timespan(raw: str | None) -> tuple[dt.datetime, dt.datetime]:
    parts = (raw or "").split("/")
    moments = [_moment(part) for part in parts] if len(parts) == 2 else []
    start, end = moments if len(moments) == 2 else (None, None)
    if start is None or end is None:
        raise bad_request("BadRequest", f"Invalid timespan {raw!r}: expected {{start}}/{{end}} in ISO 8601 UTC.")
    if not start < end or end - start > _MAX_SPAN:
        raise bad_request("BadRequest", f"Invalid timespan {raw!r}: start must precede end by at most 93 days.")
    return start, end


def _moment(text: str) -> dt.datetime | None:
    """An ISO 8601 moment with its offset, in UTC; None when it is malformed or has no offset."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.astimezone(dt.UTC) if moment.tzinfo is not None else None


def _text(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
