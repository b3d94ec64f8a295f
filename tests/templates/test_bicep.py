"""The Bicep reader (monitors/templates/bicep.py) on small Bicep files in tests/data/templates/bicep/, on public
templates kept verbatim in tests/data/templates/public/ (listed in tests/data/templates/public/SOURCES.md), and
on bad input."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from monitors.templates import bicep
from monitors.templates.bicep import NOT_INSTALLED, UNRESOLVED_PART, _interpolation_parts, read_bicep
from monitors.templates.resources import MAX_BYTES, TemplateFile, TemplateResource
from monitors.templates.unique_string import unique_string

DATA = Path(__file__).resolve().parents[1] / "data" / "templates"
BICEP = DATA / "bicep"
PUBLIC = DATA / "public"
APIS = "Microsoft.ApiManagement/service/apis"
COLLECTIONS = "Microsoft.Security/apiCollections"


def read(
    name: str, *, params: Mapping[str, Any] | None = None, context: Mapping[str, str] | None = None
) -> TemplateFile:
    return read_bicep(str(BICEP / name), params=params, context=context)


def by_name(file: TemplateFile, resource_type: str = APIS, *, declared: bool = False) -> dict[str, TemplateResource]:
    """The resources of a type by full name (``declared``: only those the file itself declares, not its modules)."""
    return {
        resource.name: resource
        for resource in file.resources
        if resource.type == resource_type and (not declared or resource.source.file == file.path)
    }


def test_the_service_file_reads_without_errors() -> None:
    assert read("apim.bicep").errors == ()


def test_apis_get_full_type_and_name_from_parent_name_path_and_interpolation() -> None:
    apis = by_name(read("apim.bicep"))
    assert {"apim-contoso-prod/orders", "apim-contoso-prod/graph", "apim-contoso-prod/soap"} <= set(apis)
    assert apis["apim-contoso-prod/orders"].properties["displayName"] == "contoso orders"  # format()


def test_create_time_fields_and_revisions_are_kept() -> None:
    apis = by_name(read("apim.bicep"))
    assert apis["apim-contoso-prod/graph"].properties["apiType"] == "graphql"
    assert apis["apim-contoso-prod/soap"].properties["type"] == "soap"
    revision = apis["apim-contoso-prod/orders;rev=2"]  # '${orders.name};rev=2': a symbolic reference
    assert revision.properties["apiRevision"] == "2"


def test_nested_declarations_get_the_full_type_of_a_workspace_api() -> None:
    file = read("apim.bicep")
    workspace_apis = by_name(file, "Microsoft.ApiManagement/service/workspaces/apis")
    assert list(workspace_apis) == ["apim-contoso-prod/sales/quotes"]
    assert workspace_apis["apim-contoso-prod/sales/quotes"].source.line == 37
    assert "apim-contoso-prod/sales" in by_name(file, "Microsoft.ApiManagement/service/workspaces")


def test_an_extension_collection_names_the_api_it_extends() -> None:
    collections = [r for r in read("apim.bicep").resources if r.type == COLLECTIONS]
    orders = next(r for r in collections if r.source.file.endswith("apim.bicep"))
    assert orders.name == "orders"
    assert orders.scope == f"{APIS}/apim-contoso-prod/orders"


def test_source_lines_are_the_resource_declarations() -> None:
    file = read("apim.bicep")
    lines = {r.name: r.source.line for r in file.resources if r.source.file.endswith("apim.bicep")}
    assert lines["apim-contoso-prod"] == 18
    assert lines["apim-contoso-prod/orders"] == 46
    assert lines["apim-contoso-prod/orders;rev=2"] == 58
    assert all(r.source.file == str(BICEP / "apim.bicep") for r in file.resources[:3])


def test_service_fields_tags_sku_and_a_location_only_the_context_knows() -> None:
    service = by_name(read("apim.bicep"), "Microsoft.ApiManagement/service", declared=True)["apim-contoso-prod"]
    assert service.sku == "Developer"
    assert service.tags == {"owner": "team-apis", "costCenter": "CCPROD"}
    assert service.location is None and "location" in service.unresolved  # resourceGroup().location
    placed = read("apim.bicep", context={"location": "westeurope", "resource_group": "rg-apis"})
    service = by_name(placed, "Microsoft.ApiManagement/service", declared=True)["apim-contoso-prod"]
    assert service.location == "westeurope" and service.resource_group == "rg-apis"
    assert "location" not in service.unresolved


def test_loops_expand_known_lists_and_ranges() -> None:
    apis = by_name(read("apim.bicep"))
    assert apis["apim-contoso-prod/stock-weu"].properties["path"] == "stock/0"
    assert apis["apim-contoso-prod/stock-neu"].properties["path"] == "stock/1"
    assert {"apim-contoso-prod/v1", "apim-contoso-prod/v2"} <= set(apis)  # range(1, 2), concat, string
    assert apis["apim-contoso-prod/stock-weu"].source.line == apis["apim-contoso-prod/stock-neu"].source.line == 90


def test_a_loop_over_an_unknown_list_is_one_unresolved_resource() -> None:
    file = read("module_loop.bicep")
    (unknown,) = [r for r in file.resources if r.source.file.endswith("module_loop.bicep")]
    assert unknown.name == UNRESOLVED_PART and unknown.condition is None
    assert {"loop", "name"} <= set(unknown.unresolved)


def test_conditions_false_drop_true_keep_unknown_is_none() -> None:
    apis = by_name(read("apim.bicep"))
    assert "apim-contoso-prod/legacy" not in apis  # if (deployLegacy), false by default
    assert apis["apim-contoso-prod/preview"].condition is None  # deployPreview has no value
    assert apis["apim-contoso-prod/orders"].condition is True
    both = by_name(read("apim.bicep", params={"deployLegacy": True, "deployPreview": False}))
    assert both["apim-contoso-prod/legacy"].condition is True
    assert "apim-contoso-prod/preview" not in both


def test_existing_resources_are_marked_and_their_children_named_under_them() -> None:
    file = read("apim.bicep")
    shared = by_name(file, "Microsoft.ApiManagement/service")["apim-shared"]
    assert shared.existing is True
    assert by_name(file)["apim-shared/billing"].existing is False  # toLower('Billing')


def test_params_override_defaults() -> None:
    apis = by_name(read("apim.bicep", params={"prefix": "fabrikam", "regions": ["eus"]}))
    assert {"apim-fabrikam-prod/orders", "apim-fabrikam-prod/stock-eus"} <= set(apis)
    assert "apim-fabrikam-prod/stock-weu" not in apis


def test_a_module_gives_its_resources_with_their_own_file_line_and_params() -> None:
    file = read("apim.bicep")
    payments = by_name(file)["apim-contoso-prod/payments"]
    assert payments.source.file == str(BICEP / "modules" / "api.bicep")
    assert payments.source.line == 10
    assert payments.properties["apiType"] == "http"  # the module's default
    collection = next(r for r in file.resources if r.type == COLLECTIONS and r.name == "payments")
    assert collection.scope == f"{APIS}/apim-contoso-prod/payments"
    service = next(r for r in file.resources if r.source.file.endswith("api.bicep") and r.name == "apim-contoso-prod")
    assert service.existing is True


def test_a_module_loop_reads_the_module_once_per_item_and_keeps_unknowns_unknown() -> None:
    file = read("module_loop.bicep")
    assert file.errors == ()
    apis = {name: api for name, api in by_name(file).items() if api.source.file.endswith("api.bicep")}
    assert set(apis) == {f"{UNRESOLVED_PART}/alpha", f"{UNRESOLVED_PART}/beta"}  # serviceName has no value
    assert all(api.properties["apiType"] == "soap" and "name" in api.unresolved for api in apis.values())
    collections = [r for r in file.resources if r.type == COLLECTIONS]
    assert [c.scope for c in collections] == [None, None]
    assert all("scope" in c.unresolved for c in collections)
    known = by_name(read("module_loop.bicep", params={"service": "apim-x", "things": []}))
    assert set(known) == {"apim-x/alpha", "apim-x/beta"}


def test_what_cannot_be_evaluated_is_listed_never_guessed() -> None:
    soap = by_name(read("apim.bicep"))["apim-contoso-prod/soap"]
    assert "serviceUrl" not in soap.properties  # uniqueString(resourceGroup().id)
    assert soap.unresolved == ("properties.serviceUrl",)


def test_a_json_parameters_file_beside_the_template_is_read() -> None:
    assert by_name(read("with_parameters.bicep")).keys() == {"apim-from-file/default-api"}
    assert by_name(read("with_parameters.bicep", params={"serviceName": "s"})).keys() == {"s/default-api"}


def test_interpolation_parts() -> None:
    assert _interpolation_parts("a-${b}-${c.d}") == [
        (False, "a-"),
        (True, "b"),
        (False, "-"),
        (True, "c.d"),
        (False, ""),
    ]
    assert _interpolation_parts("${f('}')}") == [(False, ""), (True, "f('}')"), (False, "")]
    assert _interpolation_parts("${open") is None


# ---- bad input: one line each, never an exception


def test_bicep_pycep_cannot_parse_is_one_error_with_its_line() -> None:
    file = read("broken.bicep")
    assert file.resources == ()
    (error,) = file.errors
    assert error.startswith(f"{BICEP / 'broken.bicep'}: not Bicep pycep can read: line 8")
    assert "\n" not in error


def test_a_file_over_50_mb_is_not_read(tmp_path: Path) -> None:
    big = tmp_path / "big.bicep"
    with big.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    file = read_bicep(str(big))
    assert file.resources == ()
    assert file.errors == (f"{big}: larger than 50 MB ({MAX_BYTES + 1} bytes), not read",)


def test_a_module_cycle_is_one_error_and_the_rest_is_read() -> None:
    file = read("cycle_a.bicep")
    assert [r.name for r in file.resources] == ["apim-a/a"]
    (error,) = file.errors
    assert "a module cycle (cycle_a.bicep -> cycle_b.bicep -> cycle_a.bicep)" in error


def test_registry_and_template_spec_modules_are_one_error_each() -> None:
    file = read("registry.bicep")
    assert [r.name for r in file.resources] == ["apim-registry/local"]
    assert len(file.errors) == 2
    assert all("module from a registry not read" in error for error in file.errors)


def test_a_missing_file_and_a_missing_module_are_errors(tmp_path: Path) -> None:
    assert read_bicep(str(tmp_path / "none.bicep")).errors[0].startswith(f"{tmp_path / 'none.bicep'}: cannot be read")
    caller = tmp_path / "main.bicep"
    caller.write_text("module m 'gone.bicep' = {\n  name: 'm'\n}\n", encoding="utf-8")
    (error,) = read_bicep(str(caller)).errors
    assert error.startswith(f"{tmp_path / 'gone.bicep'}: cannot be read")


def test_an_empty_file_deploys_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty.bicep"
    empty.write_text("\n", encoding="utf-8")
    assert read_bicep(str(empty)) == TemplateFile(path=str(empty), kind="bicep")


def test_without_pycep_one_line_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pycep", None)
    bicep._parser.cache_clear()  # the process's parser, built by earlier tests; without pycep it is never built
    file = read("apim.bicep")
    bicep._parser.cache_clear()
    assert file.errors == (NOT_INSTALLED,)
    assert NOT_INSTALLED == "pycep-parser is not installed: pip install 'pycep-parser>=0.5.1,<0.8'"


# ---- public templates (tests/data/templates/public/SOURCES.md)


def test_quickstart_create_all_resources_yields_its_three_apis() -> None:
    file = read_bicep(str(PUBLIC / "quickstart-api-management-create-all-resources.bicep"))
    assert file.errors == ()
    apis = by_name(file)
    # The service is named 'apiservice${uniqueString(resourceGroup().id)}': its name is unresolved, never guessed.
    assert set(apis) == {
        f"{UNRESOLVED_PART}/PetStoreSwaggerImportExample",
        f"{UNRESOLVED_PART}/exampleApi",
        f"{UNRESOLVED_PART}/exampleApiWithPolicy",
    }
    assert all(api.unresolved == ("name",) and api.condition is True for api in apis.values())
    assert apis[f"{UNRESOLVED_PART}/exampleApi"].source.line == 76
    service = by_name(file, "Microsoft.ApiManagement/service")[UNRESOLVED_PART]
    assert service.sku == "Developer"
    assert not [r for r in file.resources if r.type == COLLECTIONS]


def test_quickstart_service_name_resolves_once_the_resource_group_is_known() -> None:
    context = {"subscription_id": "00000000-0000-0000-0000-000000000000", "resource_group": "rg-apis"}
    file = read_bicep(str(PUBLIC / "quickstart-api-management-create-all-resources.bicep"), context=context)
    service = "apiservice" + unique_string("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-apis")
    assert set(by_name(file)) == {
        f"{service}/PetStoreSwaggerImportExample",
        f"{service}/exampleApi",
        f"{service}/exampleApiWithPolicy",
    }
    assert all(api.unresolved == () for api in by_name(file).values())


def test_quickstart_publish_api_yields_its_api_on_an_existing_service() -> None:
    params = {"apimInstanceName": "apim-shared", "apimRG": "rg-apim", "apiName": "petstore"}
    file = read_bicep(str(PUBLIC / "quickstart-publish-api-to-apim-opendocs.bicep"), params=params)
    assert file.errors == ()
    apis = by_name(file)
    assert set(apis) == {"apim-shared/petstore"}
    assert apis["apim-shared/petstore"].properties == {
        "format": "swagger-link-json",
        "value": "http://petstore.swagger.io/v2/swagger.json",
        "path": "AzureFunctionsApi",
    }
    assert apis["apim-shared/petstore"].source.line == 77
    assert by_name(file, "Microsoft.ApiManagement/service")["apim-shared"].existing is True
    links = by_name(file, "Microsoft.ApiManagement/service/products/apis")
    assert set(links) == {"apim-shared/product1/petstore", "apim-shared/product2/petstore"}  # parent: ProductRecords[i]
    bare = read_bicep(str(PUBLIC / "quickstart-publish-api-to-apim-opendocs.bicep"))
    assert set(by_name(bare)) == {f"{UNRESOLVED_PART}/{UNRESOLVED_PART}"}


# ---- parameter files and scopes


def test_a_bicepparam_file_reads_the_template_it_uses_with_its_values() -> None:
    file = read("with_bicepparam.bicepparam")
    assert file.errors == ()
    apis = by_name(file)
    assert set(apis) == {"apim-params/inventory", "apim-params/shipping"}
    assert all(api.source.file == str(BICEP / "with_bicepparam.bicep") for api in apis.values())
    # readEnvironmentVariable() is given but unknown: never the template's default ''
    assert all("description" not in api.properties for api in apis.values())
    assert all(api.unresolved == ("properties.description",) for api in apis.values())


def test_a_bicepparam_beside_the_template_is_read_and_params_override_it() -> None:
    assert set(by_name(read("with_bicepparam.bicep"))) == {"apim-params/inventory", "apim-params/shipping"}
    assert set(by_name(read("with_bicepparam.bicep", params={"serviceName": "s", "apiNames": ["a"]}))) == {"s/a"}


def test_a_bicepparam_without_a_local_template_is_one_error(tmp_path: Path) -> None:
    lost = tmp_path / "lost.bicepparam"
    lost.write_text("param a = 'b'\n", encoding="utf-8")
    assert read_bicep(str(lost)).errors == (f"{lost}: no using '<template>' line, so no template to read",)
    remote = tmp_path / "remote.bicepparam"
    remote.write_text("using 'br/public:avm/res/x:1.0.0'\n", encoding="utf-8")
    (error,) = read_bicep(str(remote)).errors
    assert "a template from a registry not read" in error


def test_the_plan_at_subscription_scope_has_no_resource_group() -> None:
    file = read("plan.bicep", context={"subscription_id": "sub-1", "resource_group": "rg"})
    (plan,) = file.resources
    assert (plan.type, plan.name) == ("Microsoft.Security/pricings", "Api")
    assert plan.properties == {"pricingTier": "Standard", "subPlan": "P1"}
    assert (plan.subscription_id, plan.resource_group) == ("sub-1", None)


def test_module_outputs_name_what_other_modules_and_resources_deploy_on() -> None:
    file = read("module_outputs.bicep", context={"location": "westeurope", "resource_group": "rg-main"})
    assert file.errors == ()
    apis = by_name(file)
    assert set(apis) == {"apim-out/from-outputs", "apim-out/here"}
    assert apis["apim-out/here"].unresolved == ("properties.description",)  # an output of apim.id: not known
    assert apis["apim-out/here"].resource_group == "rg-main"


def test_a_module_scope_names_the_resource_group_its_resources_deploy_in() -> None:
    file = read("module_outputs.bicep", context={"location": "westeurope", "resource_group": "rg-main"})
    in_module = [r for r in file.resources if r.source.file != file.path]
    assert {r.resource_group for r in in_module} == {"rg-apim"}
    service = next(r for r in in_module if r.source.file.endswith("service.bicep"))
    assert (service.name, service.sku) == ("apim-out", "Consumption")
    assert service.location is None and "location" in service.unresolved  # another group: its location is unknown


def test_an_expression_cycle_is_unresolved_not_a_hang(tmp_path: Path) -> None:
    cycle = tmp_path / "cycle.bicep"
    cycle.write_text(
        "var a = '${b}-x'\nvar b = a\n"
        "resource api 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = {\n  name: 'apim/${a}'\n}\n",
        encoding="utf-8",
    )
    file = read_bicep(str(cycle))
    assert file.errors == ()
    (api,) = file.resources
    assert (api.name, api.unresolved) == (UNRESOLVED_PART, ("name",))


def test_an_open_multi_line_string_is_one_error(tmp_path: Path) -> None:
    open_string = tmp_path / "open.bicep"
    open_string.write_text("var policy = '''\n<policies/>\n", encoding="utf-8")
    assert read_bicep(str(open_string)).errors == (
        f"{open_string}: not Bicep pycep can read: an odd number of ''' (a multi-line string left open)",
    )


def test_loops_multiplied_past_the_cap_stop_with_one_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bicep, "MAX_RESOURCES", 5)
    file = read("apim.bicep")
    assert file.errors == (f"{BICEP / 'apim.bicep'}: more than 5 resources after expanding loops, not read further",)


def test_an_unexpected_failure_is_one_line_not_an_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(kind: str, args: list[Any]) -> Any:
        raise KeyError(kind)

    monkeypatch.setattr(bicep, "_call", broken)
    (error,) = read("apim.bicep").errors
    assert error.startswith(f"{BICEP / 'apim.bicep'}: could not be evaluated: KeyError")


def test_nested_resources_are_reached_with_double_colons() -> None:
    file = read("apim.bicep")
    quotes = next(r for r in file.resources if r.type == COLLECTIONS and r.name == "quotes")
    assert quotes.scope == "Microsoft.ApiManagement/service/workspaces/apis/apim-contoso-prod/sales/quotes"
    assert quotes.unresolved == ()


def test_an_unknown_sku_name_is_listed_once(tmp_path: Path) -> None:
    template = tmp_path / "sku.bicep"
    template.write_text(
        "param tier string\n"
        "resource apim 'Microsoft.ApiManagement/service@2023-05-01-preview' = {\n"
        "  name: 'apim-sku'\n  sku: {\n    name: tier\n    capacity: 1\n  }\n}\n",
        encoding="utf-8",
    )
    (service,) = read_bicep(str(template)).resources
    assert (service.sku, service.unresolved) == (None, ("sku.name",))
    (service,) = read_bicep(str(template), params={"tier": "Premium"}).resources
    assert (service.sku, service.unresolved) == ("Premium", ())


def test_the_context_takes_the_arm_readers_spellings_too() -> None:
    file = read("plan.bicep", context={"subscriptionId": "sub-2"})
    assert file.resources[0].subscription_id == "sub-2"
    service = by_name(
        read("apim.bicep", context={"resourceGroup": "rg-arm"}), "Microsoft.ApiManagement/service", declared=True
    )["apim-contoso-prod"]
    assert service.resource_group == "rg-arm"
