"""Demo previews: the card page embeds the Teams card intact and inert, the Slack page escapes every text, and
write_pages writes the pages with and without the adaptivecards library."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from demo.render import (
    SCRIPT_NAME,
    STYLESHEET_NAME,
    card_of,
    mrkdwn_html,
    render_block,
    render_card_page,
    render_slack_page,
    write_pages,
)
from monitors.alerts.slack import render_slack
from monitors.alerts.teams import render_teams
from tests.alerts.factories import make_alert, many_alerts

HOSTILE = "</script><!--<script>alert(1)</script> <img src=x onerror=alert(2)> & \"quotes\" 'too'"
EMBEDDED = re.compile(r'<script type="application/json" id="card">(.*?)</script>', re.DOTALL)


class Elements(HTMLParser):
    """The start tags of a page with their attributes, and its text, as a browser's tokenizer would see them."""

    def __init__(self, page):
        super().__init__()
        self.tags = []
        self.text = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def first_group(pattern: re.Pattern[str], text: str) -> str:
    """The first group of the first match of ``pattern``, which the page must contain."""
    found = pattern.search(text)
    assert found is not None, f"{pattern.pattern} not in the page"
    return found.group(1)


def hostile_teams():
    """A card carrying the hostile text verbatim. Our Teams renderer escapes names now, so the text is added as a raw
    TextBlock too: the page must hold any card JSON safely, not only ours."""
    payload = render_teams((make_alert("evil", display_name=HOSTILE),))
    payload["attachments"][0]["content"]["body"].append({"type": "TextBlock", "text": HOSTILE})
    return payload


def hostile_slack():
    return render_slack((make_alert("evil", display_name=HOSTILE),))


def test_card_page_embeds_the_card_json_intact():
    payload = render_teams(many_alerts(12))
    embedded = first_group(EMBEDDED, render_card_page(payload, SCRIPT_NAME))
    assert json.loads(embedded) == payload["attachments"][0]["content"]


def test_hostile_card_json_cannot_close_or_confuse_its_script_element():
    payload = hostile_teams()
    page = render_card_page(payload, SCRIPT_NAME)
    embedded = first_group(EMBEDDED, page)
    assert "</" not in embedded and "<!--" not in embedded
    assert "<\\/script>" in embedded
    assert json.loads(embedded) == card_of(payload)
    scripts = [attrs for tag, attrs in Elements(page).tags if tag == "script"]
    assert [a.get("id") or a.get("src") for a in scripts] == ["card", "host-config", SCRIPT_NAME, None]
    assert "img" not in {tag for tag, _ in Elements(page).tags}


def test_card_page_is_titled_with_the_card_and_loads_the_library_by_relative_name():
    page = render_card_page(render_teams((make_alert(),)), "lib/adaptivecards.min.js")
    assert "<title>New: Not onboarded to Defender for APIs</title>" in page
    assert '<script src="lib/adaptivecards.min.js"></script>' in page
    assert f'href="{STYLESHEET_NAME}"' in page
    host_config = json.loads(first_group(re.compile(r'id="host-config">(.*?)</script>'), page))
    assert host_config["fontFamily"].startswith("'Segoe")


def test_card_page_falls_back_to_the_escaped_raw_json():
    page = render_card_page(hostile_teams(), SCRIPT_NAME)
    raw = first_group(re.compile(r'<pre id="raw" class="raw">(.*?)</pre>', re.DOTALL), page)
    assert "&lt;/script&gt;&lt;!--&lt;script&gt;alert(1)" in raw
    assert "<" not in raw
    assert "&quot;type&quot;: &quot;message&quot;" in raw


def test_card_page_needs_an_adaptive_card():
    with pytest.raises(ValueError, match="no Adaptive Card"):
        render_card_page({"type": "message", "attachments": [{"contentType": "text/plain", "content": "hi"}]}, "x.js")


def test_slack_page_escapes_hostile_alert_text():
    page = render_slack_page(hostile_slack())
    elements = Elements(page)
    assert {tag for tag, _ in elements.tags} <= {"html", "head", "meta", "title", "style", "body", "main", "div",
                                                 "span", "strong", "br", "a"}  # fmt: skip
    assert not any(name.startswith("on") for _, attrs in elements.tags for name in attrs)
    assert "&lt;/script&gt;&lt;!--&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt;" in page
    assert HOSTILE in "".join(elements.text)


def test_slack_page_escapes_raw_block_kit_and_drops_unsafe_links():
    evil = "<b>bold</b> \"q\" 'a'"
    payload = {
        "text": evil,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": evil}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"<javascript:alert(1)|click> {evil}"},
             "fields": [{"type": "plain_text", "text": evil}]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "<https://ok.test/?a=1&amp;b=\"x\"|ok>"}]},
            {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": evil},
                                              "url": "javascript:alert(3)"}]},
            {"type": f"<{evil}>"},
        ],
    }  # fmt: skip
    page = render_slack_page(payload)
    elements = Elements(page)
    assert "b" not in {tag for tag, _ in elements.tags}
    hrefs = [attrs["href"] for tag, attrs in elements.tags if tag == "a"]
    assert hrefs == ['https://ok.test/?a=1&b="x"']
    assert "javascript" not in page.replace("&lt;javascript", "")
    assert "<title>&lt;b&gt;bold&lt;/b&gt; &quot;q&quot; &#x27;a&#x27;</title>" in page


