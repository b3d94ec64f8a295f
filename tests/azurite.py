"""Starts and stops a private Azurite Table service (the npm dev dependency) for the state-store tests."""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "node_modules" / ".bin"
AZURITE_TABLE = BIN / "azurite-table"
ACCOUNT = "devstoreaccount1"
# Azurite's published, well-known development key (not a secret).
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


def connection_string(port: int, queue_port: int | None = None, blob_port: int | None = None) -> str:
    queue = f"QueueEndpoint=http://127.0.0.1:{queue_port}/{ACCOUNT};" if queue_port else ""
    blob = f"BlobEndpoint=http://127.0.0.1:{blob_port}/{ACCOUNT};" if blob_port else ""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"TableEndpoint=http://127.0.0.1:{port}/{ACCOUNT};{queue}{blob}"
    )


class Azurite:
    """One running ``azurite-table`` process on a free loopback port, with in-memory storage."""

    def __init__(
        self, workdir: Path, port: int | None = None, *, with_queue: bool = False, with_blob: bool = False
    ) -> None:
        """``with_queue`` / ``with_blob``: the all-in-one binary, whose queue (and blob) endpoints the connection
        string then names too."""
        if not AZURITE_TABLE.exists():
            pytest.fail("Azurite missing: run `npm ci` (make test does)", pytrace=False)
        ports = _free_ports(3)  # distinct: three separate probes can hand out one port twice
        self.port = port or ports[0]
        self.queue_port = ports[1] if with_queue or with_blob else None
        self.blob_port = ports[2] if with_blob else None
        self.connection_string = connection_string(self.port, self.queue_port, self.blob_port)
        self._log = (workdir / "azurite.log").open("wb")
        command = [str(AZURITE_TABLE), "--tableHost", "127.0.0.1", "--tablePort", str(self.port)]
        if self.queue_port:  # the all-in-one binary: table, queue and blob in one process
            command = [str(BIN / "azurite"), "--tableHost", "127.0.0.1", "--tablePort", str(self.port)]
            command += ["--queueHost", "127.0.0.1", "--queuePort", str(self.queue_port)]
            command += ["--blobHost", "127.0.0.1", "--blobPort", str(ports[2])]
        command += ["--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck", "--loose"]
        self._process = subprocess.Popen(command, cwd=workdir, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_until_listening(workdir / "azurite.log")

    def stop(self) -> None:
        """Terminate Azurite, killing it if it has not exited after a few seconds."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()

    def _wait_until_listening(self, log: Path) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self.stop()
                pytest.fail(f"Azurite exited at start:\n{log.read_text(errors='replace')}", pytrace=False)
            try:
                for port in (self.port, self.queue_port or self.port, self.blob_port or self.port):
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        pytest.fail(f"Azurite did not listen on port {self.port} within {START_TIMEOUT:g} s", pytrace=False)


@contextmanager
def running_azurite(port: int | None = None, *, with_queue: bool = False, with_blob: bool = False) -> Iterator[Azurite]:
    """A fresh Azurite for the duration of the block, in its own scratch directory (on ``port``, or a free one)."""
    with tempfile.TemporaryDirectory(prefix="azurite-") as workdir:
        server = Azurite(Path(workdir), port, with_queue=with_queue, with_blob=with_blob)
        try:
            yield server
        finally:
            server.stop()


def _free_ports(count: int) -> list[int]:
    """``count`` distinct free loopback ports: every probe stays bound until all are chosen."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()
