"""Slack alerts: a Block Kit message posted to an incoming webhook, at most one message per second per webhook.

Slack's limits shape the renderer: at most 50 blocks, 3,000 characters per section text, 2,000 per field, 150 per
header and 75 per button label; ``&``, ``<`` and ``>`` must be escaped in mrkdwn. Beyond about one message per second
a webhook answers 429 with Retry-After, which ``http.Poster.post`` turns into ``DeliveryError.retry_after``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Sequence

from monitors.alerts import digest
from monitors.alerts.digest import Json
from monitors.alerts.http import Poster
from monitors.alerts.links import Link, Linker
from monitors.model import Alert, OutboxItem
from monitors.texts import REASON_TEXT, exposure_words

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
_MAX_LISTED = MAX_BLOCKS - 4  # header, counts, context and actions frame the listed alerts
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves for links and mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_slack(alerts: Sequence[Alert], *, limit: int = digest.DIGEST_LIMIT, links: Linker | None = None) -> Json:
    """The Slack message for one alert (full detail) or many (one digest: counts and the worst ``limit``); ``links``
    gives an alert awaiting approval its Onboard and Exempt links (plain links: buttons would need a Slack app)."""
    if len(alerts) == 1:
        alert = alerts[0]
        fallback = f"{digest.headline(alert)}: {digest.subject_name(alert.finding)}"
        found = links(alert) if links is not None else []
        return {"text": _mrkdwn(fallback, MAX_SECTION_TEXT), "blocks": _alert_blocks(alert, found)}
    ordered = digest.order_alerts(alerts)
    fallback = f"{digest.digest_title(ordered)} ({digest.format_counts(ordered)})"
    blocks = _digest_blocks(ordered, min(limit, _MAX_LISTED), links)
    return {"text": _mrkdwn(fallback, MAX_SECTION_TEXT), "blocks": blocks}


class SlackSink:
    """Posts alerts to one Slack incoming webhook (its URL is a secret: never logged), pacing sends in this process,
    through its ``poster`` (its own when none is given), which ``close`` closes."""

    name = "slack"

    def __init__(
        self,
        url: str,
        min_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        *,
        timeout: float = 10.0,
        poster: Poster | None = None,
        links: Linker | None = None,
        mentions: Sequence[str] = (),
    ) -> None:
        self._url = url
        self._mentions = tuple(mentions)  # "<@U…>", "<!subteam^S…>": whom a routed sink's every message names
        self._poster = poster or Poster()
        self._links = links
        self._min_interval = min_interval
        self._clock = clock
        self._sleep = sleep
        self._timeout = timeout
        self._lock = threading.Lock()
        self._last_sent: float | None = None

    def send(self, item: OutboxItem) -> None:
        """Post the item's message no sooner than ``min_interval`` after the previous one; raises DeliveryError
        unless Slack accepted it."""
        message = with_mentions(render_slack(item.alerts, links=self._links), self._mentions)
        body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
        with self._lock:
            if self._last_sent is not None:
                wait = self._last_sent + self._min_interval - self._clock()
                if wait > 0:
                    self._sleep(wait)
            try:
                self._poster.post(
                    self._url, body, {"content-type": "application/json"}, sink=self.name, timeout=self._timeout
                )
            finally:
                self._last_sent = self._clock()

    def close(self) -> None:
        self._poster.close()


def _mrkdwn(text: str, limit: int) -> str:
    """Escape, then cut to ``limit`` without leaving half an entity or an unclosed <link|label> behind."""
    return _cut(escape(text), limit)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = _PARTIAL_ENTITY.sub("", text[: limit - 1])
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    return cut + "…"


def _plain(text: str, limit: int) -> Json:
    return {"type": "plain_text", "text": digest.clip(text, limit), "emoji": True}


def _section(text: str, fields: Sequence[str] = ()) -> Json:
    block: Json = {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, MAX_SECTION_TEXT)}}
    if fields:
        block["fields"] = [{"type": "mrkdwn", "text": _cut(field, MAX_FIELD_TEXT)} for field in fields[:10]]
    return block


def _button(label: str, url: str, action_id: str) -> Json:
    return {"type": "button", "text": _plain(label, 75), "url": url, "action_id": action_id}


def _link(url: str, label: str) -> str:
    return f"<{url}|{escape(digest.clip(label, 300))}>"


def _link_line(links: Sequence[Link]) -> str:
    return "  ·  ".join(f"<{link.url}|{escape(link.title)}>" for link in links)


def _alert_blocks(alert: Alert, links: Sequence[Link] = ()) -> list[Json]:
    f = alert.finding
    reason = REASON_TEXT[f.reason]
    facts = [
        ("Severity", digest.severity_word(f)),
        ("Status", digest.STATUS_WORDS[f.status]),
        ("Reason", reason.title),
        *([("Exposure", exposure)] if (exposure := exposure_words(f)) else []),
        ("What was done", digest.ACTION_WORDS[f.action]),
        ("Service", f.service or "-"),
        ("Resource group", f.resource_group or "-"),
        ("Subscription", f.subscription_id),
    ]
    stamp = alert.created_at.isoformat(timespec="seconds")
    return [
        {"type": "header", "text": _plain(digest.headline(alert), MAX_HEADER_TEXT)},
        _section(
            f"*{escape(digest.clip(digest.subject_name(f), 300))}*\n{escape(f.detail)}",
            [f"*{title}*\n{escape(value)}" for title, value in facts],
        ),
        _section(f"*What to do:* {escape(reason.remediation)}"),
        *([_section(f"*Decide:* {_link_line(links)}")] if links else []),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _mrkdwn(f"{alert.kind.value} · {stamp}", 300)}]},
        {
            "type": "actions",
            "elements": [
                _button("Open in Azure portal", digest.portal_url(f), "open_portal"),
                _button("What this means", reason.docs_url, "open_docs"),
            ],
        },
    ]


def _digest_line(alert: Alert, links: Linker | None = None) -> str:
    f = alert.finding
    where = escape(digest.clip(f.service or f.subscription_id, 200))
    details = escape(f"{REASON_TEXT[f.reason].title} · {digest.ACTION_WORDS[f.action]}")
    kind = f"{digest.KIND_WORDS[alert.kind]}* · *{digest.severity_word(f)}"
    line = f"*{kind}* · {_link(digest.portal_url(f), digest.subject_name(f))} on {where}\n{details}"
    found = links(alert) if links is not None else []
    return f"{line}\n{_link_line(found)}" if found else line


def _digest_blocks(ordered: Sequence[Alert], shown: int, links: Linker | None = None) -> list[Json]:
    counts = [*digest.count_kinds(ordered), *digest.count_statuses(ordered)]
    shown = min(shown, len(ordered))
    hidden = len(ordered) - shown
    closing = digest.more_line(hidden) if hidden else f"All {len(ordered)} alerts are listed."
    return [
        {"type": "header", "text": _plain(digest.digest_title(ordered), MAX_HEADER_TEXT)},
        _section(f"*{escape(digest.format_counts(ordered))}*", [f"*{word}*\n{n}" for word, n in counts]),
        *(_section(_digest_line(alert, links)) for alert in ordered[:shown]),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _mrkdwn(closing, 3000)}]},
        {"type": "actions", "elements": [_button("What this means", digest.docs_url(ordered[0].finding), "open_docs")]},
    ]


def with_mentions(message: Json, mentions: Sequence[str]) -> Json:
    """The message naming ``mentions`` (``<@U…>`` users, ``<!subteam^S…>`` groups, ``<!here>``; checked by
    ``monitors.routing``, so not escaped) first in its notification text and in its first section, where Slack
    notifies them."""
    if not mentions:
        return message
    line = " ".join(mentions)
    message["text"] = _cut(f"{line} {message['text']}", MAX_SECTION_TEXT)
    section = next((block for block in message["blocks"] if block["type"] == "section"), None)
    if section is not None:
        section["text"]["text"] = _cut(f"{line}\n{section['text']['text']}", MAX_SECTION_TEXT)
    return message
