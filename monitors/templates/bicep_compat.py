"""Rewrites newer Bicep syntax that pycep-parser 0.7 cannot read into forms it can, keeping every line where it was
(so findings keep their line numbers). Pure.

Only what decides no name, type, tier, region or tag is dropped; the rest keeps its meaning or becomes a value the
reader leaves unresolved:

- ``type`` declarations (with their decorators) become blank lines: types never change a deployed value;
- ``resourceInput<'T@v'>.a.b`` and literal-union parameter types become ``object`` / ``string``, and an inline
  object type of a parameter becomes ``object``;
- a line that starts with an operator (``?``, ``:``, ``??``, ``&&``, ``||``) joins the line before;
- ``[for ...: if (c) {`` becomes ``[for ...: if(c) {``;
- a lambda of several parameters keeps only its first (``reduce``/``map`` with lambdas are never evaluated, so the
  value stays unresolved either way);
- an object spread ``...x`` becomes a property named ``'...'``, which no rule reads.

The reader tries the text as written first and this rewrite only when pycep refuses it.

``mark_optional`` runs on every file: pycep reads ``a.?b`` as ``a.b`` and ``param p string?`` as ``param p string``,
losing what Bicep means by them (null when missing, null when not given), so they are marked for the reader first.
"""

from __future__ import annotations

import re

_RESOURCE_TYPE = re.compile(r"\bresource(?:Input|Output)<'[^'\n]*'>(?:\.\w+)*")
_UNION_PARAM = re.compile(r"^(\s*param\s+\w+\s+)'[^'\n]*'(?:\s*\|\s*'[^'\n]*')+", re.MULTILINE)
_LOOP_IF = re.compile(r"(\[\s*for\b[^\n]*?:\s*)if\s+\(")
_LAMBDA = re.compile(r"\(\s*(\w+)(?:\s*,\s*\w+)+\s*\)\s*=>")
_SPREAD = re.compile(r"^(\s*)\.\.\.(?=\S)", re.MULTILINE)
_TYPE_START = re.compile(r"^\s*(?:@export\(\)\s*)?type\s+\w+\s*=")
_PARAM_OBJECT = re.compile(r"^(\s*param\s+\w+\s+)\{")
_LEADING_OPERATOR = re.compile(r"(\?\?|\?|:|&&|\|\|)(?:\s+|$)")


OPTIONAL = "__optional__"  # a.?b -> a.b__optional__: null, not an error, when a has no b
NULL = "__null__"  # param p string? -> param p string = __null__: a nullable parameter not given is null

_SAFE_PROPERTY = re.compile(r"\.\?([A-Za-z_]\w*)")
_SAFE_INDEX = re.compile(r"\[\?'([A-Za-z_]\w*)'\]")
_NULLABLE_PARAM = re.compile(r"^(\s*param\s+\w+\s+\S+?)\?([ \t]*(?://[^\n]*)?)$", re.MULTILINE)


def mark_optional(text: str) -> str:
    """Safe access (``a.?b``, ``a[?'b']``) and nullable parameters without a default, marked for the reader."""
    text = _SAFE_PROPERTY.sub(rf".\1{OPTIONAL}", text)
    text = _SAFE_INDEX.sub(rf".\1{OPTIONAL}", text)
    return _NULLABLE_PARAM.sub(rf"\1 = {NULL}\2", text)


def for_pycep(text: str) -> str:
    """``text`` with the rewrites above; the same number of lines."""
    lines = text.split("\n")
    _blank_types(lines)
    _inline_object_params(lines)
    _lift_ternaries(lines)
    text = "\n".join(lines)
    text = _RESOURCE_TYPE.sub("object", text)
    text = _UNION_PARAM.sub(r"\1string", text)
    text = _LOOP_IF.sub(r"\1if(", text)
    text = _LAMBDA.sub(r"\1 =>", text)
    return _SPREAD.sub(r"\1'...': ", text)


def _depth(line: str) -> int:
    """How many brackets the line opens minus those it closes, outside strings and ``//`` comments."""
    depth, quoted, at = 0, False, 0
    while at < len(line):
        char = line[at]
        if quoted:
            if char == "\\":
                at += 1
            elif char == "'":
                quoted = False
        elif char == "'":
            quoted = True
        elif line.startswith("//", at):
            break
        elif char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
        at += 1
    return depth


def _statement_end(lines: list[str], start: int) -> int:
    """The index of the line where the statement starting at ``start`` closes its brackets."""
    depth = 0
    for index in range(start, len(lines)):
        depth += _depth(lines[index])
        if depth <= 0:
            return index
    return len(lines) - 1


def _blank_types(lines: list[str]) -> None:
    index = 0
    while index < len(lines):
        if not _TYPE_START.match(lines[index]):
            index += 1
            continue
        first = index
        while first > 0 and lines[first - 1].lstrip().startswith("@"):
            first -= 1
        end = _statement_end(lines, index)
        for blank in range(first, end + 1):
            lines[blank] = ""
        index = end + 1


def _inline_object_params(lines: list[str]) -> None:
    for index, line in enumerate(lines):
        match = _PARAM_OBJECT.match(line)
        if match is None:
            continue
        end = _statement_end(lines, index)
        tail = lines[end][lines[end].rfind("}") + 1 :] if end > index else line[line.rfind("}") + 1 :]
        lines[index] = match.group(1) + "object" + tail.lstrip("?")
        for blank in range(index + 1, end + 1):
            lines[blank] = ""


def _lift_ternaries(lines: list[str]) -> None:
    """``a\\n  ? b\\n  : c`` -> ``a ?\\n  b :\\n  c``: pycep wants the operator before the line break."""
    for index in range(1, len(lines)):
        stripped = lines[index].lstrip()
        operator = _LEADING_OPERATOR.match(stripped)
        if operator is None:
            continue
        previous = index - 1
        while previous > 0 and not lines[previous].strip():
            previous -= 1
        if "//" in lines[previous]:
            continue
        lines[previous] = f"{lines[previous].rstrip()} {stripped}"
        lines[index] = ""
