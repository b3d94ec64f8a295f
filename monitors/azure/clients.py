"""Builds the ARM clients and maps ARM's SDK errors.

The ARM clients (endpoint, retries, timeouts, one per subscription) sign in through ``data_plane.credential`` (the
user-assigned identity of ``Settings.client_id``); ``data_plane`` builds the clients of the app's own resources
(Tables, queues, Event Grid) and stays light, so that a process which needs only those never loads the ARM SDKs.
These two modules are the only ones that construct SDK clients or credentials. Whoever gets a credential or a client
owns it and closes it. A plain-http loopback ARM endpoint means the local emulator: no Azure login is attempted and a
static token is sent, because azure-core refuses bearer tokens over plain http.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import RetryPolicy, SansIOHTTPPolicy
from azure.core.rest import HttpRequest
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.core.exceptions import ARMErrorFormat
from azure.mgmt.resource.subscriptions import SubscriptionClient
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.security import SecurityCenter

from monitors import telemetry
from monitors.azure import data_plane
from monitors.azure.budget import RequestBudget, SharedBudget
from monitors.bucket import Bucket
from monitors.errors import (
    ArmRequestError,
    AzureError,
    AzurePermissionError,
    CredentialError,
    TransientAzureError,
)
from monitors.settings import Settings

if TYPE_CHECKING:
    from azure.identity import DefaultAzureCredential

    from monitors.state.contract import StateStore

_EMULATOR_TOKEN = "emulator"  # noqa: S105 - the local emulator accepts any token; never sent to Azure


def send_json(client: Any, method: str, url: str, *, body: object = None) -> Any:
    """Plain JSON through an ARM client's own pipeline (auth, retries, request budget), instead of its SDK models.

    For the few responses that grow with the estate (API lists, Resource Graph pages): the SDK's generic deserializer
    costs far more CPU per row than reading the JSON. ``url`` is relative to the client's endpoint. Raises
    HttpResponseError, ARM's error format, for anything but a 200.
    """
    request = HttpRequest(method, url) if body is None else HttpRequest(method, url, json=body)
    response = client._send_request(request)
    if response.status_code != 200:
        raise HttpResponseError(response=response, error_format=ARMErrorFormat)
    return response.json()


class _EmulatorCredential:
    """A credential for the local emulator; never used against Azure."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(_EMULATOR_TOKEN, 2**31 - 1)


class _EmulatorAuthPolicy(SansIOHTTPPolicy[Any, Any]):
    """Sends the static emulator token; the SDK's own bearer policy rejects plain http."""

    def on_request(self, request: PipelineRequest[Any]) -> None:
        request.http_request.headers["Authorization"] = f"Bearer {_EMULATOR_TOKEN}"


class _CountingPolicy(SansIOHTTPPolicy[Any, Any]):
    """Counts every request of one scope (a subscription, ``graph`` or ``tenant``) by its answer, retries and 429s
    included (``monitor.arm.requests``)."""

    def __init__(self, scope: str) -> None:
        self._scope = scope

    def on_response(self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]) -> None:
        telemetry.arm_request(self._scope, response.http_response.status_code)

    def on_exception(self, request: PipelineRequest[Any]) -> None:
        telemetry.arm_request(self._scope, None)


