"""The custom roles hold exactly the ARM actions the code performs: the real engine runs a representative workload
against the local ARM emulator, every recorded request is mapped (method + path) to the ARM action that authorises
it, and the union must equal the actions of the reader, onboarding, offboarding and exemption roles in
infra/modules/roles.bicep.

When the code starts calling something new, the mapping below fails with the request to add; when it stops calling
something, the role keeps an action no request needs and the equality fails. Actions the code has but the workload
cannot reach go in ``UNREACHED_BY_WORKLOAD`` with the reason, and a test checks they stay unreached.
"""

from __future__ import annotations

import re
import time

import pytest

from emulator.config import LroMode
from monitors.approval import ApprovalRequest, Approvals
from monitors.approval_token import ApprovalToken, Decision, fingerprint, sign
from monitors.inventory import list_subscriptions, take_inventory
from monitors.model import ApiRef
from monitors.state.sqlite import SqliteStateStore
from tests.conftest import PROD, SUB_DEV, scan, service_of
from tests.infra.bicep import INFRA, module, render, resource, template, variable

ROLES = "modules/roles.bicep"
SUB = "/subscriptions/{sub}"
SVC = SUB + "/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{svc}"
COLLECTIONS = "/providers/Microsoft.Security/apiCollections"

# (HTTP method, ARM path template, the action ARM authorises it with). Actions follow ARM's rule: the resource type
# path with /read for GET and HEAD (list or get), /write for PUT, /delete for DELETE, and for POST the operation
# named by the provider (Resource Graph documents its query as Microsoft.ResourceGraph/resources/read).
ACTIONS_BY_REQUEST = [
    ("GET", "/subscriptions", "Microsoft.Resources/subscriptions/read"),
    ("GET", SUB, "Microsoft.Resources/subscriptions/read"),
    ("POST", "/providers/Microsoft.ResourceGraph/resources", "Microsoft.ResourceGraph/resources/read"),
    ("GET", SUB + "/providers/Microsoft.ApiManagement/service", "Microsoft.ApiManagement/service/read"),
    (
        "GET",
        SUB + "/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service",
        "Microsoft.ApiManagement/service/read",
    ),
    ("GET", SVC, "Microsoft.ApiManagement/service/read"),
    ("GET", SVC + "/apis", "Microsoft.ApiManagement/service/apis/read"),
    ("GET", SVC + "/apis/{api}", "Microsoft.ApiManagement/service/apis/read"),
    ("GET", SVC + "/workspaces", "Microsoft.ApiManagement/service/workspaces/read"),
    ("GET", SVC + "/workspaces/{ws}", "Microsoft.ApiManagement/service/workspaces/read"),
    ("GET", SVC + "/workspaces/{ws}/apis", "Microsoft.ApiManagement/service/workspaces/apis/read"),
    ("GET", SVC + "/workspaces/{ws}/apis/{api}", "Microsoft.ApiManagement/service/workspaces/apis/read"),
    ("GET", SVC + "/gateways", "Microsoft.ApiManagement/service/gateways/read"),
    ("GET", SVC + "/gateways/{gw}", "Microsoft.ApiManagement/service/gateways/read"),
    ("GET", SVC + "/gateways/{gw}/apis", "Microsoft.ApiManagement/service/gateways/apis/read"),
    ("HEAD", SVC + "/gateways/{gw}/apis/{api}", "Microsoft.ApiManagement/service/gateways/apis/read"),
    ("GET", SUB + COLLECTIONS, "Microsoft.Security/apiCollections/read"),
    ("GET", SUB + "/resourceGroups/{rg}" + COLLECTIONS, "Microsoft.Security/apiCollections/read"),
    ("GET", SVC + COLLECTIONS, "Microsoft.Security/apiCollections/read"),
    ("GET", SVC + COLLECTIONS + "/{api}", "Microsoft.Security/apiCollections/read"),
    ("PUT", SVC + COLLECTIONS + "/{api}", "Microsoft.Security/apiCollections/write"),
    ("DELETE", SVC + COLLECTIONS + "/{api}", "Microsoft.Security/apiCollections/delete"),
    ("GET", SUB + "/providers/Microsoft.Security/pricings", "Microsoft.Security/pricings/read"),
    ("GET", SUB + "/providers/Microsoft.Security/pricings/{name}", "Microsoft.Security/pricings/read"),
    ("GET", SUB + "/providers/Microsoft.Insights/metrics", "Microsoft.Insights/metrics/read"),
    ("GET", SVC + "/providers/Microsoft.Insights/metrics", "Microsoft.Insights/metrics/read"),
    ("PATCH", SVC + "/providers/Microsoft.Resources/tags/default", "Microsoft.Resources/tags/write"),
]

