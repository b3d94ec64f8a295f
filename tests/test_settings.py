"""Settings: defaults, parsing, and one-line errors that name the setting (and never echo a secret)."""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path

import pytest

from monitors import settings as settings_module
from monitors.errors import SettingsError
from monitors.model import WriteMode
from monitors.settings import KNOWN_REGIONS, KNOWN_TIERS, Settings, load_settings

_APPROVE = {
    "MONITOR_AUTO_ONBOARD": "approve",
    "MONITOR_APPROVAL_URL": "https://monitor.example/api/approve",
    "MONITOR_APPROVAL_KEY": "k" * 40,
    "MONITOR_APPROVERS": "role:Defender.Approver",
}


def test_approve_mode_takes_its_settings_and_a_loopback_user_only_on_loopback() -> None:
    settings = load_settings(_APPROVE)
    assert (settings.approval_hours, settings.exempt_days) == (72.0, 30)
    assert settings.approvers == ("role:Defender.Approver",)
    assert "k" * 40 not in repr(settings)
    local = {**_APPROVE, "MONITOR_APPROVERS": "", "MONITOR_APPROVAL_URL": "http://127.0.0.1:7071/api/approve"}
    assert load_settings({**local, "MONITOR_APPROVAL_LOCAL_USER": "me"}).approval_local_user == "me"


def test_defaults_are_safe() -> None:
    s = load_settings({})
    assert (s.auto_onboard, s.arm_endpoint, s.uses_emulator) == (
        WriteMode.OFF,
        "https://management.azure.com",
        False,
    )


def test_an_empty_environment_gives_the_settings_defaults_which_are_one_set() -> None:
    # One place holds the defaults: what a deployment with nothing set runs on is what Settings() says.
    assert load_settings({}) == Settings()
    assert (Settings().supported_regions <= KNOWN_REGIONS, Settings().supported_tiers <= KNOWN_TIERS) == (True, True)


