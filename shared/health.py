"""Health report: probe storage and Service Bus; integrations are reported as configured or not."""

from __future__ import annotations

import logging
import socket
import time
from typing import Any
from urllib.parse import urlsplit

from shared.config import Settings, SettingsError, get_settings, parse_connection_string

__all__ = ["check_health"]

log = logging.getLogger(__name__)


def _storage(settings: Settings) -> dict[str, Any]:
    from shared.adapters.storage_clients import table_service

    if not (settings.storage_connection or settings.storage_uses_identity):
        return {"status": "not configured"}
    started = time.perf_counter()
    try:
        service = table_service(settings)
        next(iter(service.list_tables(results_per_page=1).by_page()), None)
    except Exception as exc:  # any failure is the answer, not an error of the probe
        return {"status": "error", "error": type(exc).__name__}
    return {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}


def _servicebus(settings: Settings) -> dict[str, Any]:
    """A TCP connect to the namespace: cheap, and proves the endpoint answers without sending."""
    if settings.servicebus_connection:
        endpoint = parse_connection_string(settings.servicebus_connection).get("Endpoint", "")
        parts = urlsplit(endpoint)
        emulator = "UseDevelopmentEmulator=true" in settings.servicebus_connection
        host, port = parts.hostname or "", parts.port or (5672 if emulator else 5671)
    elif settings.servicebus_namespace:
        host, port = settings.servicebus_namespace, 5671
    else:
        return {"status": "not configured"}
    started = time.perf_counter()
    try:
        with socket.create_connection((host, port), timeout=2):
            pass
    except OSError as exc:
        return {"status": "error", "error": type(exc).__name__}
    return {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}


def check_health() -> dict[str, Any]:
    from shared.integrations import status

    try:
        settings = get_settings()
    except SettingsError as exc:
        return {"status": "error", "settings": {"status": "error", "error": str(exc)}}
    components = {"storage": _storage(settings), "servicebus": _servicebus(settings)}
    healthy = all(c["status"] == "ok" for c in components.values())
    return {"status": "ok" if healthy else "degraded", **components,
            "integrations": status(settings)}
