"""Microsoft Teams alerts: an Adaptive Card 1.5 posted to a Teams Workflows (Power Automate) webhook.

Office 365 connectors are retired and the Workflows trigger only accepts a ``message`` with an Adaptive Card
attachment; legacy ``{"text": ...}`` MessageCards fail inside the flow. Teams drops messages above about 28 KB, so a
digest lists as many alerts as fit and says how many it left out. A 2xx only means the flow accepted the message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from monitors.alerts import digest
from monitors.alerts.digest import Json
from monitors.alerts.http import Poster
from monitors.alerts.links import Link, Linker
from monitors.escape import commonmark
from monitors.model import Alert, AlertKind, OutboxItem, Status
from monitors.texts import REASON_TEXT, exposure_words

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_MESSAGE_BYTES = 24 * 1024  # Teams' cap is about 28 KB for the whole message; keep headroom for the envelope
_TEXT_LIMIT = 400
_GOOD = (AlertKind.RESOLVED, AlertKind.ONBOARDED)


def render_teams(alerts: Sequence[Alert], *, limit: int = digest.DIGEST_LIMIT, links: Linker | None = None) -> Json:
    """The Teams message for one alert (a full card) or many (one digest card: counts and the worst ``limit``);
    ``links`` gives an alert awaiting approval its Onboard and Exempt links."""
    found = _links_of(alerts, links)
    if len(alerts) == 1:
        return _message(_alert_card(alerts[0], found.get(alerts[0].alert_id, [])))
    ordered = digest.order_alerts(alerts)
    return _message(_digest_card(ordered, _fitting(ordered, min(limit, len(ordered)), found), found))


def serialize(message: Json) -> bytes:
    """The bytes posted to Teams (compact JSON, UTF-8); the size cap applies to these."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()


class TeamsSink:
    """Posts alert cards to one Teams Workflows webhook URL (a secret: never logged) through its ``poster`` (its own
    when none is given), which ``close`` closes."""

    name = "teams"

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        poster: Poster | None = None,
        links: Linker | None = None,
        mentions: Sequence[tuple[str, str]] = (),
    ) -> None:
        self._url = url
        self._mentions = tuple(mentions)  # (id, name shown): the people a routed sink's every message names
        self._timeout = timeout
        self._poster = poster or Poster()
        self._links = links

    def send(self, item: OutboxItem) -> None:
        """Post the item's card; raises DeliveryError unless Teams accepted it."""
        body = serialize(with_mentions(render_teams(item.alerts, links=self._links), self._mentions))
        self._poster.post(self._url, body, {"content-type": "application/json"}, sink=self.name, timeout=self._timeout)

    def close(self) -> None:
        self._poster.close()


def _message(card: Json) -> Json:
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }


def _card(body: list[Json], actions: list[Json]) -> Json:
    return {"type": "AdaptiveCard", "$schema": CARD_SCHEMA, "version": "1.5", "body": body, "actions": actions}


def _text(text: str, **style: Any) -> Json:
    return {"type": "TextBlock", "text": digest.clip(text, _TEXT_LIMIT), "wrap": True, **style}


def _open_url(title: str, url: str) -> Json:
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def _color(alert: Alert) -> str:
    if alert.kind in _GOOD:
        return "Good"
    return "Attention" if alert.finding.status in (Status.NONCOMPLIANT, Status.ERROR) else "Default"


def _links_of(alerts: Sequence[Alert], links: Linker | None) -> dict[str, list[Link]]:
    """Each alert's approval links, minted once per message (a digest that is sized twice keeps its tokens)."""
    if links is None:
        return {}
    return {alert.alert_id: found for alert in alerts if (found := links(alert))}