def test_loopback_http_endpoint_means_emulator() -> None:
    assert load_settings({"MONITOR_ARM_ENDPOINT": "http://127.0.0.1:8123/"}).uses_emulator


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        pytest.param({"MONITOR_AUTO_ONBOARD": "yes"}, "MONITOR_AUTO_ONBOARD", id="mode"),
        pytest.param({"MONITOR_SELF_HOSTED": "ignore"}, "MONITOR_SELF_HOSTED", id="self-hosted"),
        pytest.param({"MONITOR_ONBOARD_MAX_PER_MINUTE": "ten"}, "MONITOR_ONBOARD_MAX_PER_MINUTE", id="not-number"),
        pytest.param({"MONITOR_ONBOARD_MAX_PER_MINUTE": "0"}, "MONITOR_ONBOARD_MAX_PER_MINUTE", id="zero"),
        pytest.param({"MONITOR_ONBOARD_MAX_PER_MINUTE": "2.5"}, "MONITOR_ONBOARD_MAX_PER_MINUTE", id="fraction"),
        pytest.param({"MONITOR_ONBOARD_WAVE_SIZE": "0"}, "MONITOR_ONBOARD_WAVE_SIZE", id="wave-size-zero"),
        pytest.param({"MONITOR_ONBOARD_WAVE_SIZE": "4.5"}, "MONITOR_ONBOARD_WAVE_SIZE", id="wave-size-fraction"),
        pytest.param(
            {"MONITOR_ONBOARD_MAX_PER_MINUTE": "5", "MONITOR_ONBOARD_WAVE_SIZE": "6"},
            "MONITOR_ONBOARD_WAVE_SIZE",
            id="wave-size-above-the-per-minute-cap",
        ),
        pytest.param({"MONITOR_ONBOARD_WAVE_MINUTES": "0.5"}, "MONITOR_ONBOARD_WAVE_MINUTES", id="wave-too-short"),
        pytest.param({"MONITOR_ONBOARD_WAVE_MINUTES": "soon"}, "MONITOR_ONBOARD_WAVE_MINUTES", id="wave-minutes-word"),
        pytest.param({"MONITOR_ONBOARD_CAPACITY_LIMIT": "0"}, "MONITOR_ONBOARD_CAPACITY_LIMIT", id="capacity-zero"),
        pytest.param({"MONITOR_ONBOARD_CAPACITY_LIMIT": "101"}, "MONITOR_ONBOARD_CAPACITY_LIMIT", id="capacity-101"),
        pytest.param({"MONITOR_ONBOARD_CAPACITY_LIMIT": "high"}, "MONITOR_ONBOARD_CAPACITY_LIMIT", id="capacity-word"),
        pytest.param({"MONITOR_CACHE_SECONDS": "nan"}, "MONITOR_CACHE_SECONDS", id="nan"),
        pytest.param({"MONITOR_ARM_ENDPOINT": "http://example.com"}, "MONITOR_ARM_ENDPOINT", id="plain-http"),
        pytest.param({"MONITOR_ARM_ENDPOINT": "ftp://x"}, "MONITOR_ARM_ENDPOINT", id="scheme"),
        pytest.param({"MONITOR_PLAN_USAGE": "yes"}, "MONITOR_PLAN_USAGE", id="usage-yes"),
        pytest.param({"MONITOR_PLAN_ALERT_SHARE": "0"}, "MONITOR_PLAN_ALERT_SHARE", id="share-zero"),
        pytest.param({"MONITOR_PLAN_ALERT_SHARE": "-0.5"}, "MONITOR_PLAN_ALERT_SHARE", id="share-negative"),
        pytest.param({"MONITOR_PLAN_ALERT_SHARE": "10.01"}, "MONITOR_PLAN_ALERT_SHARE", id="share-too-big"),
        pytest.param({"MONITOR_PLAN_ALERT_SHARE": "nan"}, "MONITOR_PLAN_ALERT_SHARE", id="share-nan"),
        pytest.param({"MONITOR_PLAN_ALERT_SHARE": "80%"}, "MONITOR_PLAN_ALERT_SHARE", id="share-percent"),
        pytest.param({"MONITOR_PLAN_TABLE": "P1=lots"}, "MONITOR_PLAN_TABLE", id="table"),
        pytest.param({"MONITOR_AUTO_OFFBOARD_ORPHANS": "approve"}, "MONITOR_AUTO_OFFBOARD_ORPHANS", id="offboard"),
        pytest.param({**_APPROVE, "MONITOR_APPROVAL_URL": ""}, "MONITOR_APPROVAL_URL", id="approve-without-url"),
        pytest.param({**_APPROVE, "MONITOR_APPROVAL_KEY": ""}, "MONITOR_APPROVAL_KEY", id="approve-without-key"),
        pytest.param({**_APPROVE, "MONITOR_APPROVAL_KEY": "short"}, "MONITOR_APPROVAL_KEY", id="approval-key-short"),
        pytest.param({**_APPROVE, "MONITOR_APPROVERS": ""}, "MONITOR_APPROVERS", id="approve-without-approvers"),
        pytest.param({**_APPROVE, "MONITOR_APPROVERS": "ana"}, "MONITOR_APPROVERS", id="approver-kind"),
        pytest.param({**_APPROVE, "MONITOR_APPROVERS": "group:team"}, "MONITOR_APPROVERS", id="approver-group"),
        pytest.param(
            {**_APPROVE, "MONITOR_APPROVAL_URL": "http://monitor.example/api/approve"},
            "MONITOR_APPROVAL_URL",
            id="approval-url-http",
        ),
        pytest.param(
            {**_APPROVE, "MONITOR_APPROVAL_LOCAL_USER": "me"}, "MONITOR_APPROVAL_LOCAL_USER", id="local-user-in-azure"
        ),
        pytest.param({**_APPROVE, "MONITOR_APPROVAL_HOURS": "0"}, "MONITOR_APPROVAL_HOURS", id="approval-hours"),
        pytest.param({**_APPROVE, "MONITOR_EXEMPT_DAYS": "1.5"}, "MONITOR_EXEMPT_DAYS", id="exempt-days"),
        pytest.param({"MONITOR_OWNER_TAGS": "team,a/b"}, "MONITOR_OWNER_TAGS", id="owner-tag"),
        pytest.param({"MONITOR_ROUTES": "team=payments"}, "MONITOR_ROUTES", id="route-grammar"),
        pytest.param({"MONITOR_ROUTES": "team=p -> teams:NOT_SET_ANYWHERE"}, "MONITOR_ROUTES", id="route-url-unset"),
        pytest.param(
            {"MONITOR_ROUTES": "team=p -> slack:P_URL", "P_URL": "http://example.com/x"},
            "MONITOR_ROUTES",
            id="route-url",
        ),
    ],
)
def test_bad_value_fails_with_one_line_naming_the_setting(env: dict[str, str], setting: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    message = str(raised.value)
    assert message.startswith(setting) and "\n" not in message


@pytest.mark.parametrize(
    ("env", "waves"),
    [
        pytest.param({}, (10, 1.0, 70.0), id="defaults: ten a minute, as before"),
        pytest.param({"MONITOR_ONBOARD_MAX_PER_MINUTE": "3"}, (3, 1.0, 70.0), id="the old name: one-minute waves"),
        pytest.param(
            {"MONITOR_ONBOARD_WAVE_SIZE": "25", "MONITOR_ONBOARD_WAVE_MINUTES": "15"}, (25, 15.0, 70.0), id="waves"
        ),
        pytest.param(
            {
                "MONITOR_ONBOARD_MAX_PER_MINUTE": "10",
                "MONITOR_ONBOARD_WAVE_SIZE": "4",
                "MONITOR_ONBOARD_WAVE_MINUTES": "5",
            },
            (4, 5.0, 70.0),
            id="a wave within the per-minute cap",
        ),
        pytest.param({"MONITOR_ONBOARD_CAPACITY_LIMIT": "85%"}, (10, 1.0, 85.0), id="capacity-percent-sign"),
    ],
)
def test_onboarding_waves_and_the_per_minute_setting_are_one_limit(
    env: dict[str, str], waves: tuple[int, float, float]
) -> None:
    s = load_settings(env)
    assert (s.onboard_wave_size, s.onboard_wave_minutes, s.onboard_capacity_limit) == waves


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://hooks.example.com/services/T000/B000/XXXXSECRET", id="plain-http"),
        pytest.param("javascript:alert(1)//XXXXSECRET", id="hostile-scheme"),
        pytest.param("https://[::1/XXXXSECRET", id="unparseable"),
    ],
)
def test_hostile_webhook_url_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"MONITOR_SLACK_WEBHOOK_URL": url})
    assert str(raised.value).startswith("MONITOR_SLACK_WEBHOOK_URL") and "XXXXSECRET" not in str(raised.value)


