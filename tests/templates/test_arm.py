"""The ARM template reader: loops, conditions, child resources, nested and linked deployments, symbolic names,
parameter files, source lines, PSRule's test data, and one clear line for each kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitors.templates.arm import read_arm
from monitors.templates.resources import TemplateFile, TemplateResource

DATA = Path(__file__).resolve().parent.parent / "data" / "templates"
ARM = DATA / "arm"
APIS = "Microsoft.ApiManagement/service/apis"


def by_type(template: TemplateFile, resource_type: str) -> list[TemplateResource]:
    return [r for r in template.resources if r.type == resource_type]


@pytest.fixture(scope="module")
def apis() -> TemplateFile:
    return read_arm(str(ARM / "apis.json"), str(ARM / "apis.parameters.json"), context={"location": "westeurope"})


def test_copy_loops_expand_with_copy_index_in_names_and_properties(apis: TemplateFile) -> None:
    looped = [r for r in by_type(apis, APIS) if "-api-" in r.name]
    assert [(r.name, r.properties["displayName"], r.properties["path"]) for r in looped] == [
        ("Apim-Prod/apim-prod-api-0", "API 1", "v1"),
        ("Apim-Prod/apim-prod-api-1", "API 2", "v2"),
        ("Apim-Prod/apim-prod-api-2", "API 3", "v3"),  # the parameter file's count (3), not the default (2)
    ]


def test_a_false_condition_drops_the_resource(apis: TemplateFile) -> None:
    assert [r for r in apis.resources if r.name.endswith("legacy")] == []


def test_child_resources_are_flattened_to_full_type_and_name(apis: TemplateFile) -> None:
    assert [(r.type, r.name) for r in apis.resources[:3]] == [
        ("Microsoft.ApiManagement/service", "Apim-Prod"),
        (APIS, "Apim-Prod/orders"),
        ("Microsoft.ApiManagement/service/apis/policies", "Apim-Prod/orders/policy"),
    ]
    assert apis.resources[1].properties["apiType"] == "http"


def test_service_fields_parameters_and_the_key_vault_reference(apis: TemplateFile) -> None:
    service = apis.resources[0]
    assert (service.location, service.sku, service.api_version) == ("westeurope", "Developer", "2022-08-01")
    assert dict(service.tags) == {"owner": "team-a", "note": "[not an expression]"}  # [[ is a literal
    assert dict(service.properties) == {"publisherEmail": "a@example.com"}  # the Key Vault value is left out
    assert service.unresolved == ("properties.publisherName",)
    assert apis.errors == ()


def test_an_extension_resource_keeps_its_scope(apis: TemplateFile) -> None:
    (collection,) = by_type(apis, "Microsoft.Security/apiCollections")
    assert (collection.name, collection.scope) == ("orders", "Microsoft.ApiManagement/service/Apim-Prod/apis/orders")


def test_source_lines_are_where_each_resource_object_starts(apis: TemplateFile) -> None:
    lines = (ARM / "apis.json").read_text().splitlines()
    for resource in apis.resources:
        assert resource.source.file == str(ARM / "apis.json")
        assert resource.source.line is not None
        assert lines[resource.source.line - 1].strip().startswith("{"), resource.name
    assert [r.source.line for r in apis.resources[:4]] == [22, 31, 38, 43]


def test_without_a_parameter_file_defaults_apply_and_missing_values_are_unresolved() -> None:
    template = read_arm(str(ARM / "apis.json"))
    service = template.resources[0]
    assert service.name == "[parameters('serviceName')]"  # the expression as written, never a made-up name
    assert service.unresolved == ("name", "location", "properties.publisherName")
    assert len([r for r in by_type(template, APIS) if "copyIndex" in r.name]) == 2  # apiCount's default


def test_nested_deployments_with_inner_and_outer_scope() -> None:
    template = read_arm(str(ARM / "nested.json"))
    assert template.errors == ()
    assert [(r.type, r.name, r.properties["path"]) for r in template.resources] == [
        (APIS, "apim-outer-x/payments", "pay"),  # inner: its own parameters and variables
        (APIS, "apim-outer/billing", "bill"),  # outer: the parent's
    ]


def test_a_linked_template_in_the_repository_is_read_and_a_uri_link_is_one_error() -> None:
    template = read_arm(str(ARM / "linked.json"))
    (api,) = template.resources
    assert (api.name, api.properties["type"]) == ("apim-linked/graph", "graphql")
    assert api.source.file == str(ARM / "linked" / "apis.json")
    assert api.source.line == 6
    assert template.errors == (f"{ARM / 'linked.json'}: line 15: linked template by URI not read",)


def test_symbolic_name_templates() -> None:
    template = read_arm(str(ARM / "symbolic.json"))
    service, api = template.resources
    assert (service.name, service.existing, api.name, api.existing) == ("apim-sym", True, "apim-sym/search", False)
    assert dict(api.properties) == {"path": "search"}
    assert api.unresolved == ("properties.serviceUrl",)  # reference()


def test_context_gives_resource_group_and_subscription() -> None:
    template = read_arm(str(ARM / "apis.json"), context={"subscriptionId": "s", "resourceGroup": "rg"})
    assert (template.resources[0].subscription_id, template.resources[0].resource_group) == ("s", "rg")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("not-json.json", "not JSON: line 3: "),  # then the json module's words, which differ between Pythons
        ("not-template.json", "not an ARM template (no $schema or resources)"),
        ("loop.json", "variable 'a' refers to itself"),
    ],
)
def test_bad_input_is_one_line_never_an_exception(name: str, message: str) -> None:
    path = str(ARM / "bad" / name)
    read = read_arm(path)
    [error] = read.errors
    assert read == TemplateFile(path, "arm", errors=read.errors)
    assert error.startswith(f"{path}: {message}") and "\n" not in error


def test_copy_counts_over_the_limit_or_unresolved_skip_that_resource_only() -> None:
    path = str(ARM / "bad" / "copy-limits.json")
    template = read_arm(path)
    assert [r.name for r in template.resources] == ["apim/kept"]
    assert template.errors == (
        f"{path}: line 6: copy loop 'tooMany': count 801 is over ARM's limit of 800, not read",
        f"{path}: line 12: copy loop 'unknownCount': count unresolved, its resources not read",
    )


def test_a_file_over_50_mb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024 + 1)  # sparse: the size says enough
    assert read_arm(str(big)).errors == (f"{big}: over 50 MB, not read",)


def test_a_missing_file_and_a_missing_parameter_file(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.json")
    (error,) = read_arm(missing).errors
    assert error.startswith(f"{missing}: not read:")
    template = read_arm(str(ARM / "nested.json"), missing)
    assert len(template.resources) == 2 and template.errors[0].startswith(f"{missing}: not read:")


def test_a_byte_order_mark_and_trailing_garbage(tmp_path: Path) -> None:
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps({"resources": []}).encode())
    assert read_arm(str(bom)) == TemplateFile(str(bom), "arm")
    extra = tmp_path / "extra.json"
    extra.write_text('{"resources": []}\n}')
    assert read_arm(str(extra)).errors == (f"{extra}: not JSON: line 2: Extra data",)


def test_psrule_resource_export_is_not_a_template() -> None:
    path = str(DATA / "psrule" / "Resources.APIM.json")
    assert read_arm(path).errors == (f"{path}: not an ARM template (no $schema or resources)",)


def test_psrule_services_as_a_template_give_psrule_apis_and_collections() -> None:
    template = read_arm(str(DATA / "psrule" / "defendercloud-apim-A-D.template.json"))
    assert template.errors == ()
    apis = {r.name: r.properties.get("type") for r in by_type(template, APIS)}
    assert apis == {
        "apim-A/api-A": None,
        "apim-A/api-B": None,
        "apim-B/api-A": None,
        "apim-B/api-B": "http",
        "apim-C/api-A": None,
        "apim-C/api-B": "graphql",
        "apim-D/api-A": None,
        "apim-D/api-B": "http",
    }
    collections = {r.scope for r in by_type(template, "Microsoft.Security/apiCollections")}
    assert collections == {
        "Microsoft.ApiManagement/service/apim-B/apis/api-B",
        "Microsoft.ApiManagement/service/apim-C/apis/api-B",
        "Microsoft.ApiManagement/service/apim-D/apis/api-A",
        "Microsoft.ApiManagement/service/apim-D/apis/api-B",
    }
    assert all("apiType" not in r.properties for r in by_type(template, APIS))
    assert all(r.unresolved == () for r in template.resources)


@pytest.mark.parametrize(
    "template",
    [
        {"resources": "apis"},
        {"resources": [1, None, {"type": 5, "name": ["x"], "copy": {"count": "many"}}]},
        {"resources": [{"type": "Microsoft.ApiManagement/service", "name": "a", "properties": [1], "tags": "x"}]},
        {"parameters": [], "variables": "v", "resources": [{"type": "[if(1, 2, 3)]", "name": "[concat(]"}]},
        {"resources": [{"type": "Microsoft.Resources/deployments", "name": "d", "properties": {"template": []}}]},
        {"resources": [{"type": "Microsoft.Resources/deployments", "name": "d", "properties": {"templateLink": {}}}]},
    ],
)
def test_odd_shapes_never_raise(tmp_path: Path, template: dict[str, object]) -> None:
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(template))
    assert isinstance(read_arm(str(path)), TemplateFile)


def test_a_linked_template_that_links_back_is_read_once() -> None:
    path = str(ARM / "bad" / "links-itself.json")
    template = read_arm(path)
    assert [r.name for r in template.resources] == ["apim/once"]
    assert template.errors == (f"{path}: line 6: linked template {path} links back to itself, not read again",)


def test_nullable_parameters_are_null_and_null_takes_the_default(tmp_path: Path) -> None:
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "apis": {"type": "array", "nullable": True},
            "apiType": {"type": "string", "defaultValue": "http"},
            "required": {"type": "string"},
        },
        "resources": [
            {
                "copy": {"name": "apis", "count": "[length(coalesce(parameters('apis'), createArray()))]"},
                "type": "Microsoft.ApiManagement/service/apis",
                "apiVersion": "2024-05-01",
                "name": "[format('apim-x/{0}', parameters('apis')[copyIndex()].name)]",
                "properties": {"apiType": "[parameters('apiType')]", "path": "[parameters('required')]"},
            },
            {
                "type": "Microsoft.ApiManagement/service/apis",
                "apiVersion": "2024-05-01",
                "name": "apim-x/fixed",
                "properties": {"apiType": "[coalesce(tryGet(createObject('a', 1), 'apiType'), parameters('apiType'))]"},
            },
        ],
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template))
    file = read_arm(str(path), None)
    assert [(r.name, r.properties.get("apiType")) for r in file.resources] == [("apim-x/fixed", "http")]
    (tmp_path / "p.json").write_text(
        json.dumps({"parameters": {"apis": {"value": [{"name": "o"}]}, "apiType": {"value": None}}})
    )
    given = read_arm(str(path), str(tmp_path / "p.json"))
    assert [(r.name, r.properties.get("apiType"), r.unresolved) for r in given.resources] == [
        ("apim-x/o", "http", ("properties.path",)),  # a required parameter without a value stays unresolved
        ("apim-x/fixed", "http", ()),
    ]
