"""A structural reader for the KQL of the workbook and the alert rules (infra/monitoring/): no Azure, no Kusto parser.

It checks what a typo or a renamed instrument would break: quotes and brackets balance, the query starts from a table
Application Insights has (after any ``let`` statements), every pipe leads to a known tabular operator, and it collects
the instruments (``name == "..."``), the log messages (``message == "..."``) and the ``customDimensions`` keys the query
reads, so tests compare them with the telemetry contract. Workbook parameters (``{SloHours}``) are filled in first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Application Insights tables (https://learn.microsoft.com/azure/azure-monitor/app/data-model-complete): the monitor
# writes customMetrics (OpenTelemetry metrics) and traces (log records).
TABLES = frozenset({"customMetrics", "traces", "requests", "dependencies", "exceptions", "customEvents"})
OPERATORS = frozenset(
    {"where", "extend", "summarize", "project", "order", "sort", "top", "take", "limit", "render", "distinct", "count"}
)
_PAIRS = {")": "(", "]": "[", "}": "{"}
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')


@dataclass(frozen=True)
class Query:
    table: str
    operators: tuple[str, ...]
    instruments: frozenset[str]
    messages: frozenset[str]
    dimensions: frozenset[str]


class KqlError(ValueError):
    """The query is not well formed, with what is wrong."""


def _check_brackets(text: str) -> None:
    stack: list[str] = []
    for char in text:
        if char in "([{":
            stack.append(char)
        elif char in _PAIRS and (not stack or stack.pop() != _PAIRS[char]):
            raise KqlError(f"unbalanced {char!r}")
    if stack:
        raise KqlError(f"unclosed {stack[-1]!r}")


def read_query(text: str, parameters: dict[str, str] | None = None) -> Query:
    """The tables, operators, instruments, messages and dimensions of one query; KqlError when it is malformed."""
    for name, value in (parameters or {}).items():
        text = text.replace("{" + name + "}", value)
    if re.search(r"\{[A-Za-z]\w*\}", text):
        raise KqlError(f"unfilled workbook parameter in {text!r}")
    bare = _STRING.sub('""', text)
    if '"' in bare.replace('""', "") or "'" in bare:
        raise KqlError("unterminated string")
    _check_brackets(bare)
    statements = [s.strip() for s in bare.split(";") if s.strip()]
    if any(not s.startswith("let ") for s in statements[:-1]):
        raise KqlError("only let statements may come before the tabular expression")
    stages = [stage.strip() for stage in statements[-1].split("|")]
    if any(not stage for stage in stages):
        raise KqlError("empty pipeline stage")
    table, *rest = stages
    if table not in TABLES:
        raise KqlError(f"unknown table {table!r}")
    operators = tuple(stage.split()[0] for stage in rest)
    unknown = [op for op in operators if op not in OPERATORS]
    if unknown:
        raise KqlError(f"unknown operators {unknown}")
    literal = r'\s*==\s*"([^"]*)"'
    return Query(
        table=table,
        operators=operators,
        instruments=frozenset(re.findall(r"\bname" + literal, text)),
        messages=frozenset(re.findall(r"\bmessage" + literal, text)),
        dimensions=frozenset(re.findall(r"customDimensions\.(\w+)", text)),
    )
