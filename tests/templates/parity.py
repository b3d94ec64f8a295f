"""Parity of ``scan-template`` with the live check, for the public template corpus (issue 13).

``scan_verdicts`` runs ``python -m monitors scan-template --format json`` on files. ``deployed_verdicts`` stands in
for deploying the same files and then running the live check: it builds the emulator estate the deployment would
leave (services with their tier, region and tags; APIs with the ``type`` ARM reports for their create-time fields;
workspaces; collections; the Defender plan on unless the template turns it off), serves it from the emulator and
scans it with the real engine over HTTP. It is written apart from ``monitors/templates/verdicts.py`` on purpose, so a
template rule that drifted from the live one shows as a difference.

Both give ``{(service, api): (status, reason)}``. APIs on a service the files do not deploy (``existing``, or a name
that stays unresolved) are left out of ``deployed_verdicts``: after deployment their verdict depends on a service the
templates do not describe.
"""

from __future__ import annotations

import argparse
import io
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

from emulator import EmulatorServer
from emulator.estate import Estate
from monitors.azure.clients import ArmClients
from monitors.cli import _bicep_parameters, _context, main, read_template, template_paths
from monitors.engine import Engine
from monitors.model import Reason, Status
from monitors.settings import load_settings
from monitors.templates.resources import TemplateResource
from tests.conftest import scan

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
RESOURCE_GROUP = "rg-parity"
LOCATION = "westeurope"
CONTEXT = {"subscription": SUBSCRIPTION, "resource_group": RESOURCE_GROUP, "location": LOCATION}

Verdicts = dict[tuple[str, str], tuple[Status, Reason]]

SERVICE = "Microsoft.ApiManagement/service"
API = "Microsoft.ApiManagement/service/apis"
WORKSPACE_API = "Microsoft.ApiManagement/service/workspaces/apis"
COLLECTION = "Microsoft.Security/apiCollections"
# ARM answers a GET with ``type``; what was created says it through apiType, else soapApiType, else type.
ARM_TYPES = {t: t for t in ("http", "soap", "websocket", "graphql", "odata", "grpc")}


