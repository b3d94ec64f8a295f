"""Turn one Event Grid delivery into the APIM API (or Defender for APIs plan) it is about, or say why it is ignored.

Accepts the Event Grid schema and the CloudEvents 1.0 schema, carrying either ARM's subscription system-topic events
(``Microsoft.Resources.ResourceWriteSuccess`` / ``ResourceDeleteSuccess``; the subject is the ARM id that was written)
or APIM's own system-topic events (``Microsoft.ApiManagement.APICreated`` / ``APIUpdated`` / ``APIDeleted``; the topic
is the service id and the subject ``/apis/{id};Rev=N``). Writes and deletes of an API's apiCollection re-check that
API; writes of the APIM service or its tags re-check the whole service. Revisions fold into their API;
sub-resources (operations, policies, ...) and everything else come back as ``Ignored`` with a one-sentence reason;
malformed input raises ``EventError`` with one line naming the offending value. Pure: no SDK, no I/O, no clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from monitors.errors import EventError
from monitors.model import ApiRef, PlanRef, ServiceRef, check_segment, split_revision

# Wire names of the event types, equal to azure.eventgrid.SystemEventNames values (a test pins this).
RESOURCE_WRITE_SUCCESS = "Microsoft.Resources.ResourceWriteSuccess"
RESOURCE_DELETE_SUCCESS = "Microsoft.Resources.ResourceDeleteSuccess"
APIM_API_CREATED = "Microsoft.ApiManagement.APICreated"
APIM_API_UPDATED = "Microsoft.ApiManagement.APIUpdated"
APIM_API_DELETED = "Microsoft.ApiManagement.APIDeleted"
SUBSCRIPTION_VALIDATION = "Microsoft.EventGrid.SubscriptionValidationEvent"

_RESOURCE_TYPES = {name.lower(): name for name in (RESOURCE_WRITE_SUCCESS, RESOURCE_DELETE_SUCCESS)}
_APIM_TYPES = {name.lower(): name for name in (APIM_API_CREATED, APIM_API_UPDATED, APIM_API_DELETED)}

# Children of an API that raise their own ARM events; a change to them is not a change to the API's onboarding.
_API_CHILDREN = frozenset(
    name.lower()
    for name in (
        "operations",
        "policies",
        "policy",
        "schemas",
        "tags",
        "releases",
        "diagnostics",
        "issues",
        "tagDescriptions",
        "wikis",
        "resolvers",
        "operationsByTag",
    )
)

# ARM's own rules for the names we keep (ApiManagement REST spec: apiId, serviceName).
_API_ID = re.compile(r"[^*#&+:<>?/]+")
_API_ID_MAX = 256
_SERVICE_NAME = re.compile(r"[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?")
_SERVICE_NAME_MAX = 50
_REVISION_NUMBER = re.compile(r"[0-9]+")
_PRICINGS = ["providers", "microsoft.security", "pricings"]
_APIM_SERVICES = ["providers", "microsoft.apimanagement", "service"]
_SHOWN_MAX = 100
_JSON_KINDS: dict[type, str] = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "number",
    float: "number",
    type(None): "null",
}

_Outcome = ApiRef | PlanRef | ServiceRef | str  # a str is the reason the resource is ignored
_COLLECTIONS = ["providers", "microsoft.security", "apicollections"]
_SERVICE_TAGS = ["providers", "microsoft.resources", "tags"]


@dataclass(frozen=True)
class ParsedEvent:
    """An event about one API, one plan or one APIM service (its tags or settings changed, so every API of it is
    checked again); ``event_type`` is the canonical wire name, ``deleted`` marks the delete of an API."""

    event_id: str
    event_type: str
    target: ApiRef | PlanRef | ServiceRef
    deleted: bool


@dataclass(frozen=True)
class Ignored:
    """A well-formed event this monitor does not act on, with the event type as delivered and one sentence why."""

    event_id: str
    event_type: str
    reason: str


@dataclass(frozen=True)
class _Envelope:
    event_id: str
    event_type: str
    subject: str
    source: str | None  # topic (Event Grid schema) or source (CloudEvents)
    data: object


def load_payload(raw: str | bytes) -> list[object]:
    """Read a delivery body (one event object or a JSON array of them) into a list of events.

    An array's items are returned as they are, objects or not: each gets its own outcome from ``parse_event``, so
    one bad item never rejects the others.

    Raises:
        EventError: the body is not JSON, or neither an object nor an array.
    """
    try:
        text = bytes(raw).decode("utf-8") if isinstance(raw, (bytes, bytearray)) else str(raw)
        document = json.loads(text.removeprefix("\ufeff"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise EventError(f"event payload is not valid JSON: {_truncate(detail)}") from None
    if isinstance(document, dict):
        return [document]
    if not isinstance(document, list):
        raise EventError(
            f"event payload is a JSON {_json_kind(document)}; expected an event object or an array of them"
        )
    return document


def parse_event(event: object) -> ParsedEvent | Ignored:
    """Say which API or plan one event is about, or why it is ignored.

    Raises:
        EventError: the event lacks id, type or subject, its data is not an object, or it names a malformed id.
    """
    envelope = _read_envelope(event)
    kind = envelope.event_type.lower()
    try:
        if kind in _RESOURCE_TYPES:
            return _parse_resource_event(envelope, _RESOURCE_TYPES[kind])
        if kind in _APIM_TYPES:
            return _parse_apim_event(envelope, _APIM_TYPES[kind])
    except EventError as exc:
        raise EventError(f"event {_quote(envelope.event_id)} ({_quote(envelope.event_type)}): {exc}") from None
    return Ignored(envelope.event_id, envelope.event_type, _type_reason(kind, envelope.event_type))


def _read_envelope(event: object) -> _Envelope:
    """Pick the envelope fields out of either schema, told apart by their distinctive keys."""
    if not isinstance(event, Mapping):
        raise EventError(f"event is a JSON {_json_kind(event)}; expected an object")
    source: str | None
    if "specversion" in event:
        if event["specversion"] != "1.0":
            raise EventError(f"CloudEvents specversion is {_show(event['specversion'])}; expected '1.0'")
        if "data_base64" in event and event.get("data") is None:
            raise EventError("CloudEvents data_base64 (binary data) is not read; expected JSON data in 'data'")
        type_key, source = "type", _required_text(event, "source")
    elif "eventType" in event:
        type_key, source = "eventType", _optional_text(event, "topic")
        # The Event Grid schema always carries a subject, "" on subscription validation events.
        if "subject" not in event:
            raise EventError("event has no 'subject'")
    else:
        raise EventError("event has neither 'eventType' (Event Grid schema) nor 'specversion' (CloudEvents 1.0)")
    return _Envelope(
        event_id=_required_text(event, "id"),
        event_type=_required_text(event, type_key),
        subject=_optional_text(event, "subject") or "",
        source=source,
        data=event.get("data"),
    )


def _required_text(event: Mapping[str, object], name: str) -> str:
    value = _optional_text(event, name)
    if not value:
        raise EventError(f"event has no {name!r}" if value is None else f"event {name!r} is empty")
    return value


def _optional_text(event: Mapping[str, object], name: str) -> str | None:
    value = event.get(name)
    if value is not None and not isinstance(value, str):
        raise EventError(f"event {name!r} is a JSON {_json_kind(value)}; expected a string")
    return value


def _parse_resource_event(envelope: _Envelope, event_type: str) -> ParsedEvent | Ignored:
    """ARM system-topic events: data.resourceUri (else the subject) is the ARM id that was written or deleted."""
    uri = _resource_uri(envelope)
    resource_id = uri or envelope.subject
    if not resource_id:
        raise EventError("event has neither data.resourceUri nor a subject")
    if uri and envelope.subject and _canonical(uri) != _canonical(envelope.subject):
        reason = f"subject {_quote_id(envelope.subject)} and data.resourceUri {_quote_id(uri)} name different resources"
        return Ignored(envelope.event_id, envelope.event_type, reason)
    outcome = _classify(resource_id)
    if isinstance(outcome, str):
        return Ignored(envelope.event_id, envelope.event_type, outcome)
    delete = event_type == RESOURCE_DELETE_SUCCESS
    if isinstance(outcome, ServiceRef) and delete:
        reason = f"API Management service {_quote(outcome.service)} was deleted; the sweep reports its collections"
        return Ignored(envelope.event_id, envelope.event_type, reason)
    # Deleting one revision (.../apis/echo;rev=2) leaves the API in place, and deleting an apiCollection leaves its
    # API unprotected: both are changes to check, not the delete of an API.
    deleted = delete and not _names_revision(resource_id) and not _names_collection(resource_id)
    return ParsedEvent(envelope.event_id, event_type, outcome, deleted)


def _parse_apim_event(envelope: _Envelope, event_type: str) -> ParsedEvent | Ignored:
    """APIM system-topic events: data.resourceUri if present, else the service id (topic/source) plus the subject."""
    resource_id = _resource_uri(envelope)
    if resource_id is not None and envelope.source and envelope.subject:
        named = f"{envelope.source.rstrip('/')}/{envelope.subject.lstrip('/')}"
        if _canonical(named) != _canonical(resource_id):
            reason = f"topic+subject {_quote_id(named)} and data.resourceUri {_quote_id(resource_id)} differ"
            return Ignored(envelope.event_id, envelope.event_type, reason)
    if resource_id is None:
        if not envelope.source:
            raise EventError("event has no data.resourceUri and no topic naming the API Management service")
        if not envelope.subject:
            raise EventError("event has no data.resourceUri and no subject naming the API")
        resource_id = f"{envelope.source.rstrip('/')}/{envelope.subject.lstrip('/')}"
    outcome = _classify(resource_id)
    if isinstance(outcome, str):
        return Ignored(envelope.event_id, envelope.event_type, outcome)
    if not isinstance(outcome, ApiRef):
        return Ignored(envelope.event_id, envelope.event_type, f"{_quote(resource_id)} is not an API")
    return ParsedEvent(envelope.event_id, event_type, outcome, event_type == APIM_API_DELETED)


def _resource_uri(envelope: _Envelope) -> str | None:
    """Return data.resourceUri, None when data or the field is absent."""
    data = envelope.data
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise EventError(f"event data is a JSON {_json_kind(data)}; expected an object")
    uri = data.get("resourceUri")
    if uri is None:
        return None
    if not isinstance(uri, str) or not uri:
        raise EventError(f"event data.resourceUri is {_show(uri)}; expected an ARM resource id")
    return uri


def _classify(resource_id: str) -> _Outcome:
    """Map an ARM id to an API or plan reference, or to the reason it is not one; keywords match in any case."""
    parts = resource_id.strip("/").split("/")
    lower = [part.lower() for part in parts]
    if len(parts) == 6 and lower[0] == "subscriptions" and lower[2:5] == _PRICINGS:
        return _classify_pricing(parts[1], parts[5])
    if len(parts) < 8 or lower[0] != "subscriptions" or lower[2] != "resourcegroups" or lower[4:7] != _APIM_SERVICES:
        return f"{_quote(resource_id)} is not an API Management API"
    service = ServiceRef(
        subscription_id=_check_not_empty("subscription id", parts[1]),
        resource_group=_check_not_empty("resource group", parts[3]),
        service=_check_service(parts[7]),
    )
    return _classify_service_child(service, parts[8:])


def _classify_pricing(subscription: str, name: str) -> _Outcome:
    """``/subscriptions/{s}/providers/Microsoft.Security/pricings/{name}``: only the ``Api`` pricing is our plan."""
    if name.lower() == "api":
        return PlanRef(_check_not_empty("subscription id", subscription))
    return f"pricing {_quote(name)} is not the Defender for APIs plan (Api)"


def _classify_service_child(service: ServiceRef, tail: list[str]) -> _Outcome:
    """Classify what sits below ``.../service/{name}``: an API, a workspace API, the apiCollection of an API (its
    write or delete changes whether that API is protected), the service itself or its tags (an exemption tag may
    have come or gone: every API of it is checked again), or some other APIM resource."""
    lower = [part.lower() for part in tail]
    if lower[:1] == ["apis"]:
        return _classify_api(service, None, tail[1:])
    if lower[:1] == ["workspaces"] and lower[2:3] == ["apis"]:
        return _classify_api(service, _check_not_empty("workspace name", tail[1]), tail[3:])
    if lower[:3] == _COLLECTIONS and len(tail) == 4:
        api_id = _check_api_id(tail[3])
        return ApiRef(service.subscription_id, service.resource_group, service.service, api_id)
    if not tail or (lower[:3] == _SERVICE_TAGS and len(tail) == 4):
        return service
    return f"{_quote('/'.join(tail))} of API Management service {_quote(service.service)} is not an API"


def _classify_api(service: ServiceRef, workspace: str | None, rest: list[str]) -> _Outcome:
    """``rest`` follows ``.../apis``: the API id, then perhaps a sub-resource path."""
    api_id = _check_api_id(rest[0] if rest else "")
    if len(rest) == 1:
        return ApiRef(service.subscription_id, service.resource_group, service.service, api_id, workspace)
    child = rest[1]
    if child.lower() in _API_CHILDREN:
        return f"{_quote(child)} of API {_quote(api_id)} is a sub-resource; only the API itself is checked"
    return f"{_quote(child)} under API {_quote(api_id)} is not a known part of an API; only the API itself is checked"


def _check_api_id(segment: str) -> str:
    """Return the API id with any revision suffix stripped, after checking it against ARM's naming rule."""
    api_id, revision = split_revision(segment)
    if revision is not None and not _REVISION_NUMBER.fullmatch(revision):
        raise EventError(f"API id {_quote(segment)} has a malformed revision suffix; expected ';rev=N'")
    if not api_id:
        raise EventError(
            f"API id is empty in {_quote(segment)}" if segment else "API id is empty: nothing follows 'apis'"
        )
    if len(api_id) > _API_ID_MAX:
        raise EventError(f"API id {_quote(api_id)} is {len(api_id)} characters long; at most {_API_ID_MAX} are allowed")
    if not _API_ID.fullmatch(api_id):
        raise EventError(f"API id {_quote(api_id)} contains a character ARM does not allow (one of * # & + : < > ? /)")
    return check_segment("API id", api_id)


