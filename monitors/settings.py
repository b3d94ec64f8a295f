"""Every MONITOR_* setting, read once from the environment into a frozen, validated ``Settings``.

A bad value raises ``SettingsError`` with one line that names the setting and what is allowed (never the value of a
secret); a value that would make a gate pass silently (an empty or misspelt region or tier list) is a bad value, and
an unknown MONITOR_* name is logged as a warning naming the closest setting. Nothing else in the project reads the
environment: entry points call ``load_settings()`` and pass the result down.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

from monitors import ncrontab, routing
from monitors.approval_token import MIN_KEY_BYTES
from monitors.errors import SettingsError
from monitors.model import SelfHostedMode, WriteMode, normalize_region
from monitors.plans import DEFAULT_PLANS, PlanTier, parse_plan_table
from monitors.urls import is_loopback, url_problem

# Microsoft's prerequisites page for Defender for APIs (defender-for-apis-prepare), newest copy; EUAP canaries included.
DEFAULT_SUPPORTED_REGIONS = (
    "Southeast Asia,East Asia,Australia East,Australia Southeast,Australia Central,Australia Central 2,Brazil South,"
    "Brazil Southeast,Canada Central,Canada East,West Europe,North Europe,France Central,France South,"
    "Germany West Central,Germany North,Central India,South India,West India,Italy North,Japan East,Japan West,"
    "Korea Central,Korea South,Norway East,Norway West,South Africa North,South Africa West,Sweden Central,"
    "Sweden South,Switzerland North,Switzerland West,UK South,UK West,East US,East US 2,West US,West US 2,West US 3,"
    "Central US,North Central US,South Central US,West Central US,East US 2 EUAP,Central US EUAP"
)
# Same page: "available in the Premium, Standard, Basic, and Developer tiers" (not Consumption, not the v2 tiers).
DEFAULT_SUPPORTED_TIERS = "Developer,Basic,Standard,Premium"
DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
MIN_STATE_TTL_DAYS = 2

# Programmatic names of the Azure regions: the public cloud per Microsoft's "Azure regions list"
# (https://learn.microsoft.com/azure/reliability/regions-list, 2025-09-23), plus the restricted and canary regions
# ARM reports (swedensouth, jioindia*, *euap) and the sovereign clouds (Azure.Core's AzureLocation). A region newer
# than this list is given with a leading "+" in MONITOR_SUPPORTED_REGIONS and taken as is.
_REGION_NAMES = (
    "australiacentral australiacentral2 australiaeast australiasoutheast austriaeast belgiumcentral brazilsouth "
    "brazilsoutheast canadacentral canadaeast centralindia centralus chilecentral denmarkeast eastasia eastus eastus2 "
    "francecentral francesouth germanynorth germanywestcentral indonesiacentral israelcentral italynorth japaneast "
    "japanwest jioindiacentral jioindiawest koreacentral koreasouth malaysiawest mexicocentral newzealandnorth "
    "northcentralus northeurope norwayeast norwaywest polandcentral qatarcentral southafricanorth southafricawest "
    "southcentralus southindia southeastasia spaincentral swedencentral swedensouth switzerlandnorth switzerlandwest "
    "uaecentral uaenorth uksouth ukwest westcentralus westeurope westindia westus westus2 westus3 "
    "centraluseuap eastus2euap "
    "usgovarizona usgoviowa usgovtexas usgovvirginia usdodcentral usdodeast "
    "chinaeast chinaeast2 chinaeast3 chinanorth chinanorth2 chinanorth3"
)
KNOWN_REGIONS = frozenset(_REGION_NAMES.split())
# The APIM service SKUs: SkuType in the ApiManagement REST spec (azure-mgmt-apimanagement 5.0.0 lists all but
# PremiumV2, which later API versions add). Newer ones are given with a leading "+", as for regions.
KNOWN_TIERS = frozenset(
    {"developer", "basic", "standard", "premium", "consumption", "isolated", "basicv2", "standardv2", "premiumv2"}
)

_Mode = TypeVar("_Mode", WriteMode, SelfHostedMode)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one process; secret-bearing fields are left out of its repr. The defaults here
    are the only ones: ``load_settings`` uses them for every setting that is not set."""

    arm_endpoint: str = DEFAULT_ARM_ENDPOINT
    subscriptions: tuple[str, ...] = ()
    client_id: str | None = None
    auto_onboard: WriteMode = WriteMode.OFF
    auto_offboard_orphans: WriteMode = WriteMode.OFF
    # Onboarding waves, per APIM service: at most onboard_wave_size onboardings a wave, waves onboard_wave_minutes
    # apart, one token bucket per service for all instances (monitors.remediation). MONITOR_ONBOARD_MAX_PER_MINUTE is
    # the older name for the wave size of one-minute waves: unset wave settings take it (its default, 10, is the
    # default wave size), and once set it caps MONITOR_ONBOARD_WAVE_SIZE, since a wave onboards within its first
    # minute. Before each wave the service's Capacity metric is read (once per wave, shared through the state store);
    # above onboard_capacity_limit percent the service's onboarding pauses until a reading is at or below it again.
    # 100 turns the capacity check off (no metric is read).
    onboard_max_per_minute: int = 10
    onboard_wave_size: int = 10
    onboard_wave_minutes: float = 1.0
    onboard_capacity_limit: float = 70.0
    onboard_timeout_seconds: float = 120.0
    onboard_poll_seconds: float = 2.0
    exempt_tag: str = "defender-apis-exempt"
    supported_regions: frozenset[str] = frozenset(normalize_region(r) for r in DEFAULT_SUPPORTED_REGIONS.split(","))
    supported_tiers: frozenset[str] = frozenset(t.lower() for t in DEFAULT_SUPPORTED_TIERS.split(","))
    self_hosted: SelfHostedMode = SelfHostedMode.CHECK
    cache_seconds: float = 300.0
    arm_retries: int = 4
    arm_retry_backoff: float = 0.8
    arm_timeout_seconds: float = 30.0
    arm_max_retry_after_seconds: float = 10.0
    arm_reads_per_second: float = 20.0
    teams_webhook_url: str | None = field(default=None, repr=False)
    slack_webhook_url: str | None = field(default=None, repr=False)
    webhook_url: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    eventgrid_topic_endpoint: str | None = field(default=None, repr=False)
    eventgrid_topic_key: str | None = field(default=None, repr=False)
    state: str | None = field(default=None, repr=False)
    webjobs_storage: str | None = field(default=None, repr=False)
    queue_service_uri: str | None = None
    renotify_hours: float = 24.0
    sweep_queue: str = "apim-sweep"
    onboard_queue: str = "apim-onboard"
    sweep_schedule: str = "0 0 * * * *"
    alert_max_attempts: int = 8
    alert_retry_seconds: float = 30.0
    plan_usage: bool = True
    plan_table: tuple[PlanTier, ...] = DEFAULT_PLANS
    plan_alert_share: float = 0.8
    owner_tags: tuple[str, ...] = routing.DEFAULT_OWNER_TAGS
    routes: tuple[routing.Route, ...] = ()  # each names the app setting holding its URL, never the URL
    route_urls: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # (setting name, its URL): secrets
    approval_url: str | None = None
    approval_keys: tuple[bytes, ...] = field(default=(), repr=False)  # the current key first, then the previous one
    approval_hours: float = 72.0
    exempt_days: int = 30
    approvers: tuple[str, ...] = ()
    approval_local_user: str | None = None
    # Seen-event rows and delivery markers older than state_ttl_days are pruned by the outbox timer, prune_page rows a
    # page, until pruning took prune_share of the timer's 5-minute period. Event Grid retries an event for at most
    # 24 h, so at least 2.
    state_ttl_days: float = 30.0
    prune_page: int = 100
    prune_share: float = 0.2
    # Event Grid's dead-letter container for ``replay --dead-letter``, in MONITOR_DEADLETTER_ACCOUNT_URL's account or
    # else the state storage account's (``deadletter_storage``); blob_service_uri: AzureWebJobsStorage__blobServiceUri.
    deadletter_container: str = "deadletter"
    deadletter_account_url: str | None = None
    blob_service_uri: str | None = None
    easy_auth: bool = False  # WEBSITE_AUTH_ENABLED: App Service authentication is on (only then is its header trusted)
    # Where a CLI run sends its OpenTelemetry (the function app's worker sets up its own): off, console, otlp, azure.
    otel: str = "off"

    @property
    def alerting(self) -> bool:
        """True when at least one alert sink is configured."""
        sinks = (self.teams_webhook_url, self.slack_webhook_url, self.webhook_url, self.eventgrid_topic_endpoint)
        return any(sinks) or bool(self.routes)

    def state_spec(self, *, in_azure: bool) -> str | None:
        """Where state lives: MONITOR_STATE, else the Functions storage account in Azure; None means none needed."""
        if self.state:
            return self.state
        if in_azure and self.webjobs_storage:
            return f"tables:{self.webjobs_storage}"
        return None

    @property
    def queue_storage(self) -> str | None:
        """The Functions storage for the queues: a connection string, or the account's queue endpoint."""
        storage = self.webjobs_storage
        if storage and storage.lower().startswith("https://"):
            return self.queue_service_uri
        return storage

    @property
    def deadletter_storage(self) -> str | None:
        """Where Event Grid's dead letters are: MONITOR_DEADLETTER_ACCOUNT_URL, else the state storage account's blob
        service: the connection string of MONITOR_STATE=tables:... or of AzureWebJobsStorage (the SDK finds its blob
        endpoint), or, identity-based, the account's blob endpoint (``AzureWebJobsStorage__blobServiceUri``, else its
        table endpoint's ``.table.`` read as ``.blob.``). None when no storage account is set. Raises SettingsError
        for a table endpoint whose blob endpoint cannot be told (``load_settings`` asks once, so that is at start)."""
        if self.deadletter_account_url:
            return self.deadletter_account_url
        scheme, _, target = (self.state or "").strip().partition(":")
        from_state = scheme.lower() == "tables"
        account = target.strip() if from_state else (self.webjobs_storage or "")
        if not account.lower().startswith("https://"):
            return account or None
        if self.blob_service_uri and not from_state:
            return self.blob_service_uri
        host = urlsplit(account).hostname or ""
        if ".blob." in host:
            return account
        if ".table." not in host:
            raise SettingsError(
                "MONITOR_DEADLETTER_ACCOUNT_URL: required, since the state account's blob endpoint cannot be told from"
                " its table endpoint"
            )
        return account.replace(".table.", ".blob.", 1)

    @property
    def uses_emulator(self) -> bool:
        """True when ARM is a local emulator on loopback: no Azure login, a static token."""
        return urlsplit(self.arm_endpoint).scheme == "http"


