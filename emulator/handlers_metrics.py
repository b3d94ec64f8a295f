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
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from emulator.config import Env
from emulator.protocol import Call, Reply, bad_request, ok
from emulator.store import ServiceState
from emulator.wire import location_code

NAMESPACE = "microsoft.apimanagement/service"
METRIC = "Requests"
AGGREGATION = "Total"
INTERVAL = "P1D"
FILTER = "Microsoft.ResourceId eq '*'"
DEFAULT_TOP = 10
_DAY = dt.timedelta(days=1)
_MAX_SPAN = dt.timedelta(days=93)  # Azure Monitor keeps platform metrics 93 days


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
