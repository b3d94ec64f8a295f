"""The live check's verdicts on what templates would deploy (issue 13): every API resource becomes ``KnownFacts`` and
goes through ``rules.evaluate_api``, so the reason codes are the live check's own.

Engine level: it builds ``facts.KnownFacts``. ``evaluate`` itself does no I/O; ``--live`` hands it a lookup
(``live_collections``) that reads each API's apiCollection from ARM by its real id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from monitors import rules
from monitors.errors import AzureError, CredentialError, InvalidNameError
from monitors.exposure import declares_oauth
from monitors.facts import KnownFacts
from monitors.model import (
    ApiFacts,
    ApiRef,
    CollectionFacts,
    Finding,
    FindingSource,
    PlanFacts,
    Reason,
    ServiceFacts,
    split_revision,
)
from monitors.settings import Settings
from monitors.templates.resources import TemplateFile, TemplateResource
from monitors.templates.snippets import collection_snippet

PLACEHOLDER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
PLACEHOLDER_RESOURCE_GROUP = "template"
API_TYPE = "microsoft.apimanagement/service/apis"
WORKSPACE_API_TYPE = "microsoft.apimanagement/service/workspaces/apis"
SERVICE_TYPE = "microsoft.apimanagement/service"
COLLECTION_TYPES = ("microsoft.security/apicollections", "microsoft.apimanagement/service/providers/apicollections")
PRICING_TYPE = "microsoft.security/pricings"
PLAN_NAME = "api"
NON_REST = frozenset({"graphql", "websocket", "soap", "grpc", "odata"})
ASSUMED_PLAN = "plan not declared; assumed on"
# What the rules read from the service and the API: a template value the reader could not work out here means no
# verdict (unless a declared collection already answers), never a guess.
_SERVICE_PATHS = ("sku", "sku.name", "location", "tags")  # sku.capacity decides nothing
_API_PATHS = ("name", "properties.type", "properties.apiType")

Live = Callable[[ApiRef], "CollectionFacts | None"]


@dataclass(frozen=True)
class _Api:
    """One declared API, with where it came from."""

    resource: TemplateResource
    kind: str  # the file's reader: bicep, arm or whatif
    service: str
    api_id: str
    workspace: str | None
    is_current: bool


def evaluate(
    files: Sequence[TemplateFile], settings: Settings, today: dt.date, *, live: Live | None = None
) -> list[Finding]:
    """One finding per API the templates declare (a revision is its API; declared twice, the current one speaks)."""
    resources = [(r, f.kind) for f in files for r in f.resources if r.condition is not False]
    services: dict[str, TemplateResource] = {}
    for r, _ in resources:  # a service deployed in one file and referenced as existing in another is deployed
        if r.type.lower() == SERVICE_TYPE and (r.name.lower() not in services or services[r.name.lower()].existing):
            services[r.name.lower()] = r
    collections = _collections(r for r, _ in resources)
    plan = _declared_plan(r for r, _ in resources)
    apis: dict[tuple[str, str | None, str], _Api] = {}
    for resource, kind in resources:
        api = _api(resource, kind)
        if api is None:
            continue
        key = (api.service.lower(), (api.workspace or "").lower() or None, api.api_id.lower())
        if key not in apis or (api.is_current and not apis[key].is_current):
            apis[key] = api
    return [_verdict(api, services, collections, plan, settings, today, live) for api in apis.values()]


def _api(resource: TemplateResource, kind: str) -> _Api | None:
    kind_of = resource.type.lower()
    parts = resource.name.split("/")
    if kind_of == API_TYPE and len(parts) == 2:
        service, workspace, name = parts[0], None, parts[1]
    elif kind_of == WORKSPACE_API_TYPE and len(parts) == 3:
        service, workspace, name = parts[0], parts[1], parts[2]
    else:
        return None
    api_id, revision = split_revision(name)
    current = resource.properties.get("isCurrent") is True or revision is None
    return _Api(resource, kind, service, api_id, workspace, current)


def _collections(resources: Iterable[TemplateResource]) -> set[tuple[str, str]]:
    """(service, api), lower-cased, of every apiCollection declared: as a child (``svc/api``,
    ``svc/Microsoft.Security/api``) or as an extension resource whose ``scope`` is the service or the API."""
    found: set[tuple[str, str]] = set()
    for r in resources:
        if r.type.lower() not in COLLECTION_TYPES or r.existing:
            continue
        parts = [p for p in r.name.split("/") if p]
        if r.scope:
            scoped = _scope_names(r.scope)
            if scoped is not None:
                service, api = scoped
                found.add((service.lower(), (api or parts[-1]).lower()))
        elif len(parts) == 2 or (len(parts) == 3 and parts[1].lower() == "microsoft.security"):
            found.add((parts[0].lower(), parts[-1].lower()))
    return found


def _scope_names(scope: str) -> tuple[str, str | None] | None:
    """The service (and API) a scope names: a resource id or its ``Microsoft.ApiManagement/service/svc[/apis/api]``
    tail, or the type-then-names path ``Microsoft.ApiManagement/service/apis/svc/api``."""
    segments = [s for s in scope.split("/") if s]
    lower = [s.lower() for s in segments]
    for i in range(len(lower) - 2):
        if lower[i] == "microsoft.apimanagement" and lower[i + 1] == "service":
            rest = segments[i + 2 :]
            if len(rest) == 3 and rest[0].lower() == "apis" and rest[1].lower() != "apis":  # type, then names
                return rest[1], split_revision(rest[2])[0]
            api = split_revision(rest[2])[0] if len(rest) >= 3 and rest[1].lower() == "apis" else None
            return rest[0], api
    return None


def _declared_plan(resources: Iterable[TemplateResource]) -> TemplateResource | None:
    for r in resources:
        if r.type.lower() == PRICING_TYPE and r.name.split("/")[-1].lower() == PLAN_NAME and not r.existing:
            return r
    return None


def _verdict(
    api: _Api,
    services: Mapping[str, TemplateResource],
    collections: set[tuple[str, str]],
    plan: TemplateResource | None,
    settings: Settings,
    today: dt.date,
    live: Live | None,
) -> Finding:
    resource = api.resource
    service = services.get(api.service.lower())
    known = service is not None and not service.existing
    subscription = resource.subscription_id or (service.subscription_id if service else None)
    group = resource.resource_group or (service.resource_group if service else None)
    located = subscription is not None and group is not None
    source = FindingSource(resource.source.file, resource.source.line)
    try:
        ref = ApiRef(
            subscription or PLACEHOLDER_SUBSCRIPTION,
            group or PLACEHOLDER_RESOURCE_GROUP,
            api.service,
            api.api_id,
            api.workspace,
        )
    except InvalidNameError as exc:
        placeholder = ApiRef(PLACEHOLDER_SUBSCRIPTION, PLACEHOLDER_RESOURCE_GROUP, "unresolved", "unresolved")
        return _error(placeholder, source, f"{resource.name!r} in {resource.source.file}: {exc}")

    collection, note = _collection(api, ref, collections, live, located)
    if isinstance(collection, Finding):
        return replace(collection, source=source)
    unresolved = [p for p in resource.unresolved if p in _API_PATHS]
    if "name" not in unresolved and any(part.startswith("[") for part in resource.name.split("/")):
        unresolved.append("name")  # an ARM expression left as text is no name
    if service is None or not known:
        how = "is referenced as existing" if service is not None else "is not declared"
        message = (
            f"{_names(ref)} cannot be checked before deployment: its service {how} in the scanned templates, so its "
            "tier, region and tags are unresolved."
        )
        if collection is not None and collection.succeeded and not unresolved:
            return _known(ref, api, _unknown_service(ref), collection, plan, settings, today, source, note)
        return _error(ref, source, message + note)
    unresolved += [f"service {p}" for p in service.unresolved if p in _SERVICE_PATHS or p.startswith("tags.")]
    if unresolved and collection is None:
        message = f"{_names(ref)} cannot be checked before deployment: unresolved {', '.join(unresolved)}."
        return _error(ref, source, message + note)
    return _known(ref, api, _service(ref, service), collection, plan, settings, today, source, note)


def _known(
    ref: ApiRef,
    api: _Api,
    service: ServiceFacts,
    collection: CollectionFacts | None,
    plan: TemplateResource | None,
    settings: Settings,
    today: dt.date,
    source: FindingSource,
    note: str,
) -> Finding:
    facts = KnownFacts(ref, _api_facts(api), service, _plan(ref, plan), collection)
    finding = rules.evaluate_api(facts, settings, today)
    detail = finding.detail + note
    if plan is None and finding.reason in (Reason.ONBOARDED, Reason.NOT_ONBOARDED):
        detail += f" ({ASSUMED_PLAN})"
    fix = collection_snippet(api.kind, ref.service, ref.api_id) if finding.reason is Reason.NOT_ONBOARDED else None
    return replace(finding, detail=detail, source=source, fix=fix)


def _collection(
    api: _Api, ref: ApiRef, collections: set[tuple[str, str]], live: Live | None, located: bool
) -> tuple[CollectionFacts | Finding | None, str]:
    """The API's collection: declared in the templates, else (``--live``) read from ARM; with a note for the detail."""
    if api.workspace is not None:
        return None, ""  # workspace APIs have no apiCollections path, as in the live check
    if (ref.service.lower(), ref.api_id.lower()) in collections:
        return CollectionFacts(ref.api_id, ref.collection_id, "Succeeded"), " (its apiCollection is declared)"
    if live is None:
        return None, ""
    if not located:
        return None, " (--live cannot look: the template names no subscription and resource group)"
    try:
        found = live(ref)
    except CredentialError:
        raise
    except AzureError as exc:
        return rules.azure_error_finding(ref, exc), ""
    return found, " (its apiCollection exists in Azure)" if found is not None and found.succeeded else ""


