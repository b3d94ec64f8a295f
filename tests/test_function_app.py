"""The Event Grid function, called exactly as the Functions host calls it, against the emulator."""

from __future__ import annotations

import datetime as dt
import logging

import azure.functions as func
import pytest

from monitors.errors import SettingsError, TransientAzureError
from tests.conftest import PROD

SVC = f"/subscriptions/{PROD}/resourceGroups/rg-apis/providers/Microsoft.ApiManagement/service/apim-prod"


@pytest.fixture
def on_api_event(functions, arm, monkeypatch, emulator_env):
    for key, value in emulator_env.items():
        monkeypatch.setenv(key, value)
    return functions["OnApiEvent"].get_user_function()


def grid_event(
    subject: str, event_type: str = "Microsoft.Resources.ResourceWriteSuccess", **data
) -> func.EventGridEvent:
    return func.EventGridEvent(
        id="5d7e1d2c-0000-4000-8000-000000000001",
        data={"resourceUri": subject, "operationName": "Microsoft.ApiManagement/service/apis/write", **data},
        topic=f"/subscriptions/{PROD}/resourceGroups/rg-apis",
        subject=subject,
        event_type=event_type,
        event_time=dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC),
        data_version="2",
    )


def test_function_is_bound_to_event_grid(functions) -> None:
    trigger = functions["OnApiEvent"].get_trigger()
    assert (trigger.get_binding_name(), trigger.name) == ("eventGridTrigger", "event")


def test_new_api_event_logs_a_noncompliant_finding(on_api_event, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="monitors.function"):
        on_api_event(grid_event(f"{SVC}/apis/orders"))
    assert "reason=not_onboarded" in caplog.text


def test_event_with_auto_onboarding_creates_the_collection(on_api_event, arm, monkeypatch) -> None:
    monkeypatch.setenv("MONITOR_AUTO_ONBOARD", "on")
    on_api_event(grid_event(f"{SVC}/apis/orders;rev=2"))
    assert arm.state.has_collection(PROD, "rg-apis", "apim-prod", "orders")


def test_duplicate_delivery_onboards_once(on_api_event, arm, monkeypatch) -> None:
    monkeypatch.setenv("MONITOR_AUTO_ONBOARD", "on")
    on_api_event(grid_event(f"{SVC}/apis/orders"))
    on_api_event(grid_event(f"{SVC}/apis/orders"))
    assert [r.method for r in arm.requests].count("PUT") == 1


def test_apim_native_event_is_understood(on_api_event, caplog) -> None:
    event = func.EventGridEvent(
        id="e2",
        data={},
        topic=SVC,
        subject="/apis/echo-api;Rev=1",
        event_type="Microsoft.ApiManagement.APIUpdated",
        event_time=None,
        data_version="1",
    )
    with caplog.at_level(logging.INFO, logger="monitors.function"):
        on_api_event(event)
    assert "reason=onboarded" in caplog.text


def test_sub_resource_event_is_acknowledged_without_arm_calls(on_api_event, arm, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="monitors.function"):
        on_api_event(grid_event(f"{SVC}/apis/orders/operations/get-order"))
    assert ("ignored" in caplog.text, arm.request_count) == (True, 0)


def test_malformed_event_is_acknowledged_with_a_reason(on_api_event, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="monitors.function"):
        on_api_event(grid_event(f"{SVC}/apis/bad*id"))
    assert "malformed event" in caplog.text


def test_transient_arm_error_raises_so_event_grid_redelivers(on_api_event, arm) -> None:
    arm.add_fault("GET", "apiCollections", status=503, times=10)
    with pytest.raises(TransientAzureError):
        on_api_event(grid_event(f"{SVC}/apis/orders"))


def test_bad_setting_raises_naming_it_so_no_event_is_lost(on_api_event, monkeypatch) -> None:
    monkeypatch.setenv("MONITOR_AUTO_ONBOARD", "yes")
    with pytest.raises(SettingsError, match="MONITOR_AUTO_ONBOARD"):
        on_api_event(grid_event(f"{SVC}/apis/orders"))
