"""Reads a Bicep file (and the local modules it calls) into ``TemplateFile``s through pycep-parser (issue 13).

pycep gives the template as JSON trees: a quoted string is a ``str``, an identifier a ``pycep.models.BicepElement``
(a ``str`` subclass), an interpolated string keeps its ``${...}`` text. This module evaluates what names commonly use:
parameters (defaults, ``params``, a ``.bicepparam`` or a ``<stem>.parameters.json`` beside the file), variables,
interpolation, ``concat``/``format``/``toLower``/``toUpper``/``replace``/``string``/``empty``/``length``/``range``,
``substring``, ``uniqueString`` (of known seeds), comparisons and ``?:``, ``resourceGroup().location``/``.id`` and
``subscription().id`` (from ``context``), symbolic ``x.name``/``x.type``, ``parent:``, nested ``resource``
declarations, ``existing``, loops, conditions, local modules and extension resources with ``scope:``.

Anything else (``guid``, ``x.id``, runtime properties, module outputs) is unknown: it is left out and its path
listed in ``unresolved``; a name part that is unknown reads ``<unresolved>``. ``scope`` of an extension resource is
``f"{type}/{name}"`` of the resource it extends. Bad input gives one-line errors, never an exception.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from monitors.templates.bicep_compat import NULL, OPTIONAL, for_pycep, mark_optional
from monitors.templates.resources import MAX_BYTES, Source, TemplateFile, TemplateResource
from monitors.templates.unique_string import unique_string

NOT_INSTALLED = "pycep-parser is not installed: pip install 'pycep-parser>=0.5.1,<0.8'"
UNRESOLVED_PART = "<unresolved>"
MAX_LOOP = 1000  # copies of one loop (ARM's own limit is 800)
MAX_RESOURCES = 100_000  # in one read, modules' loops multiplied in


class _TooMany(Exception):
    """More resources than MAX_RESOURCES: loops in looped modules multiply."""


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True)
class _Ref:
    """A declared resource as a symbolic reference sees it."""

    type: str
    name: Any  # the declared name (``x.name``), or UNKNOWN
    full_name: Any  # with its parents, or UNKNOWN
    api_version: str | None
    shown: str  # the full name with ``<unresolved>`` for each part not known

    def attribute(self, attr: str) -> Any:
        if attr == "name":
            return self.name
        if attr == "type":
            return self.type
        if attr == "apiVersion":
            return self.api_version
        return UNKNOWN  # id, properties, ...: runtime or subscription-dependent


def _contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(_contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(_contains_unknown(item) for item in value)
    return False


def _strip(value: Any, path: str, unresolved: list[str]) -> Any:
    """The value without its unknown parts; their paths go to ``unresolved``."""
    if value is UNKNOWN:
        unresolved.append(path)
        return UNKNOWN
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            stripped = _strip(item, f"{path}.{key}", unresolved)
            if stripped is not UNKNOWN:
                kept[key] = stripped
        return kept
    if isinstance(value, list):
        items = [_strip(item, f"{path}[{index}]", unresolved) for index, item in enumerate(value)]
        return [item for item in items if item is not UNKNOWN]
    if isinstance(value, _Ref):
        unresolved.append(path)
        return UNKNOWN
    return value


def _interpolation_parts(text: str) -> list[tuple[bool, str]] | None:
    """``'a-${b}'`` as [(False, 'a-'), (True, 'b')]; None when the braces do not balance."""
    parts: list[tuple[bool, str]] = []
    literal, index = "", 0
    while index < len(text):
        if text.startswith("\\$", index):
            literal += "$"
            index += 2
        elif text.startswith("${", index):
            depth, end, quoted = 1, index + 2, False
            while end < len(text) and depth:
                char = text[end]
                if char == "'":
                    quoted = not quoted
                elif not quoted and char == "{":
                    depth += 1
                elif not quoted and char == "}":
                    depth -= 1
                end += 1
            if depth:
                return None
            parts.append((False, literal))
            parts.append((True, text[index + 2 : end - 1]))
            literal, index = "", end
        else:
            literal += text[index]
            index += 1
    parts.append((False, literal))
    return parts


def _as_text(value: Any) -> Any:
    if value is UNKNOWN or isinstance(value, dict | list | _Ref):
        return UNKNOWN
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


_FORMAT_ITEM = re.compile(r"\{(\d+)\}")


class _File:
    """One Bicep file being read with its parameter values; modules open their own ``_File``."""

    def __init__(
        self,
        reader: _Reader,
        path: str,
        tree: dict[str, Any],
        params: Mapping[str, Any],
        stack: tuple[str, ...],
        context: Mapping[str, str],
    ) -> None:
        self.reader, self.path, self.tree, self.params, self.stack = reader, path, tree, params, stack
        self.context = context  # the deployment scope's location, resource_group, subscription_id (as known)
        self.declared_params: dict[str, Any] = tree.get("parameters") or {}
        self.variables: dict[str, Any] = tree.get("variables") or {}
        self.resources: dict[str, Any] = tree.get("resources") or {}
        self.modules: dict[str, Any] = tree.get("modules") or {}
        self.cache: dict[str, Any] = {}
        self.busy: set[str] = set()
        scope = ((tree.get("globals") or {}).get("scope") or {}).get("value")
        self.target_scope = scope if isinstance(scope, str) else "resourceGroup"

    # ---- symbols

    def lookup(self, name: str, local: Mapping[str, Any]) -> Any:
        if name in local:
            return local[name]
        if name in self.cache:
            return self.cache[name]
        if name in self.busy:
            return UNKNOWN  # a reference cycle: not evaluable
        self.busy.add(name)
        try:
            value = self._symbol(name)
        finally:
            self.busy.discard(name)
        self.cache[name] = value
        return value

    def _symbol(self, name: str) -> Any:
        if name == NULL:
            return None
        if name in self.declared_params:
            default = self.declared_params[name].get("default")
            if name in self.params and not (self.params[name] is None and default is not None):
                return self.params[name]  # a module given null for a parameter with a default gets the default
            return UNKNOWN if default is None else self.evaluate(default, {})
        if name in self.variables:
            return self.evaluate(self.variables[name].get("value"), {})
        if name in self.resources:
            refs = [ref for ref, _, _ in self.instances(name)]
            return refs if _looped(self.resources[name]) else (refs[0] if refs else UNKNOWN)
        if name in self.modules:
            values = self.reader.module_instances(self, name)
            return values if _looped(self.modules[name]) else (values[0] if values else UNKNOWN)
        return UNKNOWN  # functions, unknown names

    # ---- expressions

    def evaluate(self, node: Any, local: Mapping[str, Any]) -> Any:
        from pycep.models import BicepElement

        if isinstance(node, BicepElement):
            if str(node) in ("true", "false", "null"):
                return {"true": True, "false": False, "null": None}[str(node)]
            return self.lookup(str(node), local)
        if isinstance(node, str):
            return self._interpolate(node, local) if "${" in node else node
        if node is None or isinstance(node, bool | int | float):
            return node
        if isinstance(node, list):
            return [self.evaluate(item, local) for item in node]
        if isinstance(node, dict):
            if len(node) == 1 and isinstance(node.get("operator"), dict):
                return self._operator(node["operator"], local)
            if len(node) == 1 and isinstance(node.get("function"), dict):
                return self._function(node["function"], local)
            if "loop_type" in node:
                return UNKNOWN  # a for-expression inside a value
            return {str(key): self.evaluate(value, local) for key, value in node.items()}
        return UNKNOWN

    def _interpolate(self, text: str, local: Mapping[str, Any]) -> Any:
        parts = _interpolation_parts(text)
        if parts is None:
            return UNKNOWN
        out = ""
        for is_expression, part in parts:
            if not is_expression:
                out += part
                continue
            tree = self.reader.expression(part)
            value = UNKNOWN if tree is UNKNOWN else _as_text(self.evaluate(tree, local))
            if value is UNKNOWN:
                return UNKNOWN
            out += value
        return out

    def _access(self, base: Any, names: list[Any]) -> Any:
        for name in names:
            key = str(name)
            optional = key.endswith(OPTIONAL)  # a.?b: null when a is null or has no b
            key = key.removesuffix(OPTIONAL)
            if base is UNKNOWN:
                return UNKNOWN
            if base is None and optional:
                return None
            if isinstance(base, _Ref):
                base = base.attribute(key)
            elif isinstance(base, dict):
                base = base.get(key, None if optional else UNKNOWN)
            else:
                return UNKNOWN
        return base

    def _operator(self, operator: dict[str, Any], local: Mapping[str, Any]) -> Any:
        kind, operands = operator.get("type"), operator.get("operands") or {}
        if kind == "property_accessor":
            names = _names(operands.get("operand_2"))
            return UNKNOWN if names is None else self._access(self.evaluate(operands.get("operand_1"), local), names)
        if kind == "nested_resource_accessor":  # apim::orders, apim::orders.name, a::b::c
            prefix, right = operands.get("operand_1"), operands.get("operand_2")
            while isinstance(prefix, str):
                if isinstance(right, str):
                    return self.lookup(f"{prefix}__{right}", {})
                inner = right.get("operator", {}) if isinstance(right, dict) else {}
                pair = inner.get("operands") or {}
                first, rest = pair.get("operand_1"), pair.get("operand_2")
                if inner.get("type") == "property_accessor" and isinstance(first, str):
                    names = _names(rest)
                    return UNKNOWN if names is None else self._access(self.lookup(f"{prefix}__{first}", {}), names)
                if inner.get("type") != "nested_resource_accessor" or not isinstance(first, str):
                    return UNKNOWN
                prefix, right = f"{prefix}__{first}", rest
            return UNKNOWN
        values = {key: self.evaluate(value, local) for key, value in operands.items()}
        if kind == "conditional":
            condition = values.get("condition")
            if not isinstance(condition, bool):
                return UNKNOWN
            return values.get("true_value") if condition else values.get("false_value")
        args = list(values.values())
        if kind == "index_accessor" and len(args) == 2:
            base, index = args
            if isinstance(base, list) and isinstance(index, int) and not isinstance(index, bool):
                return base[index] if 0 <= index < len(base) else UNKNOWN
            if isinstance(base, dict) and isinstance(index, str):
                return base.get(index, UNKNOWN)
            return UNKNOWN
        if kind == "coalesce":  # a ?? b: the first that is not null, however unknown its insides
            for arg in args:
                if arg is UNKNOWN:
                    return UNKNOWN
                if arg is not None:
                    return arg
            return None
        if any(_contains_unknown(arg) or isinstance(arg, _Ref) for arg in args):
            return UNKNOWN
        if kind == "not" and len(args) == 1 and isinstance(args[0], bool):
            return not args[0]
        if kind in ("and", "or") and all(isinstance(arg, bool) for arg in args):
            return all(args) if kind == "and" else any(args)
        if kind in ("equals", "not_equals") and len(args) == 2:
            return (args[0] == args[1]) == (kind == "equals")
        if kind in ("equals_case_insensitive", "not_equals_case_insensitive") and len(args) == 2:
            same = str(args[0]).lower() == str(args[1]).lower()
            return same == (kind == "equals_case_insensitive")
        numbers = len(args) == 2 and all(isinstance(arg, int) and not isinstance(arg, bool) for arg in args)
        if numbers and kind in ("add", "substract", "multiply"):
            a, b = args
            return a + b if kind == "add" else a - b if kind == "substract" else a * b
        if numbers and kind in ("greater_than", "greater_than_or_equals", "less_than", "less_than_or_equals"):
            a, b = args
            return {
                "greater_than": a > b,
                "greater_than_or_equals": a >= b,
                "less_than": a < b,
                "less_than_or_equals": a <= b,
            }[str(kind)]
        return UNKNOWN

    def _function(self, function: dict[str, Any], local: Mapping[str, Any]) -> Any:
        kind = function.get("type")
        raw = function.get("parameters")
        raw_args = list(raw.values()) if isinstance(raw, dict) else []
        context = self.context
        if kind == "resource_group":
            if any(arg is not None for arg in raw_args):
                named = self.evaluate(raw_args[0], local) if raw_args[0] is not None else UNKNOWN
                value: Any = {"name": named, "location": UNKNOWN, "id": UNKNOWN}
            else:
                group, subscription = context.get("resource_group"), context.get("subscription_id")
                value = {
                    "name": group or UNKNOWN,
                    "location": context.get("location", UNKNOWN),
                    "id": f"/subscriptions/{subscription}/resourceGroups/{group}"
                    if group and subscription
                    else UNKNOWN,
                }
        elif kind == "subscription":
            subscription = context.get("subscription_id")
            value = {
                "subscriptionId": subscription or UNKNOWN,
                "id": f"/subscriptions/{subscription}" if subscription else UNKNOWN,
                "tenantId": UNKNOWN,
            }
        else:
            args = [self.evaluate(arg, local) for arg in raw_args if arg is not None]
            value = UNKNOWN if any(_contains_unknown(arg) for arg in args) else _call(str(kind), args)
        if function.get("property_name"):
            return self._access(value, [function["property_name"]])
        return value

    # ---- resources

    def instances(self, symbol: str) -> list[tuple[_Ref, TemplateResource, Mapping[str, Any]]]:
        """Each instance of a declared resource: its reference, what it deploys, its loop variables."""
        key = f"resource:{symbol}"
        if key in self.cache:
            return self.cache[key]  # type: ignore[no-any-return]
        self.cache[key] = []  # a parent cycle reads as nothing
        element = self.resources[symbol]
        out = []
        for local, condition, loop_known in self.iterations(element.get("config") or {}):
            if condition is False:
                continue
            out.append(self._instance(symbol, element, local, condition, loop_known))
        self.cache[key] = out
        return out

    def iterations(self, config: dict[str, Any]) -> Iterator[tuple[Mapping[str, Any], bool | None, bool]]:
        """(loop variables, condition, whether the loop was known) for each copy the declaration makes."""
        loop = config.get("loop_type")
        if loop is None:
            yield {}, self._condition(config, {}), True
            return
        detail = loop.get("detail") or {}
        items = self.evaluate(detail.get("array_name"), {}) if loop.get("type") in ("array", "array_index") else UNKNOWN
        if not isinstance(items, list) or len(items) > MAX_LOOP:
            yield {}, None, False
            return
        for index, item in enumerate(items):
            local = {str(detail.get("item_name")): item}
            if detail.get("index_name"):
                local[str(detail["index_name"])] = index
            yield local, self._condition(config, local), True  # a loop's own if (), evaluated per item

    def _condition(self, config: dict[str, Any], local: Mapping[str, Any]) -> bool | None:
        if config.get("condition") is None:
            return True
        value = self.evaluate(config["condition"], local)
        return value if isinstance(value, bool) else None

    def _instance(
        self,
        symbol: str,
        element: dict[str, Any],
        local: Mapping[str, Any],
        condition: bool | None,
        loop_known: bool,
    ) -> tuple[_Ref, TemplateResource, Mapping[str, Any]]:
        body = _body(element.get("config") or {})
        unresolved: list[str] = [] if loop_known else ["loop"]
        resource_type = re.sub(r"@[^/]*", "", str(element.get("type", "")))  # nested: "a/b@v/c@v"
        name = self.evaluate(body.get("name"), local) if loop_known else UNKNOWN
        if not isinstance(name, str):
            name = UNKNOWN
        parent: Any = None
        if "parent" in body:
            parent = self.evaluate(body["parent"], local)
        elif "__" in symbol and symbol.rsplit("__", 1)[0] in self.resources:
            parent = self.lookup(symbol.rsplit("__", 1)[0], {})  # a nested declaration: pycep gives the full type
        if parent is None:
            full_name = name
        elif isinstance(parent, _Ref) and parent.full_name is not UNKNOWN and name is not UNKNOWN:
            full_name = f"{parent.full_name}/{name}"
        else:
            full_name = UNKNOWN
        if full_name is UNKNOWN:
            unresolved.append("name")
            shown = _shown_name(parent, name, resource_type)
        else:
            shown = full_name
        scope: str | None = None
        if "scope" in body:
            target = self.evaluate(body["scope"], local)
            if isinstance(target, _Ref) and target.full_name is not UNKNOWN:
                scope = f"{target.type}/{target.full_name}"
            else:
                unresolved.append("scope")
        location = self._field(body, "location", local, unresolved)
        sku = self._field(body, "sku", local, unresolved)
        sku_name = sku.get("name") if isinstance(sku, dict) and isinstance(sku.get("name"), str) else None
        tags = self._field(body, "tags", local, unresolved)
        properties = self._field(body, "properties", local, unresolved)
        context = self.context
        resource = TemplateResource(
            type=resource_type,
            name=shown,
            source=Source(self.path, element.get("__start_line__")),
            api_version=element.get("api_version"),
            location=location if isinstance(location, str) else None,
            sku=sku_name,
            tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {},
            properties=properties if isinstance(properties, dict) else {},
            scope=scope,
            condition=condition,
            existing=bool(element.get("existing")),
            subscription_id=context.get("subscription_id"),
            resource_group=context.get("resource_group") if self.target_scope == "resourceGroup" else None,
            unresolved=tuple(unresolved),
        )
        return _Ref(resource_type, name, full_name, element.get("api_version"), shown), resource, local

    def _field(self, body: dict[str, Any], key: str, local: Mapping[str, Any], unresolved: list[str]) -> Any:
        if key not in body:
            return None
        value = _strip(self.evaluate(body[key], local), key, unresolved)
        return None if value is UNKNOWN else value


def _names(node: Any) -> list[str] | None:
    """The right side of ``a.b.c`` (pycep nests it to the right) as ["b", "c"]; None if it is not plain names."""
    names: list[str] = []
    while isinstance(node, dict) and node.get("operator", {}).get("type") == "property_accessor":
        inner = node["operator"].get("operands") or {}
        if not isinstance(inner.get("operand_1"), str):
            return None
        names.append(inner["operand_1"])
        node = inner.get("operand_2")
    return [*names, node] if isinstance(node, str) else None


def _shown_name(parent: Any, name: Any, resource_type: str) -> str:
    own = name if isinstance(name, str) else UNRESOLVED_PART
    if parent is None:
        return own
    if isinstance(parent, _Ref):
        return f"{parent.shown}/{own}"
    return "/".join([UNRESOLVED_PART] * (resource_type.count("/") - 1) + [own])


def _looped(element: dict[str, Any]) -> bool:
    return "loop_type" in (element.get("config") or {})


def _body(config: dict[str, Any]) -> dict[str, Any]:
    while isinstance(config.get("config"), dict) and ("condition" in config or "loop_type" in config):
        config = config["config"]
    return config


def _call(kind: str, args: list[Any]) -> Any:
    """The functions names commonly use, on known arguments; anything else (``guid`` too) is unknown."""
    strings = all(isinstance(arg, str) for arg in args)
    if kind == "contains" and len(args) == 2:
        container, item = args
        if isinstance(container, str) and isinstance(item, str):
            return item in container  # case-sensitive on strings, as ARM documents
        if isinstance(container, dict) and isinstance(item, str):
            return item.lower() in (key.lower() for key in container)  # an object's keys: case-insensitive
        if isinstance(container, list) and not isinstance(item, list | dict):
            return item in container
        return UNKNOWN
    if kind in ("starts_with", "ends_with") and len(args) == 2 and strings:
        whole, affix = args[0].lower(), args[1].lower()  # case-insensitive, as ARM documents
        return whole.startswith(affix) if kind == "starts_with" else whole.endswith(affix)
    if kind in ("first", "last") and len(args) == 1 and isinstance(args[0], str | list):
        return (
            (args[0][:1] if kind == "first" else args[0][-1:])
            if isinstance(args[0], str)
            else ((args[0][0] if kind == "first" else args[0][-1]) if args[0] else None)
        )
    if kind == "split" and len(args) == 2 and strings:
        return args[0].split(args[1])
    if kind in ("take", "skip") and len(args) == 2 and isinstance(args[0], str | list) and isinstance(args[1], int):
        count = max(args[1], 0)
        return args[0][:count] if kind == "take" else args[0][count:]
    if kind == "unique_string" and args and strings:
        return unique_string(*args)
    if kind == "substring" and len(args) in (2, 3) and isinstance(args[0], str):
        start = args[1]
        length = args[2] if len(args) == 3 else len(args[0]) - start if isinstance(start, int) else None
        if isinstance(start, int) and isinstance(length, int) and start >= 0 and 0 <= length <= len(args[0]) - start:
            return args[0][start : start + length]
        return UNKNOWN
    if kind == "concat" and args:
        if all(isinstance(arg, list) for arg in args):
            return [item for arg in args for item in arg]
        texts = [_as_text(arg) for arg in args]
        return UNKNOWN if any(text is UNKNOWN for text in texts) else "".join(texts)
    if kind == "format" and args and isinstance(args[0], str):
        texts = [_as_text(arg) for arg in args[1:]]
        if any(text is UNKNOWN for text in texts) or re.search(r"\{\d+:", args[0]):
            return UNKNOWN
        try:
            return _FORMAT_ITEM.sub(lambda match: texts[int(match.group(1))], args[0])
        except IndexError:
            return UNKNOWN
    if kind in ("to_lower", "to_upper", "trim") and len(args) == 1 and strings:
        text: str = args[0]
        return text.lower() if kind == "to_lower" else text.upper() if kind == "to_upper" else text.strip()
    if kind == "replace" and len(args) == 3 and strings:
        return args[0].replace(args[1], args[2])
    if kind == "string" and len(args) == 1 and not isinstance(args[0], dict | list):
        return _as_text(args[0])
    if kind == "empty" and len(args) == 1:
        return args[0] is None or (isinstance(args[0], str | list | dict) and len(args[0]) == 0)
    if kind == "length" and len(args) == 1 and isinstance(args[0], str | list | dict):
        return len(args[0])
    if kind == "range" and len(args) == 2 and all(isinstance(arg, int) and not isinstance(arg, bool) for arg in args):
        return list(range(args[0], args[0] + args[1])) if 0 <= args[1] <= MAX_LOOP else UNKNOWN
    if kind == "union" and args and all(isinstance(arg, dict) for arg in args):
        merged: dict[str, Any] = {}
        for arg in args:
            merged.update(arg)
        return merged
    return UNKNOWN


def _parse_error(error: Exception) -> str:
    """pycep's (lark's) complaint on one line, led by its line number when it has one."""
    if isinstance(error, ValueError) and str(error).endswith("is invalid"):
        return "an odd number of ''' (a multi-line string left open)"
    line = getattr(error, "line", None)
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return f"line {line}: {first}" if isinstance(line, int) and line > 0 else first


class _Reader:
    """One ``read_bicep`` call: the parser, the context, the errors and the resources of every file it opened."""

    def __init__(self, parser: Any, context: Mapping[str, str]) -> None:
        self.parser = parser
        self.context = context
        self.errors: list[str] = []
        self.resources: list[TemplateResource] = []
        self.expressions: dict[str, Any] = {}

    def expression(self, text: str) -> Any:
        """An interpolation's ``${...}`` text as a pycep tree (parsed as a variable's value), or UNKNOWN."""
        if text not in self.expressions:
            try:
                parsed = self.parser.parse(text=f"var x = {text}\n")
                self.expressions[text] = parsed["variables"]["x"]["value"]
            except Exception:  # pycep raises lark errors, ValueError, TypeError
                self.expressions[text] = UNKNOWN
        return self.expressions[text]

    def parse(self, path: str) -> dict[str, Any] | None:
        try:
            size = os.path.getsize(path)
        except OSError as error:
            self.errors.append(f"{path}: cannot be read: {error.strerror or error}")
            return None
        if size > MAX_BYTES:
            self.errors.append(f"{path}: larger than 50 MB ({size} bytes), not read")
            return None
        try:
            with open(path, encoding="utf-8-sig") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            self.errors.append(f"{path}: cannot be read: {error}")
            return None
        if not text.strip():
            return {}
        text = mark_optional(text)
        try:
            tree = self.parser.parse(text=text)
        except Exception as error:  # lark UnexpectedInput and friends, pycep ValueError
            try:  # newer syntax pycep does not know, rewritten line for line (bicep_compat)
                tree = self.parser.parse(text=for_pycep(text))
            except Exception:
                self.errors.append(f"{path}: not Bicep pycep can read: {_parse_error(error)}"[:300])
                return None
        return tree if isinstance(tree, dict) else {}

    def read(
        self, path: str, params: Mapping[str, Any], stack: tuple[str, ...], context: Mapping[str, str]
    ) -> _File | None:
        tree = self.parse(path)
        if tree is None:
            return None
        file = _File(self, path, tree, params, (*stack, os.path.realpath(path)), context)
        symbols = sorted(file.resources, key=lambda symbol: file.resources[symbol].get("__start_line__") or 0)
        for symbol in symbols:
            self.resources.extend(resource for _, resource, _ in file.instances(symbol))
            if len(self.resources) > MAX_RESOURCES:
                raise _TooMany
        for symbol in file.modules:
            self.module_instances(file, symbol)
        return file

    def module_instances(self, file: _File, symbol: str) -> list[Any]:
        """Read a module once per copy (its resources join the others); each copy as a reference sees it:
        ``{"name": ..., "outputs": {...}}``. Memoized, so a module is read once however often it is referenced."""
        key = f"module:{symbol}"
        if key not in file.cache:
            file.cache[key] = []  # a module that references its own outputs reads them as nothing
            file.cache[key] = self._module(file, symbol, file.modules[symbol])
        return file.cache[key]  # type: ignore[no-any-return]

    def _module(self, file: _File, symbol: str, module: dict[str, Any]) -> list[Any]:
        kind, detail = module.get("type"), module.get("detail") or {}
        if kind != "local":  # an error only if it deploys: a loop over nothing or a false condition deploys nothing
            if any(condition is not False for _, condition, _ in file.iterations(module.get("config") or {})):
                where = detail.get("full") or kind
                self.errors.append(f"{file.path}: module {symbol} ({where}): module from a registry not read")
            return []
        target = os.path.normpath(os.path.join(os.path.dirname(file.path), str(detail.get("path"))))
        if os.path.realpath(target) in file.stack:
            chain = " -> ".join(os.path.basename(step) for step in (*file.stack, target))
            self.errors.append(f"{file.path}: module {symbol}: a module cycle ({chain}), not read again")
            return []
        config = module.get("config") or {}
        body = _body(config)
        raw_params = body.get("params") if isinstance(body.get("params"), dict) else {}
        copies: list[Any] = []
        for local, condition, loop_known in file.iterations(config):
            if condition is False:
                continue
            values = {str(key): file.evaluate(value, local) for key, value in (raw_params or {}).items()}
            start = len(self.resources)
            child = self.read(target, values, file.stack, self._scope(file, body.get("scope"), local))
            if condition is None or not loop_known:
                extra = () if loop_known else ("loop",)
                for index in range(start, len(self.resources)):
                    old = self.resources[index]
                    self.resources[index] = TemplateResource(
                        **{**old.__dict__, "condition": None, "unresolved": (*old.unresolved, *extra)}
                    )
            outputs: Any = UNKNOWN
            if child is not None and loop_known:
                declared = child.tree.get("outputs") or {}
                outputs = {str(name): child.evaluate(output.get("value"), {}) for name, output in declared.items()}
            copies.append({"name": file.evaluate(body.get("name"), local), "outputs": outputs})
        return copies

    @staticmethod
    def _scope(file: _File, scope: Any, local: Mapping[str, Any]) -> Mapping[str, str]:
        """The context a module deploys in: its parent's, or the resource group (and subscription) ``scope`` names."""
        function = scope.get("function") if isinstance(scope, dict) else None
        if not isinstance(function, dict) or function.get("type") not in ("resource_group", "subscription"):
            return file.context
        context = {key: value for key, value in file.context.items() if key != "location"}
        parameters = function.get("parameters") or {}
        for field, key in (("resource_group_name", "resource_group"), ("subscription_id", "subscription_id")):
            if parameters.get(field) is None:
                continue
            value = file.evaluate(parameters[field], local)
            if isinstance(value, str):
                context[key] = value
            else:
                context.pop(key, None)
        if function.get("type") == "subscription":
            context.pop("resource_group", None)
        return context


