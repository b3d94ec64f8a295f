"""The Defender for APIs plan table and what a month's traffic costs on it (monitors/plans.py), and its three settings.

Pure: synthetic traffic against every current sub-plan. Expected figures are worked out by hand from the table
(price + calls beyond the included ones x overage per call), not recomputed by the code under test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitors.errors import SettingsError
from monitors.plans import (
    DEFAULT_PLANS,
    PlanTier,
    PlanUsage,
    assess,
    crosses_threshold,
    fitting_plan,
    parse_plan_table,
)
from monitors.settings import Settings, load_settings
from tests.test_architecture import imported_modules

M = 1_000_000
TRAFFIC = [M // 2, M, 3 * M, 20 * M, 80 * M, 400 * M, 2_000 * M]

# The cheapest plan for each traffic, whatever the current one, and its total: 3M calls cost $600 on P1 and $700 on
# P2; 80M cost $8,000 on P3 and $7,000 on P4; 400M cost $28,000 on P4 and $50,000 on P5; 2B cost $140,000 on P4.
FITTING = {
    M // 2: ("P1", 200.0),
    M: ("P1", 200.0),
    3 * M: ("P1", 600.0),
    20 * M: ("P2", 2800.0),
    80 * M: ("P4", 7000.0),
    400 * M: ("P4", 28000.0),
    2_000 * M: ("P5", 100000.0),
}
# Overage of each current sub-plan for each traffic, in dollars.
OVERAGE = {
    "P1": [0.0, 0.0, 400.0, 3800.0, 15800.0, 79800.0, 399800.0],
    "P2": [0.0, 0.0, 0.0, 2100.0, 10500.0, 55300.0, 279300.0],
    "P3": [0.0, 0.0, 0.0, 0.0, 3000.0, 35000.0, 195000.0],
    "P4": [0.0, 0.0, 0.0, 0.0, 0.0, 21000.0, 133000.0],
    "P5": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 50000.0],
}
PRICE = {"P1": 200.0, "P2": 700.0, "P3": 5000.0, "P4": 7000.0, "P5": 50000.0}
INCLUDED = {"P1": M, "P2": 5 * M, "P3": 50 * M, "P4": 100 * M, "P5": 1_000 * M}
CASES = [
    pytest.param(plan, calls, overage, id=f"{plan}-{calls // 1000}k")
    for plan, overages in OVERAGE.items()
    for calls, overage in zip(TRAFFIC, overages, strict=True)
]


def test_the_default_table_is_the_published_one() -> None:
    assert [(p.name, p.included_calls, p.monthly_price, p.overage_per_call) for p in DEFAULT_PLANS] == [
        ("P1", 1_000_000, 200.0, 0.0002),
        ("P2", 5_000_000, 700.0, 0.00014),
        ("P3", 50_000_000, 5000.0, 0.0001),
        ("P4", 100_000_000, 7000.0, 0.00007),
        ("P5", 1_000_000_000, 50000.0, 0.00005),
    ]


@pytest.mark.parametrize(("plan", "calls", "overage"), CASES)
def test_overage_fit_and_saving_of_each_sub_plan(plan: str, calls: int, overage: float) -> None:
    usage = assess(plan, calls, DEFAULT_PLANS)
    fitting, fitting_cost = FITTING[calls]
    assert usage == PlanUsage(
        sub_plan=plan,
        monthly_calls=calls,
        fitting_plan=fitting,
        fitting_total_cost=fitting_cost,
        included_calls=INCLUDED[plan],
        share_of_included=round(calls / INCLUDED[plan], 4),
        forecast_overage_calls=max(0, calls - INCLUDED[plan]),
        forecast_overage_cost=overage,
        forecast_total_cost=PRICE[plan] + overage,
        monthly_saving=PRICE[plan] + overage - fitting_cost,
    )
    assert usage.fits is (plan == fitting)


def test_twenty_million_calls_on_p1_cost_4000_and_p2_saves_1200() -> None:
    usage = assess("P1", 20 * M, DEFAULT_PLANS)
    assert (usage.forecast_overage_calls, usage.forecast_total_cost, usage.fitting_plan, usage.monthly_saving) == (
        19 * M,
        4000.0,
        "P2",
        1200.0,
    )


def test_fit_means_cheapest_total_not_smallest_plan_that_includes_every_call() -> None:
    # P1 and P2 cost the same $700 at 3.5M calls: the tie goes to the plan with fewer included calls; one call more
    # and P2 is cheaper.
    assert (fitting_plan(3_500_000, DEFAULT_PLANS).name, fitting_plan(3_500_001, DEFAULT_PLANS).name) == ("P1", "P2")
    assert assess("P1", 3 * M, DEFAULT_PLANS).fitting_plan == "P1"  # 3M > P1's 1M included, still cheapest


def test_no_traffic_fits_the_cheapest_plan() -> None:
    assert assess("P3", 0, DEFAULT_PLANS).fitting_plan == "P1"


@pytest.mark.parametrize("sub_plan", [None, "P9"], ids=["no-plan", "unknown"])
def test_without_a_known_current_plan_only_traffic_and_fit_are_reported(sub_plan: str | None) -> None:
    usage = assess(sub_plan, 20 * M, DEFAULT_PLANS)
    assert usage == PlanUsage(sub_plan, 20 * M, "P2", 2800.0)
    assert (usage.fits, usage.to_dict()) == (
        None,
        {"monthly_calls": 20 * M, "fitting_plan": "P2", "fitting_total_cost": 2800.0}
        | ({"sub_plan": sub_plan} if sub_plan else {}),
    )


def test_sub_plan_names_compare_case_insensitively() -> None:
    assert assess("p2", 20 * M, DEFAULT_PLANS).sub_plan == "P2"


def test_money_is_rounded_half_up_to_cents() -> None:
    table = (PlanTier("A", 1, 0.0, 0.125),)
    usage = assess("A", 2, table)
    assert (usage.forecast_overage_cost, usage.forecast_total_cost) == (0.13, 0.13)


@pytest.mark.parametrize(
    ("calls", "share", "crossed"),
    [
        pytest.param(800_000, 0.8, True, id="at-share"),
        pytest.param(799_999, 0.8, False, id="below"),
        pytest.param(799_995, 0.8, False, id="rounds-to-share-but-below"),
        pytest.param(1_500_000, 1.5, True, id="above-included"),
        pytest.param(1_499_999, 1.5, False, id="below-above-included"),
    ],
)
def test_the_alert_threshold_is_a_share_of_the_included_calls(calls: int, share: float, crossed: bool) -> None:
    assert crosses_threshold(assess("P1", calls, DEFAULT_PLANS), share) is crossed


def test_no_threshold_is_crossed_without_a_current_plan() -> None:
    assert crosses_threshold(assess(None, 10 * M, DEFAULT_PLANS), 0.1) is False


def test_impossible_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        assess("P1", -1, DEFAULT_PLANS)
    with pytest.raises(ValueError, match="empty"):
        assess("P1", 1, ())


# --- The JSON form -----------------------------------------------------------------------------------------------


def test_to_dict_and_from_dict_round_trip() -> None:
    usage = assess("P1", 20 * M, DEFAULT_PLANS)
    assert usage.to_dict() == {
        "sub_plan": "P1",
        "monthly_calls": 20 * M,
        "fitting_plan": "P2",
        "fitting_total_cost": 2800.0,
        "included_calls": M,
        "share_of_included": 20.0,
        "forecast_overage_calls": 19 * M,
        "forecast_overage_cost": 3800.0,
        "forecast_total_cost": 4000.0,
        "monthly_saving": 1200.0,
    }
    assert PlanUsage.from_dict(usage.to_dict()) == usage


def test_from_dict_leaves_out_a_wrongly_typed_optional_field() -> None:
    data = assess("P1", 20 * M, DEFAULT_PLANS).to_dict() | {"included_calls": "lots", "monthly_saving": True}
    usage = PlanUsage.from_dict(data)
    assert usage is not None and (usage.included_calls, usage.monthly_saving) == (None, None)


@pytest.mark.parametrize(
    "broken",
    [{"monthly_calls": None}, {"monthly_calls": -1}, {"fitting_plan": 2}, {"fitting_total_cost": "2800"}],
    ids=["no-calls", "negative-calls", "plan-not-text", "cost-not-number"],
)
def test_from_dict_without_the_fields_every_usage_has_is_none(broken: dict[str, object]) -> None:
    assert PlanUsage.from_dict(assess("P1", M, DEFAULT_PLANS).to_dict() | broken) is None


# --- The plan table setting --------------------------------------------------------------------------------------


def test_a_plan_table_is_parsed_whole() -> None:
    assert parse_plan_table(" p1=1000000:200:0.0002 , P2 = 5000000 : 700.50 : 0.00014,") == (
        PlanTier("P1", 1_000_000, 200.0, 0.0002),
        PlanTier("P2", 5_000_000, 700.5, 0.00014),
    )


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(" , ", id="empty"),
        pytest.param("P1", id="name-only"),
        pytest.param("P1=1000000:200", id="two-numbers"),
        pytest.param("P1=1M:200:0.0002", id="suffix"),
        pytest.param("P1=0:200:0.0002", id="no-calls"),
        pytest.param("P1=1000000:-200:0.0002", id="negative"),
        pytest.param("P1=1000000:200:1e-4", id="exponent"),
        pytest.param("P1=1000000:200:nan", id="nan"),
        pytest.param("P1=1000000:200:0.0002,p1=2000000:300:0.0001", id="repeated"),
        pytest.param("P/1=1000000:200:0.0002", id="bad-name"),
    ],
)
def test_a_bad_plan_table_fails_with_one_line_naming_the_setting(text: str) -> None:
    with pytest.raises(SettingsError) as raised:
        parse_plan_table(text)
    message = str(raised.value)
    assert message.startswith("MONITOR_PLAN_TABLE") and "\n" not in message


def test_the_plan_settings_default_to_the_table_80_percent_and_on() -> None:
    s = load_settings({})
    assert (s.plan_table, s.plan_alert_share, s.plan_usage) == (DEFAULT_PLANS, 0.8, True)
    assert (Settings().plan_table, Settings().plan_alert_share, Settings().plan_usage) == (DEFAULT_PLANS, 0.8, True)


def test_the_plan_settings_are_read() -> None:
    s = load_settings(
        {"MONITOR_PLAN_TABLE": "X=10:1:0.5", "MONITOR_PLAN_ALERT_SHARE": "10", "MONITOR_PLAN_USAGE": "OFF"}
    )
    assert (s.plan_table, s.plan_alert_share, s.plan_usage) == ((PlanTier("X", 10, 1.0, 0.5),), 10.0, False)


# --- plans.py is pure core (tests/test_architecture.py checks no I/O and no clock, as for every core module) -------


def test_plans_needs_nothing_of_the_monitor_but_its_errors_and_model() -> None:
    imports = imported_modules(Path(__file__).resolve().parent.parent / "monitors" / "plans.py")
    assert {n for n in imports if n.startswith("monitors")} <= {"monitors.errors", "monitors.model"}
