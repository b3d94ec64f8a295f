"""Handler for Azure Monitor's metrics of an APIM service: the ``Requests`` metric, summed per day.

`GET {service id}/providers/Microsoft.Insights/metrics?api-version=2023-10-01&metricnames=Requests&aggregation=Total
&interval=P1D&timespan={start}/{end}` answers the Metrics_List body (the spec's GetMetric.json shape) with one data
point per day of the time span, each `total` the service's `requestsPerDay`. Only that question is served: another
metric, aggregation or interval, or a missing or malformed time span, is a 400 BadRequest. A caller without
permission is emulated with a fault: `server.add_fault("GET", "/providers/Microsoft.Insights/metrics", status=403)`
(for one service, put its id before that path).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from emulator.config import Env
from emulator.protocol import Call, Reply, bad_request, ok
from emulator.wire import location_code

METRIC = "Requests"
AGGREGATION = "Total"
INTERVAL = "P1D"
_DAY = dt.timedelta(days=1)
_MAX_SPAN = dt.timedelta(days=93)  # Azure Monitor keeps platform metrics 93 days


def get_metrics(call: Call, env: Env) -> Reply:
    """GET {svc}/providers/Microsoft.Insights/metrics."""
    _expect(call, "metricnames", METRIC, "metric")
    _expect(call, "aggregation", AGGREGATION, "aggregation")
    _expect(call, "interval", INTERVAL, "interval (time grain)")
    start, end = _timespan(call.query.get("timespan"))
    with env.store.lock:
        service = env.store.service(call.param("sub"), call.param("rg"), call.param("svc"))
        spec = service.spec
        return ok(metrics_body(service.id, spec.location, start, end, spec.requests_per_day))


def metrics_body(resource: str, location: str, start: dt.datetime, end: dt.datetime, per_day: int) -> dict[str, Any]:
    """The Metrics_List answer: one `Requests` metric with one daily point from `start` up to `end`."""
    days = []
    moment = start
    while moment < end:
        days.append({"timeStamp": _text(moment), "total": float(per_day)})
        moment += _DAY
    return {
        "cost": len(days),
        "timespan": f"{_text(start)}/{_text(end)}",
        "interval": INTERVAL,
        "value": [
            {
                "id": f"{resource}/providers/Microsoft.Insights/metrics/{METRIC}",
                "type": "Microsoft.Insights/metrics",
                "name": {"value": METRIC, "localizedValue": METRIC},
                "unit": "Count",
                "timeseries": [{"metadatavalues": [], "data": days}],
                "errorCode": "Success",
            }
        ],
        "namespace": "Microsoft.ApiManagement/service",
        "resourceregion": location_code(location),
    }


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
