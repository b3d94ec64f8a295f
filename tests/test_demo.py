"""``python -m demo`` end to end: it runs on its own emulator, leaves reports behind, and fails when it shows a
failure. Its approval section drives headless Chromium where there is one (TESTS_REQUIRE_BROWSER=1: there must be)."""

from __future__ import annotations

import io
import json
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from demo.approval_site import INSTALL_HINT, browser_missing
from demo.approvals import APPROVER, CONFIRM_PNG, RESULT_PNG
from demo.run import EXIT_FAILED, demo_problems, main
from emulator import EmulatorServer
from monitors.model import Action, Finding, Kind, Reason, Status

MISSING = browser_missing()
APPROVAL_PROBLEM = "demo failed: approval:"


@dataclass(frozen=True)
class Run:
    out: Path
    code: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """One ``python -m demo --out`` for the tests that only read what it did (no MONITOR_* setting from the machine)."""
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as env:
        for key in [k for k in os.environ if k.startswith(("MONITOR_", "AZURE_"))]:
            env.delenv(key)
        out, err = io.StringIO(), io.StringIO()
        code = main(["--out", str(folder)], stdout=out, stderr=err)
    yield Run(folder, code, out.getvalue(), err.getvalue())


def test_demo_onboards_the_noncompliant_rest_apis(demo_run: Run) -> None:
    findings = json.loads((demo_run.out / "findings.json").read_text())["findings"]
    still_unonboarded = sorted(f["api"] for f in findings if f["reason"] == "not_onboarded")
    other_problems = [line for line in demo_run.stderr.splitlines() if not line.startswith(APPROVAL_PROBLEM)]
    assert (still_unonboarded, "== Before / after" in demo_run.stdout, other_problems) == ([], True, [])


def test_demo_ends_with_the_status_of_what_it_did(demo_run: Run) -> None:
    status = demo_run.stdout.rsplit("== 5. python -m monitors status\n", 1)[1].splitlines()
    findings = json.loads((demo_run.out / "findings.json").read_text())["findings"]
    onboarded = sum(1 for f in findings if f["status"] == "compliant" and f["kind"] == "api")
    assert status[0].startswith(f"Coverage: {onboarded + 1} of ")  # the rescan's, and section 4's approved API
    [time_to_onboard] = [line for line in status if line.startswith("Time to onboarded: p50 ")]
    assert time_to_onboard.endswith("over 5 APIs")  # the events' APIs and the approved one, onboarded this run
    assert status[-1] == "Last sweep: none recorded"


def test_demo_writes_valid_sarif(demo_run: Run) -> None:
    assert json.loads((demo_run.out / "findings.sarif").read_text())["version"] == "2.1.0"


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG file, after checking its signature and header chunk."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_demo_approves_an_api_from_its_alert_link(demo_run: Run) -> None:
    if MISSING is not None and os.environ.get("TESTS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"TESTS_REQUIRE_BROWSER=1, yet there is no browser for the demo: {MISSING}")
    section = demo_run.stdout.split("== 4. Approval links", 1)[-1]
    assert (demo_run.code, demo_run.stderr) == (0, "")
    assert "MONITOR_AUTO_ONBOARD=approve" in demo_run.stdout and "Its links: Onboard, Exempt for 30 days" in section
    assert 'page "Onboard to Defender for APIs?" says "Nothing has changed yet"; ARM writes: 0' in section
    assert 'page "Onboarded to Defender for APIs"' in section and "/apiCollections/invoices" in section
    assert "invoices now: compliant/onboarded" in section
    assert "Follow-up Teams alert: Onboarded: Onboarded to Defender for APIs · API 'invoices'" in section
    assert f"approved by {APPROVER}" in section
    pictures = [demo_run.out / CONFIRM_PNG, demo_run.out / RESULT_PNG]
    if MISSING is not None:
        assert f"No browser for the approval pages: {MISSING}" in section and INSTALL_HINT in section
        assert [p for p in pictures if p.exists()] == []
        return
    assert "Headless Chromium" in section and "Clicked the button" in section
    for picture in pictures:
        width, height = _png_size(picture)
        assert width >= 400 and height >= 300 and picture.stat().st_size > 10_000, (picture, width, height)


def test_demo_exits_non_zero_when_onboarding_fails(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    set_lro_mode = EmulatorServer.set_lro_mode

    def failing(server: EmulatorServer, mode: str, polls: int = 1, **kwargs: object) -> None:
        set_lro_mode(server, "fail", polls)

    monkeypatch.setattr(EmulatorServer, "set_lro_mode", failing)
    out, err = io.StringIO(), io.StringIO()
    code = main(["--out", str(tmp_path)], stdout=out, stderr=err)
    failed = [line for line in err.getvalue().splitlines() if line.startswith("demo failed: ")]
    assert (code, "== Before / after" in out.getvalue()) == (EXIT_FAILED, True)
    assert any("still not onboarded" in line for line in failed) and any("onboard_failed" in line for line in failed)


def _finding(api: str, status: Status, reason: Reason, action: Action = Action.NONE) -> Finding:
    sub = "11111111-1111-1111-1111-111111111111"
    rid = f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/apis/{api}"
    return Finding(Kind.API, rid, sub, "rg", "apim", api, api, status, reason, "detail", action)


def test_demo_problems_names_each_way_the_demo_can_fail() -> None:
    ok = _finding("orders", Status.COMPLIANT, Reason.ONBOARDED)
    left = _finding("payments", Status.NONCOMPLIANT, Reason.NOT_ONBOARDED)
    broken = _finding("billing", Status.ERROR, Reason.ARM_ERROR)
    problems = demo_problems([ok, broken], [], [ok, left, broken], {"teams": 3, "slack": 0})
    assert problems == [
        "apim/billing: error/arm_error: detail",
        "apim/payments: still not onboarded after the rescan with auto-onboarding on",
        "the local slack receiver got no alert",
    ]
    assert demo_problems([ok], [ok], [ok], {"teams": 1}) == []
