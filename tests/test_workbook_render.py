"""The README's workbook picture is drawn from the real workbook JSON (demo/workbook_render.py): the page lists every
item of infra/monitoring/workbook.json, in order, with its title, what its query reads and its visualization."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from demo.workbook_render import WORKBOOK, query_source, render_workbook

ITEMS = json.loads(WORKBOOK.read_text(encoding="utf-8"))["items"]


class _Items(HTMLParser):
    """The data-item names of a page, in order, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names += [value or "" for key, value in attrs if key == "data-item"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _page() -> _Items:
    parser = _Items()
    parser.feed(render_workbook({"items": ITEMS}))
    return parser


def test_page_lists_every_item_in_order():
    assert _page().names == [item["name"] for item in ITEMS]


def test_page_shows_every_query_title():
    text = " ".join(_page().text)
    titles = [item["content"]["title"] for item in ITEMS if item["type"] == 3]
    assert [title for title in titles if title not in text] == []


def test_page_names_each_querys_visualization_and_source():
    text = " ".join(_page().text)
    expected = {(i["content"]["visualization"], query_source(i["content"]["query"])) for i in ITEMS if i["type"] == 3}
    assert {(v, s) for v, s in expected if v not in text or s not in text} == set()


def test_query_source_names_the_instrument():
    query = 'customMetrics\n| where name == "monitor.coverage"\n| summarize avg(value)'
    assert query_source(query) == "customMetrics · monitor.coverage"


def test_page_shows_what_the_deployment_puts_in_place_of_the_slo_placeholder():
    text = " ".join(_page().text)
    assert ("__SLO_HOURS__" in text, "sloHours (24 by default)" in text) == (False, True)


def test_markdown_text_is_escaped():
    page = render_workbook({"items": [{"type": 1, "name": "x", "content": {"json": "# <b>a</b> `c<d>`"}}]})
    assert re.search(r"<h1>&lt;b&gt;a&lt;/b&gt; <code>c&lt;d&gt;</code></h1>", page) is not None
