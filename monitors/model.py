"""Plain value types shared by every layer: references, facts, findings and their codes.

Nothing here does I/O or imports an SDK; adapters in ``monitors.azure`` build these from SDK objects and the pure
rules turn them into ``Finding`` values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from monitors.assessment import DefenderVerdict, Disagreement
from monitors.errors import InvalidNameError
from monitors.exposure import Exposure, Posture
from monitors.plans import PlanUsage


class Status(StrEnum):
    COMPLIANT = "compliant"
    NONCOMPLIANT = "noncompliant"
    NOT_APPLICABLE = "not_applicable"
    EXEMPT = "exempt"
    ERROR = "error"


class Reason(StrEnum):
    ONBOARDED = "onboarded"
    NOT_ONBOARDED = "not_onboarded"
    PLAN_NOT_ENABLED = "plan_not_enabled"
    PLAN_ENABLED = "plan_enabled"
    NON_REST_API = "non_rest_api"
    WORKSPACE_API = "workspace_api"
    UNSUPPORTED_TIER = "unsupported_tier"
    UNSUPPORTED_REGION = "unsupported_region"
    SELF_HOSTED_GATEWAY = "self_hosted_gateway"
    EXEMPT = "exempt"
    API_NOT_FOUND = "api_not_found"
    COLLECTION_WITHOUT_API = "collection_without_api"
    PERMISSION_DENIED = "permission_denied"
    ARM_ERROR = "arm_error"
    ASSESSMENT_WITHOUT_API = "assessment_without_api"  # Defender's recommendation lists an API APIM no longer has
    PLAN_CALLS_NEAR_INCLUDED = "plan_calls_near_included"  # the month's calls reach MONITOR_PLAN_ALERT_SHARE
    ONBOARDING_PAUSED = "onboarding_paused"  # a service's gateway Capacity is above MONITOR_ONBOARD_CAPACITY_LIMIT


class Action(StrEnum):
    NONE = "none"
    ONBOARDED = "onboarded"
    WOULD_ONBOARD = "would_onboard"
    ONBOARD_FAILED = "onboard_failed"
    OFFBOARDED = "offboarded"
    WOULD_OFFBOARD = "would_offboard"
    OFFBOARD_FAILED = "offboard_failed"
    ONBOARD_QUEUED = "onboard_queued"  # the event path handed onboarding to the onboarding queue
    ONBOARD_DEFERRED = "onboard_deferred"  # the per-service onboarding rate limit was reached; retried later
    AWAITING_APPROVAL = "awaiting_approval"  # MONITOR_AUTO_ONBOARD=approve: the alert carries Onboard / Exempt links
    EXEMPTED = "exempted"  # an approver exempted the API from its alert (the service's exemption tag was written)


class Coverage(StrEnum):
    """How much of Defender protects an API: nothing; the Defender CSPM plan's API security posture (discovery and
    posture, no threat detection); or its own apiCollection under the Defender for APIs plan (threat detection)."""

    NOT_COVERED = "not_covered"
    POSTURE_ONLY = "posture_only"
    THREAT_PROTECTED = "threat_protected"


class Severity(StrEnum):
    """How much a finding matters, worst first; ``monitors.severity`` grades every finding by one table."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for critical up to 4 for info: sorts worst first."""
        return list(Severity).index(self)

    def at_least(self, threshold: Severity) -> bool:
        return self.rank <= threshold.rank


class EventClaim(StrEnum):
    """What claiming an event id before working on it says: ours to process, already done, or being processed by
    another invocation right now (a redelivery that came while the first was still working)."""

    CLAIMED = "claimed"
    DONE = "done"
    BUSY = "busy"


class Kind(StrEnum):
    API = "api"
    PLAN = "plan"
    ORPHAN_COLLECTION = "orphan_collection"


class WriteMode(StrEnum):
    """Whether the monitor writes to Defender: MONITOR_AUTO_ONBOARD (onboarding) and MONITOR_AUTO_OFFBOARD_ORPHANS
    (deleting orphan collections) each take one."""

    OFF = "off"
    DRY_RUN = "dry-run"
    ON = "on"
    APPROVE = "approve"  # MONITOR_AUTO_ONBOARD only: alerts carry signed Onboard / Exempt links for a person to decide


