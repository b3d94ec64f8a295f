"""The workbook picture in a real browser (demo/workbook_render.py): headless Chromium lays the page out as the
README shows it, every item visible and no row wider than the page, and the screenshot is a PNG of that width."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By

from demo.workbook_render import WIDTH_PX, WORKBOOK, render_workbook, write_picture

ITEMS = json.loads(WORKBOOK.read_text(encoding="utf-8"))["items"]


def _open(browser: Any, tmp_path: Path) -> Path:
    page = tmp_path / "workbook.html"
    page.write_text(render_workbook({"items": ITEMS}), encoding="utf-8")
    browser.get(page.as_uri())
    return page


def test_every_item_is_drawn_with_a_size(browser, tmp_path):
    _open(browser, tmp_path)
    cells = browser.find_elements(By.CSS_SELECTOR, "[data-item]")
    drawn = [c.get_attribute("data-item") for c in cells if c.rect["width"] > 0 and c.rect["height"] > 0]
    assert drawn == [item["name"] for item in ITEMS]


def test_no_row_is_wider_than_the_page(browser, tmp_path):
    _open(browser, tmp_path)
    main = browser.find_element(By.TAG_NAME, "main").rect
    cells = browser.find_elements(By.CSS_SELECTOR, "[data-item]")
    assert [
        c.get_attribute("data-item") for c in cells if c.rect["x"] + c.rect["width"] > main["x"] + main["width"]
    ] == []


def test_side_by_side_items_share_a_row(browser, tmp_path):
    _open(browser, tmp_path)
    top = {c.get_attribute("data-item"): c.rect["y"] for c in browser.find_elements(By.CSS_SELECTOR, "[data-item]")}
    assert (top["coverage-over-time"] == top["coverage-now"], top["coverage-now"] < top["unprotected-heading"]) == (
        True,
        True,
    )


def test_picture_is_a_png_of_the_page_width(browser, tmp_path):
    page = _open(browser, tmp_path)
    picture = tmp_path / "workbook.png"
    write_picture(page, picture)
    data = picture.read_bytes()
    assert (data[:8], int.from_bytes(data[16:20], "big")) == (b"\x89PNG\r\n\x1a\n", WIDTH_PX)
