"""Read an ARM JSON template (and its parameter file) into the resources it would deploy.

Reads only the files it is given and, for ``templateLink.relativePath``, the linked files beside them. Expressions go
through ``expressions``; what cannot be known before deployment is listed in each resource's ``unresolved``. Copy loops
are expanded, resources whose condition is false dropped, child ``resources`` flattened to full type and name, nested
and linked-in-repo deployments read in place, and ``languageVersion`` 2.0 (symbolic names) accepted. Bad input gives a
``TemplateFile`` with one-line errors, never an exception.
"""

from __future__ import annotations

import bisect
import json
import json.decoder
import json.scanner
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from monitors.templates.expressions import ExpressionLoop, Scope, Unresolved, evaluate
from monitors.templates.resources import MAX_BYTES, Source, TemplateFile, TemplateResource

MAX_COPY = 800  # ARM's limit on a copy loop's count
MAX_DEPTH = 20  # nested and linked deployments


class LinedDict(dict[str, Any]):
    """A JSON object that knows the 1-based line where its ``{`` stands."""

    line: int | None = None


class _LinedDecoder(json.JSONDecoder):
    """json's pure-Python scanner, with every object remembering its starting line."""

    def __init__(self, text: str) -> None:
        super().__init__()
        newlines = [i for i, ch in enumerate(text) if ch == "\n"]

        def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
            pairs, end = json.decoder.JSONObject(s_and_end, *args)  # type: ignore[attr-defined]
            obj = LinedDict(pairs)
            obj.line = bisect.bisect_left(newlines, s_and_end[1] - 1) + 1
            return obj, end

        self.parse_object = parse_object
        self.scan_once = json.scanner.py_make_scanner(self)  # type: ignore[attr-defined]


_STRING_OR_COMMENT = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?(?:\*/|\Z)', re.DOTALL)


def strip_comments(text: str) -> str:
    """``//`` and ``/* */`` comments (ARM allows them) blanked outside strings, newlines kept so lines still count."""

    def blank(match: re.Match[str]) -> str:
        found = match.group(0)
        if found.startswith('"'):
            return found
        return "".join(c if c == "\n" else " " for c in found)

    return _STRING_OR_COMMENT.sub(blank, text)


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\n\r":
        pos += 1
    return pos


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def load_json(path: str) -> tuple[Any, str | None]:
    """(the parsed JSON with lines on its objects, None) or (None, the one-line error)."""
    try:
        size = os.stat(path).st_size
    except OSError as error:
        return None, f"{path}: not read: {error.strerror or error}"
    if size > MAX_BYTES:
        return None, f"{path}: over 50 MB, not read"
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        return None, f"{path}: not read: {error}"
    text = strip_comments(text)
    try:
        decoder = _LinedDecoder(text)
        value, end = decoder.raw_decode(text, _skip_space(text, 0))
        if _skip_space(text, end) != len(text):
            raise json.JSONDecodeError("Extra data", text, _skip_space(text, end))
    except json.JSONDecodeError as error:
        return None, f"{path}: not JSON: line {error.lineno}: {error.msg}"
    except RecursionError:
        return None, f"{path}: not JSON: nested too deeply"
    return value, None


