"""The two rules every text table shares: the column aligner and the Markdown cell escaping."""

from __future__ import annotations

from monitors.reports._text import align, md_cell, md_row


def test_align_pads_columns_two_spaces_apart_and_drops_trailing_spaces() -> None:
    assert align([("NAME", "STATUS"), ("orders-api", "ok")]) == ["NAME        STATUS", "orders-api  ok"]


def test_align_right_aligns_the_columns_from_right_from_on() -> None:
    rows = [("SCOPE", "PLAN", "APIS", "COVERAGE"), ("sub", "on", "11", "80.0%"), ("  rg/svc", "", "3", "n/a")]
    assert align(rows, right_from=2) == [
        "SCOPE     PLAN  APIS  COVERAGE",
        "sub       on      11     80.0%",
        "  rg/svc           3       n/a",
    ]


def test_align_shows_control_characters_so_a_name_cannot_start_a_row_or_drive_the_terminal() -> None:
    assert align([("A", "B"), ("evil\nNONCOMPLIANT", "\x1b[2J")]) == [
        "A" + " " * 21 + "B",
        "evil\\x0aNONCOMPLIANT  \\x1b[2J",
    ]


def test_align_of_no_rows_is_no_lines() -> None:
    assert align([]) == []


def test_md_cell_leaves_ordinary_names_as_they_are() -> None:
    ordinary = [
        "apim-contoso-prod",
        "orders-v2",
        "rg-apis.prod",
        "87.5%",
        "n/a",
        "00000000-0000-0000-0000-00000000000a/rg",
    ]
    assert [md_cell(name) for name in ordinary] == ordinary


def test_md_cell_escapes_pipes_line_breaks_html_and_link_syntax() -> None:
    assert (
        md_cell("<img src=x onerror=alert(1)>|x\n[a](b)") == "&lt;img src=x onerror=alert(1)&gt;\\|x\\\\x0a\\[a\\](b)"
    )


def test_md_row_escapes_every_cell() -> None:
    assert md_row(("a|b", 3, "<i>")) == "| a\\|b | 3 | &lt;i&gt; |"
