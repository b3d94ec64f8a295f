"""``python -m monitors replay --dead-letter``: Event Grid's dead-lettered events back through the function's path.

Each blob of the dead-letter container (``azure/deadletters``), read by ``deadletter`` (pure), has each of its events
handed to ``process_event`` exactly as OnApiEvent hands it over: claimed, checked, recorded and alerted. A blob is
deleted only once every event in it succeeded (an event already processed is acknowledged as such); a failed event
keeps its blob, and the other events and blobs go on. A blob that is not dead letters is kept and reported.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping

from monitors.alerts.notifier import Notifier
from monitors.azure.deadletters import BlobEntry, DeadLetterContainer
from monitors.deadletter import BlobReport, check_size, read_blob, written_since
from monitors.engine import EventOutcome
from monitors.errors import EventError, MonitorError, StateError
from monitors.settings import Settings

log = logging.getLogger(__name__)

ProcessEvent = Callable[[Mapping[str, object]], "EventOutcome | None"]


class DeadLetterReplay:
    """One replay run: the container, the function's event path (``process_event``) and the notifier that delivers
    what the replayed events left in the outbox."""

    def __init__(self, settings: Settings, process_event: ProcessEvent, notifier: Notifier | None) -> None:
        self._settings = settings
        self._process_event = process_event
        self._notifier = notifier

    def run(
        self,
        *,
        since: dt.datetime | None = None,
        dry_run: bool = False,
        progress: Callable[[BlobReport], None] | None = None,
    ) -> list[BlobReport]:
        """Every blob written at or after ``since``; ``progress`` hears each blob's report as it is done."""
        container = DeadLetterContainer(self._settings)
        reports: list[BlobReport] = []
        try:
            entries = [e for e in container.blobs() if since is None or written_since(e.name, e.last_modified, since)]
            for entry in entries:
                reports.append(self._replay_blob(container, entry, dry_run=dry_run))
                if progress is not None:
                    progress(reports[-1])
        finally:
            container.close()
        if not dry_run and self._notifier is not None and any(r.events for r in reports):
            try:  # what each event's own delivery left (the function leaves it to DrainOutbox)
                self._notifier.deliver()
            except MonitorError as exc:
                log.warning("alerts of the replayed events stay in the outbox: %s", exc)
        return reports

    def _replay_blob(self, container: DeadLetterContainer, entry: BlobEntry, *, dry_run: bool) -> BlobReport:
        report = BlobReport(entry.name)
        try:
            check_size(entry.name, entry.size)
            letters = read_blob(entry.name, container.read(entry.name))
        except EventError as exc:
            report.unreadable = str(exc)
            return report
        except StateError as exc:
            report.failed.append(str(exc))
            return report
        report.events = len(letters)
        report.dead_lettered = tuple(sorted({f"{letter.reason} (last {letter.outcome})" for letter in letters}))
        for letter in letters:
            if dry_run:
                report.lines.append(f"event {letter.event_id}: {letter.reason} (last {letter.outcome})")
                continue
            try:
                outcome = self._process_event(letter.event)
            except MonitorError as exc:
                report.failed.append(f"event {letter.event_id}: {exc}")
                continue
            report.lines.append(f"event {letter.event_id}: {_replayed(outcome)}")
        if dry_run or report.failed:
            return report
        try:
            container.delete(entry.name)
            report.deleted = True
        except StateError as exc:
            report.failed.append(str(exc))
        return report


def _replayed(outcome: EventOutcome | None) -> str:
    """One replayed event's outcome, as the replay lists it."""
    if outcome is None:
        return "already processed; acknowledged"
    if outcome.work is not None:
        return f"service {outcome.work.facts.ref.resource_id} changed; queued for reconciling"
    finding = outcome.finding
    if finding is None:
        return f"ignored: {outcome.ignored}"
    return f"{finding.status} {finding.reason} action={finding.action}: {finding.resource_id}"