def test_every_block_type_render_slack_emits_produces_output():
    messages = [render_slack((make_alert(),)), render_slack(many_alerts(60))]
    blocks = [block for message in messages for block in message["blocks"]]
    assert {b["type"] for b in blocks} == {"header", "section", "context", "actions"}
    for block in blocks:
        html = render_block(block)
        assert html.startswith('<div class="block') and "unsupported" not in html
        assert "".join(Elements(html).text).strip()


def test_slack_page_shows_the_alert_texts_fields_and_buttons():
    message = render_slack((make_alert(display_name="Orders & Co API"),))
    page = render_slack_page(message)
    assert '<div class="block header">New: Not onboarded to Defender for APIs</div>' in page
    assert "<strong>Orders &amp; Co API (orders)</strong><br>API orders of APIM service apim-prod" in page
    assert page.count('<div class="fields">') == 1 and "<strong>Resource group</strong><br>rg-apis" in page
    assert '<div class="block context"><span>new · 2026-11-27T09:00:00+00:00</span></div>' in page
    links = [attrs for tag, attrs in Elements(page).tags if tag == "a"]
    assert [a["class"] for a in links] == ["button", "button"]
    assert links[0]["href"].startswith("https://portal.azure.com/#resource/subscriptions/")


def test_divider_and_unknown_blocks():
    assert render_block({"type": "divider"}) == '<hr class="block">'
    assert render_block({"type": "video"}) == '<div class="block unsupported">[video block]</div>'


@pytest.mark.parametrize(
    ("mrkdwn", "html"),
    [
        ("*bold* and _italic_ and ~gone~", "<strong>bold</strong> and <em>italic</em> and <s>gone</s>"),
        ("`*code*` stays", "<code>*code*</code> stays"),
        ("snake_case_name 2*3*4", "snake_case_name 2*3*4"),
        ("one\ntwo", "one<br>two"),
        ("<https://x.test/a?b=1&amp;c=2|A &amp; B>", '<a href="https://x.test/a?b=1&amp;c=2">A &amp; B</a>'),
        ("<https://x.test>", '<a href="https://x.test">https://x.test</a>'),
        ("*New* · <https://x.test|Orders>", '<strong>New</strong> · <a href="https://x.test">Orders</a>'),
        ("*<https://x.test|bold link>*", '<strong><a href="https://x.test">bold link</a></strong>'),
        ("&lt;b&gt; &amp; \x00", "&lt;b&gt; &amp; "),
        ("<!here> <@U123> <#C1|ops>", "<strong>@here</strong> <strong>@U123</strong> <strong>ops</strong>"),
        ("<ftp://x.test|files>", "files"),
    ],
)
def test_mrkdwn(mrkdwn, html):
    assert mrkdwn_html(mrkdwn) == html


def test_write_pages_with_the_library(tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / SCRIPT_NAME).write_text("window.AdaptiveCards = {};")
    (dist / STYLESHEET_NAME).write_text(".ac-textBlock {}")
    teams = [render_teams((make_alert(),)), render_teams(many_alerts(3))]
    pages = write_pages(tmp_path / "out", teams, [render_slack((make_alert(),))], dist / SCRIPT_NAME)
    assert [p.name for p in pages] == ["teams-1.html", "teams-2.html", "slack-1.html"]
    assert (tmp_path / "out" / SCRIPT_NAME).read_text() == "window.AdaptiveCards = {};"
    assert (tmp_path / "out" / STYLESHEET_NAME).is_file()
    assert pages[1].read_text(encoding="utf-8") == render_card_page(teams[1], SCRIPT_NAME)
    assert "Defender for APIs: 3 alerts" in pages[1].read_text(encoding="utf-8")


@pytest.mark.parametrize("library", [None, "missing.js"])
def test_write_pages_without_the_library(tmp_path, library):
    out = tmp_path / "nested" / "out"
    js = None if library is None else tmp_path / library
    pages = write_pages(out, [render_teams((make_alert(),))], [render_slack(many_alerts(4))], js)
    assert [p.name for p in pages] == ["teams-1.html", "slack-1.html"]
    assert sorted(p.name for p in out.iterdir()) == ["slack-1.html", "teams-1.html"]
    assert '<pre id="raw" class="raw">' in pages[0].read_text(encoding="utf-8")
    assert "Defender for APIs: 4 alerts" in pages[1].read_text(encoding="utf-8")


def test_write_pages_with_nothing_to_show(tmp_path):
    assert write_pages(tmp_path, [], [], None) == []
