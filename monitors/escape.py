"""One escaping rule per text output format, applied to every cell that can hold a name. Pure.

Names, display names, tags and exemption reasons are chosen by whoever can create an API, so every renderer treats them
as hostile: a newline must not forge a table row, an ANSI escape must not reach the terminal, raw HTML and link syntax
must not render in a pull-request comment.
"""

from __future__ import annotations

import html
import re
import unicodedata

# What can start a link, image, emphasis, code span or strikethrough, or end a table cell, inside a cell. Parentheses
# need "[...]" before them to link, and "#" / "+" act only at the start of a line, which a cell never is.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


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


def _escaped(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
