"""The Defender for APIs sub-plans as data, and what a month's traffic costs on each: which plan fits a subscription,
and the overage its current sub-plan will bill. Pure: no I/O, no clock.

Billing is per subscription: a sub-plan (P1..P5) includes a number of API calls a month for a monthly price, and every
call beyond them is billed as overage. The count resets at the start of each month. Subscriptions start on P1, which
"can lead to unexpected overages" (learn.microsoft.com/azure/defender-for-cloud/defender-for-apis-deploy). Money is
in US dollars, rounded to cents.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeGuard

from monitors.errors import SettingsError

SETTING = "MONITOR_PLAN_TABLE"  # the setting parse_plan_table reads (monitors/settings.py passes its value)
DEFAULT_SUB_PLAN = "P1"  # what a subscription gets when Defender for APIs is turned on without choosing


@dataclass(frozen=True)
class PlanTier:
    """One sub-plan: the calls a month it includes, its monthly price and the price of each call beyond them (USD)."""

    name: str
    included_calls: int
    monthly_price: float
    overage_per_call: float

    def overage_calls(self, calls: int) -> int:
        return max(0, calls - self.included_calls)

    def overage_cost(self, calls: int) -> Decimal:
        return self.overage_calls(calls) * _money(self.overage_per_call)

    def total_cost(self, calls: int) -> Decimal:
        """What a month of ``calls`` API calls costs on this plan: its price plus the overage (unrounded)."""
        return _money(self.monthly_price) + self.overage_cost(calls)


# Defender for APIs list prices in USD, as far as we could source them (2025). Microsoft's Learn pages give no dollar
# figures (defender-for-apis-deploy: "five pricing plans, each with a different entitlement limit and monthly fee") and
# point to https://azure.microsoft.com/pricing/details/defender-for-cloud/, which we could not read; verify there.
# - Included calls: Learn (P1's "one million API calls entitlement"; the 2023 defender-for-apis-entitlement-plans page)
#   and a third-party cost estimator (Meezan Khan, "Defender for APIs Hourly Cost Estimator", 2025-03) for P2..P5.
# - P1..P4 price and overage: the Azure portal's "Plan selection" panel as transcribed in a Microsoft Partner Skilling
#   Hub lab (third-party copy): "Plan 1 - $200/month - 1 million API calls, Overages: $0.0002/API call", Plan 2 $700 /
#   5M / $0.00014, Plan 3 $5,000 / 50M / $0.0001, Plan 4 $7,000 / 100M / $0.00007. Microsoft's AZ-500 lab text
#   confirms "$200/month ... Plan 1".
# - P5 is NOT confirmed: its $50,000 is derived from the estimator's hourly rates (P5 = 250 x P1, and P2..P4 match
#   the panel's prices by the same ratios); its overage $0.00005 is price / included calls, as in every other row.
# Regions, currencies and agreements differ; MONITOR_PLAN_TABLE replaces this table.
DEFAULT_PLANS: tuple[PlanTier, ...] = (
    PlanTier("P1", 1_000_000, 200.0, 0.0002),
    PlanTier("P2", 5_000_000, 700.0, 0.00014),
    PlanTier("P3", 50_000_000, 5000.0, 0.0001),
    PlanTier("P4", 100_000_000, 7000.0, 0.00007),
    PlanTier("P5", 1_000_000_000, 50000.0, 0.00005),
)

_ENTRY = re.compile(r"([A-Za-z0-9]{1,20})=(\d{1,15}):(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)")
_FORMAT = "NAME=CALLS:PRICE:OVERAGE, comma-separated (e.g. P1=1000000:200:0.0002,P2=5000000:700:0.00014)"


def parse_plan_table(text: str) -> tuple[PlanTier, ...]:
    """A whole plan table from the setting's text: ``NAME=CALLS:PRICE:OVERAGE`` entries, comma-separated, where CALLS
    is the calls included a month (a whole number), PRICE the monthly price and OVERAGE the price of each further call,
    in USD. The table replaces the default one entirely. A malformed entry, a repeated name (case-insensitive) or an
    empty table raises SettingsError naming the setting and the entry."""
    entries = [part.strip() for part in text.split(",") if part.strip()]
    if not entries:
        raise SettingsError(f"{SETTING} is set but empty: unset it for the default table, or give {_FORMAT}")
    table: dict[str, PlanTier] = {}
    for entry in entries:
        match = _ENTRY.fullmatch(entry.replace(" ", ""))
        if match is None:
            raise SettingsError(f"{SETTING}: {entry[:60]!r} is not {_FORMAT}")
        name, calls, price, overage = match.groups()
        if name.upper() in table:
            raise SettingsError(f"{SETTING}: plan {name[:20]!r} is given twice")
        if int(calls) < 1:
            raise SettingsError(f"{SETTING}: {entry[:60]!r} includes no calls; expected CALLS >= 1")
        table[name.upper()] = PlanTier(name.upper(), int(calls), float(price), float(overage))
    return tuple(table.values())


@dataclass(frozen=True)
class PlanUsage:
    """A subscription's month of API traffic against its Defender for APIs sub-plan.

    ``sub_plan`` is the current sub-plan as ARM names it; None when no Defender for APIs plan is in force. The fields
    about the current plan (``included_calls`` ... ``monthly_saving``) are None when there is none, or when its name is
    not in the plan table. ``fitting_plan`` is always known. Money is USD, rounded to cents.
    """

    sub_plan: str | None
    monthly_calls: int
    fitting_plan: str
    fitting_total_cost: float
    included_calls: int | None = None
    share_of_included: float | None = None  # monthly_calls / included_calls, 1.0 = all included calls used
    forecast_overage_calls: int | None = None
    forecast_overage_cost: float | None = None
    forecast_total_cost: float | None = None
    monthly_saving: float | None = None  # forecast_total_cost - fitting_total_cost: 0 when the current plan fits

    @property
    def fits(self) -> bool | None:
        """True when the current sub-plan is the cheapest for this traffic; None when there is no known current plan."""
        if self.forecast_total_cost is None or self.sub_plan is None:
            return None
        return self.sub_plan.upper() == self.fitting_plan.upper()

    def to_dict(self) -> dict[str, object]:
        """The JSON form: every field under its own name; a field that is not known is left out."""
        return {name: value for name, value in vars(self).items() if value is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> PlanUsage | None:
        """Inverse of ``to_dict``; None when a field every usage has is missing or of the wrong type. An optional
        field of the wrong type is left out, never guessed."""
        calls, plan, cost = data.get("monthly_calls"), data.get("fitting_plan"), _number(data, "fitting_total_cost")
        if not _is_count(calls) or not isinstance(plan, str) or cost is None:
            return None
        sub_plan = data.get("sub_plan")
        return cls(
            sub_plan=sub_plan if isinstance(sub_plan, str) else None,
            monthly_calls=calls,
            fitting_plan=plan,
            fitting_total_cost=cost,
            included_calls=_count(data, "included_calls"),
            share_of_included=_number(data, "share_of_included"),
            forecast_overage_calls=_count(data, "forecast_overage_calls"),
            forecast_overage_cost=_number(data, "forecast_overage_cost"),
            forecast_total_cost=_number(data, "forecast_total_cost"),
            monthly_saving=_number(data, "monthly_saving"),
        )


def find_plan(name: str | None, plans: Sequence[PlanTier]) -> PlanTier | None:
    """The table's row for a sub-plan name (case-insensitive), or None."""
    if name is None:
        return None
    return next((plan for plan in plans if plan.name.upper() == name.upper()), None)


