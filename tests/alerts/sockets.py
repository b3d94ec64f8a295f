"""How many TCP connections to a loopback port are open, from the kernel's table: proof that closing a sink or a
poster really let its connections go (Linux only; the tests that use it skip elsewhere)."""

from __future__ import annotations

from pathlib import Path

import pytest

_TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))
_ESTABLISHED = "01"

needs_proc = pytest.mark.skipif(not _TABLES[0].exists(), reason="reads /proc/net/tcp (Linux)")


def established_to(port: int) -> int:
    """Connections in ESTABLISHED state whose remote end is ``port``: the client side of each open connection."""
    count = 0
    for table in _TABLES:
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            remote, state = fields[2], fields[3]
            if state == _ESTABLISHED and int(remote.rsplit(":", 1)[1], 16) == port:
                count += 1
    return count