# Actions of code paths the emulator workload below does not reach, with the reason. Keep it empty when it can be.
UNREACHED_BY_WORKLOAD: dict[str, str] = {}

# With resource-group scopes, these reads must still be granted at the subscription (see roles.bicep).
SUBSCRIPTION_LEVEL_ACTIONS = {
    "Microsoft.Security/pricings/read",  # GET /subscriptions/{id}/providers/Microsoft.Security/pricings
    "Microsoft.Resources/subscriptions/read",  # GET /subscriptions when MONITOR_SUBSCRIPTIONS is empty
    "Microsoft.ResourceGraph/resources/read",  # POST /providers/Microsoft.ResourceGraph/resources (tenant level)
    "Microsoft.Insights/metrics/read",  # GET /subscriptions/{id}/providers/Microsoft.Insights/metrics (per region)
}


def _pattern(template_path: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template_path)), re.IGNORECASE)


_COMPILED = [(method, _pattern(path), action) for method, path, action in ACTIONS_BY_REQUEST]


def action_of(method: str, path: str) -> str | None:
    """The ARM action that authorises one request, or None when the table has no row for it."""
    return next((a for m, pattern, a in _COMPILED if m == method and pattern.fullmatch(path)), None)


def role_actions(symbol: str) -> set[str]:
    permissions = resource(ROLES, symbol)["properties"]["permissions"]
    return {action for permission in permissions for action in permission["actions"]}


WRITE_ROLES = ("onboardRole", "offboardRole", "exemptionRole")


def granted_actions() -> set[str]:
    return role_actions("readerRole").union(*(role_actions(symbol) for symbol in WRITE_ROLES))


@pytest.fixture
def requests_made(arm, make_engine):
    """Every ARM request of a representative workload, as "METHOD path"."""
    reader = make_engine(self_hosted="skip")
    scan(reader, PROD)  # services, APIs, workspaces (Premium), gateways and their APIs, collections, plan
    scan(reader, SUB_DEV)
    reader.check_api(ApiRef(PROD, "rg-apis", "apim-prod", "echo-api"))  # compliant: the collection read
    reader.check_api(ApiRef(PROD, "rg-apis", "apim-prod", "orders"))  # noncompliant: API, service, plan reads
    reader.check_api(ApiRef(PROD, "rg-apis", "apim-prod", "ws-api", "ws1"))  # a workspace API
    sweep = take_inventory(reader.clients, list_subscriptions(reader.clients), use_graph=True)  # the timer's job
    service_of(reader).sweep(sweep)  # the queue worker's job, without the queue
    arm.set_lro_mode(LroMode.CREATED)  # 201 + Location, then polling: Defender's usual answer
    make_engine(auto_onboard="on").check_api(ApiRef(PROD, "rg-apis", "apim-prod", "orders"))
    scan(make_engine(auto_offboard_orphans="on"), PROD)  # apim-prod has an orphan collection, "ghost"
    _exempt_from_an_approval_link(make_engine)  # writes the exemption tag on apim-prod
    return sorted({f"{r.method} {r.path}" for r in arm.requests})