def _environ(env: Mapping[str, str]) -> dict[str, str]:
    """The process environment with no MONITOR_* setting of the developer's shell, plus ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return {**clean, **env}


def scan_verdicts(
    paths: Sequence[Path | str], *, parameters: Path | str | None = None, env: Mapping[str, str] | None = None
) -> Verdicts:
    """What ``scan-template`` says per API, in the parity context (an API it cannot check is an ``error`` verdict)."""
    argv = ["scan-template", *map(str, paths), "--format", "json", "--fail-on", "never"]
    argv += ["--subscription", SUBSCRIPTION, "--resource-group", RESOURCE_GROUP, "--location", LOCATION]
    if parameters is not None:
        argv += ["--parameters", str(parameters)]
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ, _environ(env or {}), clear=True):
        code = main(argv, stdout=out, stderr=err)
    assert code in (0, 3), err.getvalue()  # 3: some APIs cannot be checked before deployment; they are verdicts too
    findings = json.loads(out.getvalue())["findings"]
    return {(f["service"], f["api"]): (Status(f["status"]), Reason(f["reason"])) for f in findings if f.get("api")}


def deployed_verdicts(
    paths: Sequence[Path | str], *, parameters: Path | str | None = None, env: Mapping[str, str] | None = None
) -> Verdicts:
    """What the live check says per API once the files are deployed (in the emulator)."""
    resources = _deployed(paths, parameters)
    estate = Estate.from_dict(_estate(resources))
    with EmulatorServer(estate) as server:
        settings = load_settings({**(env or {}), "MONITOR_ARM_ENDPOINT": server.url})
        clients = ArmClients(settings)
        try:
            findings = scan(Engine(settings, clients), SUBSCRIPTION)
        finally:
            clients.close()
    return {(f.service, f.api): (f.status, f.reason) for f in findings if f.api and f.service}


def _deployed(paths: Sequence[Path | str], parameters: Path | str | None) -> list[TemplateResource]:
    """What the files deploy, read as ``scan-template`` reads them (its parameter values and deployment context)."""
    given = None if parameters is None else str(parameters)
    values = _bicep_parameters(given) if given is not None and given.endswith(".json") else None
    options = argparse.Namespace(**CONTEXT)
    resources: list[TemplateResource] = []
    for path in template_paths([str(p) for p in paths]):
        read = read_template(path, given, values, lambda kind: _context(options, kind))
        resources += [r for r in read.resources if r.condition is not False and not r.existing]
    return resources


def _segments(name: str) -> list[str]:
    return name.split("/")


def _api_type(properties: Mapping[str, Any]) -> str:
    for field in ("apiType", "soapApiType", "type"):
        value = properties.get(field)
        if isinstance(value, str) and value.lower() in ARM_TYPES:
            return ARM_TYPES[value.lower()]
    return "http"


def _api(resource: TemplateResource, name: str) -> dict[str, Any]:
    props = resource.properties
    api: dict[str, Any] = {"name": name, "path": str(props.get("path") or name.split(";")[0]).strip("/") or "root"}
    api["type"] = _api_type(props)
    if isinstance(props.get("displayName"), str):
        api["displayName"] = props["displayName"]
    if isinstance(props.get("isCurrent"), bool):
        api["isCurrent"] = props["isCurrent"]
    return api


def _collection_api(resource: TemplateResource) -> tuple[str, str] | None:
    """(service, api) a declared collection onboards: its ``scope`` (id or type/name path), or the child form
    ``<service>/<api>`` under ``.../apis/providers/Microsoft.Security/apiCollections``."""
    if resource.scope:
        parts = resource.scope.strip("/").split("/")
        lowered = [p.lower() for p in parts]
        if "service" in lowered and "apis" in lowered:
            at = lowered.index("service")
            return parts[at + 1], parts[lowered.index("apis") + 1]
        return None
    parts = _segments(resource.name)
    return (parts[0], parts[1]) if len(parts) >= 3 else None


def _put(apis: list[dict[str, Any]], api: dict[str, Any]) -> None:
    """A resource deployed twice (AVM's e2e cases deploy the module again to test idempotency) is one resource:
    the last write wins."""
    apis[:] = [a for a in apis if a["name"].lower() != api["name"].lower()] + [api]


def _estate(resources: Iterable[TemplateResource]) -> dict[str, Any]:
    resources = list(resources)
    services: dict[str, dict[str, Any]] = {}
    for r in resources:
        if r.type.lower() == SERVICE.lower() and "name" not in r.unresolved:
            service: dict[str, Any] = {"resourceGroup": r.resource_group or RESOURCE_GROUP, "name": r.name}
            service |= {"location": r.location or LOCATION, "sku": r.sku or "Developer", "tags": dict(r.tags)}
            services[r.name.lower()] = service | {"apis": [], "workspaces": [], "apiCollections": []}
    for r in resources:
        kind, parts = r.type.lower(), _segments(r.name)
        target = services.get(parts[0].lower())
        if target is None or "name" in r.unresolved:
            continue
        if kind == API.lower() and len(parts) == 2:
            _put(target["apis"], _api(r, parts[1]))
        elif kind == WORKSPACE_API.lower() and len(parts) == 3:
            workspaces = {w["name"]: w for w in target["workspaces"]}
            workspace = workspaces.get(parts[1]) or {"name": parts[1], "apis": []}
            if parts[1] not in workspaces:
                target["workspaces"].append(workspace)
            _put(workspace["apis"], _api(r, parts[2]))
    for r in resources:
        if r.type.lower().endswith(COLLECTION.lower()) and (found := _collection_api(r)):
            target = services.get(found[0].lower())
            if target is not None and found[1] not in target["apiCollections"]:
                target["apiCollections"].append(found[1])
    plan = {"pricingTier": "Standard", "subPlan": "P1"}
    for r in resources:
        if r.type.lower() == "microsoft.security/pricings" and r.name.lower() == "api":
            plan = {"pricingTier": str(r.properties.get("pricingTier") or "Standard")}
            if r.properties.get("subPlan"):
                plan["subPlan"] = str(r.properties["subPlan"])
    subscription = {"id": SUBSCRIPTION, "displayName": "parity", "pricings": {"Api": plan}}
    return {"subscriptions": [subscription | {"services": list(services.values())}]}