_DEFAULTS = Settings()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting; ``environ`` defaults to the process environment. An unknown MONITOR_* name
    is logged as a warning naming the closest setting, so a typo does not pass silently."""
    env = _Reads(os.environ if environ is None else environ)
    d = _DEFAULTS
    owner_tags = _owner_tags(env)
    routes, route_urls = _routes(env, owner_tags)
    settings = Settings(
        arm_endpoint=_arm_endpoint(env),
        subscriptions=_subscriptions(env),
        client_id=env.get("AZURE_CLIENT_ID") or None,
        auto_onboard=_choice(env, "MONITOR_AUTO_ONBOARD", d.auto_onboard),
        auto_offboard_orphans=_offboard_mode(env),
        onboard_max_per_minute=int(
            _number(env, "MONITOR_ONBOARD_MAX_PER_MINUTE", d.onboard_max_per_minute, minimum=1, whole=True)
        ),
        onboard_wave_size=_wave_size(env),
        onboard_wave_minutes=_number(env, "MONITOR_ONBOARD_WAVE_MINUTES", d.onboard_wave_minutes, minimum=1),
        onboard_capacity_limit=_percent(env, "MONITOR_ONBOARD_CAPACITY_LIMIT", d.onboard_capacity_limit),
        onboard_timeout_seconds=_number(env, "MONITOR_ONBOARD_TIMEOUT_SECONDS", d.onboard_timeout_seconds, minimum=1),
        onboard_poll_seconds=_number(env, "MONITOR_ONBOARD_POLL_SECONDS", d.onboard_poll_seconds, minimum=0),
        exempt_tag=_exempt_tag(env),
        supported_regions=_known_list(
            env, "MONITOR_SUPPORTED_REGIONS", d.supported_regions, KNOWN_REGIONS, normalize_region, "region"
        ),
        supported_tiers=_known_list(
            env, "MONITOR_SUPPORTED_TIERS", d.supported_tiers, KNOWN_TIERS, str.lower, "APIM SKU"
        ),
        self_hosted=_choice(env, "MONITOR_SELF_HOSTED", d.self_hosted),
        cache_seconds=_number(env, "MONITOR_CACHE_SECONDS", d.cache_seconds, minimum=0),
        arm_retries=int(_number(env, "MONITOR_ARM_RETRIES", d.arm_retries, minimum=0, whole=True)),
        arm_retry_backoff=_number(env, "MONITOR_ARM_RETRY_BACKOFF", d.arm_retry_backoff, minimum=0),
        arm_timeout_seconds=_number(env, "MONITOR_ARM_TIMEOUT_SECONDS", d.arm_timeout_seconds, minimum=1),
        # Longer Retry-After answers end the retries (a 429 to redeliver): the event path must answer in ~30 s.
        arm_max_retry_after_seconds=_number(
            env, "MONITOR_ARM_MAX_RETRY_AFTER_SECONDS", d.arm_max_retry_after_seconds, minimum=0
        ),
        arm_reads_per_second=_number(env, "MONITOR_ARM_READS_PER_SECOND", d.arm_reads_per_second, minimum=0.1),
        teams_webhook_url=_webhook_url(env, "MONITOR_TEAMS_WEBHOOK_URL"),
        slack_webhook_url=_webhook_url(env, "MONITOR_SLACK_WEBHOOK_URL"),
        webhook_url=_webhook_url(env, "MONITOR_WEBHOOK_URL"),
        webhook_secret=_webhook_secret(env),
        eventgrid_topic_endpoint=_webhook_url(env, "MONITOR_EVENTGRID_TOPIC_ENDPOINT"),
        eventgrid_topic_key=env.get("MONITOR_EVENTGRID_TOPIC_KEY") or None,
        state=env.get("MONITOR_STATE") or None,
        webjobs_storage=_webjobs_storage(env),
        queue_service_uri=_service_uri(env, "queue"),
        renotify_hours=_number(env, "MONITOR_RENOTIFY_HOURS", d.renotify_hours, minimum=0),
        sweep_queue=_queue_name(env, "MONITOR_SWEEP_QUEUE", d.sweep_queue),
        onboard_queue=_queue_name(env, "MONITOR_ONBOARD_QUEUE", d.onboard_queue),
        sweep_schedule=_schedule(env),
        alert_max_attempts=int(_number(env, "MONITOR_ALERT_MAX_ATTEMPTS", d.alert_max_attempts, minimum=1, whole=True)),
        alert_retry_seconds=_number(env, "MONITOR_ALERT_RETRY_SECONDS", d.alert_retry_seconds, minimum=0),
        plan_usage=_on_off(env, "MONITOR_PLAN_USAGE", d.plan_usage),
        plan_table=_plan_table(env),
        plan_alert_share=_share(env, "MONITOR_PLAN_ALERT_SHARE", d.plan_alert_share, maximum=10),
        owner_tags=owner_tags,
        routes=routes,
        route_urls=route_urls,
        approval_url=_approval_url(env),
        approval_keys=_approval_keys(env),
        approval_hours=_number(env, "MONITOR_APPROVAL_HOURS", d.approval_hours, minimum=0.1),
        exempt_days=int(_number(env, "MONITOR_EXEMPT_DAYS", d.exempt_days, minimum=1, whole=True)),
        approvers=_approvers(env),
        approval_local_user=_approval_local_user(env),
        state_ttl_days=_state_ttl_days(env),
        prune_page=int(_number(env, "MONITOR_PRUNE_PAGE", d.prune_page, minimum=1, whole=True)),
        prune_share=_share(env, "MONITOR_PRUNE_SHARE", d.prune_share, maximum=1),
        deadletter_container=_queue_name(env, "MONITOR_DEADLETTER_CONTAINER", d.deadletter_container),
        deadletter_account_url=_deadletter_account_url(env),
        blob_service_uri=_service_uri(env, "blob"),
        easy_auth=env.get("WEBSITE_AUTH_ENABLED", "").strip().lower() == "true",
        otel=_otel(env),
    )
    _check_approval(settings)
    _ = settings.deadletter_storage  # a state account whose blob endpoint cannot be told fails at start
    _check_state_ttl(settings)
    _check_default_route(settings)
    _warn_unknown(env)
    return settings


class _Reads(Mapping[str, str]):
    """The environment, remembering every name looked up: the settings load_settings reads are, by construction,
    the names it asked for, so the list of known settings has one owner and cannot drift."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self.names: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.names.add(name)
        return self._env[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._env)

    def __len__(self) -> int:
        return len(self._env)


