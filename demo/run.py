"""``python -m demo``: the whole product against the bundled local ARM emulator, start to finish.

Starts the emulator on a sample estate (two subscriptions, one with the plan off; Premium, Developer, Consumption,
an unsupported region, a workspace, GraphQL / WebSocket / SOAP APIs, revisions, a self-hosted gateway, an exempt
service, an orphaned collection) and three local receivers standing in for Teams, Slack and a signed webhook;
scans, replays a burst of Event Grid events with duplicates through the function's path and auto-onboards, rescans,
and prints a before/after table. Then approval links (``demo.approvals``): MONITOR_AUTO_ONBOARD=approve for one new
API, its Onboard link opened and clicked in headless Chromium (plain HTTP requests where there is none). Reports, the
alerts received, pages showing them and the approval pages' screenshots land in ``--out``.

Exit codes: 0 when every step behaved as expected; 1 when the demo ran but did not show what it is meant to show (a
finding in error, a REST API still not onboarded after the rescan, an onboarding that failed, a receiver that got no
alert), each reason on stderr; 2 a configuration error; 3 the local state or ARM failed before a finding was made.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import secrets
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO, TypeVar

from demo.approvals import CONFIRM_PNG, RESULT_PNG, run_approvals
from demo.render import write_pages
from emulator import EmulatorServer, load_estate
from emulator.receiver import Receiver, start_receiver, stop_receiver
from monitors.cli import guarded
from monitors.engine import EventOutcome
from monitors.escape import terminal
from monitors.model import Action, Finding, Reason, SelfHostedMode, Status, WriteMode
from monitors.reports import align
from monitors.reports.findings import render_json, render_markdown, render_sarif, render_table, sort_findings
from monitors.reports.status import render_status
from monitors.runtime import Runtime, Scope, build_runtime
from monitors.settings import Settings

T = TypeVar("T")
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNKNOWN = 0, 1, 2, 3
ESTATE = Path(__file__).with_name("data") / "estate.json"
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


def _written(events: list[dict[str, object]], at: dt.datetime) -> list[dict[str, object]]:
    """The burst as if its APIs were written ``at`` (so that ``status`` shows a time to protect of this run)."""
    stamp = at.isoformat(timespec="seconds").replace("+00:00", "Z")
    return [{**e, **{k: stamp for k in ("eventTime", "time") if k in e}} for e in events]


def _scan_all(runtime: Runtime) -> list[Finding]:
    return runtime.scan(Scope((PROD, DEV), use_graph=False))


def format_before_after(before: Sequence[Finding], acted: Sequence[Finding], after: Sequence[Finding]) -> str:
    """One row per finding subject: what the first scan said, what the last scan says, and what was done between."""
    earlier = {f.resource_id.lower(): f for f in before}
    done = {f.resource_id.lower(): f.action for f in [*acted, *after] if f.action is not Action.NONE}
    rows = [("SERVICE", "API", "BEFORE", "AFTER", "DONE")]
    for f in sort_findings(after):
        was = earlier.get(f.resource_id.lower())
        then = f"{was.status}/{was.reason}" if was else "(new API)"
        action = done.get(f.resource_id.lower(), Action.NONE)
        rows.append((f.service or f.subscription_id[:8], f.api or f.kind, then, f"{f.status}/{f.reason}", action))
    return "\n".join(align(rows))


def _format_outcomes(events: Sequence[dict[str, object]], outcomes: Sequence[EventOutcome | None]) -> str:
    lines = []
    for event, o in zip(events, outcomes, strict=True):
        if o is None:
            lines.append(f"  {event['id']}: already processed (Event Grid redelivery): acknowledged, no second alert")
        elif o.finding:
            f = o.finding
            lines.append(f"  {o.event_id}: {f.api or f.kind}: {f.status}/{f.reason} action={f.action}")
        else:
            lines.append(f"  {o.event_id}: ignored: {o.ignored}")
    return "\n".join(lines)


def _step(settings: Settings, work: Callable[[Runtime], T]) -> T:
    runtime = build_runtime(settings, in_azure=False)
    try:
        return work(runtime)
    finally:
        runtime.close()


def _demo_settings(settings: Settings, arm_url: str, out: Path, receivers: dict[str, Receiver]) -> Settings:
    """Emulator, self-hosted gateways skipped, state in the output folder, every sink on a local receiver."""
    return replace(
        settings,
        arm_endpoint=arm_url,
        self_hosted=SelfHostedMode.SKIP,
        onboard_poll_seconds=0.1,
        state=f"sqlite:{out / 'state.sqlite'}",
        teams_webhook_url=receivers["teams"].url,
        slack_webhook_url=receivers["slack"].url,
        webhook_url=receivers["webhook"].url,
        webhook_secret="whsec_" + base64.b64encode(secrets.token_bytes(24)).decode(),
    )


def _run_steps(
    server: EmulatorServer, base: Settings, say: Callable[[str], None]
) -> tuple[list[Finding], list[Finding], list[Finding]]:
    """The three steps and the before/after table; returns the first scan, the events' findings and the rescan."""
    before = _step(base, _scan_all)
    say("== 1. First scan (MONITOR_AUTO_ONBOARD=off); one digest per alert sink\n" + render_table(before) + "\n")
    shipping = {"name": "shipping", "displayName": "Shipping API", "path": "shipping"}
    server.state.add_api(PROD, "rg-apis-prod", "apim-contoso-prod", shipping)
    on = replace(base, auto_onboard=WriteMode.ON)
    burst = _written(demo_events(), dt.datetime.now(dt.UTC) - dt.timedelta(seconds=90))
    outcomes = _step(on, lambda runtime: [runtime.process_event(event) for event in burst])
    say(f"== 2. {len(burst)} Event Grid events through the function's path (duplicates included), auto-onboarding on")
    say(_format_outcomes(burst, outcomes) + "\n")
    calls = server.request_count
    after = _step(on, _scan_all)
    say("== 3. Rescan with auto-onboarding on\n" + render_table(after) + "\n")
    acted = [o.finding for o in outcomes if o is not None and o.finding]
    say("== Before / after\n" + format_before_after(before, acted, after) + "\n")
    say(f"ARM requests: {calls} for the first scan and the events, {server.request_count - calls} for the rescan")
    return before, acted, after