def _check_service(name: str) -> str:
    """Return the APIM service name after checking it against ARM's naming rule."""
    if len(name) > _SERVICE_NAME_MAX or not _SERVICE_NAME.fullmatch(name):
        raise EventError(
            f"API Management service name {_quote(name)} is invalid; expected 1-{_SERVICE_NAME_MAX} letters, digits"
            " and hyphens, starting with a letter and not ending with a hyphen"
        )
    return name


def _check_not_empty(what: str, value: str) -> str:
    if not value:
        raise EventError(f"{what} is empty in the resource id")
    return value


def _canonical(resource_id: str) -> str:
    """An ARM id as ARM compares it: case-insensitive, without surrounding slashes."""
    return resource_id.strip("/").lower()


def _names_collection(resource_id: str) -> bool:
    """True when the id is that of an apiCollection (an extension resource of the APIM service)."""
    return "/providers/microsoft.security/apicollections/" in resource_id.lower()


def _names_revision(resource_id: str) -> bool:
    """True when the last segment of the id carries a revision suffix."""
    return split_revision(resource_id.rstrip("/").rsplit("/", 1)[-1])[1] is not None


def _type_reason(kind: str, event_type: str) -> str:
    """The sentence explaining why an event of this (lower-cased) type is not acted on."""
    if kind == SUBSCRIPTION_VALIDATION.lower():
        return "validation handshake is answered by the Functions host"
    if kind.startswith("microsoft.resources."):
        return f"{_quote(event_type)} events are not checked; only ResourceWriteSuccess and ResourceDeleteSuccess are"
    if kind.startswith("microsoft.apimanagement."):
        return f"{_quote(event_type)} events are not checked; only APICreated, APIUpdated and APIDeleted are"
    return f"event type {_quote(event_type)} is neither an ARM resource event nor an API Management API event"


