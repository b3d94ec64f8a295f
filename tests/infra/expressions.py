"""Evaluates the small Bicep expressions that name things (deployment, vault and event subscription names), so tests
can check a name's length and uniqueness for given parameter values instead of trusting a reading of the template.

The expression is read from the template's source text, because pycep keeps an interpolated string as raw text.
Supported: string literals with ``${...}`` interpolation, integers, ``true``/``false``, identifiers (bound values,
else the template's ``var`` declarations, evaluated in turn), property access, indexing, calls of the functions in
``FUNCTIONS``, ``!``, ``&&``, ``||``, ``==``, ``!=``, ``+``, ``-``, ``*`` and ``? :``. Anything else raises
``ValueError``.

``uniqueString`` is ARM's own (``monitors.templates.unique_string``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from monitors.templates.unique_string import unique_string
from tests.infra.bicep import source

TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+)|(?P<name>[A-Za-z_]\w*)|(?P<string>')|(?P<op>&&|\|\||==|!=|[-+*!?:.,()\[\]]))"
)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "uniqueString": unique_string,
    "take": lambda value, count: value[:count],
    "toLower": str.lower,
    "string": str,
    "int": int,
    "split": lambda value, separator: value.split(separator),
    "last": lambda value: value[-1],
    "empty": lambda value: len(value) == 0,
    "length": len,
    "endsWith": lambda value, suffix: value.lower().endswith(suffix.lower()),
}


def declarations(relative: str) -> dict[str, str]:
    """``var`` name -> expression text, for the single-line declarations of a template."""
    return dict(re.findall(r"^var (\w+) = (.+)$", source(relative), flags=re.MULTILINE))


def module_name_expressions(relative: str) -> dict[str, str]:
    """Module symbol -> the expression of its ``name:`` (the first property of every module in these templates)."""
    pattern = re.compile(r"^module (\w+) '[^']+' = [^\n]*\{\n\s+name: (.+)$", flags=re.MULTILINE)
    return dict(pattern.findall(source(relative)))


def evaluate(text: str, bindings: Mapping[str, Any], relative: str) -> Any:
    """The value of a Bicep expression, with identifiers from ``bindings``, else the ``var``s of ``relative``."""
    parser = _Parser(text, bindings, declarations(relative), relative)
    value = parser.expression()
    parser.expect_end()
    return value


class _Parser:
    def __init__(self, text: str, bindings: Mapping[str, Any], variables: Mapping[str, str], relative: str) -> None:
        self.text, self.position = text, 0
        self.bindings, self.variables, self.relative = bindings, variables, relative

    def _peek(self) -> re.Match[str] | None:
        return TOKEN.match(self.text, self.position)

    def _at(self, op: str) -> bool:
        match = self._peek()
        return match is not None and match["op"] == op

    def _take(self, op: str) -> None:
        match = self._peek()
        if match is None or match["op"] != op:
            raise ValueError(f"expected {op!r} at {self.text[self.position :]!r}")
        self.position = match.end()

    def expect_end(self) -> None:
        if self.text[self.position :].strip():
            raise ValueError(f"unexpected {self.text[self.position :]!r}")

    def expression(self) -> Any:
        condition = self._binary(0)
        if not self._at("?"):
            return condition
        self._take("?")
        when_true = self.expression()
        self._take(":")
        when_false = self.expression()
        return when_true if condition else when_false

    _LEVELS = (("||",), ("&&",), ("==", "!="), ("+", "-"), ("*",))

    def _binary(self, level: int) -> Any:
        if level == len(self._LEVELS):
            return self._unary()
        value = self._binary(level + 1)
        while (match := self._peek()) is not None and match["op"] in self._LEVELS[level]:
            self.position = match.end()
            other = self._binary(level + 1)
            value = {
                "||": lambda a, b: a or b,
                "&&": lambda a, b: a and b,
                "==": lambda a, b: a == b,
                "!=": lambda a, b: a != b,
                "+": lambda a, b: a + b,
                "-": lambda a, b: a - b,
                "*": lambda a, b: a * b,
            }[match["op"]](value, other)
        return value

    def _unary(self) -> Any:
        if self._at("!"):
            self._take("!")
            return not self._unary()
        return self._postfix(self._primary())

    def _postfix(self, value: Any) -> Any:
        while True:
            if self._at("."):
                self._take(".")
                name = self._peek()
                if name is None or name["name"] is None:
                    raise ValueError(f"expected a property at {self.text[self.position :]!r}")
                self.position = name.end()
                value = value[name["name"]]
            elif self._at("["):
                self._take("[")
                index = self.expression()
                self._take("]")
                value = value[index]
            else:
                return value

    def _arguments(self) -> list[Any]:
        self._take("(")
        arguments: list[Any] = []
        while not self._at(")"):
            arguments.append(self.expression())
            if not self._at(")"):
                self._take(",")
        self._take(")")
        return arguments

    def _primary(self) -> Any:
        match = self._peek()
        if match is None:
            raise ValueError(f"cannot read {self.text[self.position :]!r}")
        if match["op"] == "(":
            self._take("(")
            value = self.expression()
            self._take(")")
            return value
        self.position = match.end()
        if match["number"] is not None:
            return int(match["number"])
        if match["string"] is not None:
            return self._string()
        name = match["name"]
        if name is None:
            raise ValueError(f"unexpected {match.group().strip()!r} in {self.text!r}")
        if self._at("("):
            arguments = self._arguments()
            if name in self.bindings and callable(self.bindings[name]):
                return self.bindings[name](*arguments)
            if name not in FUNCTIONS:
                raise ValueError(f"evaluate() does not know the function {name}()")
            return FUNCTIONS[name](*arguments)
        if name in ("true", "false"):
            return name == "true"
        if name in self.bindings:
            return self.bindings[name]
        if name in self.variables:
            return evaluate(self.variables[name], self.bindings, self.relative)
        raise ValueError(f"no value for {name!r}: bind it")

    def _string(self) -> str:
        """The rest of a string literal whose opening quote was read, interpolations evaluated."""
        parts: list[str] = []
        while self.position < len(self.text):
            char = self.text[self.position]
            if char == "\\":
                parts.append(self.text[self.position + 1])
                self.position += 2
            elif char == "'":
                self.position += 1
                return "".join(parts)
            elif self.text.startswith("${", self.position):
                self.position += 2
                parts.append(str(self.expression()))
                if self.text[self.position] != "}":
                    raise ValueError(f"unclosed interpolation in {self.text!r}")
                self.position += 1
            else:
                parts.append(char)
                self.position += 1
        raise ValueError(f"unterminated string in {self.text!r}")
