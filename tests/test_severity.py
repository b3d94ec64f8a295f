"""The severity table (monitors/severity.py): one test per row, in the table's order, and the exposure conclusions
each row reads. The README's table lists the same rows; a row added without a test here fails the last test."""

from __future__ import annotations

from dataclasses import replace

import pytest

from monitors import severity
from monitors.exposure import Exposure, Posture, declares_oauth
from monitors.model import Finding, Kind, Reason, Severity, Status
from tests.alerts.factories import make_finding

PUBLIC_OPEN = Exposure(subscription_required=False, oauth=False, public_network_access="Enabled")
PUBLIC_KEYED = Exposure(subscription_required=True, oauth=False, public_network_access="Enabled")
INTERNAL_OPEN = Exposure(subscription_required=False, oauth=False, virtual_network_type="Internal")
EXPOSED_SENSITIVE = Posture(endpoints=3, unauthenticated_endpoints=1, external_endpoints=2, sensitive_data_endpoints=1)


def _api(status: Status = Status.NONCOMPLIANT, **fields: object) -> Finding:
    reason = Reason.ONBOARDED if status is Status.COMPLIANT else Reason.NOT_ONBOARDED
    return replace(make_finding("orders", status=status, reason=reason), **fields)  # type: ignore[arg-type]


ROWS = [
    pytest.param(_api(Status.COMPLIANT, posture=EXPOSED_SENSITIVE), Severity.CRITICAL, id="exposed-sensitive"),
    pytest.param(
        _api(Status.COMPLIANT, posture=Posture(unauthenticated_endpoints=2, external_endpoints=1)),
        Severity.HIGH,
        id="exposed",
    ),
    pytest.param(_api(exposure=PUBLIC_OPEN), Severity.HIGH, id="open-door"),
    pytest.param(
        replace(make_finding("", status=Status.NONCOMPLIANT, reason=Reason.PLAN_NOT_ENABLED), kind=Kind.PLAN),
        Severity.HIGH,
        id="plan-off",
    ),
    pytest.param(
        replace(make_finding("", status=Status.NONCOMPLIANT, reason=Reason.PLAN_CALLS_NEAR_INCLUDED), kind=Kind.PLAN),
        Severity.MEDIUM,
        id="plan-near-its-included-calls",
    ),
    pytest.param(
        _api(Status.COMPLIANT, posture=Posture(sensitive_data_endpoints=1, external_endpoints=0)),
        Severity.MEDIUM,
        id="sensitive",
    ),
    pytest.param(_api(exposure=PUBLIC_KEYED), Severity.MEDIUM, id="public-with-a-credential"),
    pytest.param(make_finding("orders", status=Status.ERROR, reason=Reason.ARM_ERROR), Severity.MEDIUM, id="unchecked"),
    pytest.param(_api(exposure=INTERNAL_OPEN), Severity.LOW, id="private"),
    pytest.param(
        replace(make_finding("gone"), kind=Kind.ORPHAN_COLLECTION, reason=Reason.COLLECTION_WITHOUT_API),
        Severity.LOW,
        id="orphan",
    ),
    pytest.param(_api(Status.COMPLIANT, posture=Posture(endpoints=4)), Severity.INFO, id="protected"),
]


@pytest.mark.parametrize(("finding", "expected"), ROWS)
def test_each_row_of_the_table(finding: Finding, expected: Severity) -> None:
    assert severity.grade(finding) == expected


def test_every_row_has_its_test() -> None:
    assert [row.severity for row in severity.TABLE] == [p.values[1] for p in ROWS]


def test_an_unprotected_api_of_unknown_exposure_is_medium_not_low() -> None:
    assert severity.grade(_api(exposure=None)) == Severity.MEDIUM


def test_exempt_and_not_applicable_are_info_whatever_the_exposure() -> None:
    exempt = replace(_api(exposure=PUBLIC_OPEN), status=Status.EXEMPT, reason=Reason.EXEMPT)
    skipped = replace(_api(exposure=PUBLIC_OPEN), status=Status.NOT_APPLICABLE, reason=Reason.NON_REST_API)
    assert (severity.grade(exempt), severity.grade(skipped)) == (Severity.INFO, Severity.INFO)


def test_a_finding_stored_before_severities_is_graded_when_read() -> None:
    stored = _api(exposure=PUBLIC_OPEN)
    data = stored.to_dict()
    assert ("severity" in data, severity.of(Finding.from_dict(data))) == (False, Severity.HIGH)


def test_the_severity_round_trips_through_the_findings_json() -> None:
    graded = severity.graded(_api(exposure=PUBLIC_OPEN))
    assert Finding.from_dict(graded.to_dict()) == graded


@pytest.mark.parametrize(
    ("exposure", "internet_facing", "credential_expected"),
    [
        (Exposure(public_network_access="Enabled", virtual_network_type="None"), True, None),
        (Exposure(public_network_access="Enabled", virtual_network_type="External"), True, None),
        (Exposure(public_network_access="Enabled", virtual_network_type="Internal"), False, None),
        (Exposure(public_network_access="Disabled", virtual_network_type="None"), False, None),
        (Exposure(), None, None),
        (Exposure(subscription_required=False, oauth=True), None, True),
        (Exposure(subscription_required=True, oauth=None), None, True),
        (Exposure(subscription_required=False, oauth=False), None, False),
        (Exposure(subscription_required=False, oauth=None), None, None),
    ],
)
def test_what_the_exposure_concludes(
    exposure: Exposure, internet_facing: bool | None, credential_expected: bool | None
) -> None:
    assert (exposure.internet_facing, exposure.credential_expected) == (internet_facing, credential_expected)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (None, None),
        ({"oAuth2AuthenticationSettings": [], "openidAuthenticationSettings": []}, False),  # the portal's export
        ({"oAuth2": None, "openid": None, "oAuth2AuthenticationSettings": []}, False),  # az apim api show
        ({"oAuth2": {"authorizationServerId": "aad", "scope": None}}, True),
        ({"openid": {"openidProviderId": "entra", "bearerTokenSendingMethods": ["authorizationHeader"]}}, True),
        ({"openidAuthenticationSettings": [{"openidProviderId": "entra"}]}, True),
        ("oauth", None),
    ],
)
def test_which_authentication_settings_declare_oauth(settings: object, expected: bool | None) -> None:
    assert declares_oauth(settings) == expected
