"""Benchmark: the state stays small. Events (and the alerts some of them send) are recorded over simulated days with
the rows the event path leaves: the seen-event mark and, for an alert, its delivery marker (SQLite: a timer period's
rows in one transaction; Azure Tables: through the store, claims first, as the event path does). Every simulated timer
period the outbox timer runs as DrainOutbox does with nothing to deliver (the due read and the outbox depth read), then
prunes what is older than the TTL (``prune_expired``, the same code and budget as the function app: MONITOR_PRUNE_SHARE
of DrainOutbox's 5-minute period). Printed per sample day: rows in each table, the SQLite file's size, and pruning's
cost per timer run, against the whole run and against the timer's period.

SQLite gets the full count; Azure Tables on Azurite (node_modules/.bin/azurite-table, installed by `make test`) a
smaller one, with a longer timer period, since every row is several loopback HTTP requests.
Usage (from the repository root): python -m bench.state_ttl [--events 1000000] [--tables-events 10000]"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from monitors.runtime import OUTBOX_TIMER_PERIOD
from monitors.state._codec import format_time
from monitors.state.contract import StateStore
from monitors.state.prune import prune_expired
from monitors.state.sqlite import SqliteStateStore
from monitors.state.tables import TableStateStore, open_table_store
from tests.azurite import running_azurite  # the same Azurite the tests start

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
Recorded = tuple[str, str | None, dt.datetime]  # an event id, the delivery key of the alert it sent, when
LEASE = dt.timedelta(minutes=2)


@dataclass
class Runs:
    """Timer runs since the last sample: pruning's seconds, the whole run's, and pages."""

    prune: list[float] = field(default_factory=list)
    run: list[float] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)

    def line(self) -> str:
        if not self.run:
            return ""
        period = OUTBOX_TIMER_PERIOD.total_seconds()
        return (
            f"{len(self.run):6d} {ms(statistics.median(self.prune)):>8} {ms(max(self.prune)):>8}"
            f" {ms(statistics.median(self.run)):>8} {sum(self.prune) / sum(self.run):6.0%}"
            f" {max(self.prune) / period:9.5%}"
            f" {max(self.pages):5d}"
        )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def simulate(
    store: StateStore,
    *,
    events: int,
    days: int,
    ttl_days: int,
    timer_minutes: int,
    alert_every: int,
    page: int,
    share: float,
    counts: Callable[[], str],
    samples: int,
    record: Callable[[list[Recorded]], None],
) -> float:
    """Record ``events`` over ``days``, the timer every ``timer_minutes``; prints a line per sample. Wall seconds."""
    ticks = days * 24 * 60 // timer_minutes
    per_tick = events / ticks
    sample_every = max(1, ticks // samples)
    header = "day     events  deliveries  claims   size MB   runs  prune ms    (max)   run ms of runs of period  pages"
    print(header)
    print(f"{0:3d} {counts()}")
    runs, recorded, started = Runs(), 0, time.perf_counter()
    for tick in range(1, ticks + 1):
        now = START + dt.timedelta(minutes=tick * timer_minutes)
        due = round(tick * per_tick)
        batch: list[Recorded] = []
        for n in range(recorded, due):  # spread evenly over the period
            at = now - dt.timedelta(minutes=timer_minutes) * (1 - (n - recorded + 1) / (due - recorded + 1))
            batch.append(
                (f"evt-{n:09d}-0f3c6a62-0000-4000-8000", f"webhook:alert-{n:09d}" if n % alert_every == 0 else None, at)
            )
        record(batch)
        recorded = due
        run_started = time.perf_counter()
        store.due(now)  # DrainOutbox with nothing to deliver: the due read, then the outbox's depth and age
        store.outbox()
        report = prune_expired(
            store,
            now,
            ttl=dt.timedelta(days=ttl_days),
            page=page,
            budget_seconds=share * OUTBOX_TIMER_PERIOD.total_seconds(),
            clock=time.perf_counter,
        )
        runs.run.append(time.perf_counter() - run_started)
        runs.prune.append(report.seconds)
        runs.pages.append(report.pages)
        if tick % sample_every == 0 or tick == ticks:
            day = tick * timer_minutes // (24 * 60)
            print(f"{day:3d} {counts()} {runs.line()}", flush=True)
            runs = Runs()
    return time.perf_counter() - started


def through_store(store: StateStore) -> Callable[[list[Recorded]], None]:
    """Record as the event path does: claim the event, claim and finish its alert's delivery, mark the event."""

    def record(batch: list[Recorded]) -> None:
        for event_id, key, at in batch:
            store.claim_event(event_id, at, LEASE)
            if key is not None:
                store.claim_deliveries([key], at, LEASE)
                store.finish_deliveries([key], at)
            store.mark_event(event_id, at)

    return record


