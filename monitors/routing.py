"""Who an alert is for: the owner of what it is about, and the sinks that owner's alerts go to. Pure: no I/O.

The owner is the first owner tag (MONITOR_OWNER_TAGS, in order) found on the APIM service, else on its resource
group, else on its subscription, written ``tag=value`` (``team=payments``). MONITOR_ROUTES maps owners to sinks; a
route carries no secret, only the NAME of another app setting that holds the webhook URL::

    MONITOR_ROUTES = route *(";" route)
    route          = tag "=" value "->" kind ":" SETTING *(" " item)
    kind           = "teams" / "slack"
    item           = "+default"                       ; the default route gets these alerts too
                   / "@" id "|" name                  ; Teams: a user (29:..., Entra object id, UPN), name shown
                   / "<@U...>" / "<!subteam^S...>"    ; Slack: a user, a user group
                   / "<!here>" / "<!channel>"

    team=payments -> teams:PAYMENTS_TEAMS_URL @ana@contoso.com|Ana Diaz; owner=bob -> slack:BOB_SLACK_URL <@U0123>

Tag names and values compare case-insensitively. An alert goes to the sinks of every route its owner matches, and
only there, unless one of them says ``+default``; an alert with no owner, or one no route names, goes to the default
route (the MONITOR_*_WEBHOOK_URL and Event Grid sinks). Each routed sink is named ``<kind>@<setting>`` in the outbox
(``teams@payments_teams_url``): routes naming the same setting share one sink, which mentions all their people.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitors.errors import SettingsError

DEFAULT_OWNER_TAGS = ("owner", "team")
KINDS = ("teams", "slack")
MAX_MENTIONS = 10  # per route
ALSO_DEFAULT = "+default"
GRAMMAR = "expected 'tag=value -> teams:SETTING [@id|Name ...] [+default]' or 'tag=value -> slack:SETTING [<@U…> ...]'"

_SETTING = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_SINK = re.compile(r"(?P<kind>[A-Za-z]+):(?P<setting>\S*)")
_SLACK_MENTION = re.compile(r"<@[UW][A-Z0-9]{2,20}>|<!subteam\^S[A-Z0-9]{2,20}>|<!here>|<!channel>")
_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_TEAMS_ID = re.compile(
    rf"29:[A-Za-z0-9_-]{{2,97}}|8:orgid:{_GUID}|{_GUID}|[A-Za-z0-9._%+'-]{{1,64}}@[A-Za-z0-9.-]{{3,63}}"
)
# Ten mentions of the longest id and name add under 3.5 KB: within the 4 KB a Teams card keeps under Teams' cap.
_ID_LIMIT, _NAME_LIMIT = 100, 48
# A name runs to the next " @", " <" or " +default", or to the end; it may not hold what would end it early.
_TEAMS_MENTION = re.compile(r"@(?P<id>[^\s|]+)\|(?P<name>[^@<>|;+]+?)(?=\s+[@<+]|\s*$)")


@dataclass(frozen=True)
class Route:
    """One ``tag=value -> kind:SETTING`` route: the owner it matches, the sink it names, whom it mentions."""

    tag: str  # lower-cased
    value: str
    kind: str  # "teams" or "slack"
    url_setting: str  # the NAME of the app setting holding the URL; never the URL
    slack_mentions: tuple[str, ...] = ()  # "<@U0123>", "<!subteam^S0456>"
    teams_mentions: tuple[tuple[str, str], ...] = ()  # (id, name shown)
    also_default: bool = False

    @property
    def sink_name(self) -> str:
        return routed_sink_name(self.kind, self.url_setting)

    def matches(self, owner: str | None) -> bool:
        if owner is None:
            return False
        tag, _, value = owner.partition("=")
        return tag.strip().lower() == self.tag and value.strip().casefold() == self.value.casefold()


def routed_sink_name(kind: str, setting: str) -> str:
    """The outbox's name for a routed sink: distinct from the default sinks ("teams", "slack", ...) and from each
    other, and free of ":" (the dispatcher's claims are ``sink:alert_id``)."""
    return f"{kind}@{setting.lower()}"


def owner_from(tag_names: Sequence[str], *layers: Mapping[str, str] | None) -> str | None:
    """``tag=value`` for the first layer (service, resource group, subscription) holding a non-empty owner tag, the
    tags tried in ``tag_names`` order; None when no layer has one. Azure tag names are case-insensitive."""
    for tags in layers:
        if not tags:
            continue
        lowered = {str(name).lower(): str(value) for name, value in tags.items()}
        for name in tag_names:
            value = lowered.get(name.lower(), "").strip()
            if value:
                return f"{name.lower()}={value}"
    return None


def destinations(routes: Sequence[Route], owner: str | None, default: Sequence[str]) -> list[str]:
    """The sink names an alert about something ``owner`` owns goes to, each once: the matching routes' sinks, and
    the ``default`` sinks when no route matches or a matching route says ``+default``."""
    matched = [route for route in routes if route.matches(owner)]
    names = list(dict.fromkeys(route.sink_name for route in matched))
    if not matched or any(route.also_default for route in matched):
        names += [name for name in default if name not in names]
    return names


def parse_routes(raw: str, owner_tags: Sequence[str]) -> tuple[Route, ...]:
    """MONITOR_ROUTES as routes; raises SettingsError with one line naming the route by its number. A route's text
    is never echoed (a URL pasted where a setting's name belongs would be a secret), only a tag or setting name that
    has already passed its own rule."""
    routes = []
    for number, text in enumerate(raw.split(";"), 1):
        if text.strip():
            routes.append(_route(text.strip(), number, [t.lower() for t in owner_tags]))
    return tuple(routes)


def _fail(number: int, problem: str) -> SettingsError:
    return SettingsError(f"MONITOR_ROUTES: route {number} {problem}; {GRAMMAR}")


def _route(text: str, number: int, owner_tags: list[str]) -> Route:
    selector, arrow, target = text.partition("->")
    if not arrow:
        raise _fail(number, "has no '->'")
    tag, equals, value = selector.partition("=")
    tag, value = tag.strip().lower(), value.strip()
    if not equals or not tag or not value:
        raise _fail(number, "does not start with tag=value")
    if tag not in owner_tags:
        raise _fail(number, f"matches tag {tag[:40]!r}, which is not in MONITOR_OWNER_TAGS ({', '.join(owner_tags)})")
    sink, *tail = target.split(maxsplit=1) or [""]
    rest = tail[0] if tail else ""
    parsed = _SINK.fullmatch(sink)
    if not parsed or parsed["kind"].lower() not in KINDS:
        raise _fail(number, "must name its sink as teams:SETTING or slack:SETTING")
    kind, setting = parsed["kind"].lower(), parsed["setting"]
    if not _SETTING.fullmatch(setting):
        raise _fail(number, "names no app setting after its sink kind (the setting's NAME, never the URL itself)")
    slack, teams, also_default = _items(rest, kind, number)
    if len(slack) + len(teams) > MAX_MENTIONS:
        raise _fail(number, f"mentions more than {MAX_MENTIONS} people or groups")
    return Route(tag, value, kind, setting, slack, teams, also_default)


def _items(rest: str, kind: str, number: int) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...], bool]:
    slack: list[str] = []
    teams: list[tuple[str, str]] = []
    also_default = False
    position = 0
    while True:
        while position < len(rest) and rest[position].isspace():
            position += 1
        if position == len(rest):
            break
        after = rest[position + len(ALSO_DEFAULT) : position + len(ALSO_DEFAULT) + 1]
        if rest.startswith(ALSO_DEFAULT, position) and (not after or after.isspace()):
            also_default, position = True, position + len(ALSO_DEFAULT)
        elif kind == "slack" and (mention := _SLACK_MENTION.match(rest, position)):
            slack.append(mention[0])
            position = mention.end()
        elif kind == "teams" and (mention := _TEAMS_MENTION.match(rest, position)):
            if len(mention["id"]) > _ID_LIMIT or not _TEAMS_ID.fullmatch(mention["id"]):
                raise _fail(number, "has a Teams mention whose id is not 29:..., an Entra object id or a UPN")
            name = " ".join(mention["name"].split())
            if len(name) > _NAME_LIMIT:
                raise _fail(number, f"has a Teams mention whose name is longer than {_NAME_LIMIT} characters")
            teams.append((mention["id"], name))
            position = mention.end()
        else:
            hint = "@id|Name" if kind == "teams" else "<@U…>, <!subteam^S…>, <!here> or <!channel>"
            raise _fail(number, f"has something after its sink that is neither +default nor a {kind} mention ({hint})")
    return tuple(dict.fromkeys(slack)), tuple(dict.fromkeys(teams)), also_default
