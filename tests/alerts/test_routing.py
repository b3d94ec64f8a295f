"""Routing alerts to owners: the MONITOR_ROUTES grammar, which sinks an owner's alerts go to, Slack and Teams
mentions, and the notifier recording each alert only to its route's sinks, posting to two loopback receivers."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import jsonschema
import pytest

from emulator.receiver import Receiver, start_receiver, stop_receiver
from monitors.alerts.dispatch import Dispatcher
from monitors.alerts.notifier import Notifier
from monitors.alerts.sink import build_sinks
from monitors.alerts.slack import SlackSink, render_slack
from monitors.alerts.slack import with_mentions as slack_mentions
from monitors.alerts.teams import render_teams
from monitors.alerts.teams import with_mentions as teams_mentions
from monitors.errors import SettingsError
from monitors.model import Finding
from monitors.routing import Route, destinations, owner_from, parse_routes
from monitors.settings import load_settings
from monitors.state.sqlite import SqliteStateStore
from tests.alerts.factories import make_alert, make_finding, outbox_item

TAGS = ("owner", "team")
ANA = ("29:1abcDEF-ghi", "Ana Diaz")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(
            "team=payments -> teams:PAYMENTS_TEAMS_URL @29:1abcDEF-ghi|Ana Diaz",
            [Route("team", "payments", "teams", "PAYMENTS_TEAMS_URL", teams_mentions=(ANA,))],
            id="teams-mention",
        ),
        pytest.param(
            "owner=bob -> slack:BOB_SLACK_URL <@U0123ABC> <!subteam^S0456DEF>",
            [Route("owner", "bob", "slack", "BOB_SLACK_URL", slack_mentions=("<@U0123ABC>", "<!subteam^S0456DEF>"))],
            id="slack-user-and-group",
        ),
        pytest.param(
            " Team = Payments ->teams:PAY @ana@contoso.com|Ana  Diaz "
            "@87d349ed-44d7-43e1-9a83-5f2406dee5bd|Adele Vance +default ; ",
            [
                Route(
                    "team",
                    "Payments",
                    "teams",
                    "PAY",
                    teams_mentions=(
                        ("ana@contoso.com", "Ana Diaz"),
                        ("87d349ed-44d7-43e1-9a83-5f2406dee5bd", "Adele Vance"),
                    ),
                    also_default=True,
                )
            ],
            id="upn-entra-id-spaces-and-default",
        ),
        pytest.param(
            "team=a -> teams:A_URL; team=a -> slack:A_SLACK <!here>; owner=x=y -> teams:A_URL",
            [
                Route("team", "a", "teams", "A_URL"),
                Route("team", "a", "slack", "A_SLACK", slack_mentions=("<!here>",)),
                Route("owner", "x=y", "teams", "A_URL"),
            ],
            id="several-routes",
        ),
        pytest.param("", [], id="unset"),
    ],
)
def test_good_routes_parse(raw: str, expected: list[Route]) -> None:
    assert list(parse_routes(raw, TAGS)) == expected


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("team=payments teams:PAY", id="no-arrow"),
        pytest.param("payments -> teams:PAY", id="no-tag"),
        pytest.param("team= -> teams:PAY", id="no-value"),
        pytest.param("cost-center=42 -> teams:PAY", id="tag-not-an-owner-tag"),
        pytest.param("team=payments -> email:PAY", id="unknown-kind"),
        pytest.param("team=payments -> teams:", id="no-setting"),
        pytest.param("team=payments -> teams:https://example.webhook.office.com/XXSECRETXX", id="url-as-setting"),
        pytest.param("team=payments -> https://example.webhook.office.com/XXSECRETXX", id="url-as-sink"),
        pytest.param("team=payments -> teams:PAY <@U0123ABC>", id="slack-mention-on-teams"),
        pytest.param("team=payments -> slack:PAY @29:abc|Ana", id="teams-mention-on-slack"),
        pytest.param("team=payments -> teams:PAY @not-an-id|Ana", id="bad-teams-id"),
        pytest.param("team=payments -> teams:PAY @29:abc|", id="teams-mention-without-name"),
        pytest.param("team=payments -> teams:PAY @29:abc|" + "N" * 49, id="teams-name-too-long"),
        pytest.param("team=payments -> teams:PAY @29:" + "a" * 98 + "|Ana", id="teams-id-too-long"),
        pytest.param("team=payments -> teams:PAY @" + "a" * 60 + "@" + "b" * 40 + ".com|Ana", id="teams-upn-too-long"),
        pytest.param("team=payments -> slack:PAY <@u0123>", id="lower-case-slack-id"),
        pytest.param("team=payments -> slack:PAY XXSECRETXX", id="junk-after-sink"),
        pytest.param("team=payments -> slack:PAY " + " ".join(f"<@U{i:04d}>" for i in range(11)), id="too-many"),
    ],
)
def test_bad_route_fails_with_one_line_naming_the_setting_and_never_echoing_it(raw: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"MONITOR_ROUTES": raw, "PAY": "https://example.webhook.office.com/XXSECRETXX"})
    message = str(raised.value)
    assert (message.startswith("MONITOR_ROUTES: route 1 "), "\n" in message, "XXSECRETXX" in message) == (
        True,
        False,
        False,
    )


@pytest.mark.parametrize(
    ("env", "says"),
    [
        pytest.param({}, "PAYMENTS_TEAMS_URL, which is not set", id="setting-missing"),
        pytest.param({"PAYMENTS_TEAMS_URL": "http://example.com/XXSECRETXX"}, "is not https", id="plain-http"),
        pytest.param({"PAYMENTS_TEAMS_URL": "https://a\\@127.0.0.1/XXSECRETXX"}, "backslash", id="ambiguous-host"),
    ],
)
def test_the_url_setting_a_route_names_must_exist_and_pass_the_webhook_url_rules(env: dict[str, str], says: str):
    with pytest.raises(SettingsError) as raised:
        load_settings({"MONITOR_ROUTES": "team=payments -> teams:PAYMENTS_TEAMS_URL"} | env)
    message = str(raised.value)
    assert (message.startswith("MONITOR_ROUTES: "), says in message, "XXSECRETXX" in message, "\n" in message) == (
        True,
        True,
        False,
        False,
    )


@pytest.mark.parametrize("tags", ["team,cost/center", "owner,a<b", "x" * 513])
def test_owner_tags_must_be_azure_tag_names(tags: str) -> None:
    with pytest.raises(SettingsError, match=r"^MONITOR_OWNER_TAGS: [^\n]*$"):
        load_settings({"MONITOR_OWNER_TAGS": tags})


def test_owner_tags_default_and_order() -> None:
    assert (load_settings({}).owner_tags, load_settings({"MONITOR_OWNER_TAGS": " App-Owner , team "}).owner_tags) == (
        ("owner", "team"),
        ("app-owner", "team"),
    )


def test_routes_keep_their_urls_out_of_repr() -> None:
    settings = load_settings(
        {
            "MONITOR_ROUTES": "team=payments -> teams:PAY_URL",
            "PAY_URL": "https://example.webhook.office.com/XXSECRETXX",
            "MONITOR_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/XXDEFAULTXX",
        }
    )
    assert ("XXSECRETXX" in repr(settings), "XXDEFAULTXX" in repr(settings), "PAY_URL" in repr(settings)) == (
        False,
        False,
        True,
    )


def test_routes_need_a_default_route_for_the_alerts_no_route_takes() -> None:
    env = {"MONITOR_ROUTES": "team=payments -> teams:PAY_URL", "PAY_URL": "https://example.webhook.office.com/x"}
    with pytest.raises(SettingsError, match=r"^MONITOR_ROUTES: needs a default route too[^\n]*$"):
        load_settings(env)
    assert load_settings(
        env | {"MONITOR_EVENTGRID_TOPIC_ENDPOINT": "https://t.eastus-1.eventgrid.azure.net/api/events"}
    )


ROUTES = parse_routes(
    "team=payments -> teams:PAY_TEAMS @29:abc|Ana; team=payments -> slack:PAY_SLACK; "
    "owner=bob -> slack:BOB_SLACK +default; team=shared -> teams:PAY_TEAMS",
    TAGS,
)
DEFAULT = ["teams", "webhook"]


@pytest.mark.parametrize(
    ("owner", "sinks"),
    [
        pytest.param("team=payments", ["teams@pay_teams", "slack@pay_slack"], id="only-its-routes"),
        pytest.param("TEAM=Payments", ["teams@pay_teams", "slack@pay_slack"], id="case-insensitive"),
        pytest.param("owner=bob", ["slack@bob_slack", "teams", "webhook"], id="plus-default"),
        pytest.param("team=shared", ["teams@pay_teams"], id="shared-sink"),
        pytest.param("team=unknown", DEFAULT, id="unmatched-owner"),
        pytest.param("owner=payments", DEFAULT, id="same-value-other-tag"),
        pytest.param(None, DEFAULT, id="no-owner"),
    ],
)
def test_an_owner_s_alerts_go_to_its_routes_else_to_the_default_route(owner: str | None, sinks: list[str]) -> None:
    assert destinations(ROUTES, owner, DEFAULT) == sinks


@pytest.mark.parametrize(
    ("service", "group", "subscription", "owner"),
    [
        pytest.param({"team": "svc"}, {"team": "rg"}, {"team": "sub"}, "team=svc", id="service-first"),
        pytest.param({"Env": "prod"}, {"team": "rg"}, {"team": "sub"}, "team=rg", id="then-resource-group"),
        pytest.param(None, {}, {"Owner": "sub"}, "owner=sub", id="then-subscription"),
        pytest.param({"team": "svc"}, {"owner": "rg"}, {}, "team=svc", id="layer-beats-tag-order"),
        pytest.param({"team": "t", "OWNER": "o"}, None, None, "owner=o", id="tag-order-within-a-layer"),
        pytest.param({"owner": "  "}, None, {"team": "sub"}, "team=sub", id="blank-value-skipped"),
        pytest.param(None, None, None, None, id="nobody"),
    ],
)
def test_owner_precedence_service_then_resource_group_then_subscription(service, group, subscription, owner) -> None:
    assert owner_from(TAGS, service, group, subscription) == owner


def test_slack_mentions_lead_the_text_and_the_first_section_unescaped(receiver: Receiver) -> None:
    sink = SlackSink(receiver.url, min_interval=0, mentions=["<@U0123ABC>", "<!subteam^S0456DEF>"])
    sink.send(outbox_item((make_alert(display_name="A <b> & c"),), sink="slack"))
    sink.close()
    body = json.loads(receiver.requests[0].body)
    first = next(block for block in body["blocks"] if block["type"] == "section")["text"]["text"]
    expected = "<@U0123ABC> <!subteam^S0456DEF>"
    assert (
        body["text"].startswith(expected + " "),
        first.startswith(expected + "\n"),
        "A &lt;b&gt; &amp; c" in first,
    ) == (
        True,
        True,
        True,
    )


def test_slack_message_without_mentions_is_unchanged() -> None:
    alerts = (make_alert(),)
    assert slack_mentions(render_slack(alerts), []) == render_slack(alerts)


@pytest.fixture(scope="module")
def card_validator():
    text = (resources.files("adaptive_cards") / "schemas" / "schema-1.5.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    return jsonschema.validators.validator_for(schema)(schema)


@pytest.mark.parametrize("count", [1, 400])
def test_teams_mentions_are_msteams_entities_named_in_a_text_block(card_validator, count: int) -> None:
    from tests.alerts.factories import many_alerts

    alerts = (make_alert(),) if count == 1 else many_alerts(count)
    people = [ANA, ("AdeleV@contoso.onmicrosoft.com", "Adele Vance")]
    card = teams_mentions(render_teams(alerts), people)["attachments"][0]["content"]
    entities = card["msteams"]["entities"]
    generic = {key: value for key, value in card.items() if key != "msteams"}  # Teams' host extension
    assert entities == [
        {"type": "mention", "text": "<at>Ana Diaz</at>", "mentioned": {"id": "29:1abcDEF-ghi", "name": "Ana Diaz"}},
        {
            "type": "mention",
            "text": "<at>Adele Vance</at>",
            "mentioned": {"id": "AdeleV@contoso.onmicrosoft.com", "name": "Adele Vance"},
        },
    ]
    assert card["body"][0] == {"type": "TextBlock", "text": "<at>Ana Diaz</at> <at>Adele Vance</at>", "wrap": True}
    assert [e.message for e in card_validator.iter_errors(generic)] == []
    assert len(json.dumps(teams_mentions(render_teams(alerts), people)).encode()) <= 28 * 1024


@pytest.fixture
def payments() -> Iterator[Receiver]:
    running = start_receiver()
    yield running
    stop_receiver(running)


def owned(api: str, owner: str | None) -> Finding:
    return dataclasses.replace(make_finding(api), owner=owner)


def posted(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in receiver.requests if r.method == "POST"]


def card_apis(receiver: Receiver) -> list[str]:
    """The API ids the Teams cards posted to ``receiver`` name, in order."""
    found = []
    for message in posted(receiver):
        body = message["attachments"][0]["content"]["body"]
        text = json.dumps(body)
        found += sorted(api for api in ("pay-1", "pay-2", "orders", "stock") if f"({api})" in text)
    return found


def routed_notifier(tmp_path, default: Receiver, payments: Receiver, routes: str, **extra: str):
    env = {
        "MONITOR_TEAMS_WEBHOOK_URL": default.url,
        "PAYMENTS_TEAMS_URL": payments.url,
        "MONITOR_ROUTES": routes,
    } | extra
    settings = load_settings(env)
    store = SqliteStateStore(str(tmp_path / "state.sqlite"))
    sinks = build_sinks(settings)
    dispatcher = Dispatcher(store, sinks, max_attempts=3, retry_seconds=0, rng=lambda: 0.0)
    return Notifier(store, sinks, settings, dispatcher=dispatcher), store


PAYMENTS_ROUTE = "team=payments -> teams:PAYMENTS_TEAMS_URL @29:1abcDEF-ghi|Ana Diaz"
FINDINGS = [owned("pay-1", "team=payments"), owned("orders", "team=other"), owned("stock", None)]


@pytest.mark.parametrize("digest", [False, True], ids=["event", "digest"])
def test_payments_receiver_gets_only_its_api_with_the_mention_and_default_the_rest(
    tmp_path, receiver: Receiver, payments: Receiver, digest: bool
) -> None:
    notifier, store = routed_notifier(tmp_path, receiver, payments, PAYMENTS_ROUTE)
    notifier.record(FINDINGS, digest=digest)
    notifier.deliver()
    entities = [m["attachments"][0]["content"].get("msteams") for m in posted(payments)]
    default_entities = [m["attachments"][0]["content"].get("msteams") for m in posted(receiver)]
    sinks = sorted({item.sink for item in store.outbox()})
    notifier.close()
    store.close()
    mention = {
        "type": "mention",
        "text": "<at>Ana Diaz</at>",
        "mentioned": {"id": "29:1abcDEF-ghi", "name": "Ana Diaz"},
    }
    assert (card_apis(payments), sorted(card_apis(receiver))) == (["pay-1"], ["orders", "stock"])
    assert (entities, set(map(str, default_entities)), sinks) == ([{"entities": [mention]}], {"None"}, [])


def test_plus_default_sends_a_routed_alert_to_the_default_route_too(tmp_path, receiver, payments) -> None:
    notifier, store = routed_notifier(tmp_path, receiver, payments, PAYMENTS_ROUTE + " +default")
    notifier.record(FINDINGS, digest=False)
    notifier.deliver()
    notifier.close()
    store.close()
    assert (card_apis(payments), sorted(card_apis(receiver))) == (["pay-1"], ["orders", "pay-1", "stock"])


def test_a_failing_routed_sink_is_retried_then_delivers_once_and_never_delays_the_default(
    tmp_path, receiver, payments
) -> None:
    payments.answer((500, {}, b""), (503, {}, b""))
    notifier, store = routed_notifier(tmp_path, receiver, payments, PAYMENTS_ROUTE)
    notifier.record(FINDINGS, digest=False)
    first = notifier.deliver()
    pending = [(item.sink, item.attempts) for item in store.outbox()]
    for _ in range(3):
        notifier.deliver()
    left = store.outbox()
    notifier.close()
    store.close()
    # two refused posts and the accepted third, then nothing more: the accepted one is never repeated
    assert (first.sent, first.retrying, pending, left) == (2, 1, [("teams@payments_teams_url", 1)], [])
    assert (card_apis(payments), sorted(card_apis(receiver))) == (["pay-1"] * 3, ["orders", "stock"])


def test_a_routed_sink_that_keeps_failing_is_parked_with_its_alert_kept(tmp_path, receiver, payments) -> None:
    payments.answer(*[(500, {}, b"")] * 5)
    notifier, store = routed_notifier(tmp_path, receiver, payments, PAYMENTS_ROUTE)
    notifier.record(FINDINGS[:1], digest=False)
    for _ in range(4):
        notifier.deliver()
    items = store.outbox(parked=True)
    parked = [(item.sink, [a.finding.api for a in item.alerts]) for item in items]
    notifier.close()
    store.close()
    assert (parked, any("XXSECRETXX" in (item.last_error or "") for item in items)) == (
        [("teams@payments_teams_url", ["pay-1"])],
        False,
    )


def test_the_owner_survives_the_outbox_and_the_findings_json(tmp_path, receiver, payments) -> None:
    notifier, store = routed_notifier(tmp_path, receiver, payments, PAYMENTS_ROUTE)
    receiver.answer((500, {}, b""))
    notifier.record(FINDINGS[1:2], digest=False)
    notifier.deliver()
    kept = [a.finding for item in store.outbox() for a in item.alerts]
    notifier.close()
    store.close()
    assert [(f.owner, Finding.from_dict(f.to_dict()).owner, f.to_dict()["owner"]) for f in kept] == [
        ("team=other", "team=other", "team=other")
    ]


def test_an_owner_s_alert_awaiting_approval_reaches_the_owner_with_the_links_and_the_mention(
    tmp_path, receiver, payments
) -> None:
    from monitors.model import Action

    approve = {
        "MONITOR_AUTO_ONBOARD": "approve",
        "MONITOR_APPROVAL_URL": "https://monitor.example/api/approve",
        "MONITOR_APPROVAL_KEY": "approval-key-for-the-routing-tests-0123456789",
        "MONITOR_APPROVERS": "role:Defender.Approver",
    }
    notifier, store = routed_notifier(tmp_path, receiver, payments, PAYMENTS_ROUTE, **approve)
    waiting = dataclasses.replace(owned("pay-1", "team=payments"), action=Action.AWAITING_APPROVAL)
    notifier.record([waiting], digest=False)
    notifier.deliver()
    notifier.close()
    store.close()
    (message,) = posted(payments)
    content = message["attachments"][0]["content"]
    titles = [action["title"] for action in content["actions"]]
    assert (titles[:2], content["body"][0]["text"], posted(receiver)) == (
        ["Onboard", "Exempt for 30 days"],
        "<at>Ana Diaz</at>",
        [],
    )


def test_ten_of_the_longest_teams_mentions_fit_the_headroom_a_teams_card_keeps_under_its_cap() -> None:
    from monitors.alerts.links import ApprovalLinks
    from monitors.alerts.teams import MAX_MESSAGE_BYTES, serialize
    from monitors.model import Action
    from tests.alerts.factories import NOW, many_alerts

    (route,) = parse_routes(
        "team=p -> teams:PAY " + " ".join(f"@29:{'a' * 96}{i}|{'N' * 47}{i}" for i in range(10)), TAGS
    )
    waiting = [
        dataclasses.replace(a, finding=dataclasses.replace(a.finding, action=Action.AWAITING_APPROVAL))
        for a in many_alerts(400)
    ]
    links = ApprovalLinks("https://monitor.example/api/approve", b"k" * 32, hours=72, exempt_days=30, now=lambda: NOW)
    largest = render_teams(waiting, links=links, limit=400)  # as many listed as fit MAX_MESSAGE_BYTES
    before = len(serialize(largest))
    after = len(serialize(teams_mentions(largest, route.teams_mentions)))
    assert (len(route.teams_mentions), before <= MAX_MESSAGE_BYTES, after - before < 3584, after <= 28 * 1024) == (
        10,
        True,
        True,
        True,
    )
