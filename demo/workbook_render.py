"""The README's picture of the workbook, drawn from infra/monitoring/workbook.json without Azure.

``render_workbook`` turns the workbook's JSON into one HTML page that mocks its grid the way Azure Monitor lays it
out: items in order, side by side while their ``customWidth`` percentages fit in a row; text items as Markdown
headings and paragraphs; the parameters as pills; each query as a card with its title, the kind of query (KQL, the
table, the instrument or log row it reads), the visualization type with a schematic drawing of it, and its size.
The drawings are placeholders, not data. ``python -m demo.workbook_render`` writes the page and screenshots it with
Debian's headless Chromium under Selenium (demo/approval_site.py) into docs/workbook.png.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKBOOK = ROOT / "infra" / "monitoring" / "workbook.json"
PICTURE = ROOT / "docs" / "workbook.png"
# KqlItem "size": how tall Azure Monitor draws the visualization.
SIZES = {0: ("medium", 150), 1: ("small", 100), 2: ("large", 220), 3: ("tiny", 60), 4: ("full", 260)}
# KqlParameterItem "type": the kinds of parameters this workbook uses.
PARAMETER_KINDS = {1: "text", 2: "drop-down", 4: "time range"}
# What the deployment puts in place of each placeholder (infra/modules/dashboard.bicep).
PLACEHOLDERS = {"__SLO_HOURS__": "sloHours (24 by default)", "__APP_INSIGHTS_ID__": "the Application Insights id"}
WIDTH_PX = 1200

STYLE = """
body { margin: 0; background: #f3f2f1; font: 13px "Segoe UI", "Open Sans", Arial, sans-serif; color: #323130; }
main { width: WIDTHpx; padding: 16px; box-sizing: border-box; }
.row { display: flex; gap: 8px; margin-bottom: 8px; }
.item { box-sizing: border-box; min-width: 0; background: #fff; border: 1px solid #e1dfdd; border-radius: 2px;
        padding: 10px 12px; }
.text { background: transparent; border: none; padding: 4px 2px; }
.text h1 { font-size: 22px; margin: 0 0 4px; font-weight: 600; }
.text h2 { font-size: 16px; margin: 6px 0 0; font-weight: 600; border-bottom: 1px solid #c8c6c4; padding-bottom: 3px; }
.text p { margin: 0; color: #605e5c; }
code { font-family: Consolas, "DejaVu Sans Mono", monospace; background: #edebe9; padding: 0 3px; }
.pill { display: inline-block; border: 1px solid #8a8886; border-radius: 12px; padding: 2px 10px; margin-right: 8px; }
.pill b { font-weight: 600; }
.title { font-weight: 600; font-size: 14px; margin-bottom: 4px; }
.meta { color: #605e5c; font-size: 11px; margin-bottom: 6px; }
.badge { display: inline-block; background: #deecf9; color: #004578; border-radius: 2px; padding: 0 5px;
         margin-right: 4px; font-size: 11px; }
svg { display: block; width: 100%; }
table.mock { width: 100%; border-collapse: collapse; font-size: 11px; }
table.mock th { text-align: left; border-bottom: 1px solid #c8c6c4; padding: 3px 4px; font-weight: 600; }
table.mock td { padding: 3px 4px; border-bottom: 1px solid #f3f2f1; }
table.mock td span { display: inline-block; height: 7px; border-radius: 3px; background: #e1dfdd; }
""".replace("WIDTH", str(WIDTH_PX))
PALETTE = ("#0078d4", "#e3008c", "#00a36c", "#ffaa44")


def _inline(text: str) -> str:
    """Markdown's inline code and nothing else, escaped."""
    parts = re.split(r"`([^`]*)`", text)
    return "".join(f"<code>{html.escape(p)}</code>" if i % 2 else html.escape(p) for i, p in enumerate(parts))


def _markdown(text: str) -> str:
    lines = []
    for line in text.splitlines():
        heading = re.match(r"(#{1,2}) (.*)", line)
        if heading:
            level = len(heading.group(1))
            lines.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif line.strip():
            lines.append(f"<p>{_inline(line)}</p>")
    return "".join(lines)


def _shown(value: Any) -> str:
    if isinstance(value, dict) and "durationMs" in value:
        return f"last {value['durationMs'] // 86_400_000} days"
    return PLACEHOLDERS.get(str(value), str(value))


def _parameters(content: dict[str, Any]) -> str:
    pills = [
        f'<span class="pill"><b>{html.escape(p.get("label", p["name"]))}</b>: {html.escape(_shown(p.get("value")))}'
        f" ({PARAMETER_KINDS.get(p['type'], 'parameter')})</span>"
        for p in content["parameters"]
    ]
    return "".join(pills)


def query_source(query: str) -> str:
    """What a query reads: its table and the instrument (``name == ...``) or log row (``message == ...``)."""
    body = query.split(";")[-1].strip()
    table = body.split("|")[0].strip()
    names = re.findall(r'\b(?:name|message) == "([^"]+)"', query)
    return f"{table} · {', '.join(names)}" if names else table


def _columns(query: str) -> list[str]:
    """The columns a table shows: those of the last ``project``, else what ``summarize`` makes."""
    stages = [s.strip() for s in query.split("|")]
    for stage in reversed(stages):
        if stage.startswith("project "):
            return [c.split("=")[0].strip() for c in _top_level_split(stage[len("project ") :])]
        if stage.startswith("summarize "):
            aggregates, _, by = stage[len("summarize ") :].partition(" by ")
            made = [a.split("=")[0].strip() for a in _top_level_split(aggregates) if "=" in a]
            return [*(b.strip() for b in _top_level_split(by) if b.strip()), *made]
    return ["value"]


def _top_level_split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _drawing(visualization: str, query: str, height: int) -> str:
    """A schematic of the visualization: lines for charts over time, bars, or the table's columns."""
    if visualization == "table":
        columns = _columns(query)
        head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
        rows = "".join(
            "<tr>"
            + "".join(
                f'<td><span style="width:{40 + (7 * r + 13 * c) % 50}px"></span></td>' for c in range(len(columns))
            )
            for r in range(max(2, height // 30))
        )
        return f'<table class="mock"><tr>{head}</tr>{rows}</table>'
    width, series = 400, 2 if "by bin(" in query and query.count(",") > 1 else 1
    if visualization == "barchart":
        bars = "".join(
            f'<rect x="{12 + i * 32}" y="{height - 10 - h}" width="22" height="{h}" fill="{PALETTE[i % 3]}"/>'
            for i, h in enumerate(height * k // 10 for k in (4, 6, 3, 7, 5, 8, 4, 6, 2, 5, 7, 3))
        )
        return _svg(width, height, bars)
    lines = []
    for s in range(series + (visualization == "linechart")):
        points = " ".join(
            f"{x * width // 11},{height - 12 - (height - 30) * ((3 * x + 5 * s) % 7 + 2 * s) // 12}" for x in range(12)
        )
        lines.append(f'<polyline points="{points}" fill="none" stroke="{PALETTE[s]}" stroke-width="2"/>')
    axis = f'<line x1="0" y1="{height - 6}" x2="{width}" y2="{height - 6}" stroke="#c8c6c4"/>'
    return _svg(width, height, axis + "".join(lines))


def _svg(width: int, height: int, shapes: str) -> str:
    return f'<svg viewBox="0 0 {width} {height}" preserveAspectRatio="none" style="height:{height}px">{shapes}</svg>'


def _query_card(content: dict[str, Any], width: float) -> str:
    size_name, height = SIZES.get(content.get("size", 0), (f"size {content.get('size')}", 150))
    visualization = content.get("visualization", "table")
    badges = "".join(
        f'<span class="badge">{html.escape(b)}</span>' for b in ("KQL", visualization, size_name, f"{width:g}%")
    )
    return (
        f'<div class="title">{html.escape(content.get("title", ""))}</div>'
        f'<div class="meta">{badges} {html.escape(query_source(content["query"]))}</div>'
        f"{_drawing(visualization, content['query'], height)}"
    )


def _cell(item: dict[str, Any]) -> tuple[float, str]:
    """(width in percent, the item's HTML)."""
    width = float(item.get("customWidth", 100))
    kind, content = item["type"], item["content"]
    if kind == 1:
        inner, css = _markdown(content["json"]), "item text"
    elif kind == 9:
        inner, css = _parameters(content), "item text"
    elif kind == 3:
        inner, css = _query_card(content, width), "item"
    else:
        inner, css = f"item of type {kind}", "item"
    name = html.escape(item["name"])
    return width, f'<div class="{css}" data-item="{name}" style="flex: {width:g} {width:g} 0">{inner}</div>'


def render_workbook(workbook: dict[str, Any]) -> str:
    """One HTML page mocking the workbook's grid: every item in order, in rows of at most 100 % width."""
    rows: list[list[str]] = [[]]
    used = 0.0
    for item in workbook["items"]:
        width, cell = _cell(item)
        if used + width > 100.5 and rows[-1]:
            rows.append([])
            used = 0.0
        rows[-1].append(cell)
        used += width
    body = "".join(f'<div class="row">{"".join(row)}</div>' for row in rows)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Workbook layout</title>'
        f"<style>{STYLE}</style></head><body><main>{body}</main></body></html>"
    )


def write_picture(page: Path, picture: Path) -> None:
    """Screenshot ``page`` at the height of its content with headless Chromium (Selenium, no download)."""
    from selenium.webdriver.common.by import By

    from demo.approval_site import chromium

    with chromium() as driver:
        driver.get(page.as_uri())
        height = driver.find_element(By.TAG_NAME, "main").rect["height"]
        driver.set_window_size(WIDTH_PX, int(height) + 200)
        driver.find_element(By.TAG_NAME, "main").screenshot(str(picture))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.workbook_render", description=__doc__.split("\n")[0])
    parser.add_argument("--workbook", type=Path, default=WORKBOOK)
    parser.add_argument("--out", type=Path, default=PICTURE, help="the PNG to write (default docs/workbook.png)")
    args = parser.parse_args(argv)
    from demo.approval_site import browser_missing

    missing = browser_missing()
    if missing is not None:
        print(f"no browser to draw the workbook with: {missing}")
        return 2
    page_html = render_workbook(json.loads(args.workbook.read_text(encoding="utf-8")))
    with tempfile.TemporaryDirectory(prefix="workbook-") as directory:
        page = Path(directory) / "workbook.html"
        page.write_text(page_html, encoding="utf-8")
        write_picture(page, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
