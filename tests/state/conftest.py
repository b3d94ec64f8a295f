"""Fixtures of the state store tests. ``store`` (one of each backend) and ``azurite`` are the suite's own
(tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitors.state.tables import TableStateStore, open_table_store


@pytest.fixture
def tables_store(azurite: str, table_prefix: str) -> Iterator[TableStateStore]:
    """An Azure Tables store with tables of its own in the session's Azurite."""
    opened = open_table_store(azurite, table_prefix=table_prefix)
    yield opened
    opened.close()
