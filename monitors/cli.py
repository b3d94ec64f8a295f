"""``python -m monitors``: scan, handle-event, alerts, approvals and status, through the application service the
function app uses; scan-template, the same rules on templates before deployment.

Exit codes (as the README lists them): 0 all compliant / not applicable / exempt; 1 a noncompliant finding (with
``--fail-on noncompliant``, the default), or a finding of at least the severity given (``--fail-on high``); 2 usage or
configuration error; 3 ARM errors left findings unknown.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from typing import Any, TextIO

from tqdm import tqdm

from monitors import deadletter, events, reports, severity, telemetry
from monitors.azure import data_plane
from monitors.errors import AzureError, EventError, SettingsError, StateError
from monitors.escape import terminal
from monitors.model import Finding, Severity, Status
from monitors.reports.decisions import format_decisions
from monitors.reports.status import render_status
from monitors.runtime import Runtime, Scope, build_runtime
from monitors.settings import Settings, load_settings
from monitors.templates import verdicts
from monitors.templates.resources import TemplateFile

VERSION = "0.1.0"
EXIT_OK, EXIT_NONCOMPLIANT, EXIT_USAGE, EXIT_UNKNOWN = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m monitors", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    scan = commands.add_parser("scan", help="check every API of a subscription, resource group or service")
    scope = scan.add_mutually_exclusive_group(required=True)
    scope.add_argument("--subscription", help="subscription id")
    scope.add_argument(
        "--all", action="store_true", help="every subscription in MONITOR_SUBSCRIPTIONS, or every readable one"
    )
    scan.add_argument("--resource-group", help="limit to one resource group")
    scan.add_argument("--service", help="limit to one APIM service")
    scan.add_argument("--concurrency", type=int, default=8, help="services scanned at once (default 8)")
    _add_output_options(scan)
    replay = commands.add_parser("handle-event", help="run the function's event path on a saved event file")
    replay.add_argument("file", help="JSON file with one event or an array of events; '-' reads stdin")
    _add_output_options(replay)
    dead = commands.add_parser("replay", help="replay Event Grid's dead-lettered events through the event path")
    dead.add_argument(
        "--dead-letter", action="store_true", required=True, help="from the dead-letter container (required)"
    )
    dead.add_argument("--since", help="only blobs written since: an ISO date or date-time, or 36h, 7d, PT6H")
    dead.add_argument("--dry-run", action="store_true", help="list the dead letters; replay and delete nothing")
    alerts = commands.add_parser("alerts", help="show undelivered alerts in the outbox (needs MONITOR_STATE)")
    shown = alerts.add_mutually_exclusive_group()
    shown.add_argument("--pending", action="store_true", help="every undelivered alert, waiting or parked (default)")
    shown.add_argument("--parked", action="store_true", help="only alerts parked after their last attempt")
    alerts.add_argument("--deliver", action="store_true", help="try to deliver due alerts now")
    templates = commands.add_parser(
        "scan-template", help="check the APIs that Bicep or ARM templates (or what-if results) would deploy"
    )
    templates.add_argument("paths", nargs="+", metavar="PATH", help="template files or directories to search")
    templates.add_argument("--parameters", metavar="FILE", help="an ARM parameters file (JSON) for the templates")
    templates.add_argument(
        "--live", action="store_true", help="ask ARM for apiCollections that already exist (needs an Azure login)"
    )
    templates.add_argument("--subscription", help="the deployment's subscription id (real resource ids; --live)")
    templates.add_argument("--resource-group", help="the deployment's resource group (real resource ids; --live)")
    templates.add_argument("--location", help="the deployment's resource group location (resourceGroup().location)")
    _add_output_options(templates)
    approvals = commands.add_parser("approvals", help="show the approvers' decisions, the audit trail (MONITOR_STATE)")
    approvals.add_argument("--json", action="store_true", help="print JSON instead of one line per decision")
    state = commands.add_parser(
        "status", help="coverage and its trend, unprotected APIs, time to protect, the outbox, the last sweep"
    )
    state.add_argument("--format", choices=("table", "json"), default="table")
    state.add_argument("--days", type=int, default=30, help="how far back the trend and time to protect look (30)")
    return parser


def _add_output_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--format", choices=reports.FORMATS, default="table")
    command.add_argument(
        "--fail-on",
        choices=("noncompliant", "never", *Severity),
        default="noncompliant",
        help="exit 1 on a noncompliant finding (default), on a finding of at least this severity, or never",
    )


def exit_code(findings: Sequence[Finding], fail_on: str) -> int:
    """3 when something could not be checked; else 1 for a noncompliant finding (``noncompliant``) or a finding of
    at least the severity named (``critical`` ... ``info``); else 0."""
    if any(f.status is Status.ERROR for f in findings):
        return EXIT_UNKNOWN
    if fail_on == "noncompliant" and any(f.status is Status.NONCOMPLIANT for f in findings):
        return EXIT_NONCOMPLIANT
    if fail_on in Severity.__members__.values():
        threshold = Severity(fail_on)
        if any(severity.of(f).at_least(threshold) for f in findings):
            return EXIT_NONCOMPLIANT
    return EXIT_OK


def render(findings: Sequence[Finding], fmt: str) -> str:
    """The findings in one format (``reports.render``), stamped with this run's time and version."""
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return reports.render(findings, fmt, version=VERSION, stamp=stamp)


