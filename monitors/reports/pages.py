"""The Approve function's pages: the confirmation a GET shows and the result a POST shows (pure HTML, escaped).

Self-contained (inline style, no script, no outside resource), so the headers can forbid everything else
(``HEADERS``): no framing, no referrer to another site (the link's token must not leak there), nothing cached.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    # same-origin, not no-referrer: with no-referrer Chromium posts the form with "Origin: null", which the function
    # must refuse (it cannot tell it from a sandboxed foreign page); other sites still get no referrer, so no token.
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

_STYLE = """
body{font-family:system-ui,Segoe UI,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.5rem} dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1rem}
dt{font-weight:600} dd{margin:0;word-break:break-all} .note{color:#555}
button{font-size:1rem;padding:.6rem 1.4rem;border:0;border-radius:4px;background:#0f6cbd;color:#fff;cursor:pointer}
.ok{border-left:6px solid #107c10;padding-left:1rem} .refused{border-left:6px solid #c50f1f;padding-left:1rem}
"""


@dataclass(frozen=True)
class Subject:
    """What a page says about the API and the decision."""

    api: str
    service: str
    resource_group: str
    subscription_id: str
    action: str  # "Onboard to Defender for APIs" or "Exempt for 30 days"
    expires: str  # when the link stops working, ISO 8601


def confirmation(subject: Subject, approver: str, token: str, button: str) -> str:
    """The GET page: what would happen and a form whose POST does it; nothing has changed yet."""
    form = (
        '<form method="post">'
        f'<input type="hidden" name="t" value="{_e(token)}">'
        f'<button type="submit" id="confirm">{_e(button)}</button>'
        "</form>"
    )
    body = (
        f"<h1>{_e(subject.action)}?</h1>"
        f"{_facts(subject, approver)}"
        '<p class="note">Nothing has changed yet. The decision is recorded under your name and announced in the'
        " alert channels.</p>"
        f"{form}"
    )
    return _page(subject.action, body)


def result(title: str, message: str, *, ok: bool, subject: Subject | None = None, approver: str | None = None) -> str:
    """A POST's outcome, or a refusal (a bad, expired or spent link; a user who may not approve)."""
    facts = _facts(subject, approver) if subject is not None else ""
    body = f'<div class="{"ok" if ok else "refused"}" id="result"><h1>{_e(title)}</h1><p>{_e(message)}</p></div>'
    return _page(title, body + facts)


def _facts(subject: Subject | None, approver: str | None) -> str:
    if subject is None:
        return ""
    rows = [
        ("API", subject.api),
        ("APIM service", subject.service),
        ("Resource group", subject.resource_group),
        ("Subscription", subject.subscription_id),
        ("Decision", subject.action),
        ("Link valid until", subject.expires),
    ]
    if approver:
        rows.append(("Signed in as", approver))
    return "<dl>" + "".join(f"<dt>{_e(t)}</dt><dd>{_e(v)}</dd>" for t, v in rows) + "</dl>"


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)} · APIM Defender monitor</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def _e(text: str) -> str:
    return html.escape(text, quote=True)
