"""``python -m monitors demo`` end to end: it runs on its own emulator and leaves reports behind."""

from __future__ import annotations

import io
import json

from monitors.cli import main


def test_demo_onboards_the_noncompliant_rest_apis(tmp_path) -> None:
    out = io.StringIO()
    code = main(["demo", "--out", str(tmp_path)], stdout=out, stderr=io.StringIO())
    findings = json.loads((tmp_path / "findings.json").read_text())["findings"]
    still_unonboarded = sorted(f["api"] for f in findings if f["reason"] == "not_onboarded")
    assert (code, still_unonboarded, "== Before / after" in out.getvalue()) == (0, [], True)


def test_demo_writes_valid_sarif(tmp_path) -> None:
    main(["demo", "--out", str(tmp_path)], stdout=io.StringIO(), stderr=io.StringIO())
    assert json.loads((tmp_path / "findings.sarif").read_text())["version"] == "2.1.0"
