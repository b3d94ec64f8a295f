"""One credential factory (monitors.azure.data_plane.credential), given the user-assigned client id everywhere, and each
credential closed by the one owner it was built for: the ARM clients, the queue client, the Tables store (see
tests/state/test_state_open.py) and the Event Grid sink (tests/alerts/test_sink.py). No test here asks for a token."""

from __future__ import annotations

import pytest
from azure.core.credentials import AccessToken
from azure.storage.queue import QueueClient

from monitors.azure import data_plane
from monitors.azure.clients import ArmClients
from monitors.azure.data_plane import queue_client, table_service
from monitors.queues import open_queue
from monitors.settings import Settings

CLIENT_ID = "11111111-2222-3333-4444-555555555555"
QUEUES = "https://acct.queue.core.windows.net"
TABLES = "https://acct.table.core.windows.net"


class RecordedCredential:
    """Stands in for the app's credential: records the identity asked for and its closing; never signs in."""

    def __init__(self, client_id: str | None) -> None:
        self.client_id, self.closed = client_id, 0

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        raise AssertionError("no token is requested in these tests")

    def close(self) -> None:
        self.closed += 1


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[RecordedCredential]:
    """Every credential the factory builds during the test, in order."""
    made: list[RecordedCredential] = []

    def record(client_id: str | None) -> RecordedCredential:
        made.append(RecordedCredential(client_id))
        return made[-1]

    monkeypatch.setattr(data_plane, "credential", record)
    return made


def closing(made: list[RecordedCredential]) -> list[tuple[str | None, int]]:
    return [(c.client_id, c.closed) for c in made]


def test_arm_clients_share_one_credential_and_close_it(built: list[RecordedCredential]) -> None:
    arm = ArmClients(Settings(client_id=CLIENT_ID))
    arm.subscriptions()
    arm.apim("00000000-0000-0000-0000-000000000001")
    before_close = closing(built)
    arm.close()

    assert (before_close, closing(built)) == ([(CLIENT_ID, 0)], [(CLIENT_ID, 1)])


def test_arm_clients_leave_a_credential_they_were_given_open(built: list[RecordedCredential]) -> None:
    given = RecordedCredential("given")
    arm = ArmClients(Settings(client_id=CLIENT_ID), credential=given)
    arm.subscriptions()
    arm.close()

    assert (built, given.closed) == ([], 0)


def test_arm_clients_against_the_emulator_never_build_one(built: list[RecordedCredential]) -> None:
    arm = ArmClients(Settings(arm_endpoint="http://127.0.0.1:9", client_id=CLIENT_ID))
    arm.subscriptions()
    arm.close()

    assert built == []


@pytest.mark.parametrize("leave", ["close", "with"])
def test_an_identity_based_queue_client_closes_its_credential(built: list[RecordedCredential], leave: str) -> None:
    client = queue_client(QUEUES, "apim-sweep", client_id=CLIENT_ID)
    if leave == "close":
        client.close()
    else:
        with client:
            pass

    assert closing(built) == [(CLIENT_ID, 1)]


def test_open_queue_signs_in_as_the_settings_client_id(
    built: list[RecordedCredential], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QueueClient, "create_queue", lambda self, **kwargs: None)  # no request to the account
    settings = Settings(webjobs_storage="https://acct.blob.core.windows.net", queue_service_uri=QUEUES, client_id="x")

    open_queue(settings, "apim-sweep").close()

    assert closing(built) == [("x", 1)]


def test_connection_strings_need_no_credential(built: list[RecordedCredential]) -> None:
    connection = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net"
    service, credential = table_service(connection, client_id=CLIENT_ID)
    queue = queue_client(connection, "apim-sweep", client_id=CLIENT_ID)
    service.close()
    queue.close()

    assert (credential, built) == (None, [])


def test_table_service_hands_back_the_credential_it_built(built: list[RecordedCredential]) -> None:
    service, credential = table_service(TABLES, client_id=CLIENT_ID)
    service.close()
    handed_back: object = credential  # typed as the real credential; the patched factory built a RecordedCredential

    assert (handed_back is built[0], closing(built)) == (True, [(CLIENT_ID, 0)])  # the caller (the store) closes it


@pytest.mark.parametrize("client_id", [CLIENT_ID, None])
def test_the_factory_names_the_user_assigned_identity(client_id: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real factory, built and closed, never asked for a token: the id goes to azure-identity as
    managed_identity_client_id, and no id leaves azure-identity's own AZURE_CLIENT_ID fallback in place."""
    seen: list[dict[str, object]] = []

    class Recorder:
        def __init__(self, **kwargs: object) -> None:
            seen.append(kwargs)

    monkeypatch.setattr("azure.identity.DefaultAzureCredential", Recorder)
    data_plane.credential(client_id)

    assert seen == [{"managed_identity_client_id": client_id} if client_id else {}]
