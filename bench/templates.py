"""Benchmark of ``scan-template``: generated ARM JSON and Bicep templates, 10 APIs each, scanned in one process.

Each generated template deploys one Premium service in West Europe with parameters, variables and ``format``/
``concat`` names; its APIs are REST with every even one onboarded by a declared collection (half child-scoped
extension resources), one GraphQL API and one revision (``;rev=2``). The scan runs the CLI entry point with
``--format json`` (all of it: read, rules, render), and the benchmark checks the verdict counts before printing.
Usage (from the repository root):
    python -m bench.templates [--files 1000] [--apis 10] [--kind both|arm|bicep]
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from monitors.cli import main

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


def _api_kind(index: int) -> str:
    return "graphql" if index == 3 else "revision" if index == 5 else "rest"


def arm_template(number: int, apis: int) -> dict[str, Any]:
    resources: list[dict[str, Any]] = [
        {
            "type": "Microsoft.ApiManagement/service",
            "apiVersion": "2024-05-01",
            "name": "[variables('service')]",
            "location": "[parameters('location')]",
            "sku": {"name": "Premium", "capacity": 1},
            "properties": {"publisherEmail": "api@contoso.com", "publisherName": "Contoso"},
        }
    ]
    for a in range(apis):
        kind = _api_kind(a)
        name = f"[format('{{0}}/api-{a:02d}{';rev=2' if kind == 'revision' else ''}', variables('service'))]"
        properties: dict[str, Any] = {"displayName": f"API {a}", "path": f"api-{a:02d}", "protocols": ["https"]}
        if kind == "graphql":
            properties["apiType"] = "graphql"
        resources.append({
            "type": "Microsoft.ApiManagement/service/apis", "apiVersion": "2024-05-01", "name": name,
            "dependsOn": ["[resourceId('Microsoft.ApiManagement/service', variables('service'))]"],
            "properties": properties,
        })  # fmt: skip
        if a % 2 == 0 and kind == "rest":
            api_id = f"[resourceId('Microsoft.ApiManagement/service/apis', variables('service'), 'api-{a:02d}')]"
            resources.append({
                "type": "Microsoft.Security/apiCollections", "apiVersion": "2023-11-15", "name": f"api-{a:02d}",
                "scope": f"[format('Microsoft.ApiManagement/service/{{0}}/apis/api-{a:02d}', variables('service'))]",
                "dependsOn": [api_id],
            })  # fmt: skip
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "location": {"type": "string", "defaultValue": "[resourceGroup().location]"},
            "prefix": {"type": "string", "defaultValue": "apim"},
        },
        "variables": {"service": f"[concat(parameters('prefix'), '-bench-{number:04d}')]"},
        "resources": resources,
    }


def bicep_template(number: int, apis: int) -> str:
    lines = [
        "param location string = resourceGroup().location",
        "param prefix string = 'apim'",
        f"var service = '${{prefix}}-bench-{number:04d}'",
        "",
        "resource apim 'Microsoft.ApiManagement/service@2024-05-01' = {",
        "  name: service",
        "  location: location",
        "  sku: { name: 'Premium', capacity: 1 }",
        "  properties: { publisherEmail: 'api@contoso.com', publisherName: 'Contoso' }",
        "}",
    ]
    for a in range(apis):
        kind = _api_kind(a)
        suffix = ";rev=2" if kind == "revision" else ""
        api_type = "\n    apiType: 'graphql'" if kind == "graphql" else ""
        lines += [
            "",
            f"resource api{a} 'Microsoft.ApiManagement/service/apis@2024-05-01' = {{",
            "  parent: apim",
            f"  name: 'api-{a:02d}{suffix}'",
            "  properties: {",
            f"    displayName: 'API {a}'",
            f"    path: 'api-{a:02d}'",
            f"    protocols: ['https']{api_type}",
            "  }",
            "}",
        ]
        if a % 2 == 0 and kind == "rest":
            lines += [
                f"resource collection{a} 'Microsoft.Security/apiCollections@2023-11-15' = {{",
                f"  name: 'api-{a:02d}'",
                f"  scope: api{a}",
                "}",
            ]
    return "\n".join(lines) + "\n"


def generate(directory: Path, kind: str, files: int, apis: int) -> None:
    directory.mkdir(parents=True)
    for number in range(files):
        if kind == "arm":
            (directory / f"t{number:04d}.json").write_text(json.dumps(arm_template(number, apis), indent=2))
        else:
            (directory / f"t{number:04d}.bicep").write_text(bicep_template(number, apis))


def scan(directory: Path) -> tuple[float, Counter[str]]:
    out, err = io.StringIO(), io.StringIO()
    argv = ["scan-template", str(directory), "--format", "json", "--fail-on", "never"]
    argv += ["--subscription", SUBSCRIPTION, "--resource-group", "rg-bench", "--location", "westeurope"]
    started = time.perf_counter()
    code = main(argv, stdout=out, stderr=err)
    wall = time.perf_counter() - started
    if code != 0 or err.getvalue():
        raise SystemExit(f"scan-template failed ({code}): {err.getvalue()[:500]}")
    findings = json.loads(out.getvalue())["findings"]
    return wall, Counter(f"{f['status']}/{f['reason']}" for f in findings)


def expected(files: int, apis: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    for a in range(apis):
        kind = _api_kind(a)
        if kind == "graphql":
            counts["not_applicable/non_rest_api"] += files
        elif kind == "rest" and a % 2 == 0:
            counts["compliant/onboarded"] += files
        else:  # a revision is its API: api-05 without a collection
            counts["noncompliant/not_onboarded"] += files
    return counts


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--apis", type=int, default=10)
    parser.add_argument("--kind", choices=("both", "arm", "bicep"), default="both")
    args = parser.parse_args()
    kinds = ("arm", "bicep") if args.kind == "both" else (args.kind,)
    print(f"scan-template on {args.files} generated templates per kind, {args.apis} APIs each (one process, JSON out)")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            directory = Path(tmp) / kind
            generate(directory, kind, args.files, args.apis)
            size = sum(p.stat().st_size for p in directory.iterdir())
            wall, verdicts = scan(directory)
            if verdicts != expected(args.files, args.apis):
                raise SystemExit(f"{kind}: unexpected verdicts {dict(verdicts)}")
            label = "ARM JSON" if kind == "arm" else "Bicep (pycep)"
            print(
                f"{label:<14} {args.files:>5} files ({size / 1e6:5.1f} MB)  {wall:7.2f} s  "
                f"{args.files / wall:7.1f} files/s  {wall / args.files * 1000:6.1f} ms/file  "
                f"{sum(verdicts.values()) / wall:8.0f} APIs/s"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main_bench()
