"""Loading and validating the estate JSON format, and the server's loopback-only binding."""

from __future__ import annotations

import json

import pytest

from emulator import EmulatorServer, Estate, load_estate


def _estate(api=None, **service):
    svc = {"resourceGroup": "rg", "name": "apim", "apis": [api or {"name": "a", "path": "a"}], **service}
    return {"subscriptions": [{"id": "sub1", "services": [svc]}]}


def _first_api(data):
    return Estate.from_dict(data).subscriptions[0].services[0].apis[0]


def test_api_defaults():
    api = _first_api(_estate({"name": "a", "path": "a"}))

    assert (api.api_type, api.is_current, api.api_revision, api.display_name, api.protocols) == (
        None,
        True,
        "1",
        "a",
        ("https",),
    )


def test_revision_defaults_to_the_number_in_the_name():
    assert _first_api(_estate({"name": "a;rev=3", "path": "a"})).api_revision == "3"


def test_missing_api_pricing_defaults_to_free():
    pricing = Estate.from_dict(_estate()).subscriptions[0].pricings["Api"]

    assert (pricing.tier, pricing.sub_plan) == ("Free", None)


def test_standard_pricing_defaults_sub_plan_to_p1():
    data = {"subscriptions": [{"id": "s", "pricings": {"Api": {"pricingTier": "Standard"}}}]}

    assert Estate.from_dict(data).subscriptions[0].pricings["Api"].sub_plan == "P1"


def test_consumption_capacity_is_zero():
    service = Estate.from_dict(_estate(sku="Consumption", capacity=3)).subscriptions[0].services[0]

    assert service.capacity == 0


def test_orphan_collection_is_allowed():
    service = Estate.from_dict(_estate(apiCollections=["gone"])).subscriptions[0].services[0]

    assert service.api_collections == ("gone",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param([], "estate $: expected a JSON object", id="root-not-object"),
        pytest.param(
            _estate({"path": "a"}), "subscriptions[0].services[0].apis[0].name: is required", id="no-api-name"
        ),
        pytest.param(_estate({"name": "a", "tpye": "soap"}), "apis[0]: unknown key(s) tpye", id="misspelt-key"),
        pytest.param(_estate({"name": "a", "type": "rest"}), "apis[0].type: expected one of http", id="bad-type"),
        pytest.param(
            _estate({"name": "a", "isCurrent": "yes"}), "apis[0].isCurrent: expected true or false", id="bool"
        ),
        pytest.param(_estate(sku="Gold"), "services[0].sku: expected one of", id="bad-sku"),
        pytest.param(_estate(name="9bad"), "services[0].name: '9bad' is not a valid name", id="bad-service-name"),
        pytest.param(
            _estate(gateways=[{"name": "g", "apis": ["missing"]}]),
            "gateways[0].apis[0]: API 'missing' is not defined",
            id="gateway-unknown-api",
        ),
        pytest.param(
            {"subscriptions": [{"id": "s", "services": [_estate()["subscriptions"][0]["services"][0]] * 2}]},
            "duplicate service 'rg/apim'",
            id="duplicate-service",
        ),
        pytest.param(
            _estate(apis=[{"name": "A"}, {"name": "a"}]),
            "duplicate API 'a'",
            id="duplicate-api-ignoring-case",
        ),
        pytest.param(
            _estate({"name": "a;rev=2", "apiRevision": "3"}),
            "apiRevision: '3' does not match",
            id="revision-mismatch",
        ),
    ],
)
def test_invalid_estate_names_the_json_path(data, message):
    with pytest.raises(ValueError, match="estate ") as caught:
        Estate.from_dict(data)

    assert message in str(caught.value)


def test_load_estate_reads_a_file(tmp_path):
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(_estate()), encoding="utf-8")

    assert load_estate(path).subscriptions[0].id == "sub1"


def test_load_estate_reports_invalid_json(tmp_path):
    path = tmp_path / "estate.json"
    path.write_text("{", encoding="utf-8")

    with pytest.raises(ValueError, match="not valid JSON"):
        load_estate(path)


@pytest.mark.parametrize("host", [pytest.param("0.0.0.0", id="any"), pytest.param("10.1.2.3", id="private")])
def test_server_refuses_non_loopback_hosts(host):
    with pytest.raises(ValueError, match="loopback"):
        EmulatorServer(Estate(), host=host)