def _alert_card(alert: Alert, links: Sequence[Link] = ()) -> Json:
    f = alert.finding
    reason = REASON_TEXT[f.reason]
    facts = [
        ("API", commonmark(digest.subject_name(f))),
        ("Service", commonmark(f.service or "-")),
        ("Resource group", commonmark(f.resource_group or "-")),
        ("Subscription", commonmark(f.subscription_id)),
        ("Severity", digest.severity_word(f)),
        ("Status", digest.STATUS_WORDS[f.status]),
        ("Reason", reason.title),
        *([("Exposure", commonmark(exposure))] if (exposure := exposure_words(f)) else []),
        ("What was done", digest.ACTION_WORDS[f.action]),
        ("Alert", f"{alert.kind.value} · {alert.created_at.isoformat(timespec='seconds')}"),
    ]
    body = [
        _text(digest.headline(alert), size="Large", weight="Bolder", color=_color(alert)),
        _text(commonmark(f.detail)),
        {"type": "FactSet", "facts": [{"title": t, "value": digest.clip(v, _TEXT_LIMIT)} for t, v in facts]},
        _text(f"**What to do:** {reason.remediation}"),
    ]
    actions = [_open_url(link.title, link.url) for link in links]
    actions += [_open_url("Open in Azure portal", digest.portal_url(f)), _open_url("What this means", reason.docs_url)]
    return _card(body, actions)


def _digest_item(alert: Alert, links: Sequence[Link] = ()) -> Json:
    f = alert.finding
    subject = commonmark(digest.subject_name(f, name_limit=80))
    first = f"**{digest.KIND_WORDS[alert.kind]}** · {digest.severity_word(f)} · {subject}"
    place = commonmark(f.service or f.subscription_id)
    second = f"{place} · {REASON_TEXT[f.reason].title} · {digest.ACTION_WORDS[f.action]}"
    return {
        "type": "Container",
        "separator": True,
        "items": [
            _text(first, color=_color(alert)),
            _text(second, isSubtle=True, spacing="None"),
            *([_link_line(links)] if links else []),
        ],
        "selectAction": _open_url("Open in Azure portal", digest.portal_url(f)),
    }


def _link_line(links: Sequence[Link]) -> Json:
    # Not through _text: its clip would cut a signed URL; a token is base64url and the URL ours, nothing to escape.
    text = " · ".join(f"[{link.title}]({link.url})" for link in links)
    return {"type": "TextBlock", "text": text, "wrap": True, "spacing": "None"}


def _fitting(ordered: Sequence[Alert], most: int, links: dict[str, list[Link]]) -> int:
    """The largest number of listed alerts, up to ``most``, whose digest stays under the size cap (binary search)."""

    def fits(shown: int) -> bool:
        return len(serialize(_message(_digest_card(ordered, shown, links)))) <= MAX_MESSAGE_BYTES

    low, high = 0, most
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _digest_card(ordered: Sequence[Alert], shown: int, links: dict[str, list[Link]]) -> Json:
    counts = [*digest.count_kinds(ordered), *digest.count_statuses(ordered)]
    body: list[Json] = [
        _text(digest.digest_title(ordered), size="Large", weight="Bolder"),
        {"type": "FactSet", "facts": [{"title": word, "value": str(n)} for word, n in counts]},
        *(_digest_item(alert, links.get(alert.alert_id, [])) for alert in ordered[:shown]),
    ]
    hidden = len(ordered) - shown
    if hidden:
        body.append(_text(digest.more_line(hidden), isSubtle=True, separator=True))
    top = ordered[0].finding
    return _card(body, [_open_url("What this means", digest.docs_url(top))])


def with_mentions(message: Json, mentions: Sequence[tuple[str, str]]) -> Json:
    """The message with its card naming ``mentions`` ((id, name) pairs: a Teams user id, Entra object id or UPN, and
    the name shown): a TextBlock of ``<at>name</at>`` first, and one ``msteams.entities`` mention per person, as
    Microsoft's "Format cards in Teams" shows. The names are the route's, checked by ``monitors.routing``."""
    if not mentions:
        return message
    card = message["attachments"][0]["content"]
    tags = [f"<at>{name}</at>" for _, name in mentions]
    entities = [
        {"type": "mention", "text": tag, "mentioned": {"id": mention_id, "name": name}}
        for tag, (mention_id, name) in zip(tags, mentions, strict=True)
    ]
    card["body"] = [{"type": "TextBlock", "text": " ".join(tags), "wrap": True}, *card["body"]]
    card["msteams"] = {**card.get("msteams", {}), "entities": entities}
    return message
