"""open_store: MONITOR_STATE picks the backend, an account URL signs in as the user-assigned identity, and a bad spec
is a SettingsError that does not echo it."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitors.azure import data_plane
from monitors.errors import SettingsError
from monitors.state import open_store
from monitors.state.sqlite import SqliteStateStore
from monitors.state.tables import TableStateStore
from tests.state.records import T0


@pytest.mark.parametrize(
    ("spec", "backend"),
    [
        pytest.param("", SqliteStateStore, id="default"),
        pytest.param("sqlite::memory:", SqliteStateStore, id="sqlite_memory"),
        pytest.param("sqlite:{tmp}/state/x.sqlite", SqliteStateStore, id="sqlite_file"),
        pytest.param(
            "tables:DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net",
            TableStateStore,
            id="tables_connection_string",
        ),
        pytest.param("tables:https://acct.table.core.windows.net", TableStateStore, id="tables_managed_identity"),
        pytest.param(" tables:https://acct.table.core.windows.net/ ", TableStateStore, id="tables_padded"),
    ],
)
def test_open_store_picks_the_backend(tmp_path: Path, spec: str, backend: type) -> None:
    opened = open_store(spec.format(tmp=tmp_path), default_sqlite_path=str(tmp_path / "default.sqlite"))
    opened.close()
    assert type(opened) is backend


class RecordedCredential:
    """Stands in for the app's credential: records the identity asked for and its closing; never signs in."""

    def __init__(self, client_id: str | None) -> None:
        self.client_id, self.closed = client_id, 0

    def get_token(self, *scopes: str, **kwargs: object) -> object:
        raise AssertionError("no token is requested in this test")

    def close(self) -> None:
        self.closed += 1


def test_an_account_url_signs_in_as_the_user_assigned_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """open_store threads Settings.client_id to the one credential factory; the store closes what it was given."""
    built: list[RecordedCredential] = []

    def recorded(client_id: str | None) -> RecordedCredential:
        built.append(RecordedCredential(client_id))
        return built[-1]

    monkeypatch.setattr(data_plane, "credential", recorded)
    opened = open_store("tables:https://acct.table.core.windows.net", default_sqlite_path="unused", client_id="mi-1")
    before_close = [c.closed for c in built]
    opened.close()
    assert (before_close, [(c.client_id, c.closed) for c in built]) == ([0], [("mi-1", 1)])


def test_default_spec_uses_the_default_sqlite_path(tmp_path: Path) -> None:
    open_store("", default_sqlite_path=str(tmp_path / "cli" / "state.sqlite")).close()
    assert (tmp_path / "cli" / "state.sqlite").exists()


def test_memory_sqlite_keeps_state_on_its_one_connection() -> None:
    memory = open_store("sqlite::memory:", default_sqlite_path="unused.sqlite")
    memory.mark_event("event-a", T0)
    seen = memory.event_seen("event-a")
    memory.close()
    assert seen is True


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param("tables", id="tables_alone"),
        pytest.param("tables:", id="tables_empty"),
        pytest.param("sqlite:", id="sqlite_empty"),
        pytest.param("zq9secret", id="no_scheme"),
        pytest.param("postgres:zq9secret", id="unknown_scheme"),
        pytest.param("tables:zq9secret", id="malformed_connection_string"),
        pytest.param("tables:AccountName=a;zq9secret", id="connection_string_without_key"),
        pytest.param("tables:https://acct.table.core.windows.net/?sig=zq9secret", id="url_with_query"),
        pytest.param("tables:https://user:zq9secret@acct.table.core.windows.net", id="url_with_password"),
    ],
)
def test_bad_spec_is_a_settings_error_that_does_not_echo_it(spec: str) -> None:
    with pytest.raises(SettingsError, match=r"^MONITOR_STATE: ") as caught:
        open_store(spec, default_sqlite_path="unused.sqlite")
    assert "zq9secret" not in str(caught.value)
