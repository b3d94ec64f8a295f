"""A subscription's month of API traffic against its Defender for APIs sub-plan: one metrics read per region of its
APIM services (``azure.metrics``, Azure Monitor's multi-resource query), each kept for a day in a per-process cache,
then priced by the plan table (``plans``).

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
from monitors.model import PlanFacts, ServiceFacts, ServiceRef, normalize_region
from monitors.plans import DEFAULT_SUB_PLAN, PlanTier, PlanUsage, assess

REGION_TOP = 1000  # APIM services of one subscription in one region that one metrics request returns
USAGE_CACHE_SECONDS = 86_400.0  # one day per subscription and region


def usage_cache() -> TtlCache[str, dict[str, int]]:
    """The per-process cache of 30-day request counts: per ``{subscription id}/{region code}`` (lower-cased), each
    service's count keyed by lower-cased service id."""
    return TtlCache(USAGE_CACHE_SECONDS)


def current_sub_plan(plan: PlanFacts) -> str | None:
    """The sub-plan that bills the subscription: None when Defender for APIs is off, P1 (Microsoft's default) when it
    is on and ARM names none."""
    if not plan.enabled:
        return None
    return plan.sub_plan or DEFAULT_SUB_PLAN


def _reader(
    clients: ArmClients, subscription_id: str, region: str, services: int, now: dt.datetime
) -> Callable[[], dict[str, int]]:
    """The cache's loader for one region, bound to it (a lambda in the loop would see only the last one). ``top``
    (Azure Monitor's default is 10 series) asks for every service of the region, not only those in this scan's scope,
    so a cached answer serves a wider scan as well: at least ``REGION_TOP``, more if the scan alone has more."""
    top = max(REGION_TOP, services)
    return lambda: metrics.requests_by_service(clients.apim(subscription_id), subscription_id, region, now=now, top=top)


def subscription_usage(
    clients: ArmClients,
    subscription_id: str,
    services: Sequence[ServiceFacts],
    plan: PlanFacts,
    plans: Sequence[PlanTier],
    cache: TtlCache[str, dict[str, int]],
    now: dt.datetime,
) -> PlanUsage | AzureError:
    """The subscription's traffic over the 30 days before ``now``, summed over its services (those of ``services``
    in another subscription are left out), priced on its current sub-plan and on the plan that fits.

    One metrics request per region of its services not already in ``cache``; a service the answer does not name had
    no traffic. An ARM failure in any region is returned (it becomes an error finding for the subscription, never a
    partial sum) and is not cached; a credential failure is raised: no token at all is a platform failure to retry,
    not a finding.
    """
    regions: dict[str, list[ServiceRef]] = {}
    for service in services:
        if service.ref.subscription_id.lower() == subscription_id.lower():
            regions.setdefault(normalize_region(service.location), []).append(service.ref)
    total = 0
    try:
        for region, refs in sorted(regions.items()):
            key = f"{subscription_id.lower()}/{region}"
            counts = cache.get_or_load(key, _reader(clients, subscription_id, region, len(refs), now))
            total += sum(counts.get(ref.resource_id.lower(), 0) for ref in refs)
    except CredentialError:
        raise
    except AzureError as exc:
        return exc
    return assess(current_sub_plan(plan), total, plans)
