"""HTML previews of the alert payloads a receiver got, so a person can see the Teams card and the Slack message.

``render_card_page`` wraps a Teams message (Adaptive Card attachment) in a page that renders the card in the browser
with Microsoft's ``adaptivecards`` library (npm, 3.x, UMD global ``AdaptiveCards``) under a Teams-like host config;
when the library is missing the page shows the raw JSON instead. ``render_slack_page`` is our own small static
rendering of the Block Kit blocks ``render_slack`` emits (header, section, context, divider, actions) with basic
mrkdwn. Every text is HTML-escaped: alert texts come from resource names anyone with write access can choose.
Everything here is pure except ``write_pages``, which writes the pages and copies the library next to them.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from monitors.alerts.digest import Json
from monitors.alerts.teams import CARD_CONTENT_TYPE

SCRIPT_NAME = "adaptivecards.min.js"
STYLESHEET_NAME = "adaptivecards.css"
# Relative to the repository root; installed by `npm install` (package.json devDependencies).
ADAPTIVECARDS_JS = Path("node_modules/adaptivecards/dist") / SCRIPT_NAME
APP_NAME = "APIM Defender Monitor"
_SAFE_SCHEMES = ("https://", "http://", "mailto:")
# Teams' own stack, then common look-alikes of Segoe UI before the platform default.
_FONT = "'Segoe UI', -apple-system, BlinkMacSystemFont, Roboto, 'Helvetica Neue', 'Open Sans', system-ui, sans-serif"

_COLORS = {
    "default": {"default": "#242424", "subtle": "#616161"},
    "dark": {"default": "#242424", "subtle": "#616161"},
    "light": {"default": "#ffffff", "subtle": "#f3f2f1"},
    "accent": {"default": "#5b5fc7", "subtle": "#7f85f5"},
    "good": {"default": "#0e7a0b", "subtle": "#13a10e"},
    "warning": {"default": "#835b00", "subtle": "#c19c00"},
    "attention": {"default": "#c4314b", "subtle": "#d13438"},
}
# After Microsoft's samples/HostConfig/microsoft-teams-light.json, with today's Teams light-theme colours.
TEAMS_HOST_CONFIG: Json = {
    "supportsInteractivity": True,
    "fontFamily": _FONT,
    "fontSizes": {"small": 12, "default": 14, "medium": 14, "large": 18, "extraLarge": 24},
    "fontWeights": {"lighter": 200, "default": 400, "bolder": 600},
    "spacing": {"small": 8, "default": 12, "medium": 16, "large": 20, "extraLarge": 24, "padding": 16},
    "separator": {"lineThickness": 1, "lineColor": "#e0e0e0"},
    "containerStyles": {
        "default": {"backgroundColor": "#ffffff", "foregroundColors": _COLORS},
        "emphasis": {"backgroundColor": "#f5f5f5", "foregroundColors": _COLORS},
    },
    "actions": {
        "maxActions": 6,
        "spacing": "Default",
        "buttonSpacing": 8,
        "actionsOrientation": "Horizontal",
        "actionAlignment": "Stretch",
        "showCard": {"actionMode": "Inline", "inlineTopMargin": 16, "style": "emphasis"},
    },
    "factSet": {
        "title": {"size": "Default", "color": "Default", "weight": "Bolder", "wrap": True, "maxWidth": 150},
        "value": {"size": "Default", "color": "Default", "weight": "Default", "wrap": True},
        "spacing": 12,
    },
}

_PAGE_CSS = """
* { box-sizing: border-box; }
body { margin: 0; background: #f5f5f5; color: #242424; font: 14px/1.43 $FONT; }
main { width: fit-content; padding: 24px; }
.frame-title { margin: 0 0 2px; font-size: 14px; font-weight: 600; }
.frame-caption { margin: 0 0 12px; font-size: 12px; color: #616161; }
.bubble { width: 450px; background: #fff; border-radius: 6px; box-shadow: 0 1px 2px rgba(0,0,0,.14),
  0 0 2px rgba(0,0,0,.12); overflow: hidden; }
.ac-adaptiveCard { border-radius: 6px; }
.ac-pushButton { min-height: 32px; padding: 4px 12px; border: 1px solid #d1d1d1; border-radius: 4px;
  background: #fff; color: #242424; font: 600 14px $FONT; cursor: pointer; }
.ac-pushButton:hover { background: #f5f5f5; }
.ac-textBlock a { color: #5b5fc7; }
.note { margin: 12px 16px 0; color: #c4314b; font-size: 12px; }
.raw { margin: 0; padding: 12px 16px 16px; font: 12px/1.4 Consolas, 'Courier New', monospace; white-space: pre-wrap;
  word-break: break-all; }
""".replace("$FONT", _FONT)

_CARD_SCRIPT = r"""
(function () {
  "use strict";
  var note = document.getElementById("note");
  function fallBack(why) { note.textContent = why + " Showing the raw JSON."; note.hidden = false; }
  if (!window.AdaptiveCards) { fallBack("The adaptivecards library did not load (run npm install)."); return; }
  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  AdaptiveCards.AdaptiveCard.onProcessMarkdown = function (text, result) {
    result.outputHtml = escapeHtml(text)
      .replace(/\*\*(\S(?:.*?\S)?)\*\*/g, "<strong>$1</strong>")
      .replace(/(^|[^\w])_(\S(?:.*?\S)?)_(?!\w)/g, "$1<em>$2</em>")
      .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2" target="_blank" rel="noopener">$1</a>')
      .replace(/\n/g, "<br>");
    result.didProcess = true;
  };
  try {
    var card = new AdaptiveCards.AdaptiveCard();
    card.hostConfig = new AdaptiveCards.HostConfig(JSON.parse(document.getElementById("host-config").textContent));
    card.onExecuteAction = function (action) { if (action.url) { window.open(action.url, "_blank", "noopener"); } };
    card.parse(JSON.parse(document.getElementById("card").textContent));
    var element = card.render();
    if (!element) { throw new Error("the card rendered nothing"); }
    document.getElementById("card-host").appendChild(element);
    document.getElementById("raw").hidden = true;
  } catch (error) {
    fallBack("The card could not be rendered: " + error.message + ".");
  }
})();
"""

_SLACK_CSS = """
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #1d1c1d; font: 15px/1.46668 Lato, 'Slack-Lato', 'Helvetica Neue', Helvetica,
  Arial, sans-serif; }
main { max-width: 760px; padding: 20px 24px; }
.message { display: flex; gap: 8px; }
.avatar { flex: none; width: 36px; height: 36px; border-radius: 6px; background: #0b6a4e; color: #fff;
  font-weight: 900; font-size: 14px; line-height: 36px; text-align: center; }
.content { min-width: 0; flex: 1; }
.sender { font-weight: 900; }
.badge { margin-left: 4px; padding: 1px 3px; border-radius: 2px; background: rgba(29,28,29,.13); color: #616061;
  font-size: 10px; font-weight: 700; vertical-align: 2px; }
.block { margin: 4px 0; overflow-wrap: anywhere; }
.section { margin: 8px 0; }
.header { margin-top: 8px; font-size: 18px; font-weight: 900; line-height: 1.33; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; margin-top: 8px; }
.context { color: #616061; font-size: 13px; }
hr.block { border: 0; border-top: 1px solid #ddd; margin: 12px 0; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 8px; }
.button { display: inline-block; height: 28px; padding: 0 12px; border: 1px solid rgba(29,28,29,.3); border-radius: 4px;
  color: #1d1c1d; font-size: 13px; font-weight: 700; line-height: 26px; text-decoration: none; }
.button.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.button.danger { background: #e01e5a; border-color: #e01e5a; color: #fff; }
a { color: #1264a3; text-decoration: none; }
code { padding: 2px 3px; border: 1px solid rgba(29,28,29,.13); border-radius: 3px; background: rgba(29,28,29,.04);
  color: #e01e5a; font: 12px Monaco, Menlo, Consolas, 'Courier New', monospace; }
.unsupported { color: #616061; font-style: italic; }
"""

_LINK = re.compile(r"<([^<>\n]*)>")
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")
_CODE = re.compile(r"(`[^`\n]+`)")
_EMPHASIS = [
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"<strong>\1</strong>"),
    (re.compile(r"(?<!\w)_(?=\S)([^_\n]+?)(?<=\S)_(?!\w)"), r"<em>\1</em>"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])"), r"<s>\1</s>"),
]


def render_card_page(payload: Json, script: str) -> str:
    """A page rendering the Adaptive Card of a Teams message with the library at the relative URL ``script``
    (the raw JSON shows instead when it cannot load). Raises ValueError if the message carries no Adaptive Card."""
    card = card_of(payload)
    title = _esc(card_title(card))
    raw = _esc(json.dumps(payload, indent=2, ensure_ascii=False))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{STYLESHEET_NAME}">
<style>{_PAGE_CSS}</style>
<script type="application/json" id="card">{script_json(card)}</script>
<script type="application/json" id="host-config">{script_json(TEAMS_HOST_CONFIG)}</script>
</head>
<body>
<main>
<h1 class="frame-title">{title}</h1>
<p class="frame-caption">Microsoft Teams &middot; Adaptive Card {_esc(str(card.get("version", "")))}</p>
<div class="bubble">
<div id="card-host"></div>
<p id="note" class="note" hidden></p>
<pre id="raw" class="raw">{raw}</pre>
</div>
</main>
<script src="{_esc(script)}"></script>
<script>{_CARD_SCRIPT}</script>
</body>
</html>
"""


def card_of(payload: Json) -> Json:
    """The first Adaptive Card attached to a Teams message."""
    for attachment in payload.get("attachments") or []:
        if isinstance(attachment, dict) and attachment.get("contentType") == CARD_CONTENT_TYPE:
            content = attachment.get("content")
            if isinstance(content, dict):
                return content
    raise ValueError("the Teams message has no Adaptive Card attachment")


def card_title(card: Json) -> str:
    """The text of the card's first TextBlock, which our cards use as their title."""
    for element in card.get("body") or []:
        if isinstance(element, dict) and element.get("type") == "TextBlock" and element.get("text"):
            return str(element["text"])
    return "Adaptive Card"


def script_json(value: object) -> str:
    """JSON safe inside a <script> element: no ``</`` can close it and no ``<!--`` can change how it is parsed."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/").replace("<!--", "\\u003c!--")


def render_slack_page(payload: Json) -> str:
    """A static page showing a Block Kit message roughly as Slack would (the fallback text if it has no blocks)."""
    blocks = payload.get("blocks") or [{"type": "section", "text": {"type": "mrkdwn", "text": payload.get("text", "")}}]
    body = "\n".join(render_block(block) for block in blocks if isinstance(block, dict))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(_slack_title(payload))}</title>
<style>{_SLACK_CSS}</style>
</head>
<body>
<main>
<div class="message">
<div class="avatar">AD</div>
<div class="content">
<div class="sender">{_esc(APP_NAME)}<span class="badge">APP</span></div>
{body}
</div>
</div>
</main>
</body>
</html>
"""


def render_block(block: Json) -> str:
    """One Block Kit block as HTML; unknown types show as a short note."""
    renderer = _BLOCKS.get(str(block.get("type")))
    if renderer is None:
        return f'<div class="block unsupported">[{_esc(str(block.get("type")))} block]</div>'
    return renderer(block)


def mrkdwn_html(text: str) -> str:
    """Slack mrkdwn as HTML: *bold*, _italic_, ~strike~, `code`, <url|label> links and line breaks, all escaped."""
    links: list[str] = []

    def keep_link(match: re.Match[str]) -> str:
        links.append(_link_html(match.group(1)))
        return f"\x00{len(links) - 1}\x00"

    text = _LINK.sub(keep_link, text.replace("\x00", ""))
    pieces = _CODE.split(_esc(_slack_unescape(text)))
    out = "".join(f"<code>{p[1:-1]}</code>" if i % 2 else _emphasis(p) for i, p in enumerate(pieces))
    return _PLACEHOLDER.sub(lambda m: links[int(m.group(1))], out).replace("\n", "<br>")


def safe_url(url: str) -> str | None:
    """The URL if a link to it is harmless (http, https or mailto), else None."""
    return url if url.lower().startswith(_SAFE_SCHEMES) else None


def write_pages(
    out_dir: Path, teams_payloads: Sequence[Json], slack_payloads: Sequence[Json], adaptivecards_js: Path | None
) -> list[Path]:
    """Write teams-N.html and slack-N.html (N from 1) into ``out_dir`` and return their paths in that order.

    Copies ``adaptivecards_js`` (and the library's adaptivecards.css beside it, if there) next to the pages; without
    it (None or no such file) the card pages show the raw JSON."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if adaptivecards_js is not None and adaptivecards_js.is_file():
        shutil.copyfile(adaptivecards_js, out_dir / SCRIPT_NAME)
        stylesheet = adaptivecards_js.with_name(STYLESHEET_NAME)
        if stylesheet.is_file():
            shutil.copyfile(stylesheet, out_dir / STYLESHEET_NAME)
    pages = [(f"teams-{i}.html", render_card_page(p, SCRIPT_NAME)) for i, p in enumerate(teams_payloads, 1)]
    pages += [(f"slack-{i}.html", render_slack_page(p)) for i, p in enumerate(slack_payloads, 1)]
    written = []
    for name, text in pages:
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _slack_unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _emphasis(text: str) -> str:
    for pattern, replacement in _EMPHASIS:
        text = pattern.sub(replacement, text)
    return text


def _link_html(inner: str) -> str:
    target, _, label = inner.partition("|")
    target = _slack_unescape(target)
    shown = _esc(_slack_unescape(label or target))
    if target[:1] in "@#!":  # a mention (<@U123>, <#C123|name>, <!here>): show its label or its id
        return f"<strong>{shown if label else _esc(target.replace('!', '@', 1))}</strong>"
    url = safe_url(target)
    return f'<a href="{_esc(url)}">{shown}</a>' if url else shown


def _text_html(text: object) -> str:
    if not isinstance(text, dict):
        return ""
    value = str(text.get("text", ""))
    return mrkdwn_html(value) if text.get("type") == "mrkdwn" else _esc(value).replace("\n", "<br>")


def _button_html(element: Json) -> str:
    label = _esc(str((element.get("text") or {}).get("text", "")))
    style = " " + str(element["style"]) if element.get("style") in ("primary", "danger") else ""
    url = safe_url(str(element.get("url", "")))
    if url is None:
        return f'<span class="button{style}">{label}</span>'
    return f'<a class="button{style}" href="{_esc(url)}" target="_blank" rel="noopener">{label}</a>'


def _header(block: Json) -> str:
    return f'<div class="block header">{_text_html(block.get("text"))}</div>'


def _section(block: Json) -> str:
    parts = [f"<div>{_text_html(block['text'])}</div>"] if block.get("text") else []
    fields = "".join(f"<div>{_text_html(field)}</div>" for field in block.get("fields") or [])
    if fields:
        parts.append(f'<div class="fields">{fields}</div>')
    accessory = block.get("accessory")
    if isinstance(accessory, dict) and accessory.get("type") == "button":
        parts.append(f'<div class="actions">{_button_html(accessory)}</div>')
    return f'<div class="block section">{"".join(parts)}</div>'


def _context(block: Json) -> str:
    items = " ".join(f"<span>{_text_html(e)}</span>" for e in block.get("elements") or [] if e.get("type") != "image")
    return f'<div class="block context">{items}</div>'


def _divider(block: Json) -> str:
    return '<hr class="block">'


def _actions(block: Json) -> str:
    buttons = "".join(_button_html(e) for e in block.get("elements") or [] if e.get("type") == "button")
    return f'<div class="block actions">{buttons}</div>'


def _slack_title(payload: Json) -> str:
    for block in payload.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "header":
            return str((block.get("text") or {}).get("text", ""))
    return _slack_unescape(str(payload.get("text", ""))) or "Slack message"


_BLOCKS: dict[str, Callable[[Json], str]] = {
    "header": _header,
    "section": _section,
    "context": _context,
    "divider": _divider,
    "actions": _actions,
}