class ArmRetryPolicy(RetryPolicy[Any, Any]):
    """azure-core's retries, except that a Retry-After longer than ``max_retry_after`` ends them at once.

    azure-core sleeps for whatever Retry-After ARM asks, however long; inside an Event Grid delivery (answered within
    about 30 s or redelivered) that would outlive the delivery and run twice. Giving up instead surfaces the 429 as a
    TransientAzureError: Event Grid or the queue tries again later, by its own schedule.
    """

    def __init__(self, *, max_retry_after: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._max_retry_after = max_retry_after

    def increment(self, settings: dict[str, Any], response: Any = None, error: Any = None) -> bool:
        if error is None and isinstance(response, PipelineResponse):
            retry_after = self.get_retry_after(response)
            if retry_after is not None and retry_after > self._max_retry_after:
                return False
        return super().increment(settings, response=response, error=error)


# Resource Graph allows 15 queries per 5 seconds per user:
# https://learn.microsoft.com/en-us/azure/governance/resource-graph/concepts/guidance-for-throttled-requests
GRAPH_RATE, GRAPH_BURST = 3.0, 15.0
# Ten seconds' worth of reads: at the default 20 a second, 200 tokens and 20 a second stay under ARM's read bucket of
# 250 refilled 25 a second (monitors/azure/budget.py has the link), with room for the shared budget's held tokens.
ARM_BURST_SECONDS = 10


class ArmClients:
    """Lazily built, reused SDK clients per subscription, configured once from ``Settings``.

    With a ``store`` (every instance of the function app shares one), each subscription's request budget lives in the
    store, so the whole app keeps to it however many instances run; without one (a CLI run), in this process. A
    ``credential`` passed in stays its caller's; one built here is closed by ``close``.
    """

    def __init__(
        self, settings: Settings, credential: TokenCredential | None = None, *, store: StateStore | None = None
    ) -> None:
        self._settings = settings
        self._credential = credential
        self._owned: DefaultAzureCredential | None = None  # the credential built here, closed by close()
        self._store = store
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        self._budgets: dict[str, RequestBudget | SharedBudget] = {}

    def apim(self, subscription_id: str) -> ApiManagementClient:
        build = lambda: ApiManagementClient(self._get_credential(), subscription_id, **self._options(subscription_id))  # noqa: E731
        client: ApiManagementClient = self._client("apim", subscription_id, build)
        return client

    def security(self, subscription_id: str) -> SecurityCenter:
        build = lambda: SecurityCenter(self._get_credential(), subscription_id, **self._options(subscription_id))  # noqa: E731
        client: SecurityCenter = self._client("security", subscription_id, build)
        return client

    def graph(self) -> ResourceGraphClient:
        """Resource Graph, tenant-wide: its own, slower request budget."""
        build = lambda: ResourceGraphClient(self._get_credential(), **self._options("graph", GRAPH_RATE, GRAPH_BURST))  # noqa: E731
        client: ResourceGraphClient = self._client("graph", "", build)
        return client

    def subscriptions(self) -> SubscriptionClient:
        build = lambda: SubscriptionClient(self._get_credential(), **self._options("tenant"))  # noqa: E731
        client: SubscriptionClient = self._client("subscriptions", "", build)
        return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
            owned, self._owned = self._owned, None
            if owned is not None:
                self._credential = None  # a client built after close signs in with a new one
                owned.close()

    def _client(self, kind: str, scope: str, build: Callable[[], Any]) -> Any:
        key = (kind, scope.lower())
        with self._lock:
            if key not in self._clients:
                self._clients[key] = build()
            return self._clients[key]

    def _get_credential(self) -> TokenCredential:
        """Called with the lock held (from a client's build)."""
        if self._credential is None:
            if self._settings.uses_emulator:
                self._credential = _EmulatorCredential()
            else:
                self._credential = self._owned = data_plane.credential(self._settings.client_id)
        return self._credential

    def _budget(self, scope: str, rate: float, burst: float) -> RequestBudget | SharedBudget:
        """Called with the lock held: one budget per subscription, shared by its APIM and Defender clients."""
        scope = scope.lower()
        if scope not in self._budgets:
            self._budgets[scope] = (
                RequestBudget(rate, burst)
                if self._store is None
                else SharedBudget(self._store, f"arm-budget/{scope}", Bucket(rate, burst))
            )
        return self._budgets[scope]

    def _options(self, scope: str, rate: float | None = None, burst: float | None = None) -> dict[str, Any]:
        s = self._settings
        rate = rate or s.arm_reads_per_second
        budget = self._budget(scope, rate, burst or s.arm_reads_per_second * ARM_BURST_SECONDS)
        options: dict[str, Any] = {
            "base_url": s.arm_endpoint,
            "credential_scopes": [f"{s.arm_endpoint}/.default"],
            "retry_policy": ArmRetryPolicy(
                max_retry_after=s.arm_max_retry_after_seconds,
                retry_total=s.arm_retries,
                retry_backoff_factor=s.arm_retry_backoff,
                retry_backoff_max=60,
            ),
            "connection_timeout": s.arm_timeout_seconds,
            "read_timeout": s.arm_timeout_seconds,
            "polling_interval": s.onboard_poll_seconds,
            "per_retry_policies": [budget, _CountingPolicy(scope.lower())],
        }
        if s.uses_emulator:
            options["authentication_policy"] = _EmulatorAuthPolicy()
        return options


def name_from_id(resource_id: object, fallback: object = "") -> str:
    """The last segment of an ARM id: the child's name as ARM addresses it (``name`` is not always that)."""
    text = str(resource_id or "").rstrip("/")
    return text.rsplit("/", 1)[-1] if text else str(fallback or "")


def _one_line(text: str, limit: int = 300) -> str:
    return " ".join(text.split())[:limit]


def translate_error(exc: Exception, action: str, resource_id: str) -> AzureError:
    """Turn an azure-core exception into our own, with a one-line message naming the resource and status."""
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return TransientAzureError(
            f"{action} {resource_id}: connection failed ({_one_line(str(exc), 120)})",
            resource_id=resource_id,
        )
    status = getattr(exc, "status_code", None)
    if isinstance(exc, ClientAuthenticationError) and getattr(exc, "response", None) is None:
        # Raised by the credential before any request (managed identity endpoint unreachable, wrong client id):
        # only ARM's own 401/403 on the resource is a permission finding.
        return CredentialError(
            f"{action} {resource_id}: no ARM token ({_one_line(str(exc), 200)}); check the identity, AZURE_CLIENT_ID",
            resource_id=resource_id,
        )
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None) or getattr(exc, "reason", None) or "error"
    message = getattr(error, "message", None) or str(exc)
    text = f"{action} {resource_id}: HTTP {status} {code}: {_one_line(str(message))}"
    if isinstance(exc, ClientAuthenticationError) or status in (401, 403):
        return AzurePermissionError(text, resource_id=resource_id, status_code=status)
    if status is None or status == 429 or status >= 500:
        return TransientAzureError(text, resource_id=resource_id, status_code=status)
    return ArmRequestError(text, resource_id=resource_id, status_code=status)


@contextmanager
def arm_call(action: str, resource_id: str) -> Iterator[None]:
    """Run SDK calls, re-raising their failures as ``AzureError`` subclasses (404s are the caller's business)."""
    try:
        yield
    except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
        raise translate_error(exc, action, resource_id) from exc
