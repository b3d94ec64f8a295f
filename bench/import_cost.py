"""Benchmark of what loading the function app costs: ``import function_app`` in a fresh interpreter, as the Python
worker does at every cold start, repeated; prints the median and the spread, and which heavy packages got loaded.

Optionally against another checkout (``--baseline DIR``, e.g. a ``git worktree`` of the commit before a change), so
that a change's cost is one figure. Usage (from the repository root):
    python -m bench.import_cost [--runs 15] [--baseline /tmp/before]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, sys, time; t = time.perf_counter(); import function_app; took = time.perf_counter() - t; "
    "heavy = sorted({m.split('.')[0] for m in sys.modules if m.startswith(('opentelemetry', 'azure.monitor'))}); "
    "print(json.dumps({'seconds': took, 'heavy': heavy}))"
)


def measure(directory: Path, runs: int) -> tuple[list[float], list[str]]:
    seconds, heavy = [], []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", PROBE], cwd=directory, capture_output=True, text=True, check=True, timeout=120
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        seconds.append(result["seconds"])
        heavy = result["heavy"]
    return seconds, heavy


def describe(label: str, seconds: list[float], heavy: list[str]) -> float:
    median = statistics.median(seconds)
    print(
        f"{label:<10} median {median * 1000:6.0f} ms  min {min(seconds) * 1000:6.0f} ms  "
        f"max {max(seconds) * 1000:6.0f} ms  ({len(seconds)} cold imports; OpenTelemetry loaded: {heavy or 'none'})"
    )
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with")
    args = parser.parse_args()
    now = describe("this tree", *measure(ROOT, args.runs))
    if args.baseline is not None:
        before = describe("baseline", *measure(args.baseline, args.runs))
        print(f"change: {(now - before) / before * 100:+.1f} %")


if __name__ == "__main__":
    main()