def fitting_plan(monthly_calls: int, plans: Sequence[PlanTier]) -> PlanTier:
    """The plan whose total cost (monthly price + overage) is lowest for this traffic; on a tie, the one with fewer
    included calls. This is the cheapest plan, not the smallest plan that includes every call: 3 million calls cost
    $600 on P1 (1M included, 2M overage) and $700 on P2 (5M included), so P1 fits."""
    if not plans:
        raise ValueError("the plan table is empty")
    return min(plans, key=lambda plan: (plan.total_cost(monthly_calls), plan.included_calls))


def assess(sub_plan: str | None, monthly_calls: int, plans: Sequence[PlanTier]) -> PlanUsage:
    """What ``monthly_calls`` API calls in a month cost on the current ``sub_plan`` and on the plan that fits.

    "Fits" means cheapest total (see ``fitting_plan``). ``sub_plan`` None (no plan in force) or a name the table does
    not list gives a usage with only the traffic and the fitting plan.
    """
    if monthly_calls < 0:
        raise ValueError(f"monthly calls cannot be negative: {monthly_calls}")
    best = fitting_plan(monthly_calls, plans)
    best_cost = best.total_cost(monthly_calls)
    usage = PlanUsage(sub_plan, monthly_calls, best.name, _cents(best_cost))
    current = find_plan(sub_plan, plans)
    if current is None:
        return usage
    total = current.total_cost(monthly_calls)
    return PlanUsage(
        sub_plan=current.name,
        monthly_calls=monthly_calls,
        fitting_plan=best.name,
        fitting_total_cost=_cents(best_cost),
        included_calls=current.included_calls,
        share_of_included=round(monthly_calls / current.included_calls, 4),
        forecast_overage_calls=current.overage_calls(monthly_calls),
        forecast_overage_cost=_cents(current.overage_cost(monthly_calls)),
        forecast_total_cost=_cents(total),
        monthly_saving=_cents(total - best_cost),
    )


def crosses_threshold(usage: PlanUsage, share: float) -> bool:
    """True when the traffic has reached ``share`` of the current plan's included calls (0.8: 80 %); never without a
    known current plan. Pure, so that the rules and transitions may ask it."""
    # From the counts, not the rounded share: 799,995 of 1,000,000 calls has not reached 0.8.
    return usage.included_calls is not None and usage.monthly_calls >= share * usage.included_calls


def _money(value: float) -> Decimal:
    """A price as the decimal it was written as (0.0002, not 0.000200000000000000009...)."""
    return Decimal(repr(value))


def _cents(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _count(data: Mapping[str, object], name: str) -> int | None:
    value = data.get(name)
    return value if _is_count(value) else None


def _number(data: Mapping[str, object], name: str) -> float | None:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
