"""`python -m emulator --estate FILE --port N [--latency-ms N]`: serve an estate until SIGINT or SIGTERM.

Prints `emulator listening on http://127.0.0.1:PORT` once the port is bound (port 0 picks a free one), so scripts
can read the URL from the first line of output.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from emulator.estate import load_estate
from emulator.server import EmulatorServer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emulator", description="Local ARM emulator for APIM and Defender.")
    parser.add_argument("--estate", required=True, help="estate JSON file")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default 0: any free port)")
    parser.add_argument("--latency-ms", type=int, default=0, help="delay every ARM response by this many ms")
    parser.add_argument("--page-size", type=int, default=100, help="largest page returned by list operations")
    parser.add_argument(
        "--graph-page-size", type=int, default=1000, help="largest page returned by Resource Graph queries (1..1000)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator in the foreground; returns the process exit code."""
    args = _parser().parse_args(argv)
    try:
        estate = load_estate(args.estate)
        server = EmulatorServer(
            estate, host=args.host, port=args.port, page_size=args.page_size, graph_page_size=args.graph_page_size
        )
        server.set_latency(args.latency_ms)
        server.start()
    except (OSError, ValueError) as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 2
    stopped = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    print(f"emulator listening on {server.url}", flush=True)
    try:
        while not stopped.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
