"""Fixtures for the azd hook tests: stand-in ``az`` and ``azd`` commands on PATH that record every call and answer
from canned output, so a hook runs end to end without Azure."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.infra.bicep import ROOT

# Records its arguments (tab-separated, one call a line) in <dir>/<name>.calls, then answers with
# <dir>/<name>.answers/<command words joined by _> and exits with the .rc next to it, if any.
STAND_IN = """#!/bin/sh
here=$(dirname "$0")
name=$(basename "$0")
for a in "$@"; do printf '%s\\t' "$a"; done >> "$here/$name.calls"
echo >> "$here/$name.calls"
key=""
for a in "$@"; do
  case "$a" in
    -*) break ;;
    *) key="${key:+${key}_}$a" ;;
  esac
done
if [ -f "$here/$name.answers/$key" ]; then cat "$here/$name.answers/$key"; fi
if [ -f "$here/$name.answers/$key.rc" ]; then exit "$(cat "$here/$name.answers/$key.rc")"; fi
exit 0
"""


class StandIn:
    """The stand-in ``az`` and ``azd`` of one test."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        for name in ("az", "azd"):
            command = directory / name
            command.write_text(STAND_IN)
            command.chmod(0o755)
            (directory / f"{name}.answers").mkdir()

    def answer(self, command: str, output: str, status: int = 0, *, tool: str = "az") -> None:
        """What ``tool command ...`` prints (a newline is added) and its exit status."""
        key = self.directory / f"{tool}.answers" / command.replace(" ", "_")
        key.write_text(output + "\n")
        key.with_name(key.name + ".rc").write_text(str(status))

    def run(self, script: Path, values: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
        """Run a hook from the repository root, as azd does, with the azd environment ``values``."""
        env = {"PATH": f"{self.directory}{os.pathsep}{os.environ['PATH']}", **values}
        return subprocess.run(
            ["sh", str(script)], cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=30
        )

    def calls(self, tool: str = "az") -> list[list[str]]:
        log = self.directory / f"{tool}.calls"
        lines = log.read_text().splitlines() if log.exists() else []
        return [line.rstrip("\t").split("\t") for line in lines]


@pytest.fixture
def az(tmp_path: Path) -> StandIn:
    return StandIn(tmp_path)