def _warn_unknown(env: _Reads) -> None:
    # Compared without the shared prefix, which would make every name look close to every other.
    known = {name.removeprefix("MONITOR_"): name for name in env.names if name.startswith("MONITOR_")}
    for name in sorted(n for n in env if n.startswith("MONITOR_") and n not in env.names):
        close = difflib.get_close_matches(name.removeprefix("MONITOR_"), sorted(known), n=1)
        hint = f"did you mean {known[close[0]]}?" if close else "no setting has a similar name"
        log.warning("%r is not a setting this app reads (%s); it is ignored", name[:80], hint)


def _csv(env: Mapping[str, str], name: str, default: str) -> list[str]:
    return [part.strip() for part in env.get(name, default).split(",") if part.strip()]


def _known_list(
    env: Mapping[str, str],
    name: str,
    default: frozenset[str],
    known: frozenset[str],
    normalize: Callable[[str], str],
    what: str,
) -> frozenset[str]:
    """A comma list of known names; an empty list or an unknown name is an error (either would make every API
    not applicable and a gate pass), and a name with a leading "+" is a new one, taken as is."""
    if name not in env:
        return default
    items = _csv(env, name, "")
    if not items:
        raise SettingsError(f"{name} is set but empty: unset it for the default, or list at least one {what}")
    values = set()
    for item in items:
        value = normalize(item.removeprefix("+"))
        if not value or (not item.startswith("+") and value not in known):
            raise SettingsError(
                f"{name}: {item[:40]!r} is not a known {what}; check the spelling, or write '+{item[:40]}' to accept"
                " one newer than this list"
            )
        values.add(value)
    return frozenset(values)


