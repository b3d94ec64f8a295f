"""A thread-safe record of every ARM request the emulator answered (control endpoints excluded)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DROPPED = 0


@dataclass(frozen=True)
class RequestRecord:
    """One request: method, decoded path, query (last value per key), answered status (0 = dropped), monotonic time."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    status: int = DROPPED
    time: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form served by GET /_emulator/requests."""
        return {
            "method": self.method,
            "path": self.path,
            "query": dict(self.query),
            "status": self.status,
            "time": self.time,
        }


class RequestLog:
    """Append-only request records, safe to read while the server is answering."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def add(self, record: RequestRecord) -> None:
        """Append one record."""
        with self._lock:
            self._records.append(record)

    def records(self) -> list[RequestRecord]:
        """A copy of all records, oldest first."""
        with self._lock:
            return list(self._records)

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()