def _quote(value: str) -> str:
    """Quote a value from the payload for a message: at most 100 characters, escapes instead of line breaks."""
    return repr(_truncate(value))


def _quote_id(resource_id: str) -> str:
    """Quote an ARM id for a message by its end, where ids differ: at most 100 characters."""
    tail = resource_id if len(resource_id) <= _SHOWN_MAX else f"...{resource_id[-_SHOWN_MAX:]}"
    return repr(tail)


def _truncate(text: str) -> str:
    return text if len(text) <= _SHOWN_MAX else f"{text[:_SHOWN_MAX]}..."


def _show(value: object) -> str:
    """Describe any JSON value briefly: strings quoted, everything else by its JSON kind."""
    return _quote(value) if isinstance(value, str) else f"a JSON {_json_kind(value)}"


def _json_kind(value: object) -> str:
    return _JSON_KINDS.get(type(value), type(value).__name__)


def parse_api_id(resource_id: str) -> ApiRef:
    """The API an ARM id names, checked as an event's would be (a queue message carries only the id).

    Raises:
        EventError: the id is malformed or names something other than an API.
    """
    outcome = _classify(resource_id)
    if isinstance(outcome, ApiRef):
        return outcome
    raise EventError(outcome if isinstance(outcome, str) else f"{_quote(resource_id)} is not an API")
