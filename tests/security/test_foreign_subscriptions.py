"""MONITOR_SUBSCRIPTIONS bounds what the monitor touches: an event about any other subscription is acknowledged with
a reason, and no ARM request (least of all an onboarding PUT) goes there."""

from __future__ import annotations

from tests.conftest import PROD, SUB_DEV, service_of

DEV_API = f"/subscriptions/{SUB_DEV}/resourceGroups/rg-dev/providers/Microsoft.ApiManagement/service/apim-dev/apis/x"
PROD_API = (
    f"/subscriptions/{PROD}/resourceGroups/rg-apis/providers/Microsoft.ApiManagement/service/apim-prod/apis/orders"
)


def test_event_outside_the_configured_subscriptions_is_ignored_without_a_request(arm, make_engine, event_for) -> None:
    outcome = make_engine(auto_onboard="on", subscriptions=PROD).handle_event(event_for(DEV_API))
    assert ("MONITOR_SUBSCRIPTIONS" in (outcome.ignored or ""), arm.requests) == (True, [])


def test_configured_subscription_matches_in_any_case(arm, make_engine, event_for) -> None:
    outcome = make_engine(subscriptions=PROD.upper()).handle_event(event_for(PROD_API))
    assert outcome.finding is not None


def test_replayed_batch_skips_foreign_events_too(arm, make_engine, event_for) -> None:
    outcomes = service_of(make_engine(subscriptions=PROD)).replay([event_for(DEV_API), event_for(PROD_API, "e-2")])
    assert [o.finding is not None for o in outcomes] == [False, True]
