"""OpenTelemetry for the monitor: the instruments of the telemetry contract, and one span per step of an event.

Nothing here imports OpenTelemetry until the first measurement, so importing the function app costs no more. The
instruments come from the global providers: in Azure, the ones the Python worker sets up (host.json's
``telemetryMode: OpenTelemetry`` with ``PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY=true``, which makes the worker
call ``configure_azure_monitor`` and put each invocation's trace context around the function); for the CLI, the ones
``configure`` sets up from MONITOR_OTEL. Without a provider, the API's no-op instruments cost next to nothing.
Telemetry never fails the work it measures: an error in it is logged once and the work goes on.

The instrument names are the contract the workbook and the alert rules in ``infra/`` query (README, "Telemetry").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from monitors.model import Finding

METER = "apim_defender_monitor"
log = logging.getLogger("monitors.telemetry")

# name -> (kind, unit, description)
INSTRUMENTS: dict[str, tuple[str, str, str]] = {
    "monitor.findings": ("counter", "{finding}", "findings made, by status, reason and subscription"),
    "monitor.coverage": ("gauge", "1", "share of applicable APIs onboarded, per subscription"),
    "monitor.unprotected.oldest_age": ("gauge", "s", "age of the oldest applicable API not onboarded"),
    "monitor.onboardings": ("counter", "{onboarding}", "onboardings started, succeeded and failed"),
    "monitor.deliveries": ("counter", "{message}", "alert messages sent, retried and parked, per sink"),
    "monitor.outbox.depth": ("gauge", "{message}", "messages waiting in the outbox"),
    "monitor.outbox.oldest_age": ("gauge", "s", "age of the oldest message in the outbox"),
    "monitor.arm.requests": ("counter", "{request}", "ARM requests by subscription and HTTP status"),
    "monitor.event.duration": ("histogram", "s", "time to process one Event Grid event"),
    "monitor.time_to_protect": ("histogram", "s", "from the API's first write to its protection"),
}


class _Telemetry:
    """The instruments, made on first use from the providers in force (``use`` swaps them, for tests and the CLI)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._meter_provider: Any = None
        self._tracer_provider: Any = None
        self._instruments: dict[str, Any] = {}
        self._tracer: Any = None
        self._broken = False

    def use(self, *, meter_provider: Any = None, tracer_provider: Any = None) -> None:
        with self._lock:
            self._meter_provider, self._tracer_provider = meter_provider, tracer_provider
            self._instruments, self._tracer, self._broken = {}, None, False

    def instrument(self, name: str) -> Any:
        with self._lock:
            if name not in self._instruments:
                from opentelemetry import metrics

                meter = (self._meter_provider or metrics.get_meter_provider()).get_meter(METER)
                kind, unit, description = INSTRUMENTS[name]
                create = {
                    "counter": meter.create_counter,
                    "gauge": meter.create_gauge,
                    "histogram": meter.create_histogram,
                }[kind]
                self._instruments[name] = create(name, unit=unit, description=description)
            return self._instruments[name]

    def tracer(self) -> Any:
        with self._lock:
            if self._tracer is None:
                from opentelemetry import trace

                self._tracer = (self._tracer_provider or trace.get_tracer_provider()).get_tracer(METER)
            return self._tracer

    def record(self, name: str, value: float, attributes: Mapping[str, str]) -> None:
        try:
            instrument = self.instrument(name)
            if INSTRUMENTS[name][0] == "counter":
                instrument.add(value, attributes)
            elif INSTRUMENTS[name][0] == "gauge":
                instrument.set(value, attributes)
            else:
                instrument.record(value, attributes)
        except Exception as exc:  # never fail the work being measured
            self.failed(exc)

    def failed(self, exc: Exception) -> None:
        if not self._broken:
            self._broken = True
            log.warning("telemetry is not recorded (%s: %s); the work goes on", type(exc).__name__, exc)


_TELEMETRY = _Telemetry()
_CONFIGURED: str | None = None


