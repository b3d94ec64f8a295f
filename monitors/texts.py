"""The human words for each reason code (a title, a one-line remediation and a docs link, in one table) and for a
finding's exposure.

Renderers and alert cards read these; rules only pick the code and write the one-sentence detail.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitors.model import Finding, Reason

_DOCS = "https://learn.microsoft.com/azure/defender-for-cloud"


@dataclass(frozen=True)
class ReasonText:
    title: str
    remediation: str
    docs_url: str


REASON_TEXT: dict[Reason, ReasonText] = {
    Reason.ONBOARDED: ReasonText(
        "Onboarded to Defender for APIs",
        "Nothing to do.",
        f"{_DOCS}/defender-for-apis-introduction",
    ),
    Reason.NOT_ONBOARDED: ReasonText(
        "Not onboarded to Defender for APIs",
        "Onboard the API from Defender for Cloud, or set MONITOR_AUTO_ONBOARD=on.",
        f"{_DOCS}/defender-for-apis-deploy",
    ),
    Reason.PLAN_NOT_ENABLED: ReasonText(
        "Defender for APIs plan is off",
        "Enable the Defender for APIs plan (Microsoft.Security/pricings/Api, Standard) on the subscription.",
        f"{_DOCS}/defender-for-apis-deploy",
    ),
    Reason.PLAN_ENABLED: ReasonText(
        "Defender for APIs plan is on",
        "Nothing to do.",
        f"{_DOCS}/defender-for-apis-deploy",
    ),
    Reason.NON_REST_API: ReasonText(
        "Not a REST API",
        "Defender for APIs only protects REST APIs; nothing to do.",
        f"{_DOCS}/defender-for-apis-prepare",
    ),
    Reason.WORKSPACE_API: ReasonText(
        "API in an APIM workspace",
        "Defender for APIs cannot onboard workspace APIs yet; nothing to do.",
        f"{_DOCS}/defender-for-apis-prepare",
    ),
    Reason.UNSUPPORTED_TIER: ReasonText(
        "APIM tier not supported",
        "Defender for APIs needs the Developer, Basic, Standard or Premium tier.",
        f"{_DOCS}/defender-for-apis-prepare",
    ),
    Reason.UNSUPPORTED_REGION: ReasonText(
        "APIM region not supported",
        "Defender for APIs is not offered in this region; see the supported regions.",
        f"{_DOCS}/defender-for-apis-prepare",
    ),
    Reason.SELF_HOSTED_GATEWAY: ReasonText(
        "Served by a self-hosted gateway",
        "Defender for APIs does not onboard APIs exposed through self-hosted gateways.",
        f"{_DOCS}/defender-for-apis-prepare",
    ),
    Reason.EXEMPT: ReasonText(
        "Exempted by tag",
        "Review the exemption before it expires.",
        f"{_DOCS}/defender-for-apis-deploy",
    ),
    Reason.API_NOT_FOUND: ReasonText(
        "API no longer exists",
        "Nothing to do: the API was deleted.",
        f"{_DOCS}/defender-for-apis-manage",
    ),
    Reason.COLLECTION_WITHOUT_API: ReasonText(
        "Defender collection without an API",
        "Offboard the leftover apiCollection of the deleted API.",
        f"{_DOCS}/defender-for-apis-manage",
    ),
    Reason.ASSESSMENT_WITHOUT_API: ReasonText(
        "Defender lists an API that API Management no longer has",
        "Nothing to do in APIM; Defender's recommendation drops the row when its inventory catches up.",
        f"{_DOCS}/defender-for-apis-deploy",
    ),
    Reason.PLAN_CALLS_NEAR_INCLUDED: ReasonText(
        "API calls near the sub-plan's included calls",
        "Compare the month's API calls with the sub-plans and move the subscription to the plan that fits "
        "(Defender for Cloud > Environment settings > Defender for APIs), before overage bills.",
        f"{_DOCS}/defender-for-apis-deploy",
    ),
    Reason.ONBOARDING_PAUSED: ReasonText(
        "Onboarding paused: the APIM gateway's capacity is above the limit",
        "Nothing to do unless it lasts: onboarding resumes when the Capacity metric is at or below "
        "MONITOR_ONBOARD_CAPACITY_LIMIT. If the metric cannot be read, grant Microsoft.Insights/metrics/read.",
        "https://learn.microsoft.com/azure/api-management/api-management-capacity",
    ),
    Reason.PERMISSION_DENIED: ReasonText(
        "Permission denied",
        "Grant the monitor's identity read access to APIM and Defender for Cloud (see infra/).",
        f"{_DOCS}/defender-for-apis-prepare",
    ),
    Reason.ARM_ERROR: ReasonText(
        "Azure could not answer",
        "Transient Azure error: the next run retries; check Azure status if it persists.",
        "https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling",
    ),
}


def exposure_words(finding: Finding) -> str | None:
    """One phrase on how exposed the API is: Defender's posture of an onboarded API, else what APIM says of an
    unprotected one; None when neither is known."""
    p, e = finding.posture, finding.exposure
    if p is not None:
        counts = [
            (p.external_endpoints, "external"),
            (p.unauthenticated_endpoints, "unauthenticated"),
            (p.sensitive_data_endpoints, "with sensitive data"),
        ]
        known = [f"{n} {word}" for n, word in counts if n is not None]
        total = f"{p.endpoints} endpoints" if p.endpoints is not None else "endpoints"
        return f"Defender sees {total}: {', '.join(known)}" if known else None
    if e is None:
        return None
    reach = {True: "internet-facing", False: "private network only", None: "reach unknown"}[e.internet_facing]
    credential = {
        True: "a subscription key or OAuth expected",
        False: "no subscription key, no OAuth",
        None: "credentials unknown",
    }[e.credential_expected]
    return f"{reach}; {credential}" + ("; plain HTTP allowed" if e.plain_http else "")
