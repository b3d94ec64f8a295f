"""Settings: defaults, parsing, and one-line errors that name the setting (and never echo a secret)."""

from __future__ import annotations

import pytest

from monitors.errors import SettingsError
from monitors.model import OnboardMode
from monitors.settings import load_settings


def test_defaults_are_safe() -> None:
    s = load_settings({})
    assert (s.auto_onboard, s.arm_endpoint, s.uses_emulator) == (
        OnboardMode.OFF,
        "https://management.azure.com",
        False,
    )


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
        pytest.param({"MONITOR_CACHE_SECONDS": "nan"}, "MONITOR_CACHE_SECONDS", id="nan"),
        pytest.param({"MONITOR_ARM_ENDPOINT": "http://example.com"}, "MONITOR_ARM_ENDPOINT", id="plain-http"),
        pytest.param({"MONITOR_ARM_ENDPOINT": "ftp://x"}, "MONITOR_ARM_ENDPOINT", id="scheme"),
    ],
)
def test_bad_value_fails_with_one_line_naming_the_setting(env: dict[str, str], setting: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    message = str(raised.value)
    assert message.startswith(setting) and "\n" not in message


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