@dataclass
class _Reader:
    errors: list[str]
    context: Mapping[str, str]
    linked: tuple[str, ...] = ()  # the files of the linked templates being read, outermost first

    def template(
        self,
        template: Mapping[str, Any],
        file: str,
        parameter_values: Mapping[str, Any],
        depth: int,
        outer: Scope | None,
    ) -> Iterator[TemplateResource]:
        """The resources of one template; ``outer`` given: evaluate in that scope (a nested template, outer scope)."""
        scope = outer if outer is not None else self._scope(template, parameter_values, file)
        resources = template.get("resources", [])
        if isinstance(resources, Mapping):  # languageVersion 2.0: symbolic names
            items = list(resources.values())
        elif isinstance(resources, list):
            items = resources
        else:
            self.errors.append(f"{file}: resources is neither an array nor an object")
            return
        for item in items:
            if isinstance(item, Mapping):
                yield from self.resource(item, file, scope, None, depth)

    def _scope(self, template: Mapping[str, Any], given: Mapping[str, Any], file: str) -> Scope:
        declared = _mapping(template.get("parameters"))
        given_lower = {k.lower(): v for k, v in given.items()}
        values: dict[str, Any] = {}
        for name, declaration in declared.items():
            has_default = isinstance(declaration, Mapping) and "defaultValue" in declaration
            if name.lower() in given_lower and not (given_lower[name.lower()] is None and has_default):
                values[name] = given_lower[name.lower()]  # null given for a parameter with a default: the default
            elif not has_default and isinstance(declaration, Mapping) and declaration.get("nullable") is True:
                values[name] = None  # a nullable parameter not given is null
        defaults = {
            n: d["defaultValue"]
            for n, d in declared.items()
            if n not in values and isinstance(d, Mapping) and "defaultValue" in d
        }
        variables = _mapping(template.get("variables"))
        scope = Scope(values, variables, self.context)
        for name, default in defaults.items():  # defaults may use other parameters (ARM evaluates them in order)
            scope._params[name.lower()] = evaluate(default, scope)
        return scope

    def resource(
        self, raw: Mapping[str, Any], file: str, scope: Scope, parent: TemplateResource | None, depth: int
    ) -> Iterator[TemplateResource]:
        line = raw.line if isinstance(raw, LinedDict) else None
        copy = raw.get("copy")
        if isinstance(copy, Mapping):
            count = evaluate(copy.get("count"), scope)
            loop = str(copy.get("name", ""))
            where = f"{file}: line {line}: copy loop '{loop}'"
            if isinstance(count, Unresolved) or not isinstance(count, int) or isinstance(count, bool):
                self.errors.append(f"{where}: count unresolved, its resources not read")
                return
            if count > MAX_COPY or count < 0:
                self.errors.append(f"{where}: count {count} is over ARM's limit of {MAX_COPY}, not read")
                return
            for index in range(count):
                yield from self._one(raw, file, scope.with_copy(loop, index), parent, depth, line)
        else:
            yield from self._one(raw, file, scope, parent, depth, line)

    def _one(
        self,
        raw: Mapping[str, Any],
        file: str,
        scope: Scope,
        parent: TemplateResource | None,
        depth: int,
        line: int | None,
    ) -> Iterator[TemplateResource]:
        unresolved: list[str] = []
        condition: bool | None = True
        if "condition" in raw:
            value = evaluate(raw["condition"], scope)
            if value is False:
                return
            if value is not True:
                condition = None
                unresolved.append("condition")
        rtype = _text(evaluate(raw.get("type", ""), scope), raw.get("type"), "type", unresolved)
        name = _text(evaluate(raw.get("name", ""), scope), raw.get("name"), "name", unresolved)
        if parent is not None:
            rtype, name = _flatten(parent, rtype, name)
        if rtype.lower() == "microsoft.resources/deployments":
            yield from self.deployment(raw, file, scope, depth, line)
            return
        scope_value = None
        if "scope" in raw:
            scope_value = _text(evaluate(raw["scope"], scope), raw["scope"], "scope", unresolved) or None
        location = _optional_text(evaluate(raw.get("location"), scope), "location", unresolved)
        sku_raw = evaluate(raw.get("sku"), scope)
        sku = _optional_text(sku_raw.get("name") if isinstance(sku_raw, dict) else None, "sku.name", unresolved)
        tags = _resolved(evaluate(raw.get("tags") or {}, scope), "tags", unresolved)
        properties = _resolved(evaluate(raw.get("properties") or {}, scope), "properties", unresolved)
        api_version = raw.get("apiVersion") if isinstance(raw.get("apiVersion"), str) else None
        resource = TemplateResource(
            type=rtype,
            name=name,
            source=Source(file, line),
            api_version=api_version,
            location=location,
            sku=sku,
            tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {},
            properties=properties if isinstance(properties, dict) else {},
            scope=scope_value,
            condition=condition,
            existing=raw.get("existing") is True,
            subscription_id=scope.context.get("subscriptionId"),
            resource_group=scope.context.get("resourceGroup"),
            unresolved=tuple(unresolved),
        )
        yield resource
        children = raw.get("resources")
        if isinstance(children, list):
            for child in children:
                if isinstance(child, Mapping):
                    yield from self.resource(child, file, scope, resource, depth)

    def deployment(
        self, raw: Mapping[str, Any], file: str, scope: Scope, depth: int, line: int | None
    ) -> Iterator[TemplateResource]:
        where = f"{file}: line {line}"
        if depth >= MAX_DEPTH:
            self.errors.append(f"{where}: deployments nested over {MAX_DEPTH} deep, not read")
            return
        props = _mapping(raw.get("properties"))
        given = _mapping(props.get("parameters"))
        values = {
            name: evaluate(p["value"], scope) if "value" in p else Unresolved(f"parameter '{name}' is a reference")
            for name, p in given.items()
            if isinstance(p, Mapping)
        }
        context = dict(scope.context)
        for key in ("subscriptionId", "resourceGroup"):
            if key in raw:
                value = evaluate(raw[key], scope)
                if isinstance(value, str):
                    context[key] = value
                else:
                    context.pop(key, None)
        inner = _Reader(self.errors, context, self.linked)
        template = props.get("template")
        link = props.get("templateLink")
        if isinstance(template, Mapping):
            options = props.get("expressionEvaluationOptions")
            inner_scope = isinstance(options, Mapping) and str(options.get("scope", "")).lower() == "inner"
            if inner_scope:
                yield from inner.template(template, file, values, depth + 1, None)
            else:
                yield from inner.template(template, file, {}, depth + 1, scope)
        elif isinstance(link, Mapping) and "relativePath" in link:
            relative = evaluate(link["relativePath"], scope)
            if not isinstance(relative, str):
                self.errors.append(f"{where}: linked template path unresolved, not read")
                return
            linked = os.path.join(os.path.dirname(file), relative)
            if os.path.realpath(linked) in self.linked:
                self.errors.append(f"{where}: linked template {linked} links back to itself, not read again")
                return
            inner.linked = (*self.linked, os.path.realpath(linked))
            loaded, error = load_json(linked)
            if error:
                self.errors.append(f"{where}: linked template: {error}")
                return
            if not _is_template(loaded):
                self.errors.append(f"{where}: linked template {linked}: not an ARM template (no $schema or resources)")
                return
            yield from inner.template(loaded, linked, values, depth + 1, None)
        elif isinstance(link, Mapping):
            self.errors.append(f"{where}: linked template by URI not read")