class SelfHostedMode(StrEnum):
    CHECK = "check"
    SKIP = "skip"


def normalize_region(name: str) -> str:
    """Turn ARM's display form ("East US 2") and its code form ("eastus2") into one comparable key."""
    return "".join(name.split()).lower()


# A revision suffix: echo-api;rev=2 in ARM's lists, also echo-api;Rev=2 and, URL-encoded, echo-api%3Brev%3D2 in event
# subjects. A revision is the same API.
_REVISION = re.compile(r"(?:;|%3B)rev(?:=|%3D)", re.IGNORECASE)


def split_revision(name: str) -> tuple[str, str | None]:
    """``echo-api;rev=2`` -> (``echo-api``, ``2``); a name without a revision suffix -> (name, None)."""
    pieces = _REVISION.split(name, maxsplit=1)
    return pieces[0], pieces[1] if len(pieces) == 2 else None


_SEGMENT_MAX = 256  # ARM's longest name among those we address (an API id); shorter limits are checked at the edge


def check_segment(what: str, value: str) -> str:
    """Return ``value`` if it can stand as one segment of an ARM request path, else raise InvalidNameError.

    Every request path is built from these references, and HTTP clients resolve ``.`` and ``..`` segments: an API
    named ``..`` would address the resource above it. ARM allows none of these characters in the names we keep.
    """
    if not value or value in (".", "..") or len(value) > _SEGMENT_MAX:
        raise InvalidNameError(f"{what} {value[:100]!r} is not a valid ARM name (empty, '.', '..' or too long)")
    if any(c in "/\\" or ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidNameError(f"{what} {value[:100]!r} contains '/', '\\' or a control character")
    return value


def is_valid_segment(value: str) -> bool:
    """True when ``value`` passes ``check_segment``: a name from an ARM list that may be addressed."""
    try:
        check_segment("name", value)
    except InvalidNameError:
        return False
    return True


@dataclass(frozen=True)
class ServiceRef:
    """One APIM service, named as ARM names it (names keep their case; ARM compares them case-insensitively)."""

    subscription_id: str
    resource_group: str
    service: str

    def __post_init__(self) -> None:
        check_segment("subscription id", self.subscription_id)
        check_segment("resource group", self.resource_group)
        check_segment("API Management service name", self.service)

    @property
    def resource_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.ApiManagement/service/{self.service}"
        )


@dataclass(frozen=True)
class ApiRef:
    """One API of an APIM service; ``workspace`` is set for APIs that live in an APIM workspace."""

    subscription_id: str
    resource_group: str
    service: str
    api_id: str
    workspace: str | None = None

    def __post_init__(self) -> None:
        self.service_ref  # noqa: B018 - validates the service's segments
        check_segment("API id", self.api_id)
        if self.workspace is not None:
            check_segment("workspace name", self.workspace)

    @property
    def service_ref(self) -> ServiceRef:
        return ServiceRef(self.subscription_id, self.resource_group, self.service)

    @property
    def resource_id(self) -> str:
        middle = f"/workspaces/{self.workspace}" if self.workspace else ""
        return f"{self.service_ref.resource_id}{middle}/apis/{self.api_id}"

    @property
    def collection_id(self) -> str:
        return f"{self.service_ref.resource_id}/providers/Microsoft.Security/apiCollections/{self.api_id}"

    @property
    def key(self) -> str:
        """Case-insensitive identity, for dedupe and state."""
        return self.resource_id.lower()


@dataclass(frozen=True)
class PlanRef:
    """The Defender for APIs plan (``Microsoft.Security/pricings/Api``) of one subscription."""

    subscription_id: str

    @property
    def resource_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/providers/Microsoft.Security/pricings/Api"


