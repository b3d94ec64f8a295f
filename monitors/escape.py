"""One escaping rule per text output format, applied to every cell that can hold a name. Pure.

Names, display names, tags and exemption reasons are chosen by whoever can create an API, so every renderer treats them
as hostile: a newline must not forge a table row, an ANSI escape must not reach the terminal, raw HTML and link syntax
must not render in a pull-request comment.
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import quote

# What can start a link, image, emphasis, code span or strikethrough, or end a table cell, inside a cell. Parentheses
# need "[...]" before them to link, and "#" / "+" act only at the start of a line, which a cell never is.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
# CommonMark punctuation that can open a link, emphasis, code span or autolink inline in Adaptive Card text (Teams
# renders a CommonMark subset in TextBlock and Fact values: bold, italic, lists and [links](url); no HTML). A
# parenthesis links only after "]", so it stays as typed.
_COMMONMARK_SPECIAL = re.compile(r"([\\`*_\[\]<>~|])")


def _control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")


def terminal(text: str) -> str:
    """Text for one terminal table cell or log-style line: control and format characters (ANSI escapes, newlines,
    bidirectional overrides) shown as ``\\xNN`` / ``\\uNNNN`` instead of acting on the terminal."""
    return "".join(ch if not _control(ch) else _escaped(ch) for ch in text)


def markdown(text: str) -> str:
    """Text for one Markdown table cell (GitHub flavour): HTML escaped, Markdown punctuation backslash-escaped so
    no link, image, emphasis or raw HTML renders, control characters and line breaks shown, pipes escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(terminal(text), quote=False))


def commonmark(text: str) -> str:
    """Text for an Adaptive Card TextBlock or Fact value (Teams): control characters and line breaks shown (so no
    name starts a list line), every CommonMark mark that could open a link, emphasis or code backslash-escaped."""
    return _COMMONMARK_SPECIAL.sub(r"\\\1", terminal(text))


def uri_path(text: str) -> str:
    """Text as the path of a URI reference (SARIF artifact locations): everything but unreserved characters and "/"
    percent-encoded, so a control character, space or "#" cannot make the URI invalid or point elsewhere."""
    return quote(text, safe="/")


def _escaped(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