_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _subscriptions(env: Mapping[str, str]) -> tuple[str, ...]:
    items = _csv(env, "MONITOR_SUBSCRIPTIONS", "")
    for item in items:
        if not _GUID.fullmatch(item):
            raise SettingsError(
                f"MONITOR_SUBSCRIPTIONS: {item[:40]!r} is not a subscription id; expected comma-separated GUIDs like"
                " 00000000-0000-0000-0000-000000000000, or nothing for every readable subscription"
            )
    return tuple(items)


# Tag names: at most 512 characters and none of < > % & \ ? / (Azure's tag rules,
# https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations).
_TAG_FORBIDDEN = set("<>%&\\?/")


def _exempt_tag(env: Mapping[str, str]) -> str:
    tag = env.get("MONITOR_EXEMPT_TAG", "").strip() or _DEFAULTS.exempt_tag
    if len(tag) > 512 or any(ch in _TAG_FORBIDDEN or unicodedata.category(ch) == "Cc" for ch in tag):
        raise SettingsError(
            f"MONITOR_EXEMPT_TAG={tag[:40]!r}: expected an Azure tag name of at most 512 characters, without"
            " < > % & \\ ? / or control characters"
        )
    return tag


def _owner_tags(env: Mapping[str, str]) -> tuple[str, ...]:
    """MONITOR_OWNER_TAGS: the tag names that name an owner, tried in order; each an Azure tag name."""
    tags = [tag.lower() for tag in _csv(env, "MONITOR_OWNER_TAGS", "")] or list(_DEFAULTS.owner_tags)
    for tag in tags:
        if len(tag) > 512 or any(ch in _TAG_FORBIDDEN or unicodedata.category(ch) == "Cc" for ch in tag):
            raise SettingsError(
                f"MONITOR_OWNER_TAGS: {tag[:40]!r} is not an Azure tag name; expected comma-separated tag names of at"
                " most 512 characters, without < > % & \\ ? / or control characters"
            )
    return tuple(dict.fromkeys(tags))