@dataclass(frozen=True)
class ApiFacts:
    """What ARM says about one API; ``api_type`` is already normalised (absent on the wire means ``http``)."""

    api_id: str
    display_name: str
    api_type: str
    is_current: bool
    workspace: str | None = None
    subscription_required: bool | None = None  # None: ARM's properties did not say
    oauth: bool | None = None  # authenticationSettings names an OAuth 2.0 / OpenID server (see Exposure)
    protocols: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceFacts:
    """What ARM says about one APIM service; ``self_hosted_api_ids`` is None when gateways were not looked up."""

    ref: ServiceRef
    sku: str
    location: str
    tags: dict[str, str]
    self_hosted_api_ids: frozenset[str] | None = None
    public_network_access: str | None = None  # "Enabled" / "Disabled"; None when not read
    virtual_network_type: str | None = None  # "None" / "External" / "Internal"; None when not read

    def exposure_of(self, api: ApiFacts) -> Exposure:
        """What APIM says about how ``api`` of this service can be reached."""
        return Exposure(
            subscription_required=api.subscription_required,
            oauth=api.oauth,
            protocols=api.protocols,
            public_network_access=self.public_network_access,
            virtual_network_type=self.virtual_network_type,
        )


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class CollectionFacts:
    """One ``Microsoft.Security/apiCollections`` resource of an APIM service, with Defender's posture of it."""

    api_id: str
    resource_id: str
    provisioning_state: str | None
    display_name: str | None = None
    posture: Posture | None = None

    @property
    def succeeded(self) -> bool:
        """ARM's convention: a resource without ``provisioningState`` was provisioned synchronously, so it is done."""
        return (self.provisioning_state or "Succeeded").lower() == "succeeded"

    @property
    def settled(self) -> bool:
        """True once provisioning has ended, well or badly; nothing more will change without a new request."""
        return self.succeeded or (self.provisioning_state or "").lower() in ("failed", "canceled")


@dataclass(frozen=True)
class PlanFacts:
    """The Defender for APIs pricing of one subscription."""

    subscription_id: str
    pricing_tier: str
    sub_plan: str | None = None
    api_posture: bool = False  # Defender CSPM (CloudPosture) is Standard with its ApiPosture extension on

    @property
    def enabled(self) -> bool:
        return self.pricing_tier.lower() == "standard"


@dataclass(frozen=True)
class Exemption:
    """A parsed exemption tag: why, and until when (None means no expiry)."""

    reason: str
    expires: dt.date | None


@dataclass(frozen=True)
class FindingSource:
    """Where a template declares the finding's subject: the file as given and its 1-based line (None: unknown)."""

    file: str
    line: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FindingSource:
        line = data.get("line")
        return cls(str(data["file"]), line if isinstance(line, int) and not isinstance(line, bool) else None)