def _text(value: Any, raw: Any, path: str, unresolved: list[str]) -> str:
    if isinstance(value, str):
        return value
    unresolved.append(path)
    return raw if isinstance(raw, str) else ""


def _optional_text(value: Any, path: str, unresolved: list[str]) -> str | None:
    if value is None or isinstance(value, str):
        return value
    unresolved.append(path)
    return None


def _resolved(value: Any, path: str, unresolved: list[str]) -> Any:
    """``value`` without its Unresolved parts, whose JSON paths go to ``unresolved``."""
    if isinstance(value, Unresolved):
        unresolved.append(path)
        return None
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            child = _resolved(item, f"{path}.{key}", unresolved)
            if not isinstance(item, Unresolved):
                kept[key] = child
        return kept
    if isinstance(value, list):
        return [_resolved(item, f"{path}[{i}]", unresolved) for i, item in enumerate(value)]
    return value


def _flatten(parent: TemplateResource, rtype: str, name: str) -> tuple[str, str]:
    """A nested child's full type and name: relative (``apis``, ``orders``) or already full."""
    full = "." in rtype.split("/")[0] and "/" in rtype  # a full type, Microsoft.X/y/z
    full_type = rtype if full else f"{parent.type}/{rtype}"
    depth = full_type.count("/")
    full_name = name if name.count("/") + 1 >= depth else f"{parent.name}/{name}"
    return full_type, full_name


def _is_template(value: Any) -> bool:
    return isinstance(value, Mapping) and "resources" in value and isinstance(value["resources"], (list, Mapping))


def _parameter_values(path: str, errors: list[str]) -> dict[str, Any]:
    loaded, error = load_json(path)
    if error:
        errors.append(error)
        return {}
    if not isinstance(loaded, Mapping):
        errors.append(f"{path}: not a parameter file")
        return {}
    params = loaded.get("parameters", loaded)
    if not isinstance(params, Mapping):
        errors.append(f"{path}: not a parameter file")
        return {}
    values: dict[str, Any] = {}
    for name, entry in params.items():
        if not isinstance(entry, Mapping):
            continue
        if "value" in entry:
            values[name] = entry["value"]
        elif "reference" in entry:
            values[name] = Unresolved(f"parameter '{name}' is a Key Vault reference")
    return values


def read_arm(
    path: str, parameters_path: str | None = None, *, context: Mapping[str, str] | None = None
) -> TemplateFile:
    """The resources the template at ``path`` would deploy, or the one-line errors that kept it from being read.

    ``context`` gives what only the deployment knows: ``subscriptionId``, ``resourceGroup``, ``location``.
    """
    loaded, error = load_json(path)
    if error:
        return TemplateFile(path, "arm", errors=(error,))
    if not _is_template(loaded):
        return TemplateFile(path, "arm", errors=(f"{path}: not an ARM template (no $schema or resources)",))
    errors: list[str] = []
    given = _parameter_values(parameters_path, errors) if parameters_path else {}
    reader = _Reader(errors, dict(context or {}), (os.path.realpath(path),))
    try:
        resources = tuple(reader.template(loaded, path, given, 0, None))
    except ExpressionLoop as loop:
        return TemplateFile(path, "arm", errors=(f"{path}: {loop}",))
    except RecursionError:
        return TemplateFile(path, "arm", errors=(f"{path}: expressions nested too deeply, not read",))
    return TemplateFile(path, "arm", resources=resources, errors=tuple(errors))
