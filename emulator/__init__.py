"""A local Azure Resource Manager emulator for APIM and Defender for APIs, served over real HTTP on loopback.

The real Azure SDK clients talk to it with `base_url=server.url`. See emulator/README.md for the estate format, the
emulated routes and the control endpoints.
"""

from __future__ import annotations

from emulator.config import LroMode
from emulator.estate import (
    ApiSpec,
    Estate,
    GatewaySpec,
    PricingSpec,
    ServiceSpec,
    SubscriptionSpec,
    WorkspaceSpec,
    load_estate,
)
from emulator.requestlog import RequestRecord
from emulator.server import EmulatorServer
from emulator.store import Store

__all__ = [
    "ApiSpec",
    "EmulatorServer",
    "Estate",
    "GatewaySpec",
    "LroMode",
    "PricingSpec",
    "RequestRecord",
    "ServiceSpec",
    "Store",
    "SubscriptionSpec",
    "WorkspaceSpec",
    "load_estate",
]
