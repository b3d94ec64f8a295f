"""Approval tokens: what a link in an alert carries, signed and checked without I/O."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitors.approval_token import (
    ApprovalToken,
    Decision,
    TokenError,
    TokenProblem,
    fingerprint,
    key_id,
    sign,
    verify,
)
from monitors.model import Finding, Kind, Reason, Status

KEY = b"current-approval-key-0123456789abcdef"
OLD = b"previous-approval-key-0123456789abcdef"
API = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc/apis/orders"
NOW = 1_800_000_000
TOKEN = ApprovalToken(Decision.EXEMPT, API, NOW + 3600, "nonce-1", "f" * 16, days=30)


def problem(text: str, keys: tuple[bytes, ...] = (KEY,), now: int = NOW) -> TokenProblem:
    with pytest.raises(TokenError) as caught:
        verify(text, keys, now)
    return caught.value.problem


def test_a_signed_token_verifies_to_what_was_signed() -> None:
    assert verify(sign(TOKEN, KEY), (KEY,), NOW) == TOKEN


def test_after_a_rotation_the_previous_key_still_verifies_and_a_retired_one_does_not() -> None:
    old_link = sign(TOKEN, OLD)
    assert verify(old_link, (KEY, OLD), NOW) == TOKEN
    assert problem(old_link, (KEY,)) is TokenProblem.TAMPERED


def test_an_edited_payload_or_signature_is_tampered() -> None:
    kid, payload, signature = sign(TOKEN, KEY).split(".")
    forged = sign(ApprovalToken(Decision.ONBOARD, API, NOW + 3600, "nonce-1", "f" * 16), b"x" * 40).split(".")[1]
    assert problem(f"{kid}.{forged}.{signature}") is TokenProblem.TAMPERED
    assert problem(f"{kid}.{payload}.{signature[:-1]}A") is TokenProblem.TAMPERED
    assert problem(f"{key_id(OLD)}.{payload}.{signature}", (KEY, OLD)) is TokenProblem.TAMPERED


def test_a_token_expires_at_its_exp() -> None:
    link = sign(TOKEN, KEY)
    assert verify(link, (KEY,), TOKEN.expires - 1) == TOKEN
    assert problem(link, now=TOKEN.expires) is TokenProblem.EXPIRED


@pytest.mark.parametrize("text", ["", "abc", "a.b", "a.b.c.d", "x" * 5000, "..", "€.€.€"])
def test_what_is_not_a_token_is_malformed_or_tampered(text: str) -> None:
    assert problem(text) in (TokenProblem.MALFORMED, TokenProblem.TAMPERED)


@given(st.text(max_size=600))
def test_any_text_is_refused_with_a_token_error_only(text: str) -> None:
    with pytest.raises(TokenError):
        verify(text, (KEY,), NOW)


def finding(**changes: Any) -> Finding:
    base = Finding(
        kind=Kind.API,
        resource_id=API,
        subscription_id="s",
        resource_group="rg",
        service="svc",
        api="orders",
        display_name="Orders",
        status=Status.NONCOMPLIANT,
        reason=Reason.NOT_ONBOARDED,
        detail="not onboarded",
    )
    return dataclasses.replace(base, **changes)


def test_the_fingerprint_changes_with_the_reason_not_with_the_wording() -> None:
    assert fingerprint(finding()) == fingerprint(finding(detail="other words"))
    assert fingerprint(finding()) != fingerprint(finding(reason=Reason.EXEMPT, status=Status.EXEMPT))
    assert fingerprint(finding()) == fingerprint(finding(resource_id=API.upper()))
