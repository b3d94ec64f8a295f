"""ARM template expressions: each function, what stays unresolved, the ``[[`` escape and variable loops."""

from __future__ import annotations

from typing import Any

import pytest

from monitors.templates.expressions import ExpressionLoop, Scope, Unresolved, evaluate
from monitors.templates.unique_string import unique_string

CONTEXT = {"subscriptionId": "sub-1", "resourceGroup": "rg-apis", "location": "westeurope"}


def scope(parameters: dict[str, Any] | None = None, variables: dict[str, Any] | None = None, **context: str) -> Scope:
    return Scope(parameters or {"service": "Apim-Prod", "count": 3, "flag": True}, variables or {}, context or CONTEXT)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("[parameters('service')]", "Apim-Prod"),
        ("[parameters('SERVICE')]", "Apim-Prod"),  # names are case-insensitive, as in ARM
        ("[concat(parameters('service'), '/', 'orders')]", "Apim-Prod/orders"),
        ("[concat(createArray(1, 2), createArray(3))]", [1, 2, 3]),
        ("[format('{0}/{1}-{2}', parameters('service'), 'api', 7)]", "Apim-Prod/api-7"),
        ("[format('{{literal}} {0}', 'x')]", "{literal} x"),
        ("[toLower(parameters('service'))]", "apim-prod"),
        ("[toUpper('a-b')]", "A-B"),
        ("[replace('a-b-c', '-', '.')]", "a.b.c"),
        ("[string(5)]", "5"),
        ("[string(createObject('a', 1))]", '{"a":1}'),
        ("[int('42')]", 42),
        ("[bool('true')]", True),
        ("[bool(0)]", False),
        ("[if(parameters('flag'), 'yes', 'no')]", "yes"),
        ("[if(equals(parameters('count'), 2), 'two', 'other')]", "other"),
        ("[equals('a', 'a')]", True),
        ("[not(parameters('flag'))]", False),
        ("[and(true(), parameters('flag'))]", True),
        ("[or(false(), false())]", False),
        ("[empty('')]", True),
        ("[empty(createObject())]", True),
        ("[length(createArray(1, 2, 3))]", 3),
        ("[length('four')]", 4),
        (
            "[union(createObject('a', 1, 'n', createObject('x', 1)), createObject('b', 2, 'n', createObject('y', 2)))]",
            {"a": 1, "b": 2, "n": {"x": 1, "y": 2}},
        ),
        ("[createObject('apiType', 'http').apiType]", "http"),
        ("[json('{\"a\": [1, 2]}').a[1]]", 2),
        ("[add(parameters('count'), 1)]", 4),
        ("[split('a/b', '/')[1]]", "b"),
        ("[resourceGroup().name]", "rg-apis"),
        ("[resourceGroup().location]", "westeurope"),
        ("[subscription().subscriptionId]", "sub-1"),
        (
            "[resourceId('Microsoft.ApiManagement/service/apis', parameters('service'), 'orders')]",
            "/subscriptions/sub-1/resourceGroups/rg-apis/providers/Microsoft.ApiManagement/service/Apim-Prod/apis/orders",
        ),
        (
            "[resourceId('other-rg', 'Microsoft.ApiManagement/service', 'a')]",
            "/subscriptions/sub-1/resourceGroups/other-rg/providers/Microsoft.ApiManagement/service/a",
        ),
        (
            "[resourceId('sub-2', 'other-rg', 'Microsoft.ApiManagement/service', 'a')]",
            "/subscriptions/sub-2/resourceGroups/other-rg/providers/Microsoft.ApiManagement/service/a",
        ),
        (
            "[subscriptionResourceId('Microsoft.Security/pricings', 'Api')]",
            "/subscriptions/sub-1/providers/Microsoft.Security/pricings/Api",
        ),
        (
            "[extensionResourceId(resourceId('Microsoft.ApiManagement/service/apis', 'a', 'b'),"
            " 'Microsoft.Security/apiCollections', 'b')]",
            "/subscriptions/sub-1/resourceGroups/rg-apis/providers/Microsoft.ApiManagement/service/a/apis/b"
            "/providers/Microsoft.Security/apiCollections/b",
        ),
        ("[concat('it''s', ' ok')]", "it's ok"),
    ],
)
def test_each_function_gives_what_arm_gives(expression: str, expected: Any) -> None:
    assert evaluate(expression, scope()) == expected


def test_a_double_bracket_is_a_literal_and_plain_strings_stay() -> None:
    assert evaluate("[[parameters('service')]", scope()) == "[parameters('service')]"
    assert evaluate("apim/orders", scope()) == "apim/orders"
    assert evaluate({"a": ["[parameters('count')]", 1]}, scope()) == {"a": [3, 1]}