def _routes(
    env: Mapping[str, str], owner_tags: tuple[str, ...]
) -> tuple[tuple[routing.Route, ...], tuple[tuple[str, str], ...]]:
    """MONITOR_ROUTES, and the URL in each app setting a route names: set, and sound by the same rule as
    MONITOR_TEAMS_WEBHOOK_URL (its error names that setting, never its value)."""
    routes = routing.parse_routes(env.get("MONITOR_ROUTES", ""), owner_tags)
    urls: dict[str, str] = {}
    for route in routes:
        url = env.get(route.url_setting, "").strip()
        if not url:
            raise SettingsError(
                f"MONITOR_ROUTES: a route names the app setting {route.url_setting}, which is not set; it must hold the"
                f" {route.kind} webhook URL (in Azure, a Key Vault reference)"
            )
        problem = url_problem(url, http_to_loopback=True)
        if problem:
            raise SettingsError(
                f"MONITOR_ROUTES: the app setting {route.url_setting} that a route names {problem}: expected an https"
                " URL (http only to loopback); value hidden, it is a secret"
            )
        urls[route.url_setting] = url
    return routes, tuple(urls.items())


def _check_default_route(s: Settings) -> None:
    """Routes need a default route: alerts whose owner no route names, plan and error findings go there, and without
    one they would be recorded and never sent."""
    default = (s.teams_webhook_url, s.slack_webhook_url, s.webhook_url, s.eventgrid_topic_endpoint)
    if s.routes and not any(default):
        raise SettingsError(
            "MONITOR_ROUTES: needs a default route too, for alerts no route takes: set MONITOR_TEAMS_WEBHOOK_URL,"
            " MONITOR_SLACK_WEBHOOK_URL, MONITOR_WEBHOOK_URL or MONITOR_EVENTGRID_TOPIC_ENDPOINT"
        )