def in_one_transaction(path: Path) -> Callable[[list[Recorded]], None]:
    """The same rows the event path leaves (its claims are deleted by the mark), a timer period's in one SQLite
    transaction: three commits an event, each a disk flush, would make recording a million events take an hour."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)

    def record(batch: list[Recorded]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT OR IGNORE INTO events VALUES (?, ?)", [(e, format_time(at)) for e, _, at in batch])
        sent = [(key, format_time(at)) for _, key, at in batch if key is not None]
        conn.executemany("INSERT OR IGNORE INTO deliveries VALUES (?, 1, ?)", sent)
        conn.execute("COMMIT")

    return record


def backlog(rows: int, page: int, share: float) -> None:
    """A store that kept ``rows`` expired rows (state from before pruning, or after an outage of the timer): what the
    first timer run prunes of it within its budget, and how many runs clear it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "state.sqlite"
        store = SqliteStateStore(str(path))
        old = START - dt.timedelta(days=90)
        in_one_transaction(path)([(f"evt-{n:09d}", None, old) for n in range(rows)])
        budget = share * OUTBOX_TIMER_PERIOD.total_seconds()
        runs, first = 0, None
        while True:
            report = prune_expired(store, START, ttl=dt.timedelta(days=30), page=page, budget_seconds=budget)
            runs += 1
            first = first or report
            if report.finished:
                break
        store.close()
    print(
        f"\nBacklog: {rows:,d} expired rows in SQLite; the first timer run pruned {first.rows:,d} in"
        f" {first.seconds:.2f} s ({first.pages} pages, budget {budget:.0f} s); cleared in {runs} run(s)"
    )


def sqlite_counts(path: Path) -> Callable[[], str]:
    def counts() -> str:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            tables = ("events", "deliveries", "claims")
            rows = [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables]
        conn.close()
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
        return f"{rows[0]:10,d} {rows[1]:11,d} {rows[2]:7,d} {size / 2**20:9.1f}"

    return counts


def tables_counts(store: TableStateStore) -> Callable[[], str]:
    def counts() -> str:
        table = store._table("events")  # the bench's own store: count rows per partition
        rows = [
            sum(1 for _ in table.query_entities(f"PartitionKey eq '{pk}'", select=["RowKey"]))
            for pk in ("event", "delivery", "claim")
        ]
        return f"{rows[0]:10,d} {rows[1]:11,d} {rows[2]:7,d} {'-':>9}"

    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events recorded into SQLite")
    parser.add_argument(
        "--tables-events", type=int, default=10_000, help="events into Azure Tables on Azurite; 0 skips"
    )
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--ttl-days", type=int, default=30)
    parser.add_argument("--timer-minutes", type=int, default=5, help="the timer period for SQLite")
    parser.add_argument("--tables-timer-minutes", type=int, default=60, help="the timer period for Azure Tables")
    parser.add_argument("--alert-every", type=int, default=10, help="one alert (a delivery marker) per N events")
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--share", type=float, default=0.2)
    parser.add_argument("--samples", type=int, default=9)
    parser.add_argument("--backlog", type=int, default=500_000, help="expired rows a timer run finds at once; 0 skips")
    args = parser.parse_args()
    common = {
        "days": args.days,
        "ttl_days": args.ttl_days,
        "alert_every": args.alert_every,
        "page": args.page,
        "share": args.share,
        "samples": args.samples,
    }
    print(
        f"{args.days} simulated days, TTL {args.ttl_days} days, one alert per {args.alert_every} events,"
        f" page {args.page}, share {args.share:g}. Per sample: rows and size at its end; for the timer runs since"
        " the last sample, pruning's median and largest milliseconds, a whole run's median, pruning's share of all"
        " those runs' time, the largest run's pruning as a share of the timer's 5-minute period (the budget is"
        f" {args.share:g} of it), and the most pages one run took"
    )
    if args.events:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "state.sqlite"
            store = SqliteStateStore(str(path))
            print(f"\nSQLite: {args.events:,d} events, the timer every {args.timer_minutes} minutes")
            wall = simulate(
                store,
                events=args.events,
                timer_minutes=args.timer_minutes,
                counts=sqlite_counts(path),
                record=in_one_transaction(path),
                **common,
            )
            store.close()
            print(f"({wall:.0f} s)")
    if args.backlog:
        backlog(args.backlog, args.page, args.share)
    if args.tables_events:
        with running_azurite() as azurite:
            tables = open_table_store(azurite.connection_string, table_prefix="bench")
            print(
                f"\nAzure Tables (Azurite): {args.tables_events:,d} events,"
                f" the timer every {args.tables_timer_minutes} minutes"
            )
            wall = simulate(
                tables,
                events=args.tables_events,
                timer_minutes=args.tables_timer_minutes,
                counts=tables_counts(tables),
                record=through_store(tables),
                **common,
            )
            tables.close()
            print(f"({wall:.0f} s)")


if __name__ == "__main__":
    main()