def test_loopback_http_webhook_is_allowed() -> None:
    assert load_settings({"MONITOR_TEAMS_WEBHOOK_URL": "http://127.0.0.1:9/hook"}).teams_webhook_url


def test_signed_webhook_needs_a_secret() -> None:
    with pytest.raises(SettingsError, match=r"^MONITOR_WEBHOOK_SECRET"):
        load_settings({"MONITOR_WEBHOOK_URL": "https://hooks.example.com/x"})


def test_regions_and_tiers_are_normalised() -> None:
    s = load_settings({"MONITOR_SUPPORTED_REGIONS": "East US 2, westeurope", "MONITOR_SUPPORTED_TIERS": "Premium"})
    assert (s.supported_regions, s.supported_tiers) == (frozenset({"eastus2", "westeurope"}), frozenset({"premium"}))


def test_settings_repr_hides_secrets() -> None:
    s = load_settings(
        {
            "MONITOR_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/XXSECRETXX",
            "MONITOR_WEBHOOK_URL": "https://example.com/hook",
            "MONITOR_WEBHOOK_SECRET": "whsec_XXSECRETXX",
            "AzureWebJobsStorage": "DefaultEndpointsProtocol=https;AccountKey=XXSECRETXX",
        }
    )
    assert "XXSECRETXX" not in repr(s)


def test_functions_storage_is_the_state_in_azure() -> None:
    s = load_settings({"AzureWebJobsStorage__accountName": "stmonitor"})
    assert (s.state_spec(in_azure=True), s.state_spec(in_azure=False)) == (
        "tables:https://stmonitor.table.core.windows.net",
        None,
    )


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        pytest.param({"MONITOR_SUPPORTED_REGIONS": ""}, "MONITOR_SUPPORTED_REGIONS", id="regions-empty"),
        pytest.param({"MONITOR_SUPPORTED_REGIONS": " , "}, "MONITOR_SUPPORTED_REGIONS", id="regions-only-commas"),
        pytest.param({"MONITOR_SUPPORTED_TIERS": ""}, "MONITOR_SUPPORTED_TIERS", id="tiers-empty"),
        pytest.param({"MONITOR_SUPPORTED_TIERS": ","}, "MONITOR_SUPPORTED_TIERS", id="tiers-only-commas"),
    ],
)
def test_explicitly_empty_supported_list_is_refused(env: dict[str, str], setting: str) -> None:
    with pytest.raises(SettingsError, match=rf"^{setting}\b"):
        load_settings(env)


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        pytest.param({"MONITOR_SUPPORTED_REGIONS": "Mars North"}, "MONITOR_SUPPORTED_REGIONS", id="region-invented"),
        pytest.param(
            {"MONITOR_SUPPORTED_REGIONS": "East US, westeurop"}, "MONITOR_SUPPORTED_REGIONS", id="region-typo"
        ),
        pytest.param({"MONITOR_SUPPORTED_REGIONS": "East US 3"}, "MONITOR_SUPPORTED_REGIONS", id="region-not-yet"),
        pytest.param({"MONITOR_SUPPORTED_REGIONS": "+"}, "MONITOR_SUPPORTED_REGIONS", id="region-bare-plus"),
        pytest.param({"MONITOR_SUPPORTED_TIERS": "Gold"}, "MONITOR_SUPPORTED_TIERS", id="tier-invented"),
        pytest.param({"MONITOR_SUPPORTED_TIERS": "Premium,Standart"}, "MONITOR_SUPPORTED_TIERS", id="tier-typo"),
    ],
)
def test_unknown_region_or_tier_is_refused(env: dict[str, str], setting: str) -> None:
    with pytest.raises(SettingsError, match=rf"^{setting}\b"):
        load_settings(env)