def demo_problems(
    before: Sequence[Finding], acted: Sequence[Finding], after: Sequence[Finding], received: Mapping[str, int]
) -> list[str]:
    """Why the demo did not show what it is meant to show, empty when it did: a finding in error in any step, an
    onboarding or offboarding that failed, a REST API still not onboarded after the rescan with auto-onboarding on,
    or a local receiver (``received``: messages per sink) that got no alert."""
    problems: list[str] = []
    for f in [*before, *acted, *after]:
        subject = f"{f.service or f.subscription_id}/{f.api or f.kind}"
        if f.status is Status.ERROR:
            problems.append(f"{subject}: {f.status}/{f.reason}: {f.detail}")
        if f.action in (Action.ONBOARD_FAILED, Action.OFFBOARD_FAILED):
            problems.append(f"{subject}: {f.action}: {f.detail}")
    for f in after:
        if f.reason is Reason.NOT_ONBOARDED:
            problems.append(f"{f.service}/{f.api}: still not onboarded after the rescan with auto-onboarding on")
    problems.extend(f"the local {name} receiver got no alert" for name, count in received.items() if count == 0)
    return list(dict.fromkeys(problems))


def _save_alerts(out: Path, receivers: Mapping[str, Receiver]) -> str:
    """Keep every message the local receivers got, and pages a person can look at."""
    folder = out / "alerts"
    folder.mkdir(exist_ok=True)
    payloads = {name: [json.loads(r.body) for r in rx.requests] for name, rx in receivers.items()}
    for name, bodies in payloads.items():
        for number, body in enumerate(bodies, 1):
            (folder / f"{name}-{number}.json").write_text(json.dumps(body, indent=2))
    script = Path(__file__).resolve().parent.parent / "node_modules" / "adaptivecards" / "dist" / "adaptivecards.min.js"
    pages = write_pages(folder, payloads["teams"], payloads["slack"], script if script.exists() else None)
    counts = ", ".join(f"{name} {len(bodies)}" for name, bodies in payloads.items())
    return f"Alerts received by the local receivers: {counts} messages; saved in {folder}/ with {len(pages)} HTML pages"


def run_demo(settings: Settings, out_dir: str, stdout: TextIO, stderr: TextIO) -> int:
    """Run the demo end to end; returns 0 when every step behaved as expected, else 1 with the reasons on
    ``stderr`` (``demo_problems``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for stale in [*out.glob("state.sqlite*"), *out.glob("alerts/*"), out / CONFIRM_PNG, out / RESULT_PNG]:
        stale.unlink(missing_ok=True)

    def say(text: str) -> None:
        print(text, file=stdout)

    receivers = {name: start_receiver() for name in ("teams", "slack", "webhook")}
    try:
        with EmulatorServer(load_estate(ESTATE)) as server:
            server.set_lro_mode("201", polls=1)
            say(f"Local ARM emulator on {server.url} with {ESTATE.name}: 2 subscriptions, 5 APIM services.\n")
            base = _demo_settings(settings, server.url, out, receivers)
            before, acted, after = _run_steps(server, base, say)
            approval_problems = run_approvals(server, base, out, receivers["teams"], say)
            say("")
    finally:
        for receiver in receivers.values():
            stop_receiver(receiver)
    say(_save_alerts(out, receivers))
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    (out / "findings.json").write_text(render_json(after, stamp))
    (out / "findings-first-scan.json").write_text(render_json(before, stamp))  # how exposed each API was before
    (out / "findings.sarif").write_text(render_sarif(after, "demo"))
    (out / "findings.md").write_text(render_markdown(after))
    (out / "events.json").write_text(json.dumps(demo_events(), indent=2))
    reports = "findings.json, findings-first-scan.json, findings.sarif, findings.md"
    say(f"Reports written to {out}/ ({reports}); events in {out}/events.json")
    report = _step(base, lambda runtime: runtime.status())  # the state store the steps filled; no Azure needed
    say("\n== 5. python -m monitors status\n" + render_status(report))
    problems = demo_problems(before, acted, after, {name: len(rx.requests) for name, rx in receivers.items()})
    problems += approval_problems
    for problem in problems:
        print(terminal(f"demo failed: {problem}"), file=stderr)
    return EXIT_FAILED if problems else EXIT_OK


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """``python -m demo [--out FOLDER]``, with the settings and error handling of ``python -m monitors``."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".demo", help="folder for the demo's reports (default .demo)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return guarded(lambda settings: run_demo(settings, args.out, out, err), err)