@dataclass(frozen=True)
class Finding:
    """The verdict on one API, plan or collection, in the shape of the findings JSON contract."""

    kind: Kind
    resource_id: str
    subscription_id: str
    resource_group: str
    service: str
    api: str
    display_name: str
    status: Status
    reason: Reason
    detail: str
    action: Action = Action.NONE
    collection_id: str | None = None
    posture: Posture | None = None  # Defender's view of an onboarded API; absent from the JSON when None
    exposure: Exposure | None = None  # APIM's view of an API that is not onboarded; absent from the JSON when None
    severity: Severity | None = None  # set by the rules (monitors.severity); None only for findings stored before it
    coverage: Coverage | None = None  # an API's; None for other kinds and for what could not be checked
    defender: DefenderVerdict | None = None  # Defender's recommendation for the API, when the sweep read it
    disagreement: Disagreement | None = None  # where that verdict and the monitor's differ
    plan_usage: PlanUsage | None = None  # a plan finding's month of traffic, priced on the sub-plans
    owner: str | None = None  # "tag=value": whose alerts these are (monitors.routing); None for the default route
    source: FindingSource | None = None  # a template scan's: the file and line declaring the API
    fix: str | None = None  # a template scan's: the exact Bicep or ARM JSON to add (the API's apiCollection)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Finding:
        """Inverse of ``to_dict``, for findings read back from the outbox."""
        return cls(
            kind=Kind(str(data["kind"])),
            resource_id=str(data["resource_id"]),
            subscription_id=str(data["subscription_id"]),
            resource_group=str(data["resource_group"]),
            service=str(data["service"]),
            api=str(data["api"]),
            display_name=str(data["display_name"]),
            status=Status(str(data["status"])),
            reason=Reason(str(data["reason"])),
            detail=str(data["detail"]),
            action=Action(str(data["action"])),
            collection_id=_optional(data.get("collection_id")),
            posture=Posture.from_dict(posture) if isinstance(posture := data.get("posture"), Mapping) else None,
            exposure=Exposure.from_dict(exposure) if isinstance(exposure := data.get("exposure"), Mapping) else None,
            severity=Severity(str(severity)) if (severity := data.get("severity")) in _SEVERITIES else None,
            coverage=Coverage(str(coverage)) if (coverage := data.get("coverage")) in _COVERAGES else None,
            defender=_verdict(assessment := data.get("defender_assessment")),
            disagreement=_disagreement(assessment),
            plan_usage=PlanUsage.from_dict(usage) if isinstance(usage := data.get("plan_usage"), Mapping) else None,
            owner=owner if isinstance(owner := data.get("owner"), str) and owner else None,
            source=FindingSource.from_dict(source) if isinstance(source := data.get("source"), Mapping) else None,
            fix=fix if isinstance(fix := data.get("fix"), str) and fix else None,
        )

    def to_dict(self) -> dict[str, object]:
        """The findings JSON's form of one finding; ``severity``, ``posture`` and ``exposure`` only when known."""
        extra: dict[str, object] = {}
        if self.severity is not None:
            extra["severity"] = self.severity.value
        if self.posture is not None:
            extra["posture"] = self.posture.to_dict()
        if self.exposure is not None:
            extra["exposure"] = self.exposure.to_dict()
        if self.coverage is not None:
            extra["coverage"] = self.coverage.value
        if self.defender is not None:
            disagreement = {"disagreement": self.disagreement.value} if self.disagreement else {}
            extra["defender_assessment"] = self.defender.to_dict() | disagreement
        if self.plan_usage is not None:
            extra["plan_usage"] = self.plan_usage.to_dict()
        if self.owner is not None:
            extra["owner"] = self.owner
        if self.source is not None:
            extra["source"] = self.source.to_dict()
        if self.fix is not None:
            extra["fix"] = self.fix
        base: dict[str, object] = {
            "kind": self.kind.value,
            "resource_id": self.resource_id,
            "subscription_id": self.subscription_id,
            "resource_group": self.resource_group,
            "service": self.service,
            "api": self.api,
            "display_name": self.display_name,
            "status": self.status.value,
            "reason": self.reason.value,
            "detail": self.detail,
            "action": self.action.value,
            "collection_id": self.collection_id,
        }
        return base | extra


_SEVERITIES = frozenset(s.value for s in Severity)
_COVERAGES = frozenset(c.value for c in Coverage)
_DISAGREEMENTS = frozenset(d.value for d in Disagreement)


def _verdict(assessment: object) -> DefenderVerdict | None:
    """The ``defender`` field from a finding's ``defender_assessment`` object."""
    return DefenderVerdict.from_dict(assessment) if isinstance(assessment, Mapping) else None


def _disagreement(assessment: object) -> Disagreement | None:
    value = assessment.get("disagreement") if isinstance(assessment, Mapping) else None
    return Disagreement(str(value)) if value in _DISAGREEMENTS else None


class AlertKind(StrEnum):
    """Why people are told: a new problem, a fix, a reminder, or an automatic onboarding."""

    NEW = "new"
    RESOLVED = "resolved"
    RENOTIFY = "renotify"
    ONBOARDED = "onboarded"


