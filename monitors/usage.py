"""A subscription's month of API traffic against its Defender for APIs sub-plan: one metrics read per APIM service
(``azure.metrics``), each kept for a day in a per-process cache, then priced by the plan table (``plans``).

A day is enough: the answer is a 30-day sum, so an hourly sweep would otherwise ask Azure Monitor the same question
24 times a day for a number that barely moves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from monitors.azure import metrics
from monitors.azure.clients import ArmClients
from monitors.errors import AzureError, CredentialError
from monitors.facts import TtlCache
from monitors.model import PlanFacts, ServiceFacts, ServiceRef
from monitors.plans import DEFAULT_SUB_PLAN, PlanTier, PlanUsage, assess, crosses_threshold

__all__ = ["USAGE_CACHE_SECONDS", "crosses_threshold", "current_sub_plan", "subscription_usage", "usage_cache"]

USAGE_CACHE_SECONDS = 86_400.0  # one day per service


def usage_cache() -> TtlCache[str, int]:
    """The per-process cache of each service's 30-day request count, keyed by lower-cased service id."""
    return TtlCache(USAGE_CACHE_SECONDS)


def current_sub_plan(plan: PlanFacts) -> str | None:
    """The sub-plan that bills the subscription: None when Defender for APIs is off, P1 (Microsoft's default) when it
    is on and ARM names none."""
    if not plan.enabled:
        return None
    return plan.sub_plan or DEFAULT_SUB_PLAN


def _reader(clients: ArmClients, ref: ServiceRef, now: dt.datetime) -> Callable[[], int]:
    """The cache's loader for one service, bound to it (a lambda in the loop would see only the last one)."""
    return lambda: metrics.monthly_requests(clients.apim(ref.subscription_id), ref, now=now)


def subscription_usage(
    clients: ArmClients,
    subscription_id: str,
    services: Sequence[ServiceFacts],
    plan: PlanFacts,
    plans: Sequence[PlanTier],
    cache: TtlCache[str, int],
    now: dt.datetime,
) -> PlanUsage | AzureError:
    """The subscription's traffic over the 30 days before ``now``, summed over its services (those of ``services``
    in another subscription are left out), priced on its current sub-plan and on the plan that fits.

    One metrics request per service not already in ``cache``. An ARM failure on any service is returned (it becomes
    an error finding for the subscription, never a partial sum); a credential failure is raised: no token at all is a
    platform failure to retry, not a finding.
    """
    ours = [s.ref for s in services if s.ref.subscription_id.lower() == subscription_id.lower()]
    try:
        total = sum(cache.get_or_load(ref.resource_id.lower(), _reader(clients, ref, now)) for ref in ours)
    except CredentialError:
        raise
    except AzureError as exc:
        return exc
    return assess(current_sub_plan(plan), total, plans)