def _exempt_from_an_approval_link(make_engine) -> None:
    """The Approve function's Exempt, decided by the loopback-only local user."""
    key = "k" * 40
    engine = make_engine(
        auto_onboard="approve",
        approval_url="http://127.0.0.1:7071/api/approve",
        approval_key=key,
        approval_local_user="roles-test",
    )
    ref = ApiRef(PROD, "rg-apis", "apim-prod", "billing")  # "orders" was onboarded above
    expires = int(time.time()) + 3600
    token = ApprovalToken(Decision.EXEMPT, ref.resource_id, expires, "roles", fingerprint(engine.assess_api(ref)), 1)
    store = SqliteStateStore(":memory:")
    approvals = Approvals(engine.settings, engine, store, announce=lambda findings: None, enqueue=None)
    page = approvals.handle(ApprovalRequest("POST", "http://127.0.0.1:7071/api/approve", sign(token, key.encode())))
    store.close()
    assert page.page.status == 200, page.page.html


def test_every_request_of_the_workload_maps_to_an_arm_action(requests_made):
    unmapped = [request for request in requests_made if action_of(*request.split(" ", 1)) is None]
    assert unmapped == [], "add a row to ACTIONS_BY_REQUEST (and the action to a role in infra/modules/roles.bicep)"


def test_the_roles_grant_exactly_the_actions_the_code_performs(requests_made):
    performed = {action_of(*request.split(" ", 1)) for request in requests_made}
    assert granted_actions() == performed | set(UNREACHED_BY_WORKLOAD)


def test_the_workload_onboards_and_offboards(requests_made):
    methods = {request.split(" ", 1)[0] for request in requests_made}
    assert {"PUT", "DELETE", "POST"} <= methods


def test_unreached_actions_are_really_unreached(requests_made):
    performed = {action_of(*request.split(" ", 1)) for request in requests_made}
    assert performed & set(UNREACHED_BY_WORKLOAD) == set(), "the workload reaches them now: drop them from the list"


def test_reader_role_holds_only_reads():
    assert {a for a in role_actions("readerRole") if not a.endswith("/read")} == set()


def test_reader_role_actions():
    assert role_actions("readerRole") == {
        "Microsoft.ApiManagement/service/read",
        "Microsoft.ApiManagement/service/apis/read",
        "Microsoft.ApiManagement/service/workspaces/read",
        "Microsoft.ApiManagement/service/workspaces/apis/read",
        "Microsoft.ApiManagement/service/gateways/read",
        "Microsoft.ApiManagement/service/gateways/apis/read",
        "Microsoft.Security/apiCollections/read",
        "Microsoft.Security/pricings/read",
        "Microsoft.ResourceGraph/resources/read",
        "Microsoft.Resources/subscriptions/read",
        "Microsoft.Insights/metrics/read",
    }


@pytest.mark.parametrize(
    ("symbol", "actions"),
    [
        pytest.param("onboardRole", {"Microsoft.Security/apiCollections/write"}, id="onboarding"),
        pytest.param("offboardRole", {"Microsoft.Security/apiCollections/delete"}, id="offboarding"),
        pytest.param("exemptionRole", {"Microsoft.Resources/tags/write"}, id="exemption"),
        pytest.param("subscriptionReaderRole", SUBSCRIPTION_LEVEL_ACTIONS, id="subscription-reads"),
    ],
)
def test_separate_roles_hold_only_their_actions(symbol, actions):
    assert role_actions(symbol) == actions


@pytest.mark.parametrize("symbol", ["readerRole", *WRITE_ROLES, "subscriptionReaderRole"])
def test_custom_roles_have_no_not_or_data_actions_and_stay_in_the_subscription(symbol):
    properties = resource(ROLES, symbol)["properties"]
    (permission,) = properties["permissions"]
    assert (
        properties["type"],
        permission["notActions"] + permission["dataActions"] + permission["notDataActions"],
        [render(scope) for scope in properties["assignableScopes"]],
    ) == ("CustomRole", [], ["subscription().id"])