def _choice(env: Mapping[str, str], name: str, default: _Mode) -> _Mode:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    try:
        return type(default)(raw)
    except ValueError:
        allowed = ", ".join(m.value for m in type(default))
        raise SettingsError(f"{name}={raw[:40]!r}: expected one of {allowed}") from None


def _offboard_mode(env: Mapping[str, str]) -> WriteMode:
    mode = _choice(env, "MONITOR_AUTO_OFFBOARD_ORPHANS", _DEFAULTS.auto_offboard_orphans)
    if mode is WriteMode.APPROVE:
        raise SettingsError("MONITOR_AUTO_OFFBOARD_ORPHANS='approve': expected one of off, dry-run, on")
    return mode


def _approval_url(env: Mapping[str, str]) -> str | None:
    raw = env.get("MONITOR_APPROVAL_URL", "").strip()
    if not raw:
        return None
    problem = url_problem(raw, http_to_loopback=True)
    if problem or urlsplit(raw).query:
        raise SettingsError(
            f"MONITOR_APPROVAL_URL{_shown(raw)} {problem or 'has a query'}: expected the Approve function's https URL,"
            " e.g. https://<app>.azurewebsites.net/api/approve (http only to loopback)"
        )
    return raw


def _approval_keys(env: Mapping[str, str]) -> tuple[bytes, ...]:
    keys = []
    for name in ("MONITOR_APPROVAL_KEY", "MONITOR_APPROVAL_KEY_PREVIOUS"):
        raw = env.get(name, "").strip()
        if raw and len(raw.encode()) < MIN_KEY_BYTES:
            raise SettingsError(
                f"{name}: at least {MIN_KEY_BYTES} characters expected, e.g. 32 random bytes in base64 (value hidden)"
            )
        if raw:
            keys.append(raw.encode())
    if keys and not env.get("MONITOR_APPROVAL_KEY", "").strip():
        raise SettingsError("MONITOR_APPROVAL_KEY_PREVIOUS is set without MONITOR_APPROVAL_KEY: set the current key")
    return tuple(keys)


def _approvers(env: Mapping[str, str]) -> tuple[str, ...]:
    items = _csv(env, "MONITOR_APPROVERS", "")
    for item in items:
        kind, _, value = item.partition(":")
        if kind not in ("role", "group") or not value.strip() or (kind == "group" and not _GUID.fullmatch(value)):
            raise SettingsError(
                f"MONITOR_APPROVERS: {item[:60]!r} is not 'role:<app role value>' or 'group:<group object id>'"
            )
    return tuple(items)


def _approval_local_user(env: Mapping[str, str]) -> str | None:
    raw = env.get("MONITOR_APPROVAL_LOCAL_USER", "").strip()
    if raw and (len(raw) > 100 or any(unicodedata.category(ch) == "Cc" for ch in raw)):
        raise SettingsError("MONITOR_APPROVAL_LOCAL_USER: expected a name of at most 100 characters")
    return raw or None


def _check_approval(s: Settings) -> None:
    """MONITOR_AUTO_ONBOARD=approve needs somewhere to send people and a key to sign links with; the loopback-only
    user is refused for an approval URL anyone else could reach."""
    if s.approval_local_user and (not s.approval_url or not is_loopback(urlsplit(s.approval_url).hostname)):
        raise SettingsError(
            "MONITOR_APPROVAL_LOCAL_USER: allowed only when MONITOR_APPROVAL_URL is on loopback (127.0.0.1 or"
            " localhost); in Azure, App Service authentication signs approvers in"
        )
    if s.auto_onboard is not WriteMode.APPROVE:
        return
    for name, value in (("MONITOR_APPROVAL_URL", s.approval_url), ("MONITOR_APPROVAL_KEY", s.approval_keys)):
        if not value:
            raise SettingsError(f"{name}: required when MONITOR_AUTO_ONBOARD=approve")
    if not s.approvers and not s.approval_local_user:
        raise SettingsError(
            "MONITOR_APPROVERS: required when MONITOR_AUTO_ONBOARD=approve (e.g. role:Defender.Approver), or"
            " MONITOR_APPROVAL_LOCAL_USER on loopback"
        )


