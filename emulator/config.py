"""Runtime settings of an emulator instance (paging, latency, onboarding LRO, Resource Graph) and handler context."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from emulator.store import Store

DEFAULT_PAGE_SIZE = 100
DEFAULT_GRAPH_PAGE_SIZE = 1000  # Resource Graph's largest page (and largest $top)
DEFAULT_LRO_RETRY_AFTER_MS = 10


class LroMode(StrEnum):
    """How `PUT .../apiCollections/{api}` (onboarding) answers.

    SYNC: 200 with the Succeeded body. CREATED: 201 + Location (the collection URL); the collection reports InProgress
    for `polls` GETs. ACCEPTED: 202 + Location (an operation URL that answers 202 for `polls` GETs, then 200).
    FAIL: 201 + Location (an operation URL that answers 202 for `polls` GETs, then 409 OnboardingFailed), and the
    collection ends in provisioningState Failed. SYNC_BARE: 200 with a body that has no provisioningState, which ARM's
    resource provider contract allows for a resource provisioned synchronously.
    """

    SYNC = "200"
    SYNC_BARE = "200-bare"
    CREATED = "201"
    ACCEPTED = "202"
    FAIL = "fail"


@dataclass
class EmulatorConfig:
    """Mutable server-wide behaviour; `EmulatorServer.reset()` restores the defaults it was built with."""

    page_size: int = DEFAULT_PAGE_SIZE
    graph_page_size: int = DEFAULT_GRAPH_PAGE_SIZE
    graph_enabled: bool = True
    latency_ms: int = 0
    lro_mode: LroMode = LroMode.SYNC
    lro_polls: int = 1
    lro_retry_after_ms: int = DEFAULT_LRO_RETRY_AFTER_MS


@dataclass(frozen=True)
class Env:
    """What a resource handler may use: the state store and the current settings."""

    store: Store
    settings: EmulatorConfig
