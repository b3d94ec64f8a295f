"""ARM template expressions (``"[concat(parameters('a'), '-x')]"``), evaluated without guessing. Pure.

``evaluate`` turns one JSON value into its deployed value. A string ``"[...]"`` is an expression; ``"[[..."`` is the
literal ``"[..."``. What cannot be known before deployment (``reference()``, ``list*()``, a parameter without a value,
``resourceGroup().name`` without a context value, a function this module does not know) becomes an ``Unresolved``
marker carrying why, and every function given an ``Unresolved`` argument answers ``Unresolved``: a value is either
exactly what ARM would compute or marked, never a guess.

``uniqueString`` is computed (``unique_string``) once its seed is known, e.g. ``resourceGroup().id`` from the
deployment's subscription and resource group. ``guid`` stays unresolved on purpose: its algorithm is not reproduced,
and a look-alike would give names that differ from the deployed ones.

Variables are evaluated lazily, once each; a variable that reaches itself raises ``ExpressionLoop``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from monitors.templates.unique_string import unique_string


@dataclass(frozen=True)
class Unresolved:
    """A value that cannot be known before deployment, and why."""

    reason: str


class ExpressionLoop(Exception):
    """A variable whose value depends on itself."""

    def __init__(self, name: str) -> None:
        super().__init__(f"variable '{name}' refers to itself")
        self.name = name


class ExpressionError(Exception):
    """An expression that does not parse."""


@dataclass
class Scope:
    """What an expression can see: parameter values, raw variables, the copy loops it is in, and the context.

    ``context`` keys: ``subscriptionId``, ``resourceGroup`` (its name), ``location`` (the resource group's), and
    ``tenantId``; a missing key makes what needs it unresolved.
    """

    parameters: Mapping[str, Any] = field(default_factory=dict)  # name -> value (or Unresolved)
    variables: Mapping[str, Any] = field(default_factory=dict)  # name -> raw JSON value
    context: Mapping[str, str] = field(default_factory=dict)
    copy_index: Mapping[str | None, int] = field(default_factory=dict)  # loop name (None: the innermost) -> index
    _params: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _vars: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _var_values: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _in_progress: list[str] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self._params = {k.lower(): v for k, v in self.parameters.items()}
        self._vars = {k.lower(): (k, v) for k, v in self.variables.items() if k != "copy"}
        for loop in self.variables.get("copy", []) if isinstance(self.variables.get("copy"), list) else []:
            if isinstance(loop, dict) and isinstance(loop.get("name"), str):
                self._vars[loop["name"].lower()] = (loop["name"], {"__copy__": loop})

    def with_copy(self, name: str | None, index: int) -> Scope:
        """The same scope inside iteration ``index`` of loop ``name`` (sharing the variables already evaluated)."""
        loops = dict(self.copy_index)
        loops[None] = index
        if name is not None:
            loops[name.lower()] = index
        return self._sharing(loops)

    def _sharing(self, loops: Mapping[str | None, int]) -> Scope:
        inner = Scope(self.parameters, {}, self.context, loops)
        inner._params, inner._vars, inner._var_values, inner._in_progress = (
            self._params,
            self._vars,
            self._var_values,
            self._in_progress,
        )
        return inner

    def parameter(self, name: str) -> Any:
        if name.lower() not in self._params:
            return Unresolved(f"parameter '{name}' has no value")
        return self._params[name.lower()]

    def variable(self, name: str) -> Any:
        key = name.lower()
        if key in self._var_values:
            return self._var_values[key]
        if key not in self._vars:
            return Unresolved(f"variable '{name}' is not declared")
        if key in self._in_progress:
            raise ExpressionLoop(self._vars[self._in_progress[0]][0])
        self._in_progress.append(key)
        try:
            raw = self._vars[key][1]
            base = self._sharing({})
            if isinstance(raw, dict) and "__copy__" in raw:
                value: Any = _copy_variable(raw["__copy__"], base)
            else:
                value = evaluate(raw, base)
        finally:
            self._in_progress.remove(key)
        self._var_values[key] = value
        return value


def _copy_variable(loop: Mapping[str, Any], scope: Scope) -> Any:
    """A ``copy`` variable (or property): ``count`` copies of ``input``, ``copyIndex('name')`` naming the iteration."""
    count = evaluate(loop.get("count"), scope)
    if isinstance(count, Unresolved) or not isinstance(count, int) or isinstance(count, bool):
        return Unresolved(f"copy count of '{loop.get('name')}' unresolved")
    if count > 800 or count < 0:
        return Unresolved(f"copy count of '{loop.get('name')}' is {count}, over ARM's limit of 800")
    return [evaluate(loop.get("input"), scope.with_copy(str(loop.get("name")), i)) for i in range(count)]


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("[") and value.endswith("]") and not value.startswith("[[")


def evaluate(value: Any, scope: Scope) -> Any:
    """The deployed value of a template JSON value: expressions evaluated at any depth, ``[[`` unescaped."""
    if isinstance(value, str):
        if value.startswith("[["):
            return value[1:]
        if is_expression(value):
            try:
                return _Evaluator(scope).run(value[1:-1])
            except ExpressionError as error:
                return Unresolved(f"expression does not parse: {error}")
        return value
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if key == "copy" and isinstance(item, list):  # property copy loops
                for loop in item:
                    if isinstance(loop, dict) and isinstance(loop.get("name"), str):
                        result[loop["name"]] = _copy_variable(loop, scope)
                continue
            result[key] = evaluate(item, scope)
        return result
    if isinstance(value, list):
        return [evaluate(item, scope) for item in value]
    return value


def contains_unresolved(value: Any) -> bool:
    if isinstance(value, Unresolved):
        return True
    if isinstance(value, dict):
        return any(contains_unresolved(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unresolved(v) for v in value)
    return False


# -- parsing -----------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<prop>\.[A-Za-z_$][A-Za-z0-9_$]*)|(?P<punct>[(),\[\]]))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match:
            raise ExpressionError(f"unexpected {text[pos:].strip()[:20]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Evaluator:
    """A recursive-descent evaluator over the tokens of one expression."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.tokens: list[tuple[str, str]] = []
        self.pos = 0

    def run(self, text: str) -> Any:
        self.tokens = _tokens(text)
        self.pos = 0
        value = self.expression()
        if self.pos != len(self.tokens):
            raise ExpressionError(f"unexpected {self.tokens[self.pos][1]!r}")
        return value

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, text: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (text is not None and token[1] != text):
            raise ExpressionError(f"expected {text or 'more'}")
        self.pos += 1
        return token

    def expression(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            value: Any = text[1:-1].replace("''", "'")
        elif kind == "number":
            value = int(text) if "." not in text else float(text)
        elif kind == "name":
            value = self.call(text)
        else:
            raise ExpressionError(f"unexpected {text!r}")
        return self.accessors(value)

    def call(self, name: str) -> Any:
        self.take("(")
        args: list[Any] = []
        while self.peek() and self.peek() != ("punct", ")"):
            args.append(self.expression())
            if self.peek() == ("punct", ","):
                self.take(",")
        self.take(")")
        return _call(name, args, self.scope)

    def accessors(self, value: Any) -> Any:
        while True:
            token = self.peek()
            if token == ("punct", "["):
                self.take("[")
                index = self.expression()
                self.take("]")
                value = _member(value, index)
            elif token is not None and token[0] == "prop":
                self.take()
                value = _member(value, token[1][1:])
            else:
                return value


def _member(value: Any, key: Any) -> Any:
    if isinstance(value, Unresolved):
        return value
    if isinstance(key, Unresolved):
        return key
    if isinstance(value, dict) and isinstance(key, str):
        for k, v in value.items():
            if k.lower() == key.lower():
                return v
        return Unresolved(f"no property '{key}'")
    if isinstance(value, list) and isinstance(key, int) and not isinstance(key, bool) and 0 <= key < len(value):
        return value[key]
    return Unresolved(f"cannot index with {key!r}")


# -- functions ---------------------------------------------------------------------------------------------------------

_RUNTIME = {"reference", "listkeys", "listsecrets", "listaccountsas", "listservicesas", "pickzones", "environment"}
_NOT_REPRODUCED = {"guid", "newguid", "utcnow", "deployment"}


def _call(name: str, args: list[Any], scope: Scope) -> Any:
    key = name.lower()
    if key == "if":
        return _if(args)
    if key == "parameters":
        return _one_str(args, scope.parameter)
    if key == "variables":
        return _one_str(args, scope.variable)
    if key == "copyindex":
        return _copy_index(args, scope)
    if key in _RUNTIME or key.startswith("list"):
        return Unresolved(f"{name}() is known only at deployment")
    if key in _NOT_REPRODUCED:
        return Unresolved(f"{name}() is not reproduced before deployment")
    if key == "resourcegroup":
        return _context_object(scope, {"name": "resourceGroup", "location": "location"}, "resourceGroup")
    if key == "subscription":
        return _context_object(scope, {"subscriptionId": "subscriptionId", "tenantId": "tenantId"}, "subscription")
    function = _FUNCTIONS.get(key)
    if function is None:
        return Unresolved(f"function '{name}' not evaluated")
    for arg in args:
        if isinstance(arg, Unresolved):
            return arg
    try:
        return function(args, scope)
    except (TypeError, ValueError, IndexError, KeyError, AttributeError, ZeroDivisionError):
        return Unresolved(f"{name}() with these arguments not evaluated")


def _one_str(args: list[Any], read: Callable[[str], Any]) -> Any:
    if len(args) != 1:
        return Unresolved("expected one argument")
    if isinstance(args[0], Unresolved):
        return args[0]
    return read(str(args[0]))


def _if(args: list[Any]) -> Any:
    if len(args) != 3:
        return Unresolved("if() takes three arguments")
    condition = args[0]
    if isinstance(condition, Unresolved):
        return condition
    if not isinstance(condition, bool):
        return Unresolved("if() needs a bool condition")
    return args[1] if condition else args[2]


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError("not a bool")


def _copy_index(args: list[Any], scope: Scope) -> Any:
    loop: str | None = None
    offset = 0
    for arg in args:
        if isinstance(arg, Unresolved):
            return arg
        if isinstance(arg, str):
            loop = arg.lower()
        elif isinstance(arg, int):
            offset = arg
    if loop not in scope.copy_index:
        return Unresolved("copyIndex() outside its copy loop")
    return scope.copy_index[loop] + offset


def _context_object(scope: Scope, keys: Mapping[str, str], what: str) -> Any:
    result: dict[str, Any] = {}
    for prop, key in keys.items():
        value = scope.context.get(key)
        result[prop] = value if value is not None else Unresolved(f"{what}().{prop} not given")
    if what == "resourceGroup":
        sub, name = scope.context.get("subscriptionId"), scope.context.get("resourceGroup")
        result["id"] = f"/subscriptions/{sub}/resourceGroups/{name}" if sub and name else Unresolved("id not given")
    else:
        sub = scope.context.get("subscriptionId")
        result["id"] = f"/subscriptions/{sub}" if sub else Unresolved("id not given")
    return result


def _str(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    if value is None:
        return ""
    return str(value)


def _concat(args: list[Any], _: Scope) -> Any:
    if args and all(isinstance(a, list) for a in args):
        return [item for a in args for item in a]
    if any(isinstance(a, (dict, list)) for a in args):
        raise TypeError("concat of mixed values")
    return "".join(_str(a) for a in args)


_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)\}|\{[^}]*\}")


def _format(args: list[Any], _: Scope) -> Any:
    template, values = str(args[0]), args[1:]

    def item(match: re.Match[str]) -> str:
        text = match.group(0)
        if text in ("{{", "}}"):
            return text[0]
        if match.group(1) is None:  # a format specifier ({0:D}): not reproduced
            raise ValueError(text)
        return _str(values[int(match.group(1))])

    return _FORMAT_ITEM.sub(item, template)


def _provider_path(resource_type: str, names: list[Any]) -> str:
    segments = resource_type.split("/")
    namespace, types = segments[0], segments[1:]
    flat_names = [part for n in names for part in str(n).split("/")]
    if len(types) != len(flat_names):
        raise ValueError("type and names do not match")
    return f"providers/{namespace}/" + "/".join(f"{t}/{n}" for t, n in zip(types, flat_names, strict=True))


def _split_type(args: list[Any]) -> tuple[list[Any], str, list[Any]]:
    """(the arguments before the resource type, the type, the names): the type is the first argument with a slash."""
    for i, arg in enumerate(args):
        if isinstance(arg, str) and "/" in arg:
            return args[:i], arg, args[i + 1 :]
    raise ValueError("no resource type")


def _resource_id(args: list[Any], scope: Scope) -> Any:
    before, resource_type, names = _split_type(args)
    sub = before[0] if len(before) == 2 else scope.context.get("subscriptionId")
    group = before[-1] if before else scope.context.get("resourceGroup")
    if not sub or not group:
        return Unresolved("resourceId() needs the subscription and resource group")
    return f"/subscriptions/{sub}/resourceGroups/{group}/" + _provider_path(resource_type, names)


def _subscription_resource_id(args: list[Any], scope: Scope) -> Any:
    before, resource_type, names = _split_type(args)
    sub = before[0] if before else scope.context.get("subscriptionId")
    if not sub:
        return Unresolved("subscriptionResourceId() needs the subscription")
    return f"/subscriptions/{sub}/" + _provider_path(resource_type, names)


def _tenant_resource_id(args: list[Any], _: Scope) -> Any:
    resource_type, names = _split_type(args)[1:]
    return "/" + _provider_path(resource_type, names)


def _extension_resource_id(args: list[Any], _: Scope) -> Any:
    return str(args[0]).rstrip("/") + "/" + _provider_path(str(args[1]), args[2:])


def _equals(args: list[Any], _: Scope) -> Any:
    return args[0] == args[1] and type(args[0]) is type(args[1])


def _length(args: list[Any], _: Scope) -> Any:
    if not isinstance(args[0], (str, list, dict)):
        raise TypeError("length of a scalar")
    return len(args[0])


def _empty(args: list[Any], _: Scope) -> Any:
    value = args[0]
    if value is None:
        return True
    if not isinstance(value, (str, list, dict)):
        raise TypeError("empty of a scalar")
    return len(value) == 0


def _merge(a: dict[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(a)
    for key, value in b.items():
        if isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _union(args: list[Any], _: Scope) -> Any:
    if all(isinstance(a, dict) for a in args):
        result: dict[str, Any] = {}
        for a in args:
            result = _merge(result, a)
        return result
    if all(isinstance(a, list) for a in args):
        items: list[Any] = []
        for a in args:
            items.extend(x for x in a if x not in items)
        return items
    raise TypeError("union of mixed values")


def _create_object(args: list[Any], _: Scope) -> Any:
    if len(args) % 2:
        raise ValueError("odd arguments")
    return {str(args[i]): args[i + 1] for i in range(0, len(args), 2)}


def _bool(args: list[Any], _: Scope) -> Any:
    value = args[0]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError("not a bool")


def _int(args: list[Any], _: Scope) -> Any:
    if isinstance(args[0], bool):
        raise TypeError("bool")
    return int(args[0])


def _logic(op: str) -> Callable[[list[Any], Scope], Any]:
    def apply(args: list[Any], _: Scope) -> Any:
        values = [_truthy(a) for a in args]
        if op == "not":
            return not values[0]
        return all(values) if op == "and" else any(values)

    return apply


def _json(args: list[Any], _: Scope) -> Any:
    return json.loads(str(args[0]))


def _contains(args: list[Any], _: Scope) -> Any:
    container, item = args[0], args[1]
    if isinstance(container, str):
        return str(item) in container
    if isinstance(container, dict):
        return any(k.lower() == str(item).lower() for k in container)
    return item in container


def _coalesce(args: list[Any], _: Scope) -> Any:
    return next((a for a in args if a is not None), None)


def _arith(op: Callable[[int, int], int]) -> Callable[[list[Any], Scope], Any]:
    def apply(args: list[Any], _: Scope) -> Any:
        a, b = args
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (a, b)):
            raise TypeError("not integers")
        return op(a, b)

    return apply


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("a string is required")
    return value


def _substring(args: list[Any], _: Scope) -> Any:
    """``substring(text, start[, length])``; out of range is a deployment error, so it is left unresolved."""
    text = _text(args[0])
    start = args[1] if len(args) > 1 else 0
    length = args[2] if len(args) > 2 else len(text) - start
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (start, length)):
        raise TypeError("integers are required")
    if start < 0 or length < 0 or start + length > len(text):
        raise IndexError("substring out of range")
    return text[start : start + length]


def _try_get(args: list[Any], _: Scope) -> Any:
    """``tryGet(value, key, ...)``: the member at each key in turn, null when one is missing (or not indexable)."""
    value = args[0]
    for key in args[1:]:
        if isinstance(value, dict) and isinstance(key, str):
            value = next((v for k, v in value.items() if k.lower() == key.lower()), None)
        elif isinstance(value, list) and isinstance(key, int) and not isinstance(key, bool):
            value = value[key] if -len(value) <= key < len(value) else None
        else:
            return None
    return value


def _div(a: int, b: int) -> int:
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b > 0) else -quotient


_FUNCTIONS: dict[str, Callable[[list[Any], Scope], Any]] = {
    "concat": _concat,
    "format": _format,
    "uniquestring": lambda a, _: unique_string(*(_text(arg) for arg in a)),
    "substring": _substring,
    "tryget": _try_get,
    "resourceid": _resource_id,
    "subscriptionresourceid": _subscription_resource_id,
    "tenantresourceid": _tenant_resource_id,
    "extensionresourceid": _extension_resource_id,
    "tolower": lambda a, _: str(a[0]).lower(),
    "toupper": lambda a, _: str(a[0]).upper(),
    "replace": lambda a, _: str(a[0]).replace(str(a[1]), str(a[2])),
    "string": lambda a, _: _str(a[0]),
    "int": _int,
    "bool": _bool,
    "equals": _equals,
    "not": _logic("not"),
    "and": _logic("and"),
    "or": _logic("or"),
    "true": lambda a, _: True,
    "false": lambda a, _: False,
    "null": lambda a, _: None,
    "empty": _empty,
    "length": _length,
    "union": _union,
    "createobject": _create_object,
    "createarray": lambda a, _: list(a),
    "array": lambda a, _: a[0] if isinstance(a[0], list) else [a[0]],
    "json": _json,
    "contains": _contains,
    "coalesce": _coalesce,
    "first": lambda a, _: a[0][0] if a[0] else None,
    "last": lambda a, _: a[0][-1] if a[0] else None,
    "split": lambda a, _: str(a[0]).split(str(a[1])),
    "trim": lambda a, _: str(a[0]).strip(),
    "startswith": lambda a, _: str(a[0]).lower().startswith(str(a[1]).lower()),
    "endswith": lambda a, _: str(a[0]).lower().endswith(str(a[1]).lower()),
    "add": _arith(lambda x, y: x + y),
    "sub": _arith(lambda x, y: x - y),
    "mul": _arith(lambda x, y: x * y),
    "div": _arith(_div),
}