@pytest.mark.parametrize(
    "expression",
    [
        "[reference('apim').gatewayUrl]",
        "[listKeys('sa', '2022-09-01').keys[0].value]",
        "[uniqueString(resourceGroup().id, reference('x').b)]",  # a seed known only at deployment
        "[substring('abc', 2, 5)]",  # ARM fails the deployment: out of range
        "[guid('a')]",
        "[parameters('missing')]",
        "[variables('missing')]",
        "[someFutureFunction('a')]",
        "[concat('a', reference('x').b)]",  # an unresolved argument makes the whole call unresolved
        "[copyIndex()]",  # outside a copy loop
        "[if(1, 'a', 'b')]",  # ARM would fail the deployment: not ours to pick a branch
        "[format('{0:D}', 1)]",  # .NET format specifiers are not reproduced
        "[concat('a']",  # does not parse
    ],
)
def test_what_cannot_be_known_is_unresolved(expression: str) -> None:
    assert isinstance(evaluate(expression, scope()), Unresolved)


def test_unique_string_of_a_known_seed_is_the_deployed_name() -> None:
    # resourceGroup().id is /subscriptions/sub-1/resourceGroups/rg-apis in scope(); the value is ARM's hash of it.
    name = evaluate("[concat('apim-', substring(uniqueString(resourceGroup().id), 0, 6))]", scope())
    assert name == "apim-" + unique_string("/subscriptions/sub-1/resourceGroups/rg-apis")[:6]
    assert evaluate("[uniqueString('fu', 'bar')]", scope()) == "q5wxoscxs5j6k"  # azapi's published value
    assert isinstance(evaluate("[uniqueString(resourceGroup().id)]", Scope(context={})), Unresolved)


def test_context_values_missing_are_unresolved_never_guessed() -> None:
    bare = Scope({}, {}, {})
    assert isinstance(evaluate("[resourceGroup().name]", bare), Unresolved)
    assert isinstance(evaluate("[subscription().subscriptionId]", bare), Unresolved)
    assert isinstance(evaluate("[resourceId('Microsoft.ApiManagement/service', 'a')]", bare), Unresolved)
    assert evaluate("[tenantResourceId('Microsoft.Management/managementGroups', 'mg')]", bare) == (
        "/providers/Microsoft.Management/managementGroups/mg"
    )


def test_if_picks_its_branch_even_when_the_other_is_unresolved() -> None:
    assert evaluate("[if(true(), 'kept', reference('x').y)]", scope()) == "kept"
    assert isinstance(evaluate("[if(reference('x').y, 'a', 'b')]", scope()), Unresolved)


def test_copy_index_inside_loops_with_names_and_offsets() -> None:
    inner = scope().with_copy("apis", 2).with_copy("ops", 5)
    assert evaluate("[copyIndex()]", inner) == 5
    assert evaluate("[copyIndex('apis')]", inner) == 2
    assert evaluate("[copyIndex('APIS', 10)]", inner) == 12
    assert evaluate("[copyIndex(1)]", inner) == 6


def test_variables_evaluate_once_with_copy_variables_and_property_copies() -> None:
    variables = {
        "prefix": "[toLower(parameters('service'))]",
        "name": "[concat(variables('prefix'), '-api')]",
        "copy": [{"name": "paths", "count": 2, "input": "[format('v{0}', copyIndex('paths', 1))]"}],
    }
    s = scope(variables=variables)
    assert evaluate("[variables('name')]", s) == "apim-prod-api"
    assert evaluate("[variables('paths')]", s) == ["v1", "v2"]
    copied = {"copy": [{"name": "items", "count": 2, "input": {"n": "[copyIndex('items')]"}}]}
    assert evaluate(copied, s) == {"items": [{"n": 0}, {"n": 1}]}


@pytest.mark.parametrize(
    ("variables", "name"),
    [
        ({"a": "[variables('a')]"}, "a"),
        ({"a": "[concat(variables('b'), 'x')]", "b": "[toLower(variables('a'))]"}, "a"),
    ],
)
def test_a_variable_that_reaches_itself_is_a_loop(variables: dict[str, Any], name: str) -> None:
    with pytest.raises(ExpressionLoop, match=f"variable '{name}' refers to itself"):
        evaluate("[variables('a')]", scope(variables=variables))


def test_a_copy_variable_over_arms_limit_is_unresolved() -> None:
    s = scope(variables={"copy": [{"name": "many", "count": 801, "input": "x"}]})
    assert evaluate("[variables('many')]", s) == Unresolved("copy count of 'many' is 801, over ARM's limit of 800")
