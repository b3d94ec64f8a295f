"""Render the README screenshots of the Teams and Slack alerts: ``python docs/render_alerts.py`` (needs chromium).

Builds a single-alert message and a digest for each sink with the real renderers (monitors.alerts.teams / slack),
writes the preview pages with demo.render.write_pages into a temporary directory, screenshots each page
with headless chromium at the size of its content. A development script: not part of the product or tests.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo.render import ADAPTIVECARDS_JS, write_pages  # noqa: E402
from monitors.alerts.slack import render_slack  # noqa: E402
from monitors.alerts.teams import render_teams  # noqa: E402
from monitors.model import Action, Alert, AlertKind, Finding, Kind, Reason, Status  # noqa: E402

DOCS = ROOT / "docs"
NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
PROD_SVC, DEV_SVC = "apim-contoso-prod", "apim-contoso-dev"
SERVICES = {  # service: (subscription, resource group)
    PROD_SVC: ("11111111-1111-1111-1111-111111111111", "rg-apis-prod"),
    DEV_SVC: ("22222222-2222-2222-2222-222222222222", "rg-apis-dev"),
}
SHOTS = ["teams-alert.png", "teams-digest.png", "slack-alert.png", "slack-digest.png"]
MAX_BYTES = 300_000
SCALE = 2  # device pixels per CSS pixel: sharp on high-density screens
# Appended to a copy of each page: writes the size of <main> (whose padding is the margin) into the DOM, and
# whether a card page fell back to the raw JSON.
MEASURE = """<script>
(function () {
  var box = document.querySelector("main").getBoundingClientRect(), raw = document.getElementById("raw");
  document.documentElement.dataset.size = Math.ceil(box.right) + "x" + Math.ceil(box.bottom);
  document.documentElement.dataset.fallback = raw && !raw.hidden ? "yes" : "no";
})();
</script>"""


def finding(api: str, name: str, status: Status, reason: Reason, action: Action, detail: str, service: str) -> Finding:
    sub, rg = SERVICES[service]
    resource = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{service}"
    return Finding(Kind.API, f"{resource}/apis/{api}", sub, rg, service, api, name, status, reason, detail, action)


def alert(kind: AlertKind, f: Finding, minutes: int = 0) -> Alert:
    return Alert(f"alert-{f.service}-{f.api}-{kind.value}", kind, f, NOW + dt.timedelta(minutes=minutes))


def names(api: str, service: str) -> str:
    return f"API '{api}' of APIM service '{service}'"


def single_alert() -> Alert:
    detail = f"{names('payments', PROD_SVC)} is not onboarded; would onboard it."
    reason, action = Reason.NOT_ONBOARDED, Action.WOULD_ONBOARD
    f = finding("payments", "Payments API", Status.NONCOMPLIANT, reason, action, detail, PROD_SVC)
    return alert(AlertKind.NEW, f)


def digest_alerts() -> list[Alert]:
    bad, good, off = Status.NONCOMPLIANT, Status.COMPLIANT, Reason.NOT_ONBOARDED
    rows = [  # kind, api, display name, status, reason, action, service, detail
        (AlertKind.NEW, "payments", "Payments API", bad, off, Action.WOULD_ONBOARD, PROD_SVC, "would onboard it"),
        (AlertKind.NEW, "inventory", "Inventory API", bad, off, Action.ONBOARD_FAILED, PROD_SVC, "onboarding failed"),
        (AlertKind.NEW, "partner-quotes", "Partner quotes", bad, Reason.PLAN_NOT_ENABLED, Action.NONE, DEV_SVC,
         "the plan is off"),
        (AlertKind.RENOTIFY, "customers", "Customers API", bad, off, Action.NONE, PROD_SVC, "still not onboarded"),
        (AlertKind.ONBOARDED, "shipping", "Shipping API", good, Reason.ONBOARDED, Action.ONBOARDED, PROD_SVC,
         "was onboarded"),
        (AlertKind.RESOLVED, "orders", "Orders API", good, Reason.ONBOARDED, Action.NONE, PROD_SVC, "is onboarded"),
    ]  # fmt: skip
    return [
        alert(kind, finding(api, name, status, reason, action, f"{names(api, svc)}: {what}.", svc), minutes)
        for minutes, (kind, api, name, status, reason, action, svc, what) in enumerate(rows)
    ]


def chromium_run(chromium: str, profile: Path, *args: str) -> str:
    command = [
        chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--hide-scrollbars", "--virtual-time-budget=3000",
        f"--force-device-scale-factor={SCALE}", *args,
    ]  # fmt: skip
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120).stdout  # noqa: S603


def content_size(chromium: str, page: Path, profile: Path) -> tuple[int, int]:
    """The page's content box, measured by a copy of the page that reports it in its DOM (a card page must have
    rendered its card, not the raw JSON)."""
    probe = page.with_name(f"{page.stem}-probe.html")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = chromium_run(chromium, profile, "--window-size=900,1100", "--dump-dom", probe.as_uri())
    probe.unlink()
    match = re.search(r'data-size="(\d+)x(\d+)"', dom)
    if match is None:
        raise RuntimeError(f"could not measure {page.name}")
    if 'data-fallback="yes"' in dom:
        raise RuntimeError(f"{page.name} shows the raw JSON: the Adaptive Card did not render")
    return int(match.group(1)), int(match.group(2))


def screenshot(chromium: str, page: Path, png: Path, profile: Path) -> bytes:
    width, height = content_size(chromium, page, profile)
    chromium_run(chromium, profile, f"--window-size={width},{height}", f"--screenshot={png}", page.as_uri())
    return png.read_bytes()


def main() -> int:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        print("chromium not found; install it (apt-get install chromium)", file=sys.stderr)
        return 1
    script = ROOT / ADAPTIVECARDS_JS
    if not script.is_file():
        print(f"{ADAPTIVECARDS_JS} missing; run npm install", file=sys.stderr)
        return 1
    single, many = [single_alert()], digest_alerts()
    with tempfile.TemporaryDirectory() as tmp:
        temp = Path(tmp)
        teams, slack = [render_teams(single), render_teams(many)], [render_slack(single), render_slack(many)]
        pages = write_pages(temp / "pages", teams, slack, script)
        for page, name in zip(pages, SHOTS, strict=True):
            data = screenshot(chromium, page, temp / name, temp / "profile")
            if len(data) > MAX_BYTES:
                print(f"{name} is {len(data)} bytes, over {MAX_BYTES}", file=sys.stderr)
                return 1
            (DOCS / name).write_bytes(data)
            print(f"docs/{name}: {len(data) // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
