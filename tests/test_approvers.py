"""Who may decide: the Easy Auth principal header read into a user, and the MONITOR_APPROVERS check."""

from __future__ import annotations

import base64
import json

import pytest

from monitors.approvers import Principal, encode, signed_in

GROUP = "6f1e0a52-1d2b-4c55-9a8e-0d8c5c3b7e11"
ROLE_TYP = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"


def header(body: object) -> dict[str, str]:
    return {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(json.dumps(body).encode()).decode()}


def test_the_documented_header_shape_gives_the_user_its_roles_and_groups() -> None:
    # The decoded payload's shape per learn.microsoft.com/azure/app-service/configure-authentication-user-identities:
    # {"auth_typ", "claims": [{"typ", "val"}], "name_typ", "role_typ"}.
    body = {
        "auth_typ": "aad",
        "claims": [
            {"typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "val": "ana@contoso.example"},
            {"typ": ROLE_TYP, "val": "Defender.Approver"},
            {"typ": "groups", "val": GROUP},
        ],
        "name_typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
        "role_typ": ROLE_TYP,
    }
    user = signed_in(header(body))
    assert user == Principal("ana@contoso.example", frozenset({"Defender.Approver"}), frozenset({GROUP}))
    assert user.grants(["role:defender.approver"]) and user.grants([f"group:{GROUP.upper()}"])
    assert not user.grants(["role:Reader", "group:00000000-0000-0000-0000-000000000000"])
    assert not user.grants([])


def test_header_names_are_matched_in_any_case_and_encode_round_trips() -> None:
    value = encode("bob@contoso.example", roles=["Defender.Approver"])
    assert signed_in({"x-ms-client-principal": value}) == signed_in({"X-MS-Client-Principal": value})
    bob = Principal("bob@contoso.example", frozenset({"Defender.Approver"}))
    assert signed_in({"x-ms-client-principal": value}) == bob


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-MS-CLIENT-PRINCIPAL": ""},
        {"X-MS-CLIENT-PRINCIPAL": "not base64 !!"},
        {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(b"[1, 2]").decode()},
        header({"claims": [{"typ": "roles", "val": "Defender.Approver"}]}),  # no name: not a user
        {"X-MS-CLIENT-PRINCIPAL": "A" * 70_000},
    ],
)
def test_no_or_an_unreadable_header_is_nobody(headers: dict[str, str]) -> None:
    assert signed_in(headers) is None


def test_the_loopback_fallback_user_may_always_decide() -> None:
    assert Principal("me", local=True).grants([])
