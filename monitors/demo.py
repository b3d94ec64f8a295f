"""``python -m monitors demo``: the whole product against the bundled local ARM emulator, start to finish.

Starts the emulator on a sample estate (two subscriptions, one with the plan off; Premium, Developer, Consumption,
an unsupported region, a workspace, GraphQL / WebSocket / SOAP APIs, revisions, a self-hosted gateway, an exempt
service, an orphaned collection), scans, replays a burst of Event Grid events with duplicates and auto-onboards,
rescans, and prints a before/after table. Reports land in ``--out``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO, TypeVar

from monitors import report
from monitors.azure.clients import ArmClients
from monitors.engine import Engine, EventOutcome
from monitors.model import Action, Finding, OnboardMode, SelfHostedMode
from monitors.settings import Settings

T = TypeVar("T")
ESTATE = Path(__file__).with_name("demo_data") / "estate.json"
PROD = "11111111-1111-1111-1111-111111111111"
DEV = "22222222-2222-2222-2222-222222222222"
STORAGE = "providers/Microsoft.Storage/storageAccounts/contosodata"
PROD_SVC = (
    f"/subscriptions/{PROD}/resourceGroups/rg-apis-prod/providers/Microsoft.ApiManagement/service/apim-contoso-prod"
)


def _resource_event(event_id: str, kind: str, resource_id: str, *, cloud: bool = False) -> dict[str, object]:
    operation = "delete" if kind == "Delete" else "write"
    data = {"resourceUri": resource_id, "operationName": f"Microsoft.ApiManagement/service/apis/{operation}"}
    event_type = f"Microsoft.Resources.Resource{kind}Success"
    topic = f"/subscriptions/{PROD}"
    if cloud:
        return {"specversion": "1.0", "id": event_id, "type": event_type, "source": topic, "subject": resource_id,
                "time": "2026-11-27T09:00:00Z", "data": data}  # fmt: skip
    return {"id": event_id, "eventType": event_type, "topic": topic, "subject": resource_id, "data": data,
            "dataVersion": "2", "metadataVersion": "1", "eventTime": "2026-11-27T09:00:00Z"}  # fmt: skip


def _apim_event(event_id: str, kind: str, api_subject: str) -> dict[str, object]:
    return {"id": event_id, "eventType": f"Microsoft.ApiManagement.API{kind}", "topic": PROD_SVC,
            "subject": api_subject, "data": {}, "dataVersion": "1", "metadataVersion": "1",
            "eventTime": "2026-11-27T09:00:01Z"}  # fmt: skip


def demo_events() -> list[dict[str, object]]:
    """A burst as Event Grid would deliver it: duplicates, revisions, sub-resources, deletes, other resources."""
    pricing = f"/subscriptions/{DEV}/providers/Microsoft.Security/pricings/Api"
    return [
        _resource_event("evt-01", "Write", f"{PROD_SVC}/apis/payments"),
        _resource_event("evt-01", "Write", f"{PROD_SVC}/apis/payments"),
        _resource_event("evt-02", "Write", f"{PROD_SVC}/apis/payments;rev=2", cloud=True),
        _resource_event("evt-03", "Write", f"{PROD_SVC}/apis/orders/operations/get-order"),
        _apim_event("evt-04", "Created", "/apis/shipping;Rev=1"),
        _apim_event("evt-05", "Updated", "/apis/customers;Rev=1"),
        _resource_event("evt-06", "Write", f"{PROD_SVC}/workspaces/team-search/apis/search", cloud=True),
        _resource_event("evt-07", "Delete", f"{PROD_SVC}/apis/retired-partners"),
        _resource_event("evt-08", "Write", f"/subscriptions/{PROD}/resourceGroups/rg-data/{STORAGE}"),
        {"id": "evt-09", "eventType": "Microsoft.Resources.ResourceWriteSuccess", "topic": f"/subscriptions/{DEV}",
         "subject": pricing, "data": {"resourceUri": pricing}, "dataVersion": "2", "eventTime": "2026-11-27T09:00:02Z"},
    ]  # fmt: skip


def _scan_all(engine: Engine) -> list[Finding]:
    return [f for sub in (PROD, DEV) for f in engine.scan(sub)]


def format_before_after(before: Sequence[Finding], acted: Sequence[Finding], after: Sequence[Finding]) -> str:
    """One row per finding subject: what the first scan said, what the last scan says, and what was done between."""
    earlier = {f.resource_id.lower(): f for f in before}
    done = {f.resource_id.lower(): f.action for f in [*acted, *after] if f.action is not Action.NONE}
    rows = [("SERVICE", "API", "BEFORE", "AFTER", "DONE")]
    for f in report.sort_findings(after):
        was = earlier.get(f.resource_id.lower())
        then = f"{was.status}/{was.reason}" if was else "(new API)"
        action = done.get(f.resource_id.lower(), Action.NONE)
        rows.append((f.service or f.subscription_id[:8], f.api or f.kind, then, f"{f.status}/{f.reason}", action))
    widths = [max(len(str(r[i])) for r in rows) for i in range(5)]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def _format_outcomes(outcomes: Sequence[EventOutcome]) -> str:
    lines = []
    for o in outcomes:
        if o.finding:
            f = o.finding
            lines.append(f"  {o.event_id}: {f.api or f.kind}: {f.status}/{f.reason} action={f.action}")
        else:
            lines.append(f"  {o.event_id}: ignored: {o.ignored}")
    return "\n".join(lines)


def run_demo(settings: Settings, out_dir: str, stdout: TextIO) -> int:
    """Run the demo end to end; returns 0 when every step behaved as expected."""
    from emulator import EmulatorServer, load_estate

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with EmulatorServer(load_estate(ESTATE)) as server:
        server.set_lro_mode("201", polls=1)
        base = replace(settings, arm_endpoint=server.url, self_hosted=SelfHostedMode.SKIP, onboard_poll_seconds=0.1)

        def say(text: str) -> None:
            print(text, file=stdout)

        say(f"Local ARM emulator on {server.url} with {ESTATE.name}: 2 subscriptions, 5 APIM services.\n")
        before = _run_step(base, _scan_all)
        say("== 1. First scan (MONITOR_AUTO_ONBOARD=off)\n" + report.render_table(before) + "\n")
        shipping = {"name": "shipping", "displayName": "Shipping API", "path": "shipping"}
        server.state.add_api(PROD, "rg-apis-prod", "apim-contoso-prod", shipping)
        on = replace(base, auto_onboard=OnboardMode.ON)
        burst = demo_events()
        outcomes = _run_step(on, lambda engine: engine.handle_batch(burst))
        say(f"== 2. Replay of {len(burst)} Event Grid events (duplicates included), auto-onboarding on")
        say(_format_outcomes(outcomes) + "\n")
        calls = server.request_count
        after = _run_step(on, _scan_all)
        say("== 3. Rescan with auto-onboarding on\n" + report.render_table(after) + "\n")
        say(
            "== Before / after\n"
            + format_before_after(before, [o.finding for o in outcomes if o.finding], after)
            + "\n"
        )
        rescan = server.request_count - calls
        say(f"ARM requests: {calls} for the first scan and the event burst, {rescan} for the rescan")
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    (out / "findings.json").write_text(report.render_json(after, stamp))
    (out / "findings.sarif").write_text(report.render_sarif(after, "demo"))
    (out / "findings.md").write_text(report.render_markdown(after))
    (out / "events.json").write_text(json.dumps(burst, indent=2))
    say(f"Reports written to {out}/ (findings.json, findings.sarif, findings.md); events in {out}/events.json")
    return 0


def _run_step(settings: Settings, step: Callable[[Engine], T]) -> T:
    clients = ArmClients(settings)
    try:
        return step(Engine(settings, clients))
    finally:
        clients.close()
