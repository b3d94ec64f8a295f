"""The state store: its contract (``contract.StateStore``), two backends (``sqlite``, ``tables``) and ``open_store``,
which turns a ``MONITOR_STATE`` value into one of them. The backends import only the shared row format
(``_codec``), never this module or the contract, so no cycle exists; the Tables backend is imported only when asked
for, so that a CLI run on SQLite does not load the Tables SDK.
"""

from __future__ import annotations

from monitors.errors import SettingsError, StateError
from monitors.state._codec import BAD_SPEC
from monitors.state.contract import StateStore
from monitors.state.sqlite import SqliteStateStore


def open_store(spec: str, *, default_sqlite_path: str, client_id: str | None = None) -> StateStore:
    """Open the store a ``MONITOR_STATE`` value names; "" means SQLite at ``default_sqlite_path``. An Azure Tables
    account URL signs in as the user-assigned identity ``client_id`` (pass ``Settings.client_id``).

    Raises SettingsError, never echoing the value (a connection string holds an account key).
    """
    spec = spec.strip()
    scheme, sep, target = spec.partition(":")
    if not spec:
        return _open_sqlite(default_sqlite_path)
    if sep and target and scheme.lower() == "sqlite":
        return _open_sqlite(target)
    if sep and target.strip() and scheme.lower() == "tables":
        from monitors.state.tables import open_table_store  # the Tables SDK only when asked for

        return open_table_store(target.strip(), client_id=client_id)
    raise SettingsError(BAD_SPEC)


def _open_sqlite(path: str) -> StateStore:
    """A SQLite file that cannot be opened is a configuration error (exit 2 naming the setting), not an outage."""
    try:
        return SqliteStateStore(path)
    except StateError as exc:
        raise SettingsError(f"MONITOR_STATE=sqlite:{path[:200]}: cannot be opened ({exc})") from None
