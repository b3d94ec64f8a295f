"""Newer Bicep that pycep-parser 0.7 refuses is still read: rewritten line for line, with Bicep's meaning of safe
access (``.?``), nullable parameters and null module parameters kept (monitors/templates/bicep_compat.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitors.templates.bicep import _parser, read_bicep
from monitors.templates.bicep_compat import for_pycep, mark_optional

SERVICE = """resource apim 'Microsoft.ApiManagement/service@2024-05-01' = {
  name: 'apim-x'
  location: 'westeurope'
  sku: { name: sku, capacity: 1 }
}
"""

NEWER_SYNTAX = [
    ("resource_input_type", "param certs resourceInput<'Microsoft.ApiManagement/service@2024-05-01'>.properties.a?\n"),
    ("decorated_type", "@export()\ntype t = {\n  @description('x')\n  name: string?\n}\n"),
    ("leading_ternary", "var a = true\n  ? {\n      b: 1\n    }\n  : null\n"),
    ("leading_coalesce", "param p string?\nvar a = p\n  ?? 'x'\n"),
    ("loop_if_space", "resource r 'A/b@1' = [for (op, i) in [1]: if (true) {\n  name: 'x'\n}]\n"),
    ("two_parameter_lambda", "var a = reduce([1], {}, (cur, next) => union(cur, next))\n"),
    ("spread", "var b = {}\nvar a = {\n  ...b\n  c: 1\n}\n"),
    ("literal_union_type", "param s 'a' | 'b' = 'a'\n"),
    ("inline_object_type", "param o {\n  a: string\n}?\n"),
]


@pytest.mark.parametrize(("name", "text"), NEWER_SYNTAX, ids=[n for n, _ in NEWER_SYNTAX])
def test_what_pycep_refuses_parses_after_the_rewrite_on_the_same_lines(name: str, text: str) -> None:
    with pytest.raises(Exception):  # noqa: B017 - lark's and pycep's own errors
        _parser().parse(text=text)
    rewritten = for_pycep(text)
    assert rewritten.count("\n") == text.count("\n")
    _parser().parse(text=rewritten)


def test_a_resource_after_rewritten_lines_keeps_its_line(tmp_path: Path) -> None:
    text = "@export()\ntype t = {\n  @description('x')\n  name: string?\n}\nparam sku string = 'Premium'\n" + SERVICE
    (tmp_path / "main.bicep").write_text(text)
    file = read_bicep(str(tmp_path / "main.bicep"))
    assert file.errors == ()
    assert [(r.name, r.sku, r.source.line) for r in file.resources] == [("apim-x", "Premium", 7)]


def test_safe_access_and_nullable_parameters_mean_null() -> None:
    text = "param p string?\nparam q object?  // a comment\nvar a = b.?c\nvar d = b[?'e']\n"
    assert mark_optional(text) == (
        "param p string = __null__\nparam q object = __null__  // a comment\n"
        "var a = b.c__optional__\nvar d = b.e__optional__\n"
    )


def test_a_module_given_null_takes_its_default_and_safe_access_reads_null(tmp_path: Path) -> None:
    (tmp_path / "api.bicep").write_text(
        "param name string\nparam apiType string = 'http'\nparam tags object?\n"
        "resource api 'Microsoft.ApiManagement/service/apis@2024-05-01' = {\n"
        "  name: 'apim-x/${name}'\n  properties: {\n    apiType: apiType\n    path: name\n"
        "    description: (tags == null) ? 'untagged' : 'tagged'\n  }\n}\n"
    )
    (tmp_path / "main.bicep").write_text(
        "param apis array = [\n  { name: 'orders' }\n  { name: 'graph', apiType: 'graphql' }\n]\n"
        "param extra array?\n"
        "module api 'api.bicep' = [for a in (extra ?? apis): {\n  name: a.name\n"
        "  params: {\n    name: a.name\n    apiType: a.?apiType\n    tags: a.?tags\n  }\n}]\n"
    )
    file = read_bicep(str(tmp_path / "main.bicep"))
    assert file.errors == ()
    found = {r.name: (r.properties["apiType"], r.properties["description"], r.unresolved) for r in file.resources}
    assert found == {"apim-x/orders": ("http", "untagged", ()), "apim-x/graph": ("graphql", "untagged", ())}


def test_a_registry_module_that_deploys_nothing_is_no_error(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text(
        "param endpoints array?\n"
        "module pe 'br/public:avm/res/network/private-endpoint:0.12.1' = [for e in (endpoints ?? []): {\n"
        "  name: e\n}]\n"
        "module on 'br/public:avm/res/network/private-endpoint:0.12.1' = if (false) {\n  name: 'x'\n}\n"
    )
    assert read_bicep(str(tmp_path / "main.bicep")).errors == ()
    given = read_bicep(str(tmp_path / "main.bicep"), params={"endpoints": ["a"]})
    assert [e.split(": ", 1)[1] for e in given.errors] == [
        "module pe (public:avm/res/network/private-endpoint:0.12.1): module from a registry not read"
    ]


def test_functions_names_use_on_known_values(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text(
        "param sku string = 'Premium'\n"
        "var capacity = contains(sku, 'consumption') ? 0 : 1\n"
        "var first3 = take('abcdef', 3)\n"
        "resource apim 'Microsoft.ApiManagement/service@2024-05-01' = {\n"
        "  name: '${first3}-${startsWith(sku, 'prem') ? 'p' : 'o'}-${last(split('a-b', '-'))}'\n"
        "  location: 'westeurope'\n  sku: { name: sku, capacity: capacity }\n}\n"
    )
    file = read_bicep(str(tmp_path / "main.bicep"))
    assert [(r.name, r.unresolved) for r in file.resources] == [("abc-p-b", ())]