def _check_state_ttl(s: Settings) -> None:
    """A used approval link is known as used by its nonce's seen-event row, so that row must outlive the link."""
    if s.approval_keys and s.state_ttl_days * 24 < s.approval_hours:
        raise SettingsError(
            f"MONITOR_STATE_TTL_DAYS={s.state_ttl_days:g}: shorter than MONITOR_APPROVAL_HOURS={s.approval_hours:g};"
            " a used approval link would be forgotten, and act again, before it expires"
        )


OTEL_MODES = ("off", "console", "otlp", "azure")


def _otel(env: Mapping[str, str]) -> str:
    """MONITOR_OTEL, else chosen by what is set: Application Insights' connection string, then an OTLP endpoint."""
    raw = env.get("MONITOR_OTEL", "").strip().lower()
    if raw and raw not in OTEL_MODES:
        raise SettingsError(f"MONITOR_OTEL={raw[:40]!r}: expected one of {', '.join(OTEL_MODES)}")
    if raw:
        return raw
    if env.get("APPLICATIONINSIGHTS_CONNECTION_STRING", "").strip():
        return "azure"
    return "otlp" if env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip() else "off"


def _on_off(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("on", "off"):
        raise SettingsError(f"{name}={raw[:40]!r}: expected on or off")
    return raw == "on"


def _share(env: Mapping[str, str], name: str, default: float, *, maximum: float) -> float:
    """A share of a whole, above 0 and at most ``maximum`` (1 = all of it; above 1, a share beyond it)."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 < value <= maximum:
        raise SettingsError(f"{name}={raw[:40]!r}: expected a number above 0 and at most {maximum:g} (0.8 = 80 %)")
    return value


def _state_ttl_days(env: Mapping[str, str]) -> float:
    """MONITOR_STATE_TTL_DAYS: at least 2, since Event Grid redelivers an event for up to 24 hours and a redelivery
    whose seen-event row had expired would be processed, and alert, a second time."""
    days = _number(env, "MONITOR_STATE_TTL_DAYS", _DEFAULTS.state_ttl_days, minimum=0)
    if days < MIN_STATE_TTL_DAYS:
        raise SettingsError(
            f"MONITOR_STATE_TTL_DAYS={days:g}: expected at least {MIN_STATE_TTL_DAYS} days (Event Grid redelivers an"
            " event for up to 24 hours; a shorter memory of seen events would alert twice)"
        )
    return days


def _wave_size(env: Mapping[str, str]) -> int:
    """MONITOR_ONBOARD_WAVE_SIZE, else MONITOR_ONBOARD_MAX_PER_MINUTE (the wave size of one-minute waves); a wave
    larger than a MONITOR_ONBOARD_MAX_PER_MINUTE that is set would break that cap, so it is refused."""
    per_minute = int(
        _number(env, "MONITOR_ONBOARD_MAX_PER_MINUTE", _DEFAULTS.onboard_max_per_minute, minimum=1, whole=True)
    )
    size = int(_number(env, "MONITOR_ONBOARD_WAVE_SIZE", per_minute, minimum=1, whole=True))
    if env.get("MONITOR_ONBOARD_MAX_PER_MINUTE", "").strip() and size > per_minute:
        raise SettingsError(
            f"MONITOR_ONBOARD_WAVE_SIZE={size}: larger than MONITOR_ONBOARD_MAX_PER_MINUTE={per_minute}, which caps a"
            " wave (it onboards within a minute); raise or unset MONITOR_ONBOARD_MAX_PER_MINUTE"
        )
    return size


def _percent(env: Mapping[str, str], name: str, default: float) -> float:
    """A percentage above 0 and at most 100."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw.removesuffix("%").strip())
    except ValueError:
        value = float("nan")
    if not 0 < value <= 100:
        raise SettingsError(f"{name}={raw[:40]!r}: expected a percentage above 0 and at most 100 (100 turns it off)")
    return value


def _plan_table(env: Mapping[str, str]) -> tuple[PlanTier, ...]:
    """The Defender for APIs plan table: the default one (monitors/plans.py), or MONITOR_PLAN_TABLE's whole table."""
    raw = env.get("MONITOR_PLAN_TABLE", "").strip()
    return parse_plan_table(raw) if raw else _DEFAULTS.plan_table


def _number(
    env: Mapping[str, str],
    name: str,
    default: float,
    *,
    minimum: float,
    whole: bool = False,
) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return float(default)
    kind = "a whole number" if whole else "a number"
    try:
        value = float(int(raw)) if whole else float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw[:40]!r}: expected {kind} >= {minimum:g}") from None
    if not value >= minimum or value == float("inf"):
        raise SettingsError(f"{name}={raw[:40]!r}: expected {kind} >= {minimum:g}")
    return value


