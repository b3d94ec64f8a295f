"""``python -m monitors replay --dead-letter`` against Azurite: a fresh all-in-one Azurite per test (blobs for the
dead-letter container, tables for the state store, queues for the sweep queue), the CLI run as ``main([...])`` with
the app's settings in the environment, and the ARM emulator behind it."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from azure.storage.blob import ContainerClient

from monitors.cli import main
from tests.azurite import Azurite, running_azurite

DATA = Path(__file__).resolve().parent.parent / "data"
CONTAINER = "deadletter"
# Where Event Grid writes: <EVENT SUBSCRIPTION NAME>/<year>/<month>/<day>/<hour>/<guid>.json (UTC, not zero-padded)
SUBSCRIPTION = "APIM-DEFENDER-MONITOR"


@pytest.fixture
def account() -> Iterator[Azurite]:
    """A fresh Azurite serving blobs, queues and tables, in memory."""
    with running_azurite(with_blob=True) as server:
        yield server


@pytest.fixture
def container(account: Azurite) -> Iterator[ContainerClient]:
    """The dead-letter container Event Grid writes to, created empty."""
    client = ContainerClient.from_connection_string(account.connection_string, CONTAINER)
    client.create_container()
    yield client
    client.close()


@pytest.fixture
def app_env(arm, emulator_env, account, monkeypatch) -> dict[str, str]:
    """The app's settings as an operator exports them: ARM (the emulator), and the state in the storage account's
    tables, which is where the dead-letter container is found by default."""
    env = {**emulator_env, "MONITOR_STATE": f"tables:{account.connection_string}"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def replay(app_env) -> Callable[..., tuple[int, str, str]]:
    def run(*options: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(["replay", "--dead-letter", *options], stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    return run


def dead_lettered(event_file: str, *, cloud_events: bool = False) -> dict[str, object]:
    """One of tests/data/events' events as Event Grid dead-letters it: with the fields of Microsoft's published
    dead-letter sample for its schema (lower case in the CloudEvents schema) added."""
    event = json.loads((DATA / "events" / event_file).read_text())
    sample = microsoft_sample(cloud_events=cloud_events)
    fields = {k: v for k, v in sample.items() if k.lower().startswith(("deadletter", "delivery", "last", "publish"))}
    return {**event, **fields}


def microsoft_sample(*, cloud_events: bool = False) -> dict[str, object]:
    """Microsoft's dead-letter sample (tests/data/deadletter); the CloudEvents one without the comma after its last
    member, which makes the published text not strict JSON."""
    if not cloud_events:
        return dict(json.loads((DATA / "deadletter" / "dead-letter.event-grid-schema.json").read_text()))
    text = (DATA / "deadletter" / "dead-letter.cloud-events-schema.json").read_text()
    fixed = text.replace(
        '"publishtime": "2020-08-13T21:21:36.4018726Z",\n}', '"publishtime": "2020-08-13T21:21:36.4018726Z"\n}'
    )
    assert fixed != text
    return dict(json.loads(fixed))


def blob_name(day: int = 27, hour: int = 9, guid: str = "111111111-1111-1111-1111-111111111111") -> str:
    return f"{SUBSCRIPTION}/2026/11/{day}/{hour}/{guid}.json"


def put(container: ContainerClient, name: str, body: object) -> str:
    """Write a blob as Event Grid does: a JSON array of events (or, for raw bytes, exactly those bytes)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    container.upload_blob(name, data, overwrite=True)
    return name


def names(container: ContainerClient) -> list[str]:
    return sorted(b.name for b in container.list_blobs())
