"""Server-driven paging for ARM list operations: `$top`/`$skip` slices and absolute `nextLink` URLs.

A page holds at most the server's page size (100 by default, like APIM). `nextLink` repeats the original query with
`$skip` advanced and is omitted on the last page; APIM lists also carry the total `count`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from emulator.protocol import Call, JsonBody, Reply, bad_request

T = TypeVar("T")


def paged_reply(
    call: Call,
    items: Sequence[T],
    render: Callable[[T], JsonBody],
    page_size: int,
    *,
    with_count: bool,
) -> Reply:
    """Answer one page of `items`, rendered with `render`, with `count` when `with_count`."""
    skip = _non_negative(call, "$skip", 0)
    top = _non_negative(call, "$top", page_size)
    size = max(1, min(top, page_size))
    body: dict[str, Any] = {"value": [render(item) for item in items[skip : skip + size]]}
    if with_count:
        body["count"] = len(items)
    if skip + size < len(items):
        body["nextLink"] = next_link(call, skip + size)
    return Reply(200, body)


def next_link(call: Call, skip: int) -> str:
    """The absolute URL of the page starting at `skip`, keeping every other query parameter."""
    query = {key: value for key, value in call.query.items() if key != "$skip"}
    query["$skip"] = str(skip)
    return f"{call.base_url}{call.raw_path}?{urlencode(query, quote_via=quote, safe='$')}"


def _non_negative(call: Call, key: str, default: int) -> int:
    raw = call.query.get(key)
    if raw is None:
        return default
    if not raw.isdigit():
        raise bad_request("ValidationError", f"Query parameter {key} must be a non-negative integer, got {raw!r}.")
    return int(raw)
