"""What the fault suites share: an estate of many unprotected APIs, three loopback sinks (signed webhook, Teams,
Slack), and the count of what each sink acknowledged, per alert.

A sink "has" an alert once it answered 2xx to a message carrying it; a message it never answered (the process was
killed while the sink held its answer) does not count. The webhook body lists the finding of every alert; a Teams
card or Slack message names its count in its title ("Defender for APIs: 400 alerts"), or carries one alert.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from emulator.estate import Estate
from emulator.receiver import Receiver, start_receiver, stop_receiver
from monitors.alerts.dispatch import LEASE, Dispatcher
from monitors.alerts.sink import build_sinks
from monitors.settings import load_settings
from monitors.state.contract import StateStore

ROOT = Path(__file__).resolve().parents[2]
SUB = "00000000-0000-0000-0000-00000000fa17"
SECRET = "whsec_" + "ZmF1bHQtdGVzdHMtc2lnbmluZy1rZXktbm90LWEtc2VjcmV0"
_TITLE = re.compile(rb"Defender for APIs: (\d+) alerts")


def unprotected_estate(services: int, apis: int) -> Estate:
    """``services`` Premium services in East US, each with ``apis`` REST APIs, none onboarded; the plan is on."""
    return Estate.from_dict(
        {
            "subscriptions": [
                {
                    "id": SUB,
                    "displayName": "faults",
                    "pricings": {"Api": {"pricingTier": "Standard", "subPlan": "P1"}},
                    "services": [
                        {
                            "resourceGroup": "rg-faults",
                            "name": f"apim-fault-{s}",
                            "location": "East US",
                            "sku": "Premium",
                            "apis": [{"name": f"api-{a:04d}", "path": f"p{a}"} for a in range(apis)],
                        }
                        for s in range(services)
                    ],
                }
            ]
        }
    )


def api_ids(services: int, apis: int) -> set[str]:
    return {f"apim-fault-{s}/api-{a:04d}" for s in range(services) for a in range(apis)}


@dataclass
class Sinks:
    webhook: Receiver
    teams: Receiver
    slack: Receiver

    def env(self) -> dict[str, str]:
        return {
            "MONITOR_WEBHOOK_URL": self.webhook.url,
            "MONITOR_WEBHOOK_SECRET": SECRET,
            "MONITOR_TEAMS_WEBHOOK_URL": self.teams.url,
            "MONITOR_SLACK_WEBHOOK_URL": self.slack.url,
        }

    def webhook_alerts(self, unanswered: frozenset[int] = frozenset()) -> dict[str, list[str]]:
        """Each alerted API ("service/api") with the ``webhook-id`` of every acknowledged message that carried it."""
        seen: dict[str, list[str]] = {}
        for index, request in enumerate(self.webhook.requests):
            if index in unanswered:
                continue
            for finding in json.loads(request.body)["findings"]:
                seen.setdefault(f"{finding['service']}/{finding['api']}", []).append(request.headers["webhook-id"])
        return seen

    def alert_count(self, name: str, unanswered: frozenset[int] = frozenset()) -> int:
        """How many alerts the Teams or Slack receiver acknowledged, from each message's title."""
        receiver: Receiver = getattr(self, name)
        total = 0
        for index, request in enumerate(receiver.requests):
            if index not in unanswered:
                match = _TITLE.search(request.body)
                total += int(match.group(1)) if match else 1
        return total


@contextmanager
def three_sinks() -> Iterator[Sinks]:
    with ExitStack() as stack:
        receivers = []
        for _ in range(3):
            receiver = start_receiver()
            stack.callback(stop_receiver, receiver)
            receivers.append(receiver)
        yield Sinks(*receivers)


def duplicates(alerted: dict[str, list[str]]) -> Counter[str]:
    """APIs alerted more than once, with how many times."""
    return Counter({api: len(ids) for api, ids in alerted.items() if len(ids) > 1})


def cli_env(**settings: str) -> dict[str, str]:
    """The environment of a `python -m monitors` process: only what Python needs, this checkout, and ``settings``."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")}
    return {**keep, "PYTHONPATH": str(ROOT), **settings}


def deliver_after_the_lease(store: StateStore, env: dict[str, str]) -> None:
    """What the next run (or the outbox timer) does once a failed or killed run's leases have ended; the outbox is
    then empty, every sink having answered."""
    dispatcher = Dispatcher(store, build_sinks(load_settings(env)), max_attempts=3, retry_seconds=0)
    dispatcher.deliver_due(dt.datetime.now(dt.UTC) + LEASE + dt.timedelta(minutes=1))
    assert store.outbox() == [], "the outbox should be empty once every sink answered"


def assert_each_api_once_per_sink(
    sinks: Sinks, apis: set[str], flying: set[str], unanswered: dict[str, frozenset[int]] | None = None
) -> None:
    """Every API reached every sink; only an alert whose delivery claim was unfinished (``flying``, "sink:alert_id")
    may have come twice, and on the webhook only under one ``webhook-id``. ``unanswered`` names, per sink, the
    messages the sink never answered (they do not count)."""
    unanswered = unanswered or {}
    webhook = sinks.webhook_alerts(unanswered.get("webhook", frozenset()))
    resent = set(duplicates(webhook))
    assert set(webhook) == apis, f"lost: {sorted(apis - set(webhook))[:5]}"
    assert len(resent) <= sum(1 for key in flying if key.startswith("webhook:"))
    assert all(len(set(webhook[api])) == 1 for api in resent)
    for name in ("teams", "slack"):
        count = sinks.alert_count(name, unanswered.get(name, frozenset()))
        assert len(apis) <= count <= len(apis) + sum(1 for key in flying if key.startswith(f"{name}:")), name
