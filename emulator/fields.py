"""Typed readers for estate JSON values that fail with one line naming the JSON path of the bad value.

The estate loader walks untyped `json.load` output; every read goes through these helpers so that a typo in a
hand-written estate file reports, for example, `subscriptions[0].services[1].sku: expected one of ...`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def fail(path: str, problem: str) -> ValueError:
    """Build the ValueError used for every estate validation failure."""
    return ValueError(f"estate {path}: {problem}")


def as_object(value: object, path: str) -> Mapping[str, Any]:
    """Return `value` as a JSON object or raise naming `path`."""
    if not isinstance(value, dict):
        raise fail(path, f"expected a JSON object, got {type(value).__name__}")
    return value


def as_list(value: object, path: str) -> list[Any]:
    """Return `value` as a JSON array or raise naming `path`."""
    if not isinstance(value, list):
        raise fail(path, f"expected a JSON array, got {type(value).__name__}")
    return value


def check_keys(obj: Mapping[str, Any], allowed: Iterable[str], path: str) -> None:
    """Reject keys outside `allowed`, so that a misspelt field is an error rather than a silent default."""
    unknown = sorted(set(obj) - set(allowed))
    if unknown:
        raise fail(path, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def req_str(obj: Mapping[str, Any], key: str, path: str) -> str:
    """Return the required non-empty string `obj[key]`."""
    if key not in obj:
        raise fail(f"{path}.{key}", "is required")
    value = obj[key]
    if not isinstance(value, str) or not value.strip():
        raise fail(f"{path}.{key}", "expected a non-empty string")
    return value


def opt_str(obj: Mapping[str, Any], key: str, path: str, default: str) -> str:
    """Return the string `obj[key]`, or `default` when absent; empty strings are allowed."""
    value = obj.get(key, default)
    if not isinstance(value, str):
        raise fail(f"{path}.{key}", f"expected a string, got {type(value).__name__}")
    return value


def opt_choice(obj: Mapping[str, Any], key: str, path: str, choices: tuple[str, ...], default: str) -> str:
    """Return `obj[key]` matched case-insensitively against `choices`, in the canonical spelling."""
    value = opt_str(obj, key, path, default)
    for choice in choices:
        if choice.lower() == value.lower():
            return choice
    raise fail(f"{path}.{key}", f"expected one of {', '.join(choices)}, got {value!r}")


def opt_bool(obj: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
    """Return the boolean `obj[key]`, or `default` when absent."""
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise fail(f"{path}.{key}", f"expected true or false, got {value!r}")
    return value


def opt_int(obj: Mapping[str, Any], key: str, path: str, default: int) -> int:
    """Return the non-negative integer `obj[key]`, or `default` when absent."""
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise fail(f"{path}.{key}", f"expected a non-negative integer, got {value!r}")
    return int(value)


def opt_str_map(obj: Mapping[str, Any], key: str, path: str) -> dict[str, str]:
    """Return the string-to-string object `obj[key]`, or an empty dict when absent."""
    raw = as_object(obj.get(key, {}), f"{path}.{key}")
    for name, value in raw.items():
        if not isinstance(value, str):
            raise fail(f"{path}.{key}.{name}", "expected a string")
    return dict(raw)


def opt_str_list(obj: Mapping[str, Any], key: str, path: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Return the array of non-empty strings `obj[key]`, or `default` when absent."""
    if key not in obj:
        return default
    items = as_list(obj[key], f"{path}.{key}")
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item:
            raise fail(f"{path}.{key}[{index}]", "expected a non-empty string")
    return tuple(items)


def reject_duplicates(names: Iterable[str], path: str, what: str) -> None:
    """Raise when two names are equal ignoring case, as ARM treats them as the same resource."""
    seen: set[str] = set()
    for name in names:
        if name.lower() in seen:
            raise fail(path, f"duplicate {what} {name!r} (names compare case-insensitively)")
        seen.add(name.lower())