def read_parameters_file(path: str) -> tuple[dict[str, Any], str | None]:
    """An ARM JSON parameters file (``{"parameters": {"x": {"value": ...}}}``): its values, or an error line.
    Key Vault references (``reference``) have no value here and are left out."""
    try:
        if os.path.getsize(path) > MAX_BYTES:
            return {}, f"{path}: larger than 50 MB, not read"
        with open(path, encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as error:
        return {}, f"{path}: not a JSON parameters file: {str(error).splitlines()[0] if str(error) else error}"
    parameters = data.get("parameters") if isinstance(data, dict) else None
    if not isinstance(parameters, dict):
        return {}, f"{path}: not a JSON parameters file: no parameters object"
    return {
        str(name): entry["value"] for name, entry in parameters.items() if isinstance(entry, dict) and "value" in entry
    }, None


_USING = re.compile(r"^\s*using\s+'([^']*)'\s*$", re.MULTILINE)
_PARAM = re.compile(r"^(\s*)param(\s+\w+\s*=)", re.MULTILINE)


def _read_bicepparam(reader: _Reader, path: str) -> tuple[str | None, dict[str, Any]]:
    """A ``.bicepparam`` file: the template its ``using`` names (None: not a local file) and its values, evaluated as
    variables are (a value it cannot evaluate, such as ``readEnvironmentVariable``, is given but unknown)."""
    try:
        if os.path.getsize(path) > MAX_BYTES:
            reader.errors.append(f"{path}: larger than 50 MB, not read")
            return None, {}
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        reader.errors.append(f"{path}: cannot be read: {error}")
        return None, {}
    using = _USING.search(text)
    target = None
    if using and not re.match(r"^(br|ts)[:/]", using.group(1)):
        target = os.path.normpath(os.path.join(os.path.dirname(path), using.group(1)))
    elif using:
        reader.errors.append(f"{path}: using {using.group(1)}: a template from a registry not read")
    else:
        reader.errors.append(f"{path}: no using '<template>' line, so no template to read")
    body = _PARAM.sub(r"\1var\2", _USING.sub("", text))
    try:
        tree = reader.parser.parse(text=body) if body.strip() else {}
    except Exception as error:  # lark UnexpectedInput and friends, pycep ValueError
        reader.errors.append(f"{path}: not a .bicepparam pycep can read: {_parse_error(error)}"[:300])
        return target, {}
    file = _File(reader, path, tree if isinstance(tree, dict) else {}, {}, (), reader.context)
    return target, {name: file.lookup(name, {}) for name in file.variables}


@functools.cache
def _parser() -> Any:
    """One pycep parser per process: building its grammar costs more than parsing a file (about 20 ms against 7 ms
    for a ten-API template), and a parse keeps no state between calls."""
    from pycep import BicepParser

    return BicepParser(add_line_numbers=True)


def read_bicep(
    path: str, *, params: Mapping[str, Any] | None = None, context: Mapping[str, str] | None = None
) -> TemplateFile:
    """What the Bicep file at ``path`` (and its local modules) would deploy.

    ``params`` overrides parameter defaults; without it, a ``<stem>.parameters.json`` or ``<stem>.bicepparam`` beside
    the file is read if there is one. ``path`` may also be a ``.bicepparam`` file: the template its ``using`` names is
    read with its values (``params`` still override them). ``context`` may give ``location``, ``resource_group`` and
    ``subscription_id`` of the deployment scope (the ARM reader's spellings ``resourceGroup`` and ``subscriptionId``
    are taken too).
    """
    try:
        parser = _parser()
    except ImportError:
        return TemplateFile(path=path, kind="bicep", errors=(NOT_INSTALLED,))
    given = dict(context or {})
    for arm, ours in (("resourceGroup", "resource_group"), ("subscriptionId", "subscription_id")):
        if arm in given:
            given.setdefault(ours, given.pop(arm))
    reader = _Reader(parser, given)
    values: dict[str, Any] = {}
    template: str | None = path
    stem = os.path.splitext(path)[0]
    if path.endswith(".bicepparam"):
        template, values = _read_bicepparam(reader, path)
    elif params is None and os.path.isfile(stem + ".parameters.json"):
        values, error = read_parameters_file(stem + ".parameters.json")
        if error:
            reader.errors.append(error)
    elif params is None and os.path.isfile(stem + ".bicepparam"):
        _, values = _read_bicepparam(reader, stem + ".bicepparam")
    values.update(params or {})
    try:
        if template is not None:
            reader.read(template, values, (), reader.context)
    except RecursionError:
        reader.errors.append(f"{path}: expressions nested too deeply to evaluate")
    except _TooMany:
        reader.errors.append(f"{path}: more than {MAX_RESOURCES} resources after expanding loops, not read further")
    except Exception as error:  # a shape of pycep's tree this reader does not expect: one line, never a crash
        reader.errors.append(f"{path}: could not be evaluated: {type(error).__name__}: {error}".splitlines()[0][:300])
    return TemplateFile(path=path, kind="bicep", resources=tuple(reader.resources), errors=tuple(reader.errors))
