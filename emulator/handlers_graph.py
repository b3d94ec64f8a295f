"""Azure Resource Graph: `POST /providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01`.

The body is the SDK's QueryRequest: `{"subscriptions": [...], "query": "...", "options": {"$top", "$skip",
"$skipToken", "resultFormat", "allowPartialScopes"}}`. Only the product's four queries are recognised (see
`graph_tables`); any other answers 400 InvalidQuery. The scope is the `subscriptions` list (case-insensitive; ids not
in the estate add no rows), or the whole estate when it is absent or empty. A page holds min($top, graph page size)
rows; `$skipToken` (opaque: base64 of the next offset, page size and a digest of query and scope) is present while
rows remain. The answer is `{"totalRecords", "count", "resultTruncated": "false", "$skipToken"?, "data", "facets"}`.
While Resource Graph is disabled (`EmulatorServer.set_graph_enabled(False)`) every query answers 403
AuthorizationFailed, as for a caller without `Microsoft.ResourceGraph/resources/read`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from emulator.config import Env
from emulator.graph_tables import GraphTable, Row, recognise
from emulator.protocol import ArmError, Call, Reply, bad_request, ok
from emulator.store import SubscriptionState

GRAPH_API_VERSION = "2021-03-01"
MAX_TOP = 1000
_RESULT_FORMATS = ("objectArray", "table")


@dataclass(frozen=True)
class GraphRequest:
    """A validated QueryRequest."""

    query: str
    subscriptions: tuple[str, ...]
    top: int | None = None
    skip: int | None = None
    skip_token: str | None = None
    result_format: str = "objectArray"


@dataclass(frozen=True)
class SkipToken:
    """What a `$skipToken` carries: the next page's offset and size, and the query and scope it belongs to."""

    skip: int
    top: int
    scope: str

    def encode(self) -> str:
        """The opaque wire form."""
        raw = json.dumps({"skip": self.skip, "top": self.top, "scope": self.scope}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode()

    @classmethod
    def decode(cls, token: str) -> SkipToken:
        """Parse a token this emulator issued; raises 400 InvalidSkipToken otherwise."""
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            return cls(int(data["skip"]), int(data["top"]), str(data["scope"]))
        except (binascii.Error, ValueError, KeyError, TypeError) as exc:
            raise bad_request("InvalidSkipToken", f"The $skipToken {token!r} is not valid.") from exc


def query_resources(call: Call, env: Env) -> Reply:
    """POST /providers/Microsoft.ResourceGraph/resources: one page of the rows of a recognised query."""
    if not env.settings.graph_enabled:
        raise ArmError(
            403,
            "AuthorizationFailed",
            "The client does not have authorization to perform action 'Microsoft.ResourceGraph/resources/read' "
            "over scope '/providers/Microsoft.ResourceGraph' or the scope is invalid.",
        )
    request = parse_request(call.body)
    table = recognise(request.query)
    if table is None:
        raise bad_request(
            "InvalidQuery",
            f"The emulator does not recognise the query {request.query!r}: it answers only "
            "\"resources | where type =~ 'microsoft.apimanagement/service' ...\", "
            "\"securityresources | where type =~ 'microsoft.security/apicollections' ...\", "
            "\"securityresources | where type =~ 'microsoft.security/assessments' | where name =~ '<key>' ...\" and "
            "\"resourcecontainers | where type in~ ('microsoft.resources/subscriptions', "
            "'microsoft.resources/subscriptions/resourcegroups') ...\".",
        )
    scope = _scope_digest(table, request.subscriptions)
    skip, size = _window(request, scope, env.settings.graph_page_size)
    with env.store.lock:
        entries = table.rows(_in_scope(env, request.subscriptions))
        page = [render() for _, render in entries[skip : skip + size]]
    body: dict[str, Any] = {"totalRecords": len(entries), "count": len(page), "resultTruncated": "false"}
    if skip + len(page) < len(entries):
        body["$skipToken"] = SkipToken(skip + len(page), size, scope).encode()
    body["data"] = _table_data(table, page) if request.result_format == "table" else page
    body["facets"] = []
    return ok(body)


def parse_request(raw: bytes) -> GraphRequest:
    """Validate the QueryRequest body; raises 400 InvalidRequestContent naming the bad field."""
    try:
        data = json.loads(raw or b"null")
    except ValueError as exc:
        raise _invalid(f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise _invalid("The request body must be a QueryRequest object.")
    query = data.get("query")
    if not isinstance(query, str) or not query.strip():
        raise _invalid("'query' must be a non-empty string.")
    if data.get("managementGroups"):
        raise _invalid("The emulator has no management groups: scope queries with 'subscriptions'.")
    if data.get("facets"):
        raise _invalid("The emulator does not compute facets.")
    options = data.get("options") or {}
    if not isinstance(options, dict):
        raise _invalid("'options' must be an object.")
    token = options.get("$skipToken")
    if token is not None and not isinstance(token, str):
        raise _invalid("'options.$skipToken' must be a string.")
    return GraphRequest(
        query=query,
        subscriptions=_subscriptions(data.get("subscriptions")),
        top=_int_option(options, "$top", 1, MAX_TOP),
        skip=_int_option(options, "$skip", 0, None),
        skip_token=token or None,
        result_format=_result_format(options.get("resultFormat")),
    )


def _invalid(message: str) -> ArmError:
    return bad_request("InvalidRequestContent", message)


def _subscriptions(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid("'subscriptions' must be an array of subscription ids.")
    return tuple(value)


def _int_option(options: Mapping[str, Any], key: str, low: int, high: int | None) -> int | None:
    value = options.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        raise _invalid(f"'options.{key}' must be an integer {bounds}, got {value!r}.")
    return int(value)


def _result_format(value: object) -> str:
    if value is None:
        return "objectArray"
    for known in _RESULT_FORMATS:
        if isinstance(value, str) and value.lower() == known.lower():
            return known
    raise _invalid(f"'options.resultFormat' must be objectArray or table, got {value!r}.")


def _scope_digest(table: GraphTable, subscriptions: Sequence[str]) -> str:
    scope = ",".join(sorted({sub.lower() for sub in subscriptions})) or "*"
    return hashlib.sha256(f"{table.name}|{scope}".encode()).hexdigest()[:16]


def _window(request: GraphRequest, scope: str, page_size: int) -> tuple[int, int]:
    """The served slice: ($skip, else the token's offset, else 0) and min($top, else the token's size, page size)."""
    token = SkipToken.decode(request.skip_token) if request.skip_token else None
    if token is not None and token.scope != scope:
        raise bad_request("InvalidSkipToken", "The $skipToken belongs to another query or subscription scope.")
    skip = request.skip if request.skip is not None else (token.skip if token else 0)
    top = request.top or (token.top if token else page_size)
    return skip, max(1, min(top, page_size))


def _in_scope(env: Env, subscriptions: Sequence[str]) -> list[SubscriptionState]:
    wanted = {sub.lower() for sub in subscriptions}
    return [sub for sub in env.store.subscriptions() if not wanted or sub.spec.id.lower() in wanted]


def _table_data(table: GraphTable, rows: list[Row]) -> dict[str, Any]:
    return {
        "columns": [{"name": name, "type": kind} for name, kind in table.columns],
        "rows": [[row[name] for name, _ in table.columns] for row in rows],
    }
