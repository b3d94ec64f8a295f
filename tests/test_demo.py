"""``python -m demo`` end to end: it runs on its own emulator, leaves reports behind, and fails when it shows a
failure."""

from __future__ import annotations

import io
import json

import pytest

from demo.run import EXIT_FAILED, demo_problems, main
from emulator import EmulatorServer
from monitors.model import Action, Finding, Kind, Reason, Status


def test_demo_onboards_the_noncompliant_rest_apis(tmp_path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--out", str(tmp_path)], stdout=out, stderr=err)
    findings = json.loads((tmp_path / "findings.json").read_text())["findings"]
    still_unonboarded = sorted(f["api"] for f in findings if f["reason"] == "not_onboarded")
    assert (code, still_unonboarded, "== Before / after" in out.getvalue(), err.getvalue()) == (0, [], True, "")


def test_demo_writes_valid_sarif(tmp_path) -> None:
    main(["--out", str(tmp_path)], stdout=io.StringIO(), stderr=io.StringIO())
    assert json.loads((tmp_path / "findings.sarif").read_text())["version"] == "2.1.0"


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