@dataclass(frozen=True)
class Alert:
    """One transition worth telling people about. ``alert_id`` is deterministic, so a retried or concurrent
    computation of the same transition yields the same id."""

    alert_id: str
    kind: AlertKind
    finding: Finding
    created_at: dt.datetime

    def to_dict(self) -> dict[str, object]:
        return {
            "alert_id": self.alert_id,
            "kind": self.kind.value,
            "created_at": self.created_at.isoformat(),
            "finding": self.finding.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Alert:
        finding = data["finding"]
        if not isinstance(finding, dict):
            raise ValueError("alert finding must be an object")
        return cls(
            alert_id=str(data["alert_id"]),
            kind=AlertKind(str(data["kind"])),
            finding=Finding.from_dict(finding),
            created_at=dt.datetime.fromisoformat(str(data["created_at"])),
        )


@dataclass(frozen=True)
class StatusRecord:
    """The last known verdict on one API (key: lower-cased resource id) and when people were last told.
    ``etag`` is the store's concurrency token: None for a record never stored."""

    key: str
    status: Status
    reason: Reason
    changed_at: dt.datetime
    alerted_at: dt.datetime | None = None
    etag: str | None = None


DIGEST_ID_MARK = "-digest-"  # in every digest's outbox id; read only for items stored before the ``digest`` field


@dataclass(frozen=True)
class OutboxItem:
    """One message for one sink: a single alert (event path) or a digest of many (sweep, CLI).
    Stored before it is sent; deleted only after the sink accepted it. Holds the sink's name, never its URL."""

    item_id: str
    sink: str
    alerts: tuple[Alert, ...]
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    attempts: int = 0
    last_error: str | None = None
    parked: bool = False
    etag: str | None = None
    digest: bool = False  # a digest of a sweep or a scan: the dispatcher merges the digests due for one sink


@dataclass(frozen=True)
class Meter:
    """A number shared by every instance through the state store, with the time it was last written (e.g. the
    level of a shared request budget). ``etag`` is the store's concurrency token: None for a meter never stored."""

    key: str
    value: float
    stamp: dt.datetime
    etag: str | None = None


@dataclass(frozen=True)
class DecisionRecord:
    """One approver's decision on an approval link, as the audit trail keeps it: who, what, on which API, when,
    and what came of it. ``nonce`` is the link's, so a link has at most one record."""

    nonce: str
    decision: str  # onboard | exempt
    api_id: str
    approver: str
    at: dt.datetime
    result: str  # onboarded | queued | exempted | failed | changed | refused
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {
            "nonce": self.nonce,
            "decision": self.decision,
            "api_id": self.api_id,
            "approver": self.approver,
            "at": self.at.isoformat(),
            "result": self.result,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> DecisionRecord:
        return cls(
            nonce=str(data["nonce"]),
            decision=str(data["decision"]),
            api_id=str(data["api_id"]),
            approver=str(data["approver"]),
            at=dt.datetime.fromisoformat(str(data["at"])),
            result=str(data["result"]),
            detail=str(data["detail"]),
        )


def _time_or_none(value: object) -> dt.datetime | None:
    return dt.datetime.fromisoformat(str(value)) if value else None


@dataclass(frozen=True)
class ProtectionRecord:
    """How long one API went unprotected (key: lower-cased resource id): its first write as Event Grid timed it,
    when its apiCollection was Succeeded, and when Defender's verdict on it first read Healthy. ``etag`` is the
    store's concurrency token: None for a record never stored."""

    key: str
    first_write_at: dt.datetime
    onboarded_at: dt.datetime | None = None
    healthy_at: dt.datetime | None = None
    etag: str | None = None

    def seconds_to(self, stage: str) -> float | None:
        """Seconds from the first write to ``onboarded`` or ``healthy``; None until then."""
        reached = self.onboarded_at if stage == "onboarded" else self.healthy_at
        return None if reached is None else max((reached - self.first_write_at).total_seconds(), 0.0)

    def to_dict(self) -> dict[str, str | None]:
        return {
            "key": self.key,
            "first_write_at": self.first_write_at.isoformat(),
            "onboarded_at": self.onboarded_at.isoformat() if self.onboarded_at else None,
            "healthy_at": self.healthy_at.isoformat() if self.healthy_at else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object], etag: str | None = None) -> ProtectionRecord:
        return cls(
            key=str(data["key"]),
            first_write_at=dt.datetime.fromisoformat(str(data["first_write_at"])),
            onboarded_at=_time_or_none(data.get("onboarded_at")),
            healthy_at=_time_or_none(data.get("healthy_at")),
            etag=etag,
        )


@dataclass(frozen=True)
class CoverageSnapshot:
    """One subscription's coverage at one time, as the state store knew it: applicable APIs and those onboarded."""

    at: dt.datetime
    subscription_id: str
    applicable: int
    onboarded: int

    @property
    def ratio(self) -> float | None:
        return self.onboarded / self.applicable if self.applicable else None
