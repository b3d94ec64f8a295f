"""The OpenTelemetry SDK's in-memory reader and span exporter, in place of the providers Azure's worker sets up."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from monitors import telemetry


@dataclass
class Recorded:
    reader: InMemoryMetricReader
    spans: InMemorySpanExporter
    latest: dict[tuple[str, frozenset[tuple[str, Any]]], Any] = field(default_factory=dict)

    def points(self, name: str) -> list[tuple[dict[str, Any], Any]]:
        """Every data point of one instrument: (attributes, value); a histogram's value is (count, sum). Counters
        and histograms are cumulative; a gauge keeps its last value, which a collection reports only once, so every
        collection is kept."""
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    for point in metric.data.data_points:
                        histogram = hasattr(point, "bucket_counts")
                        value = (point.count, point.sum) if histogram else point.value  # type: ignore[union-attr]
                        self.latest[(metric.name, frozenset((point.attributes or {}).items()))] = value
        return [(dict(attributes), value) for (metric, attributes), value in self.latest.items() if metric == name]

    def total(self, name: str, **attributes: str) -> float:
        return sum(v for a, v in self.points(name) if attributes.items() <= a.items())

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    reader, spans = InMemoryMetricReader(), InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    telemetry.use(meter_provider=MeterProvider(metric_readers=[reader]), tracer_provider=tracer_provider)
    yield Recorded(reader, spans)
    telemetry.use()
