"""Hostile URL settings: every URL setting is parsed the way the HTTP client will send it, and anything that two
parsers could read differently (user info, backslashes, whitespace, control characters, odd ports, no host) is
refused with one line that names the setting and never echoes a webhook URL."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from urllib3.util import parse_url

from monitors.errors import SettingsError
from monitors.settings import load_settings

SECRET = "XXSECRETXX"
WEBHOOK_SETTINGS = [
    "MONITOR_TEAMS_WEBHOOK_URL",
    "MONITOR_SLACK_WEBHOOK_URL",
    "MONITOR_WEBHOOK_URL",
    "MONITOR_EVENTGRID_TOPIC_ENDPOINT",
]
URL_SETTINGS = ["MONITOR_ARM_ENDPOINT", *WEBHOOK_SETTINGS]
SERVICE_URI_SETTINGS = ["AzureWebJobsStorage__queueServiceUri", "AzureWebJobsStorage__tableServiceUri"]

HOSTILE_URLS = [
    pytest.param(f"http://evil.example\\@127.0.0.1/{SECRET}", id="backslash-before-userinfo"),
    pytest.param(f"https://evil.example\\.127.0.0.1/{SECRET}", id="backslash-in-host"),
    pytest.param(f"http://user:pw@127.0.0.1/{SECRET}", id="userinfo-to-loopback"),
    pytest.param(f"https://127.0.0.1@evil.example/{SECRET}", id="userinfo-looking-like-a-host"),
    pytest.param(f"http://127.0.0.1:99999/{SECRET}", id="port-out-of-range"),
    pytest.param(f"http://127.0.0.1:0/{SECRET}", id="port-zero"),
    pytest.param(f"http://127.0.0.1:+80/{SECRET}", id="port-with-sign"),
    pytest.param(f"http://127.0.0.1:/{SECRET}", id="port-empty"),
    pytest.param(f"https://hooks.example.com:8o/{SECRET}", id="port-not-a-number"),
    pytest.param(f"https://hooks.example.com/{SECRET}\nX-Injected: 1", id="newline"),
    pytest.param(f"https://hooks.example.com/{SECRET}\x00", id="nul"),
    pytest.param(f"https://hooks.example.com/{SECRET}\x1b[2J", id="escape"),
    pytest.param(f"http://127.0.0.1 .evil.example/{SECRET}", id="space-in-host"),
    pytest.param(f"https://hooks.example.com/a\tb/{SECRET}", id="tab-in-path"),
    pytest.param(f"https:///{SECRET}", id="no-host"),
    pytest.param(f"https://:443/{SECRET}", id="port-without-host"),
    pytest.param(f"https://hooks..example.com/{SECRET}", id="empty-label"),
    pytest.param(f"http://127%2e0.0.1/{SECRET}", id="percent-encoded-host"),
    pytest.param(f"https://evil\uff0eexample/{SECRET}", id="fullwidth-dot-in-host"),
    pytest.param(f"http://[::1%25eth0]/{SECRET}", id="ipv6-zone"),
    pytest.param(f"http://[::1/{SECRET}", id="ipv6-unclosed"),
    pytest.param(f"http://127.0.0.1.evil.example/{SECRET}", id="loopback-prefix-of-a-public-name"),
    pytest.param(f"http://localhost.evil.example/{SECRET}", id="localhost-prefix-of-a-public-name"),
    pytest.param(f"http://2130706433/{SECRET}", id="loopback-as-a-decimal-number"),
    pytest.param(f"http://hooks.example.com/{SECRET}", id="plain-http"),
    pytest.param(f"ftp://hooks.example.com/{SECRET}", id="other-scheme"),
]


@pytest.mark.parametrize("setting", URL_SETTINGS)
@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_url_is_refused_with_one_line_naming_the_setting(url: str, setting: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({setting: url, "MONITOR_WEBHOOK_SECRET": "whsec"})
    message = str(raised.value)
    assert (re.match(rf"{setting}\b", message) is not None, "\n" in message) == (True, False)


@pytest.mark.parametrize("setting", WEBHOOK_SETTINGS)
@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_refused_webhook_url_is_not_echoed(url: str, setting: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({setting: url, "MONITOR_WEBHOOK_SECRET": "whsec"})
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(f"http://user:{SECRET}@127.0.0.1/x", id="password"),
        pytest.param(f"https://{SECRET}@management.example/x", id="token-as-user"),
    ],
)
def test_refused_arm_endpoint_with_user_info_is_not_echoed(url: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"MONITOR_ARM_ENDPOINT": url})
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize("setting", SERVICE_URI_SETTINGS)
@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://evil.example\\@acct.queue.core.windows.net", id="backslash-before-userinfo"),
        pytest.param("https://user@acct.queue.core.windows.net", id="userinfo"),
        pytest.param("https://acct.queue.core.windows.net:99999", id="port-out-of-range"),
        pytest.param("https://acct.queue.core.windows.net/a\nb", id="newline"),
        pytest.param("https://:443", id="no-host"),
        pytest.param("http://127.0.0.1:10001/devstoreaccount1", id="plain-http"),
    ],
)
def test_hostile_storage_service_uri_is_refused(url: str, setting: str) -> None:
    with pytest.raises(SettingsError, match=rf"^{setting}\b"):
        load_settings({setting: url})


@pytest.mark.parametrize(
    "account",
    [
        pytest.param("evil.example/x#", id="host-and-fragment"),
        pytest.param("evil.example@acct", id="userinfo"),
        pytest.param("ACCOUNT", id="upper-case"),
        pytest.param("ab", id="too-short"),
    ],
)
def test_storage_account_name_that_would_change_the_host_is_refused(account: str) -> None:
    with pytest.raises(SettingsError, match=r"^AzureWebJobsStorage__accountName"):
        load_settings({"AzureWebJobsStorage__accountName": account})


SOUND_URLS = [
    pytest.param("http://127.0.0.1:8123", id="emulator-loopback-ipv4"),
    pytest.param("http://localhost:8123/", id="emulator-localhost"),
    pytest.param("http://LOCALHOST:8123/", id="localhost-any-case"),
    pytest.param("http://[::1]:8123/", id="loopback-ipv6"),
    pytest.param("http://127.0.0.1:65535/hook", id="highest-port"),
    pytest.param("https://hooks.example.com:443/services/T0/B0/x?y=1&z=%7C#f", id="https-with-port-query-fragment"),
    pytest.param("https://hooks.example.com./x", id="trailing-dot"),
    pytest.param("https://hooks.example.com/a@b", id="at-sign-in-path"),
    pytest.param("https://[2001:db8::1]/x", id="ipv6-literal"),
]


@pytest.mark.parametrize("setting", URL_SETTINGS)
@pytest.mark.parametrize("url", SOUND_URLS)
def test_sound_url_is_accepted(url: str, setting: str) -> None:
    assert load_settings({setting: url, "MONITOR_WEBHOOK_SECRET": "whsec"})


@pytest.mark.parametrize("url", SOUND_URLS)
def test_accepted_url_names_the_same_host_for_the_http_client(url: str) -> None:
    load_settings({"MONITOR_WEBHOOK_URL": url, "MONITOR_WEBHOOK_SECRET": "whsec"})
    ours, theirs = urlsplit(url), parse_url(url)
    assert ((theirs.host or "").strip("[]").lower(), theirs.port, theirs.auth) == (ours.hostname, ours.port, None)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("http://127.0.0.1:8123/", "http://127.0.0.1:8123", id="emulator"),
        pytest.param("https://management.usgovcloudapi.net/", "https://management.usgovcloudapi.net", id="sovereign"),
    ],
)
def test_arm_endpoint_keeps_working_for_the_emulator_and_other_clouds(url: str, expected: str) -> None:
    assert load_settings({"MONITOR_ARM_ENDPOINT": url}).arm_endpoint == expected