def test_refused_region_names_the_plus_escape_hatch() -> None:
    with pytest.raises(SettingsError, match=r"'\+Mars North'"):
        load_settings({"MONITOR_SUPPORTED_REGIONS": "Mars North"})


@pytest.mark.parametrize(
    ("env", "field", "expected"),
    [
        pytest.param(
            {"MONITOR_SUPPORTED_REGIONS": "+Mars North, East US"},
            "supported_regions",
            frozenset({"marsnorth", "eastus"}),
            id="region",
        ),
        pytest.param(
            {"MONITOR_SUPPORTED_TIERS": "+Platinum,Premium"},
            "supported_tiers",
            frozenset({"platinum", "premium"}),
            id="tier",
        ),
    ],
)
def test_plus_prefix_accepts_a_region_or_tier_newer_than_the_list(
    env: dict[str, str], field: str, expected: frozenset[str]
) -> None:
    assert getattr(load_settings(env), field) == expected


@pytest.mark.parametrize(
    "sku",
    ["Developer", "Basic", "Standard", "Premium", "Consumption", "Isolated", "BasicV2", "StandardV2", "PremiumV2"],
)
def test_every_apim_sku_is_a_known_tier(sku: str) -> None:
    assert load_settings({"MONITOR_SUPPORTED_TIERS": sku}).supported_tiers == {sku.lower()}


@pytest.mark.parametrize(
    "region",
    ["eastus2euap", "Central US EUAP", "Sweden South", "usgovvirginia", "China North 3", "Poland Central"],
)
def test_canary_restricted_and_sovereign_regions_are_known(region: str) -> None:
    assert load_settings({"MONITOR_SUPPORTED_REGIONS": region}).supported_regions


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("sub-prod", id="name"),
        pytest.param("00000000-0000-0000-0000-00000000000", id="one-digit-short"),
        pytest.param("{00000000-0000-0000-0000-000000000001}", id="braces"),
        pytest.param("00000000-0000-0000-0000-000000000001,prod", id="one-bad-in-list"),
        pytest.param("/subscriptions/00000000-0000-0000-0000-000000000001", id="resource-id"),
    ],
)
def test_subscriptions_must_be_guids(value: str) -> None:
    with pytest.raises(SettingsError, match=r"^MONITOR_SUBSCRIPTIONS\b"):
        load_settings({"MONITOR_SUBSCRIPTIONS": value})


def test_subscription_guids_are_accepted_in_any_case() -> None:
    value = "00000000-0000-0000-0000-00000000000A, 00000000-0000-0000-0000-000000000002"
    assert load_settings({"MONITOR_SUBSCRIPTIONS": value}).subscriptions == (
        "00000000-0000-0000-0000-00000000000A",
        "00000000-0000-0000-0000-000000000002",
    )


@pytest.mark.parametrize(
    "tag",
    [
        pytest.param("exempt<x>", id="angle-brackets"),
        pytest.param("exempt%", id="percent"),
        pytest.param("a&b", id="ampersand"),
        pytest.param("a\\b", id="backslash"),
        pytest.param("a?b", id="question-mark"),
        pytest.param("a/b", id="slash"),
        pytest.param("a\x1bb", id="control-character"),
        pytest.param("x" * 513, id="too-long"),
    ],
)
def test_exempt_tag_must_be_a_valid_azure_tag_name(tag: str) -> None:
    with pytest.raises(SettingsError, match=r"^MONITOR_EXEMPT_TAG\b"):
        load_settings({"MONITOR_EXEMPT_TAG": tag})


def test_exempt_tag_of_512_characters_is_accepted() -> None:
    assert load_settings({"MONITOR_EXEMPT_TAG": "x" * 512}).exempt_tag == "x" * 512


