"""A person's decision on an approval link: check the link and the person, then onboard or exempt the API once.

``GET`` only shows what would happen (chat clients, link unfurlers and mail scanners fetch links on their own), so it
never writes. ``POST`` acts, in this order:
1. the token verifies (``approval_token``: signature, key, expiry) and names an API;
2. the signed-in user may approve (``approvers``); without a user, a GET is sent to sign in first. The user is read
   from App Service authentication's header only while WEBSITE_AUTH_ENABLED says it is on (else a client could send
   the header itself); locally, MONITOR_APPROVAL_LOCAL_USER stands in, on loopback only;
3. the Origin, when the browser sends one, is this page's own (another site cannot post a form here);
4. the link's nonce is claimed in the state store (an etag-checked insert, so of two concurrent POSTs exactly one
   goes on; the other is told the link is in use, then spent);
5. the API is read afresh: if it is no longer a not-onboarded API, or what the alert said about it no longer holds
   (the token's fingerprint), nothing is done;
6. Onboard goes through the onboarding path and its waves (queued in Azure, in place locally); Exempt writes the
   service's exemption tag with the expiry, through the Tags API;
7. the decision (who, what, when, result) is recorded and the nonce marked spent; the runtime announces the outcome.
A platform failure (throttling, storage down) gives the claim back and says to try again: nothing is spent or lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from monitors import rules
from monitors.approval_token import ApprovalToken, Decision, TokenError, TokenProblem, fingerprint, verify
from monitors.approvers import Principal, signed_in
from monitors.azure import tags
from monitors.engine import Engine
from monitors.errors import AzureError, EventError, StateError, TransientAzureError
from monitors.events import parse_api_id
from monitors.model import Action, ApiRef, DecisionRecord, EventClaim, Finding, Reason, Status
from monitors.queues import OnboardRequest
from monitors.reports import pages
from monitors.settings import Settings
from monitors.state.contract import StateStore
from monitors.urls import is_loopback

log = logging.getLogger(__name__)
NONCE_LEASE = dt.timedelta(minutes=5)  # longer than an in-place onboarding may take (MONITOR_ONBOARD_TIMEOUT_SECONDS)
LOGIN_PATH = "/.auth/login/aad"
_TOKEN_TITLES = {
    TokenProblem.MALFORMED: "This is not a valid approval link",
    TokenProblem.TAMPERED: "This approval link has been altered",
    TokenProblem.EXPIRED: "This approval link has expired",
}


@dataclass(frozen=True)
class ApprovalRequest:
    """One request to the Approve function, as the entry point read it."""

    method: str
    url: str
    token: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), "")


@dataclass(frozen=True)
class Page:
    status: int
    html: str = ""
    location: str | None = None


@dataclass(frozen=True)
class ApprovalOutcome:
    """The page to answer with; ``spent``: the link has acted (or can never act) and its nonce is marked used."""

    page: Page
    spent: bool = True


class Approvals:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        store: StateStore,
        *,
        announce: Callable[[list[Finding]], None],
        enqueue: Callable[[OnboardRequest], None] | None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        """``announce`` records and delivers findings (the runtime's notify step); ``enqueue`` hands an approved
        onboarding to the onboarding queue (None: onboard in place, as the CLI and the demo do)."""
        self._settings, self._engine, self._store = settings, engine, store
        self._announce, self._enqueue = announce, enqueue
        self._now = now

    def handle(self, request: ApprovalRequest) -> ApprovalOutcome:
        now = self._now()
        try:
            token = verify(request.token, self._settings.approval_keys, int(now.timestamp()))
            ref = parse_api_id(token.api_id)
        except TokenError as exc:
            return _refused(400 if exc.problem is TokenProblem.MALFORMED else 410, _TOKEN_TITLES[exc.problem], str(exc))
        except EventError:
            return _refused(400, _TOKEN_TITLES[TokenProblem.MALFORMED], "the link names no API this monitor knows")
        subject = self._subject(token, ref)
        if not self._settings.easy_auth and not self._settings.approval_local_user:
            message = "App Service authentication is off on this app (WEBSITE_AUTH_ENABLED), so nobody can sign in."
            return _refused(503, "Sign-in is not set up", message, subject)
        principal = self._principal(request)
        if principal is None:
            if request.method == "GET" and not self._settings.approval_local_user:
                return ApprovalOutcome(Page(302, location=_login(request.url)))
            return _refused(401, "Sign in first", "Open the link from the alert again to sign in.", subject)
        if not principal.grants(self._settings.approvers):
            log.warning(
                "approval link for %s refused: %s holds no approver role or group", ref.resource_id, principal.name
            )
            message = f"You are signed in as {principal.name}, who holds none of the approver roles or groups."
            return _refused(403, "You may not approve this", message, subject, principal.name)
        if self._store.event_seen(_nonce_key(token)):
            return _refused(409, "This link has already been used", _spent(self._store, token), subject, principal.name)
        if request.method == "GET":
            button = "Onboard now" if token.decision is Decision.ONBOARD else f"Exempt for {token.days} days"
            return ApprovalOutcome(Page(200, pages.confirmation(subject, principal.name, request.token, button)))
        if not _same_origin(request):
            return _refused(403, "Refused", "The form was posted from another site.", subject, principal.name)
        return self._decide(token, ref, subject, principal, now)

    def _decide(
        self, token: ApprovalToken, ref: ApiRef, subject: pages.Subject, who: Principal, now: dt.datetime
    ) -> ApprovalOutcome:
        key = _nonce_key(token)
        claim = self._store.claim_event(key, now, NONCE_LEASE)
        if claim is EventClaim.DONE:
            return _refused(409, "This link has already been used", _spent(self._store, token), subject, who.name)
        if claim is EventClaim.BUSY:
            message = "Another click on this link is being acted on right now; reload in a minute to see its result."
            return _refused(409, "This link is in use", message, subject, who.name)
        try:
            outcome = self._act(token, ref, subject, who, now)
        except (TransientAzureError, StateError) as exc:
            self._release(key)
            log.warning("approval of %s: %s; the link stays usable", ref.resource_id, exc)
            return _refused(503, "Try again in a minute", f"Azure or the state store did not answer ({exc}).", subject)
        except AzureError as exc:
            self._release(key)
            log.error("approval of %s failed: %s", ref.resource_id, exc)
            return _refused(502, "Azure refused the change", f"{exc}. The link stays usable.", subject, who.name)
        if outcome.spent:
            self._store.mark_event(key, now)
        else:
            self._release(key)
        return outcome

    def _act(
        self, token: ApprovalToken, ref: ApiRef, subject: pages.Subject, who: Principal, now: dt.datetime
    ) -> ApprovalOutcome:
        fresh = self._engine.assess_api(ref)
        if fresh.reason is not Reason.NOT_ONBOARDED or fingerprint(fresh) != token.fingerprint:
            message = f"The API changed since the alert; nothing was done. Now: {fresh.detail}"
            self._record(token, ref, who, now, "changed", message)
            return _refused(409, "The API changed since the alert", message, subject, who.name)
        if token.decision is Decision.EXEMPT:
            return self._exempt(token, ref, subject, who, now)
        if self._enqueue is not None:
            self._enqueue(OnboardRequest(ref, f"approval-{token.nonce}", approved_by=who.name))
            detail = f"Approved by {who.name}: onboarding is queued; its result is announced in the alert channels."
            self._record(token, ref, who, now, "queued", detail)
            page = pages.result("Onboarding approved", detail, ok=True, subject=subject, approver=who.name)
            return ApprovalOutcome(Page(202, page))
        finding = self._engine.check_api(ref, approved_by=who.name)
        if finding.action is Action.ONBOARD_DEFERRED:  # the service's wave is full or its gateway busy
            page = pages.result(
                "Not yet: try again later", finding.detail, ok=False, subject=subject, approver=who.name
            )
            return ApprovalOutcome(Page(503, page), spent=False)
        ok = finding.action is Action.ONBOARDED
        self._record(token, ref, who, now, "onboarded" if ok else "failed", finding.detail)
        self._announce([finding])
        title = "Onboarded to Defender for APIs" if ok else "Onboarding did not finish; the link stays usable"
        page = pages.result(title, finding.detail, ok=ok, subject=subject, approver=who.name)
        return ApprovalOutcome(Page(200 if ok else 502, page), spent=ok)

    def _exempt(
        self, token: ApprovalToken, ref: ApiRef, subject: pages.Subject, who: Principal, now: dt.datetime
    ) -> ApprovalOutcome:
        until = (now + dt.timedelta(days=token.days)).date()
        value = f"exempted by {who.name} from an approval link; expires={until.isoformat()}"
        tags.merge_tag(self._engine.clients.apim(ref.subscription_id), ref.service_ref.resource_id, self._tag, value)
        finding = self._engine.assess_api(ref)
        exempt = finding.status is Status.EXEMPT
        detail = (
            f"API '{ref.api_id}' of APIM service '{ref.service}' is exempt until {until.isoformat()}, approved by"
            f" {who.name} (tag '{self._tag}' on the service)."
        )
        if exempt:
            finding = rules.with_action(finding, Action.EXEMPTED, detail)
        else:
            detail = f"The tag '{self._tag}' was written, but the API still reads as {finding.status.value}."
        self._record(token, ref, who, now, "exempted" if exempt else "failed", detail)
        self._announce([finding])
        title = "Exempted" if exempt else "The exemption did not take"
        page = pages.result(title, detail, ok=exempt, subject=subject, approver=who.name)
        return ApprovalOutcome(Page(200 if exempt else 502, page))

    @property
    def _tag(self) -> str:
        return self._settings.exempt_tag

    def _record(
        self, token: ApprovalToken, ref: ApiRef, who: Principal, now: dt.datetime, result: str, detail: str
    ) -> None:
        record = DecisionRecord(token.nonce, token.decision.value, ref.resource_id, who.name, now, result, detail)
        self._store.record_decision(record)
        log.info("approval: %s %s %s by %s: %s", token.decision.value, ref.resource_id, result, who.name, detail)

    def _release(self, key: str) -> None:
        try:
            self._store.release_event(key)
        except StateError as exc:
            log.warning("approval link %s: claim kept until its lease ends (%s)", key, exc)

    def _principal(self, request: ApprovalRequest) -> Principal | None:
        # The header is App Service authentication's only while it is on: it then removes one a client sends.
        user = signed_in(request.headers) if self._settings.easy_auth else None
        if user is not None:
            return user
        local = self._settings.approval_local_user
        if local and is_loopback(urlsplit(request.url).hostname):
            return Principal(local, local=True)
        return None

    def _subject(self, token: ApprovalToken, ref: ApiRef) -> pages.Subject:
        # The exemption tag is the service's (MONITOR_EXEMPT_TAG): it exempts every API of the service, and says so.
        exempt = f"Exempt every API of APIM service '{ref.service}' for {token.days} days"
        action = "Onboard to Defender for APIs" if token.decision is Decision.ONBOARD else exempt
        expires = dt.datetime.fromtimestamp(token.expires, dt.UTC).isoformat(timespec="minutes")
        return pages.Subject(ref.api_id, ref.service, ref.resource_group, ref.subscription_id, action, expires)


def _nonce_key(token: ApprovalToken) -> str:
    return f"approval-link/{token.nonce}"


def _spent(store: StateStore, token: ApprovalToken) -> str:
    record = store.decision(token.nonce)
    if record is None:
        return "Each link acts once."
    when = record.at.isoformat(timespec="seconds")
    return f"Each link acts once: {record.approver} used it at {when} ({record.result})."


def _same_origin(request: ApprovalRequest) -> bool:
    origin = request.header("origin")
    if not origin or origin == "null":
        return not origin  # browsers send "null" from sandboxed or privacy-sensitive contexts: refuse that one
    here, there = urlsplit(request.url), urlsplit(origin)
    forwarded = request.header("x-forwarded-host") or request.header("host")
    hosts = {here.netloc.lower(), forwarded.lower()}
    return there.netloc.lower() in hosts


def _login(url: str) -> str:
    parts = urlsplit(url)
    back = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"{LOGIN_PATH}?post_login_redirect_uri={quote(back, safe='')}"


def _refused(
    status: int, title: str, message: str, subject: pages.Subject | None = None, approver: str | None = None
) -> ApprovalOutcome:
    return ApprovalOutcome(Page(status, pages.result(title, message, ok=False, subject=subject, approver=approver)))
