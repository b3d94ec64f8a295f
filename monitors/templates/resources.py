"""What a template would deploy, as the readers (``arm``, ``bicep``, ``whatif``) give it to the rules. Pure.

Every reader resolves what it can and never guesses: a value it cannot work out (a parameter without a value, a
function it does not know, a reference to runtime state) is left out of ``properties`` and its JSON path is listed in
``unresolved``, so the rules can say "unresolved" instead of deciding on a made-up value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_BYTES = 50 * 1024 * 1024  # the readers refuse a larger input file before reading it (issue 13: a 50 MB file)


@dataclass(frozen=True)
class Source:
    """Where a resource is declared: the file as given on the command line, and its 1-based line (None: unknown)."""

    file: str
    line: int | None = None


@dataclass(frozen=True)
class TemplateResource:
    """One resource a template would deploy, with expressions evaluated.

    ``type`` is the full resource type (``Microsoft.ApiManagement/service/apis``), child resources flattened to their
    full type; ``name`` the full name with its parents (``apim-prod/orders``, ``apim-prod/orders;rev=2``). For an
    extension resource (``Microsoft.Security/apiCollections`` with ``scope``), ``scope`` is the resource id or the
    full type/name path of the resource it extends; else None. ``condition`` is False for a resource whose condition
    evaluated to false (readers drop those), None when it could not be evaluated.
    """

    type: str
    name: str
    source: Source
    api_version: str | None = None
    location: str | None = None
    sku: str | None = None  # sku.name
    tags: Mapping[str, str] = field(default_factory=dict)
    properties: Mapping[str, Any] = field(default_factory=dict)
    scope: str | None = None
    condition: bool | None = True
    existing: bool = False  # Bicep ``existing``: referenced, not deployed
    subscription_id: str | None = None  # the deployment scope's, when the template says
    resource_group: str | None = None
    unresolved: tuple[str, ...] = ()  # JSON paths (``name``, ``properties.apiType``) that could not be evaluated


@dataclass(frozen=True)
class TemplateFile:
    """One input file as read: its resources, or the one-line errors that kept it (or parts of it) from being read."""

    path: str
    kind: str  # "arm", "bicep" or "whatif"
    resources: tuple[TemplateResource, ...] = ()
    errors: tuple[str, ...] = ()