@pytest.mark.parametrize(
    "schedule",
    [
        pytest.param("60 0 * * * *", id="second-60"),
        pytest.param("0 60 * * * *", id="minute-60"),
        pytest.param("0 0 24 * * *", id="hour-24"),
        pytest.param("0 0 0 0 * *", id="day-0"),
        pytest.param("0 0 0 32 * *", id="day-32"),
        pytest.param("0 0 0 1 13 *", id="month-13"),
        pytest.param("0 0 0 1 FOO *", id="month-name"),
        pytest.param("0 0 0 * * 7", id="day-of-week-7"),
        pytest.param("0 0 0 * * FUN", id="day-of-week-name"),
        pytest.param("0 */0 * * * *", id="step-zero"),
        pytest.param("0 */61 * * * *", id="step-too-long"),
        pytest.param("0 30-10 * * * *", id="range-backwards"),
        pytest.param("0 0 * * * MON-", id="range-open"),
        pytest.param("0 ,5 * * * *", id="list-empty-item"),
        pytest.param("0 0 -1 * * *", id="negative"),
        pytest.param("0 0 ? * * *", id="question-mark"),
        pytest.param("0 0 * * *", id="five-fields"),
        pytest.param("0 0 * * * * 2027", id="seven-fields"),
    ],
)
def test_sweep_schedule_must_be_a_valid_ncrontab_expression(schedule: str) -> None:
    with pytest.raises(SettingsError, match=r"^MONITOR_SWEEP_SCHEDULE\b"):
        load_settings({"MONITOR_SWEEP_SCHEDULE": schedule})


@pytest.mark.parametrize(
    "schedule",
    [
        pytest.param("0 */5 * * * *", id="every-five-minutes"),
        pytest.param("0 30 9 * * MON-FRI", id="weekdays-by-name"),
        pytest.param("0 0 0 1 JAN,jul *", id="months-by-name-any-case"),
        pytest.param("59 59 23 31 12 6", id="highest-values"),
        pytest.param("0 0 0 1-15/2 * *", id="range-with-step"),
        pytest.param("5/15 * * * * *", id="value-with-step"),
        pytest.param("0 0,30 8-18 * * 1-5", id="lists-and-ranges"),
    ],
)
def test_valid_sweep_schedule_is_accepted(schedule: str) -> None:
    assert load_settings({"MONITOR_SWEEP_SCHEDULE": schedule}).sweep_schedule == schedule


@pytest.mark.parametrize(
    ("name", "closest"),
    [
        pytest.param("MONITOR_AUTO_ONBOARDING", "MONITOR_AUTO_ONBOARD", id="auto-onboarding"),
        pytest.param("MONITOR_SUPPORTED_REGION", "MONITOR_SUPPORTED_REGIONS", id="singular"),
        pytest.param("MONITOR_SLACK_WEBHOOK", "MONITOR_SLACK_WEBHOOK_URL", id="missing-suffix"),
    ],
)
def test_unknown_monitor_setting_is_warned_about_naming_the_closest(
    caplog: pytest.LogCaptureFixture, name: str, closest: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="monitors.settings"):
        load_settings({name: "on"})
    assert [(r.name, r.levelno, name in r.getMessage(), closest in r.getMessage()) for r in caplog.records] == [
        ("monitors.settings", logging.WARNING, True, True)
    ]


def test_unknown_monitor_setting_does_not_stop_the_app() -> None:
    assert load_settings({"MONITOR_AUTO_ONBOARDING": "on"}).auto_onboard == WriteMode.OFF


def test_unknown_setting_warning_never_echoes_its_value(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="monitors.settings"):
        load_settings({"MONITOR_SLACK_WEBHOOK": "https://hooks.slack.com/services/T0/B0/XXSECRETXX"})
    assert "XXSECRETXX" not in caplog.text


def test_no_setting_named_in_settings_py_is_called_unknown(caplog: pytest.LogCaptureFixture) -> None:
    source = Path(settings_module.__file__).read_text(encoding="utf-8")
    names = {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"MONITOR_[A-Z_]+", node.value)
    }
    env = {name: "" for name in names} | {"MONITOR_SUPPORTED_REGIONS": "East US", "MONITOR_SUPPORTED_TIERS": "Premium"}
    with caplog.at_level(logging.WARNING, logger="monitors.settings"):
        load_settings(env)
    assert ({"MONITOR_AUTO_ONBOARD", "MONITOR_STATE"} <= names, caplog.records) == (True, [])
