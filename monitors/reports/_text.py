"""The two text-table rules every report shares: one column aligner for terminal tables and one escaping rule for
Markdown table cells. Pure.

The escaping itself is ``monitors.escape`` (terminal and Markdown cells, one rule per format); this module is where
the reports apply it, so a table cannot forget a column: every cell of every row goes through it.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitors.escape import markdown, terminal


def align(rows: Sequence[Sequence[object]], *, right_from: int | None = None) -> list[str]:
    """Rows as lines of columns two spaces apart, every cell shown as terminal text (no control character acts on
    the terminal, no newline starts a row) and padded to its column's widest cell. Columns are left-aligned, or
    right-aligned from index ``right_from`` on (counts); trailing spaces are dropped."""
    cells = [[terminal(str(cell)) for cell in row] for row in rows]
    if not cells:
        return []
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    last_left = len(widths) if right_from is None else right_from
    return [
        "  ".join(
            cell.ljust(width) if i < last_left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in cells
    ]


def md_cell(value: object) -> str:
    """One Markdown table cell (GitHub flavour), by ``monitors.escape.markdown``: HTML-significant characters as
    entities, Markdown punctuation and ``|`` backslash-escaped, control characters and line breaks shown as
    ``\\xNN``, so no name renders as HTML or a link or forges a row. Ordinary names pass unchanged."""
    return markdown(str(value))


def md_row(cells: Sequence[object]) -> str:
    """One Markdown table row, every cell escaped by ``md_cell``."""
    return "| " + " | ".join(md_cell(cell) for cell in cells) + " |"