def _shown(raw: str) -> str:
    """A non-secret URL for an error message: user info may hold a password, so a URL with "@" is not echoed."""
    return " (value hidden, it may hold a password)" if "@" in raw else f"={raw[:80]!r}"


def _arm_endpoint(env: Mapping[str, str]) -> str:
    raw = env.get("MONITOR_ARM_ENDPOINT", "").strip() or _DEFAULTS.arm_endpoint
    problem = url_problem(raw, http_to_loopback=True)
    if problem:
        raise SettingsError(
            f"MONITOR_ARM_ENDPOINT{_shown(raw)} {problem}: expected an https URL, or http://127.0.0.1:PORT or"
            " http://localhost:PORT for the local emulator"
        )
    return raw.rstrip("/")


def _webhook_url(env: Mapping[str, str], name: str) -> str | None:
    """Validate a secret URL without ever echoing it: the message names the setting, never the value."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    problem = url_problem(raw, http_to_loopback=True)
    if problem:
        raise SettingsError(
            f"{name} {problem}: expected an https URL (http only to loopback); value hidden, it is a secret"
        )
    return raw


def _webhook_secret(env: Mapping[str, str]) -> str | None:
    secret = env.get("MONITOR_WEBHOOK_SECRET") or None
    if env.get("MONITOR_WEBHOOK_URL", "").strip() and not secret:
        raise SettingsError("MONITOR_WEBHOOK_SECRET: required when MONITOR_WEBHOOK_URL is set (payloads are signed)")
    return secret


def _webjobs_storage(env: Mapping[str, str]) -> str | None:
    """The Functions host's storage: a connection string, or an identity-based account (no key) by its table URI."""
    connection = env.get("AzureWebJobsStorage", "").strip()
    if connection:
        return connection
    return _service_uri(env, "table")


def _service_uri(env: Mapping[str, str], service: str) -> str | None:
    """An identity-based storage endpoint: ``AzureWebJobsStorage__{service}ServiceUri`` as the account's
    primaryEndpoints give it (right in every cloud), else built from ``__accountName`` (public cloud only)."""
    name = f"AzureWebJobsStorage__{service}ServiceUri"
    uri = env.get(name, "").strip().rstrip("/")
    if uri:
        problem = url_problem(uri, http_to_loopback=False)
        if problem:
            raise SettingsError(f"{name}{_shown(uri)} {problem}: expected the account's https {service} endpoint")
        return uri
    account = env.get("AzureWebJobsStorage__accountName", "").strip()
    if account and not re.fullmatch(r"[a-z0-9]{3,24}", account):
        # Storage account names: 3-24 lower-case letters and digits (https://aka.ms/storageaccountnaming); anything
        # else would put another host into the URL built below.
        raise SettingsError(
            f"AzureWebJobsStorage__accountName={account[:40]!r}: expected 3-24 lower-case letters or digits"
        )
    return f"https://{account}.{service}.core.windows.net" if account else None


def _deadletter_account_url(env: Mapping[str, str]) -> str | None:
    raw = env.get("MONITOR_DEADLETTER_ACCOUNT_URL", "").strip().rstrip("/")
    problem = url_problem(raw, http_to_loopback=False) if raw else None
    if problem:
        raise SettingsError(
            f"MONITOR_DEADLETTER_ACCOUNT_URL{_shown(raw)} {problem}: expected the storage account's https blob endpoint"
        )
    return raw or None


def _queue_name(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    if not re.fullmatch(r"[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]", value):
        raise SettingsError(f"{name}={value[:70]!r}: expected 3-63 lower-case letters, digits or single hyphens")
    return value


def _schedule(env: Mapping[str, str]) -> str:
    schedule = env.get("MONITOR_SWEEP_SCHEDULE", "").strip() or _DEFAULTS.sweep_schedule
    problem = ncrontab.problem(schedule)
    if problem:
        raise SettingsError(f"MONITOR_SWEEP_SCHEDULE={schedule[:60]!r}: {problem}")
    return schedule