@pytest.mark.parametrize("symbol", ["readerRole", *WRITE_ROLES, "subscriptionReaderRole"])
def test_custom_roles_are_guid_named_and_unique_per_subscription(symbol):
    config = resource(ROLES, symbol)
    name = render(variable(ROLES, config["name"]))
    assert (name.startswith("guid(subscription().id, "), config["properties"]["roleName"].endswith("${suffix}")) == (
        True,
        True,
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("grantOnboarding", "autoOnboard == on || autoOnboard == approve", id="onboarding"),
        pytest.param("grantExemption", "autoOnboard == approve", id="exemption"),
        pytest.param("grantOffboarding", "autoOffboardOrphans == on", id="offboarding"),
        pytest.param("atSubscription", "empty(resourceGroupNames)", id="scope"),
    ],
)
def test_grant_switches(name, expected):
    assert render(variable(ROLES, name)) == expected


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [
        pytest.param("onboardRole", "grantOnboarding", id="onboarding-role"),
        pytest.param("offboardRole", "grantOffboarding", id="offboarding-role"),
        pytest.param("exemptionRole", "grantExemption", id="exemption-role"),
        pytest.param("subscriptionReaderRole", "!atSubscription", id="subscription-reader-role"),
        pytest.param("readerAssignment", "atSubscription", id="reader-at-subscription"),
        pytest.param("onboardAssignment", "atSubscription && grantOnboarding", id="onboarding-at-subscription"),
        pytest.param("offboardAssignment", "atSubscription && grantOffboarding", id="offboarding-at-subscription"),
        pytest.param("exemptionAssignment", "atSubscription && grantExemption", id="exemption-at-subscription"),
        pytest.param("subscriptionReaderAssignment", "!atSubscription", id="subscription-reader-with-groups"),
    ],
)
def test_write_roles_and_their_assignments_are_conditional(symbol, expected):
    element = template(ROLES)["resources"][symbol]
    assert render(element["config"]["condition"]) == expected


def test_resource_group_assignments_add_write_roles_only_when_granted():
    role_ids = render(module(ROLES, "resourceGroupAssignments")["params"]["roleDefinitionIds"])
    assert role_ids == (
        "concat([readerRoleId], grantOnboarding ? [onboardRoleId] : [], grantOffboarding ? [offboardRoleId] : [],"
        " grantExemption ? [exemptionRoleId] : [])"
    )


def test_resource_group_assignments_loop_over_the_listed_groups():
    element = template(ROLES)["modules"]["resourceGroupAssignments"]
    loop = element["config"]["loop_type"]["detail"]
    assert (loop["array_name"], render(module(ROLES, "resourceGroupAssignments")["scope"])) == (
        "resourceGroupNames",
        "resourceGroup(name)",
    )


def test_the_subscription_entry_forwards_both_modes_to_the_roles():
    params = module("subscription.bicep", "roles")["params"]
    assert (params["autoOnboard"], params["autoOffboardOrphans"], params["resourceGroupNames"]) == (
        "autoOnboard",
        "autoOffboardOrphans",
        "resourceGroupNames",
    )


@pytest.mark.parametrize("action", sorted(granted_actions()))
def test_readme_section_explains_every_action(action):
    assert f"`{action}`" in (INFRA.parent / "README.md").read_text(encoding="utf-8")


def test_the_exemption_role_is_assigned_where_the_others_are():
    assignment = resource(ROLES, "exemptionAssignment")
    groups = module(ROLES, "resourceGroupAssignments")
    assert (
        render(assignment["name"]),
        assignment["properties"]["roleDefinitionId"],
        "exemptionRole" in groups["dependsOn"],
    ) == ("guid(subscription().id, principalId, exemptionRoleId)", "exemptionRoleId", True)


@pytest.mark.parametrize("relative", ["app.bicep", "main.bicep", "subscription.bicep", ROLES])
def test_every_template_takes_approve_as_an_onboarding_mode(relative):
    allowed = next(
        d["argument"] for d in template(relative)["parameters"]["autoOnboard"]["decorators"] if d["type"] == "allowed"
    )
    assert allowed == ["off", "dry-run", "on", "approve"]
