"""Every MONITOR_* setting, read once from the environment into a frozen, validated ``Settings``.

A bad value raises ``SettingsError`` with one line that names the setting and what is allowed. Nothing else in the
project reads the environment: entry points call ``load_settings()`` and pass the result down.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

from monitors.errors import SettingsError
from monitors.model import OnboardMode, SelfHostedMode, normalize_region

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

_Mode = TypeVar("_Mode", OnboardMode, SelfHostedMode)


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one process; secret-bearing fields are left out of its repr."""

    arm_endpoint: str = DEFAULT_ARM_ENDPOINT
    subscriptions: tuple[str, ...] = ()
    client_id: str | None = None
    auto_onboard: OnboardMode = OnboardMode.OFF
    auto_offboard_orphans: OnboardMode = OnboardMode.OFF
    onboard_max_per_minute: int = 10
    onboard_timeout_seconds: float = 120.0
    onboard_poll_seconds: float = 2.0
    exempt_tag: str = "defender-apis-exempt"
    supported_regions: frozenset[str] = frozenset()
    supported_tiers: frozenset[str] = frozenset()
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

    @property
    def alerting(self) -> bool:
        """True when at least one alert sink is configured."""
        sinks = (self.teams_webhook_url, self.slack_webhook_url, self.webhook_url, self.eventgrid_topic_endpoint)
        return any(sinks)

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
    def uses_emulator(self) -> bool:
        """True when ARM is a local emulator on loopback: no Azure login, a static token."""
        return urlsplit(self.arm_endpoint).scheme == "http"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting; ``environ`` defaults to the process environment."""
    env = os.environ if environ is None else environ
    return Settings(
        arm_endpoint=_arm_endpoint(env),
        subscriptions=tuple(_csv(env, "MONITOR_SUBSCRIPTIONS", "")),
        client_id=env.get("AZURE_CLIENT_ID") or None,
        auto_onboard=_choice(env, "MONITOR_AUTO_ONBOARD", OnboardMode, OnboardMode.OFF),
        auto_offboard_orphans=_choice(env, "MONITOR_AUTO_OFFBOARD_ORPHANS", OnboardMode, OnboardMode.OFF),
        onboard_max_per_minute=int(_number(env, "MONITOR_ONBOARD_MAX_PER_MINUTE", 10, minimum=1, whole=True)),
        onboard_timeout_seconds=_number(env, "MONITOR_ONBOARD_TIMEOUT_SECONDS", 120, minimum=1),
        onboard_poll_seconds=_number(env, "MONITOR_ONBOARD_POLL_SECONDS", 2, minimum=0),
        exempt_tag=env.get("MONITOR_EXEMPT_TAG", "").strip() or "defender-apis-exempt",
        supported_regions=frozenset(
            normalize_region(r) for r in _csv(env, "MONITOR_SUPPORTED_REGIONS", DEFAULT_SUPPORTED_REGIONS)
        ),
        supported_tiers=frozenset(t.lower() for t in _csv(env, "MONITOR_SUPPORTED_TIERS", DEFAULT_SUPPORTED_TIERS)),
        self_hosted=_choice(env, "MONITOR_SELF_HOSTED", SelfHostedMode, SelfHostedMode.CHECK),
        cache_seconds=_number(env, "MONITOR_CACHE_SECONDS", 300, minimum=0),
        arm_retries=int(_number(env, "MONITOR_ARM_RETRIES", 4, minimum=0, whole=True)),
        arm_retry_backoff=_number(env, "MONITOR_ARM_RETRY_BACKOFF", 0.8, minimum=0),
        arm_timeout_seconds=_number(env, "MONITOR_ARM_TIMEOUT_SECONDS", 30, minimum=1),
        # Longer Retry-After answers end the retries (a 429 to redeliver): the event path must answer in ~30 s.
        arm_max_retry_after_seconds=_number(env, "MONITOR_ARM_MAX_RETRY_AFTER_SECONDS", 10, minimum=0),
        arm_reads_per_second=_number(env, "MONITOR_ARM_READS_PER_SECOND", 20, minimum=0.1),
        teams_webhook_url=_webhook_url(env, "MONITOR_TEAMS_WEBHOOK_URL"),
        slack_webhook_url=_webhook_url(env, "MONITOR_SLACK_WEBHOOK_URL"),
        webhook_url=_webhook_url(env, "MONITOR_WEBHOOK_URL"),
        webhook_secret=_webhook_secret(env),
        eventgrid_topic_endpoint=_webhook_url(env, "MONITOR_EVENTGRID_TOPIC_ENDPOINT"),
        eventgrid_topic_key=env.get("MONITOR_EVENTGRID_TOPIC_KEY") or None,
        state=env.get("MONITOR_STATE") or None,
        webjobs_storage=_webjobs_storage(env),
        queue_service_uri=_service_uri(env, "queue"),
        renotify_hours=_number(env, "MONITOR_RENOTIFY_HOURS", 24, minimum=0),
        sweep_queue=_queue_name(env, "MONITOR_SWEEP_QUEUE", "apim-sweep"),
        onboard_queue=_queue_name(env, "MONITOR_ONBOARD_QUEUE", "apim-onboard"),
        sweep_schedule=_schedule(env),
        alert_max_attempts=int(_number(env, "MONITOR_ALERT_MAX_ATTEMPTS", 8, minimum=1, whole=True)),
        alert_retry_seconds=_number(env, "MONITOR_ALERT_RETRY_SECONDS", 30, minimum=0),
    )


def _csv(env: Mapping[str, str], name: str, default: str) -> list[str]:
    return [part.strip() for part in env.get(name, default).split(",") if part.strip()]


def _choice(env: Mapping[str, str], name: str, enum: type[_Mode], default: _Mode) -> _Mode:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    try:
        return enum(raw)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise SettingsError(f"{name}={raw[:40]!r}: expected one of {allowed}") from None


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


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _arm_endpoint(env: Mapping[str, str]) -> str:
    raw = env.get("MONITOR_ARM_ENDPOINT", "").strip() or DEFAULT_ARM_ENDPOINT
    parts = urlsplit(raw)
    if parts.scheme == "https" and parts.hostname:
        return raw.rstrip("/")
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return raw.rstrip("/")
    raise SettingsError(
        f"MONITOR_ARM_ENDPOINT={raw[:80]!r}: expected an https URL, or http://127.0.0.1:PORT for the local emulator"
    )


def _webhook_url(env: Mapping[str, str], name: str) -> str | None:
    """Validate a secret URL without ever echoing it: the message names the setting, never the value."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        parts = urlsplit(raw)
        host = parts.hostname
    except ValueError:
        raise SettingsError(f"{name}: not a valid URL (value hidden, it is a secret)") from None
    if parts.scheme == "https" and host:
        return raw
    if parts.scheme == "http" and _is_loopback(host):
        return raw
    raise SettingsError(f"{name}: expected an https URL (http only to loopback); value hidden, it is a secret")


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
        parts = urlsplit(uri)
        if parts.scheme != "https" or not parts.hostname:
            raise SettingsError(f"{name}={uri[:80]!r}: expected the account's https {service} endpoint")
        return uri
    account = env.get("AzureWebJobsStorage__accountName", "").strip()
    return f"https://{account}.{service}.core.windows.net" if account else None


def _queue_name(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    if not re.fullmatch(r"[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]", value):
        raise SettingsError(f"{name}={value[:70]!r}: expected 3-63 lower-case letters, digits or single hyphens")
    return value


def _schedule(env: Mapping[str, str]) -> str:
    schedule = env.get("MONITOR_SWEEP_SCHEDULE", "").strip() or "0 0 * * * *"
    if len(schedule.split()) != 6:
        raise SettingsError(
            f"MONITOR_SWEEP_SCHEDULE={schedule[:60]!r}: expected a six-field NCRONTAB expression like '0 0 * * * *'"
        )
    return schedule