def _names(ref: ApiRef) -> str:
    return f"API '{ref.api_id}' of APIM service '{ref.service}'"


def _error(ref: ApiRef, source: FindingSource, message: str) -> Finding:
    return replace(rules.error_finding(ref, permission=False, message=message), source=source)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _api_type(properties: Mapping[str, Any]) -> str:
    """The live check's ``api_type`` from the create-time fields: ``type`` or ``apiType`` naming a non-REST kind
    (``soap`` for a SOAP pass-through), else ``http`` (absent means http, as on the wire)."""
    for key in ("type", "apiType"):
        value = str(properties.get(key) or "").lower()
        if value in NON_REST:
            return value
    return "http"


def _api_facts(api: _Api) -> ApiFacts:
    props = api.resource.properties
    protocols = props.get("protocols")
    required = props.get("subscriptionRequired")
    return ApiFacts(
        api_id=api.api_id,
        display_name=str(props.get("displayName") or ""),
        api_type=_api_type(props),
        is_current=api.is_current,
        workspace=api.workspace,
        subscription_required=required if isinstance(required, bool) else None,
        oauth=declares_oauth(props.get("authenticationSettings")),
        protocols=tuple(str(p) for p in protocols) if isinstance(protocols, list) else (),
    )


def _service(ref: ApiRef, service: TemplateResource) -> ServiceFacts:
    props = service.properties
    return ServiceFacts(
        ref=ref.service_ref,
        sku=service.sku or "",
        location=service.location or "",
        tags=dict(service.tags),
        public_network_access=_text(props.get("publicNetworkAccess")),
        virtual_network_type=_text(props.get("virtualNetworkType")),
    )


def _unknown_service(ref: ApiRef) -> ServiceFacts:
    """A service the templates do not declare, for an API a declared collection already answers (the first rule)."""
    return ServiceFacts(ref=ref.service_ref, sku="", location="", tags={})


def _plan(ref: ApiRef, plan: TemplateResource | None) -> PlanFacts:
    if plan is None:
        return PlanFacts(ref.subscription_id, "Standard")
    props = plan.properties
    return PlanFacts(ref.subscription_id, str(props.get("pricingTier") or "Free"), _text(props.get("subPlan")))


@contextmanager
def live_collections(settings: Settings) -> Iterator[Live]:
    """``--live``: each API's apiCollection read from ARM by its real id (the monitor's own ARM clients and request
    budget), None when it has none. The clients are closed on the way out."""
    from monitors.azure import defender
    from monitors.azure.clients import ArmClients

    clients = ArmClients(settings)
    try:

        def lookup(ref: ApiRef) -> CollectionFacts | None:
            return defender.get_collection(clients.security(ref.subscription_id), ref)

        yield lookup
    finally:
        clients.close()
