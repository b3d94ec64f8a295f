"""The credential the real Azure SDK clients require when they talk to the emulator, where none is used."""

from __future__ import annotations

from typing import Any

from azure.core.credentials import AccessToken


class NoCredential:
    """A TokenCredential that is never asked: the clients' EmulatorBearerPolicy (tests/emulator/conftest.py) sends a
    static bearer token instead of signing in."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        raise AssertionError("the emulator's SDK clients authenticate with a static bearer token, not a credential")
