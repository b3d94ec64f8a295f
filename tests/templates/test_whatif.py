"""The what-if reader, on Microsoft's published example of the Deployments - What If result."""

from __future__ import annotations

import json
from pathlib import Path

from monitors.templates.resources import Source, TemplateFile, TemplateResource
from monitors.templates.whatif import read_whatif, split_resource_id

EXAMPLE = (
    Path(__file__).resolve().parent.parent
    / "data"
    / "templates"
    / "whatif"
    / "PostDeploymentWhatIfOnResourceGroup.json"
)
SUB = "00000000-0000-0000-0000-000000000001"


def test_the_published_example_gives_the_resources_after_the_deployment(tmp_path: Path) -> None:
    body = json.loads(EXAMPLE.read_text())["responses"]["200"]["body"]  # what the CLI prints with -o json
    path = tmp_path / "whatif.json"
    path.write_text(json.dumps(body, indent=2))
    common = {"api_version": "2018-11-30", "subscription_id": SUB, "resource_group": "my-resource-group"}
    assert read_whatif(str(path)) == TemplateFile(
        str(path),
        "whatif",
        resources=(
            TemplateResource(
                type="Microsoft.ManagedIdentity/userAssignedIdentities",
                name="myExistingIdentity",
                source=Source(str(path), 5),
                location="westus2",
                tags={"myNewTag": "my tag value"},
                **common,  # type: ignore[arg-type]
            ),
            TemplateResource(
                type="Microsoft.ManagedIdentity/userAssignedIdentities",
                name="myNewIdentity",
                source=Source(str(path), 33),
                location="eastus",
                tags={"myOtherNewTag": "another new tag value"},
                **common,  # type: ignore[arg-type]
            ),
        ),
    )


def test_apim_changes_deletes_skipped_and_extension_resources_scoped(tmp_path: Path) -> None:
    service = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim"
    changes = [
        {
            "changeType": "Create",
            "resourceId": f"{service}/apis/orders;rev=2",
            "after": {"properties": {"apiType": "http", "path": "orders"}, "sku": {"name": "Premium"}},
        },
        {"changeType": "Delete", "resourceId": f"{service}/apis/old", "before": {"properties": {}}},
        {"changeType": "Ignore", "resourceId": f"{service}/apis/unknown"},
        {
            "changeType": "NoChange",
            "resourceId": f"{service}/apis/orders/providers/Microsoft.Security/apiCollections/orders",
            "after": {},
        },
    ]
    path = tmp_path / "apim.json"
    path.write_text(json.dumps({"status": "Succeeded", "changes": changes}))
    template = read_whatif(str(path))
    assert [(r.type, r.name, r.scope, r.sku) for r in template.resources] == [
        ("Microsoft.ApiManagement/service/apis", "apim/orders;rev=2", None, "Premium"),
        ("Microsoft.Security/apiCollections", "orders", f"{service}/apis/orders", None),
    ]
    assert template.resources[0].properties == {"apiType": "http", "path": "orders"}


def test_resource_ids_split_into_type_name_and_scope() -> None:
    assert split_resource_id(f"/subscriptions/{SUB}/providers/Microsoft.Security/pricings/Api") == (
        "Microsoft.Security/pricings",
        "Api",
        None,
        SUB,
        None,
    )
    assert split_resource_id("/not/an/id")[:2] == ("", "")


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    not_json = tmp_path / "a.json"
    not_json.write_text("Resource and property changes are indicated with these symbols:")
    assert read_whatif(str(not_json)).errors == (f"{not_json}: not JSON: line 1: Expecting value",)
    no_changes = tmp_path / "b.json"
    no_changes.write_text('{"status": "Failed", "error": {"code": "InvalidTemplate"}}')
    assert read_whatif(str(no_changes)).errors == (f"{no_changes}: not a what-if result (no changes)",)
    odd = tmp_path / "c.json"
    odd.write_text(json.dumps({"changes": [{"changeType": "Create", "resourceId": "/x", "after": {}}]}))
    assert read_whatif(str(odd)).errors == (f"{odd}: line 1: resource id '/x' not understood",)
