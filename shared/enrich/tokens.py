"""Bearer tokens from an azure-identity credential, cached until shortly before they expire."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["TokenProvider", "entra_token_provider", "static_token", "ARM_SCOPE", "SYNAPSE_SCOPE",
           "AZURE_DATABRICKS_SCOPE"]

# A token provider takes the OAuth scope it needs and returns a bearer token (no "Bearer " prefix).
TokenProvider = Callable[[str], str]

ARM_SCOPE = "https://management.azure.com/.default"
SYNAPSE_SCOPE = "https://dev.azuresynapse.net/.default"
# The fixed application id of the Azure Databricks resource in every Entra ID tenant.
AZURE_DATABRICKS_SCOPE = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default"

_REFRESH_MARGIN = 300.0


def entra_token_provider(credential: Any, clock: Callable[[], float] = time.time) -> TokenProvider:
    """Wrap a credential (e.g. `DefaultAzureCredential()`, built by the composition root) so each
    scope's token is fetched once and reused until five minutes before it expires."""
    cache: dict[str, tuple[str, float]] = {}
    lock = threading.Lock()

    def provide(scope: str) -> str:
        with lock:
            cached = cache.get(scope)
            if cached and cached[1] - _REFRESH_MARGIN > clock():
                return cached[0]
        token = credential.get_token(scope)
        with lock:
            cache[scope] = (token.token, float(token.expires_on))
        return token.token

    return provide


def static_token(token: str) -> TokenProvider:
    """The same token for every scope (tests, or a token obtained out of band)."""
    return lambda scope: token