def use(*, meter_provider: Any = None, tracer_provider: Any = None) -> None:
    """Measure with these providers instead of the global ones (None: the global ones again)."""
    _TELEMETRY.use(meter_provider=meter_provider, tracer_provider=tracer_provider)


def findings(made: Iterable[Finding]) -> None:
    for finding in made:
        attributes = {"status": finding.status.value, "reason": finding.reason.value}
        _TELEMETRY.record("monitor.findings", 1, {**attributes, "subscription": finding.subscription_id})


def coverage(subscription: str, ratio: float) -> None:
    _TELEMETRY.record("monitor.coverage", ratio, {"subscription": subscription})


def unprotected_oldest_age(subscription: str, seconds: float) -> None:
    _TELEMETRY.record("monitor.unprotected.oldest_age", seconds, {"subscription": subscription})


def onboarding(outcome: str) -> None:
    """``started``, ``succeeded`` or ``failed``."""
    _TELEMETRY.record("monitor.onboardings", 1, {"outcome": outcome})


def delivery(outcome: str, sink: str, count: int = 1) -> None:
    """``sent``, ``retried`` or ``parked`` messages of one sink."""
    if count:
        _TELEMETRY.record("monitor.deliveries", count, {"outcome": outcome, "sink": sink})


def outbox(depth: int, oldest_age_seconds: float) -> None:
    _TELEMETRY.record("monitor.outbox.depth", depth, {})
    _TELEMETRY.record("monitor.outbox.oldest_age", oldest_age_seconds, {})


def arm_request(scope: str, status: int | None) -> None:
    """One ARM request (each retry counts) of a subscription (or ``graph`` / ``tenant``); status None: no answer."""
    _TELEMETRY.record("monitor.arm.requests", 1, {"subscription": scope, "status": str(status or "none")})


def event_duration(seconds: float) -> None:
    _TELEMETRY.record("monitor.event.duration", seconds, {})


def time_to_protect(api_id: str, stage: str, seconds: float) -> None:
    """From the API's first write to ``onboarded`` (its collection Succeeded) or ``healthy`` (Defender's verdict);
    also one log row per API, so Application Insights' ``traces`` can give percentiles."""
    _TELEMETRY.record("monitor.time_to_protect", seconds, {"stage": stage})
    log.info("time_to_protect", extra={"api_id": api_id, "stage": stage, "seconds": round(seconds, 3)})


@contextmanager
def span(name: str, **attributes: str) -> Iterator[None]:
    """One step of the work as a span (``event.parse``, ``event.facts``, ...), a child of the invocation's span in
    Azure. An exception in the step is recorded on the span and raised on."""
    try:
        step: AbstractContextManager[Any] = _TELEMETRY.tracer().start_as_current_span(name, attributes=attributes)
    except Exception as exc:  # a broken provider never fails the step
        _TELEMETRY.failed(exc)
        step = nullcontext()
    with step:
        yield


def configure(mode: str, *, credential: Any = None) -> None:
    """Set up the global providers for a process that is not a function app worker (the CLI, the demo):
    ``console`` prints to stderr, ``otlp`` exports to OTEL_EXPORTER_OTLP_ENDPOINT, ``azure`` to Application Insights
    (APPLICATIONINSIGHTS_CONNECTION_STRING, signing in with ``credential`` where given); ``off`` does nothing. The
    exporters read their own OTEL_* settings."""
    global _CONFIGURED
    if mode == "off" or _CONFIGURED is not None:  # the global providers can be set once per process
        return
    _CONFIGURED = mode
    if mode == "azure":
        from azure.monitor.opentelemetry import configure_azure_monitor

        configure_azure_monitor(credential=credential) if credential is not None else configure_azure_monitor()
        return
    import sys

    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    if mode == "otlp":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        metric_exporter: Any = OTLPMetricExporter()
        span_exporter: Any = OTLPSpanExporter()
    else:
        metric_exporter = ConsoleMetricExporter(out=sys.stderr)
        span_exporter = ConsoleSpanExporter(out=sys.stderr)
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[PeriodicExportingMetricReader(metric_exporter)]))
