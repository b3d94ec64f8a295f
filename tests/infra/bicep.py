"""Reads the Bicep templates in infra/ through pycep-parser and answers questions about them.

pycep turns a template into JSON: ``parameters``, ``variables``, ``resources``, ``modules``, ``outputs``. A resource or
module with ``if (...)`` or ``[for ...]`` nests its body under ``config`` next to ``condition`` / ``loop_type``;
``body()`` unwraps that. Expressions stay trees; ``render()`` prints the simple ones back as Bicep-like text
(``identity.outputs.clientId``, ``guid(subscription().id, principalId, readerRoleId)``) so tests can compare them.
Comments are dropped by the parser, so checks on comments read the raw text (``source()``).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, cast

from pycep import BicepParser

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"


def bicep_files() -> list[str]:
    """Every Bicep file under infra/, relative to it (``main.bicep``, ``modules/roles.bicep``, ...)."""
    return sorted(str(path.relative_to(INFRA)) for path in INFRA.rglob("*.bicep"))


@functools.cache
def template(relative: str) -> dict[str, Any]:
    """The parsed template (cached: parsing is the slow part)."""
    # pycep types the tree as TypedDicts per node kind; the tests walk it as the JSON it is.
    return cast(dict[str, Any], BicepParser().parse(file_path=INFRA / relative))


def source(relative: str) -> str:
    return (INFRA / relative).read_text(encoding="utf-8")


def body(element: dict[str, Any]) -> dict[str, Any]:
    """The object a resource or module declares, without its condition or loop."""
    config = element["config"]
    while "config" in config and ("condition" in config or "loop_type" in config):
        config = config["config"]
    return config


def condition(element: dict[str, Any]) -> str | None:
    """The ``if (...)`` of a resource or module, rendered; None when it is unconditional."""
    config = element["config"]
    return render(config["condition"]) if config.get("condition") is not None else None


def resource(relative: str, symbol: str) -> dict[str, Any]:
    return body(template(relative)["resources"][symbol])


def module(relative: str, symbol: str) -> dict[str, Any]:
    return body(template(relative)["modules"][symbol])


def variable(relative: str, name: str) -> Any:
    return template(relative)["variables"][name]["value"]


def resources_of_type(resource_type: str) -> dict[str, dict[str, Any]]:
    """``file:symbol`` -> the raw element, for every resource of that type in every template."""
    return {
        f"{relative}:{symbol}": element
        for relative in bicep_files()
        for symbol, element in template(relative).get("resources", {}).items()
        if element["type"].lower() == resource_type.lower()
    }


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _render_function(function: dict[str, Any]) -> str:
    kind = function["type"]
    params = function.get("parameters") or {}
    if kind == "resource_group":
        args = [params.get("subscription_id"), params.get("resource_group_name")]
    else:
        args = list(params.values())
    text = f"{_camel(kind)}({', '.join(render(arg) for arg in args if arg is not None)})"
    if function.get("property_name"):
        text += f".{function['property_name']}"
    return text


_BINARY = {
    "and": "&&",
    "or": "||",
    "equals": "==",
    "not_equals": "!=",
    "add": "+",
}


def _render_operator(operator: dict[str, Any]) -> str:
    kind, operands = operator["type"], operator["operands"]
    if kind == "property_accessor":
        return f"{render(operands['operand_1'])}.{render(operands['operand_2'])}"
    if kind == "index_accessor":
        return f"{render(operands['operand_1'])}[{render(operands['operand_2'])}]"
    if kind == "not":
        return f"!{render(operands['bool_value'])}"
    if kind == "conditional":
        parts = (operands["condition"], operands["true_value"], operands["false_value"])
        return "{} ? {} : {}".format(*(render(part) for part in parts))
    if kind in _BINARY:
        first, second = operands.values()
        return f"{render(first)} {_BINARY[kind]} {render(second)}"
    raise ValueError(f"render() does not know the operator {kind!r}")


def render(value: Any) -> str:
    """A pycep expression as Bicep-like text; strings print as they are (literal or reference alike)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int):
        return str(value) if value != "" else "''"
    if isinstance(value, list):
        return f"[{', '.join(render(item) for item in value)}]"
    if isinstance(value, dict) and "operator" in value:
        return _render_operator(value["operator"])
    if isinstance(value, dict) and "function" in value:
        return _render_function(value["function"])
    raise ValueError(f"render() does not know {value!r}")


def decorators(element: dict[str, Any]) -> set[str]:
    return {decorator["type"] for decorator in element.get("decorators", [])}


GUID = re.compile(r"'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'")


def guid_literals(relative: str) -> list[tuple[int, str]]:
    """(line index, guid) for every quoted GUID literal in a file."""
    return [(index, match) for index, line in enumerate(source(relative).splitlines()) for match in GUID.findall(line)]