def _scan(args: argparse.Namespace, runtime: Runtime, stderr: TextIO) -> list[Finding]:
    if args.concurrency < 1:
        raise SettingsError(f"--concurrency={args.concurrency}: expected a whole number >= 1")
    # One subscription is listed with ARM's own calls; --all reads the inventory from Resource Graph where it can.
    subscriptions = () if args.all else (args.subscription,)
    scope = Scope(subscriptions, args.resource_group, args.service, use_graph=args.all)
    # A progress bar on a terminal only: piped output and CI logs stay clean.
    with tqdm(unit="service", file=stderr, disable=not stderr.isatty()) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        return runtime.scan(scope, concurrency=args.concurrency, progress=progress)


def _handle_event(args: argparse.Namespace, runtime: Runtime, stderr: TextIO) -> list[Finding]:
    if args.file == "-":
        raw = sys.stdin.buffer.read()
    else:
        try:
            with open(args.file, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            raise EventError(f"{args.file}: cannot read ({exc.strerror})") from None
    outcomes = runtime.replay(events.load_payload(raw))
    for outcome in outcomes:
        if outcome.ignored:
            print(terminal(f"event {outcome.event_id}: ignored: {outcome.ignored}"), file=stderr)
    return [o.finding for o in outcomes if o.finding is not None]


def _alerts(args: argparse.Namespace, runtime: Runtime, stdout: TextIO) -> int:
    sent, items = runtime.outbox(deliver=args.deliver, parked=True if args.parked else None)
    if sent is not None:
        print(f"delivered {sent.sent}, retrying {sent.retrying}, parked {sent.parked}", file=stdout)
    print(reports.format_outbox(items) if items or not args.parked else "no parked alerts", file=stdout)
    return EXIT_UNKNOWN if any(i.parked for i in items) else EXIT_OK


def _replay_dead_letters(args: argparse.Namespace, runtime: Runtime, stdout: TextIO, stderr: TextIO) -> int:
    """One line per blob (and per event under it) on stdout, one stderr line per blob kept; exit 3 when an event or
    a blob's storage failed (run again later), else 2 when a blob is not dead letters (a person must look), else 0."""
    since = deadletter.parse_since(args.since, dt.datetime.now(dt.UTC)) if args.since is not None else None

    def show(report: deadletter.BlobReport) -> None:
        if report.unreadable is not None:
            print(terminal(f"error: {report.unreadable}; kept"), file=stderr)
            return
        for failure in report.failed:
            print(terminal(f"error: {report.name}: {failure}; kept"), file=stderr)
        if args.dry_run:
            head = f"would replay {report.name}: {report.events} events, {', '.join(report.dead_lettered)}"
        else:
            state = "deleted" if report.deleted else "kept"
            head = f"{'replayed' if report.deleted else 'kept'} {report.name}: {report.events} events, {state}"
        print(terminal(head), file=stdout)
        for line in report.lines:
            print(terminal(f"  {line}"), file=stdout)

    reports = runtime.replay_dead_letters(since=since, dry_run=args.dry_run, progress=show)
    deleted = sum(r.deleted for r in reports)
    if args.dry_run:
        events_listed = sum(r.events for r in reports)
        print(f"{len(reports)} blobs, {events_listed} events; nothing replayed (--dry-run)", file=stdout)
    else:
        print(f"{len(reports)} blobs: {deleted} replayed and deleted, {len(reports) - deleted} kept", file=stdout)
    if any(r.failed for r in reports):
        return EXIT_UNKNOWN
    return EXIT_USAGE if any(r.unreadable is not None for r in reports) else EXIT_OK


MAX_TEMPLATE_BYTES = 50 * 1024 * 1024  # a larger file is reported, not read
_READERS = {"arm": ("arm", "read_arm"), "bicep": ("bicep", "read_bicep"), "whatif": ("whatif", "read_whatif")}


def template_paths(paths: Sequence[str]) -> Iterator[str]:
    """The files to scan: each file named, and every ``*.bicep`` / ``*.json`` under each directory named (hidden
    directories and parameter files skipped), in a stable order."""
    for path in paths:
        if not os.path.isdir(path):
            yield path
            continue
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
            for name in sorted(names):
                full = os.path.join(root, name)
                if name.endswith(".bicep") or (name.endswith(".json") and not _parameters_file(full)):
                    yield full


def _peek_json(path: str) -> object:
    """The file's JSON, or None when it is too large, unreadable or not JSON (its reader then says why)."""
    try:
        if os.path.getsize(path) > MAX_TEMPLATE_BYTES:
            return None
        with open(path, encoding="utf-8-sig") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _parameters_file(path: str) -> bool:
    name = os.path.basename(path).lower()
    if name.endswith(".parameters.json") or name == "bicepconfig.json":
        return True
    loaded = _peek_json(path)
    schema = loaded.get("$schema") if isinstance(loaded, dict) else None
    return isinstance(schema, str) and "deploymentparameters" in schema.lower()


def template_kind(path: str) -> str:
    """Which reader reads ``path``: bicep for ``.bicep``; for JSON, whatif when its top level has a ``changes`` list
    (``az deployment group what-if`` output), else arm."""
    if path.lower().endswith(".bicep"):
        return "bicep"
    loaded = _peek_json(path)
    return "whatif" if isinstance(loaded, dict) and isinstance(loaded.get("changes"), list) else "arm"


def _display_path(path: str) -> str:
    """The path as findings name it: relative to the working directory when it lies below it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _bicep_parameters(path: str | None) -> Mapping[str, Any] | None:
    """The values of an ARM JSON parameters file (``{"parameters": {"x": {"value": ...}}}``) for the Bicep reader."""
    if path is None:
        return None
    loaded = _peek_json(path)
    parameters = loaded.get("parameters") if isinstance(loaded, dict) else None
    if not isinstance(parameters, dict):
        raise SettingsError(f"--parameters {path}: not an ARM JSON parameters file")
    return {k: v["value"] for k, v in parameters.items() if isinstance(v, dict) and "value" in v}


# What only the deployment knows, as each reader's ``context`` names it.
_CONTEXT_KEYS = {
    "arm": {"subscription": "subscriptionId", "resource_group": "resourceGroup", "location": "location"},
    "bicep": {"subscription": "subscription_id", "resource_group": "resource_group", "location": "location"},
}


def _context(args: argparse.Namespace, kind: str) -> dict[str, str]:
    keys = _CONTEXT_KEYS.get(kind, {})
    return {key: value for option, key in keys.items() if (value := getattr(args, option, None))}


def read_template(
    path: str,
    parameters: str | None,
    bicep_values: Mapping[str, Any] | None,
    context: Callable[[str], Mapping[str, str]] = lambda kind: {},
) -> TemplateFile:
    """One file through its reader; a reader that is missing or fails becomes the file's one error line."""
    kind = template_kind(path)
    module, function = _READERS[kind]
    if not os.path.isfile(path):
        return TemplateFile(path, kind, errors=(f"{path}: no such file",))
    try:
        reader: Callable[..., TemplateFile] = getattr(importlib.import_module(f"monitors.templates.{module}"), function)
    except (ImportError, AttributeError):
        return TemplateFile(path, kind, errors=(f"{path}: no {kind} reader in this installation",))
    try:
        if kind == "arm":
            return reader(path, parameters, context=context(kind) or None)
        return reader(path, params=bicep_values, context=context(kind) or None) if kind == "bicep" else reader(path)
    except Exception as exc:  # a reader's bug must not stop the other files: it becomes this file's error
        return TemplateFile(path, kind, errors=(f"{path}: cannot be read: {type(exc).__name__}: {exc}",))


def _scan_template(args: argparse.Namespace, settings: Settings, stdout: TextIO, stderr: TextIO) -> int:
    """Read every file (one stderr line per error, the rest still scanned), then the live rules on what they declare.
    No Azure access and no credential unless ``--live``; exit 2 only when no file could be read."""
    bicep_values = _bicep_parameters(args.parameters) if args.parameters and args.parameters.endswith(".json") else None
    if args.parameters and bicep_values is None:
        print(terminal(f"warning: --parameters {args.parameters}: Bicep files read only JSON parameters"), file=stderr)
    files: list[TemplateFile] = []
    for path in template_paths(args.paths):
        read = read_template(_display_path(path), args.parameters, bicep_values, lambda kind: _context(args, kind))
        for error in read.errors:
            line = error if error.startswith(read.path) else f"{read.path}: {error}"
            print(terminal(f"error: {line}"), file=stderr)
        if read.resources or not read.errors:
            files.append(read)
    if not files:
        print("error: no template could be read", file=stderr)
        return EXIT_USAGE
    today = dt.datetime.now(dt.UTC).date()
    with verdicts.live_collections(settings) if args.live else nullcontext(None) as live:
        findings = verdicts.evaluate(files, settings, today, live=live)
    print(render(findings, args.format), file=stdout)
    return exit_code(findings, args.fail_on)


def run(args: argparse.Namespace, settings: Settings, stdout: TextIO, stderr: TextIO) -> int:
    try:  # Application Insights with local auth off (as infra/ deploys it) takes an Entra token: the app's credential
        signer = data_plane.credential(settings.client_id) if settings.otel == "azure" else None
        telemetry.configure(settings.otel, credential=signer)
    except ImportError as exc:
        raise SettingsError(f"MONITOR_OTEL={settings.otel}: {exc.name or exc} is not installed") from None
    if args.command == "scan-template":
        return _scan_template(args, settings, stdout, stderr)  # no Runtime: no state, no alerts, no Azure by default
    runtime = build_runtime(settings, in_azure=False)
    try:
        if args.command == "replay":
            return _replay_dead_letters(args, runtime, stdout, stderr)
        if args.command == "alerts":
            return _alerts(args, runtime, stdout)
        if args.command == "approvals":
            print(format_decisions(runtime.decisions(), as_json=args.json), file=stdout)
            return EXIT_OK
        if args.command == "status":
            if args.days < 1:
                raise SettingsError(f"--days {args.days}: expected at least 1")
            print(render_status(runtime.status(window=dt.timedelta(days=args.days)), args.format), file=stdout)
            return EXIT_OK
        use_case = _scan if args.command == "scan" else _handle_event
        findings = use_case(args, runtime, stderr)
    finally:
        runtime.close()
    print(render(findings, args.format), file=stdout)
    return exit_code(findings, args.fail_on)


class _OneLine(logging.Formatter):
    """Log lines on the terminal as one line each, with no control character from a name acting on the terminal."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal(super().format(record))


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return guarded(lambda settings: run(args, settings, out, err), err)


def guarded(work: Callable[[Settings], int], err: TextIO) -> int:
    """Run a command the way every console entry point does: warnings logged to ``err`` one line each, settings
    loaded, and a failure before any result turned into one line and its exit code (2 usage or configuration,
    3 state or ARM unreachable)."""
    handler = logging.StreamHandler(err)
    handler.setFormatter(_OneLine("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    try:
        return work(load_settings())
    except (SettingsError, EventError) as exc:
        print(terminal(f"error: {exc}"), file=err)
        return EXIT_USAGE
    except (StateError, AzureError) as exc:  # state unreachable, or ARM failed before any finding could be made
        print(terminal(f"error: {exc}"), file=err)
        return EXIT_UNKNOWN
