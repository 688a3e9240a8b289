"""Composition root: builds the real adapters once, lazily, at the first invocation (never at import)."""

from __future__ import annotations

import functools
import logging
from typing import Any

from shared.adapters.storage_errors import storage_call
from shared.config import Settings, get_settings
from shared.services import Services

__all__ = ["get_services", "build_services", "reset_services", "ensure_storage", "warm_up"]

log = logging.getLogger(__name__)


@storage_call
def ensure_storage(table_service: Any, blob_service: Any, prefix: str = "") -> None:
    """Create the tables and containers if missing (idempotent; infra creates them in Azure)."""
    from azure.core.exceptions import ResourceExistsError

    from shared.adapters.names import CONTAINERS, TABLES

    for name in TABLES:
        table_service.create_table_if_not_exists(prefix + name)
    for name in CONTAINERS:
        try:
            blob_service.create_container(prefix + name)
        except ResourceExistsError:
            pass


def _integrations(settings: Settings) -> dict[str, Any]:
    """Optional SaaS adapters, each only when configured; import errors surface at first use."""
    from shared import integrations

    return integrations.build_all(settings)


def build_services(settings: Settings, prefix: str = "", **overrides: Any) -> Services:
    """Real adapters for everything not overridden by keyword (tests pass fakes the same way);
    `prefix` namespaces tables and containers so tests can share one Azurite."""
    from shared.adapters.blob_store import BlobArchive, BlobAuditLog
    from shared.adapters.names import AUDIT, RAW_ALERTS
    from shared.adapters.servicebus_publisher import ServiceBusPublisher
    from shared.adapters.storage_clients import blob_service, table_service
    from shared.adapters.table_small import TableRcaCache, TableSeenEvents
    from shared.adapters.table_ticket_store import TableTicketStore

    parts: dict[str, Any] = dict(overrides)
    needs_storage = {"store", "audit", "archive", "rca_cache", "seen_events"} - parts.keys()
    if needs_storage:
        tables, blobs = table_service(settings), blob_service(settings)
        ensure_storage(tables, blobs, prefix)
        parts.setdefault("store", TableTicketStore(tables, prefix))
        parts.setdefault("audit", BlobAuditLog(blobs, prefix + AUDIT))
        parts.setdefault("archive", BlobArchive(blobs, prefix + RAW_ALERTS))
        parts.setdefault("rca_cache", TableRcaCache(tables, prefix))
        parts.setdefault("seen_events", TableSeenEvents(tables, prefix))
    parts.setdefault("publisher", ServiceBusPublisher(settings))
    for name, adapter in _integrations(settings).items():
        parts.setdefault(name, adapter)
    if "analyzer" not in parts:
        from shared.integrations import build_analyzer_for

        parts["analyzer"] = build_analyzer_for(settings, parts["rca_cache"])
    return Services(settings=settings, **parts)


@functools.cache
def get_services() -> Services:
    return build_services(get_settings())


def reset_services() -> None:
    get_services.cache_clear()


def warm_up() -> bool:
    """What the first alert on a new instance would otherwise wait for: the clients (and the tables
    they ensure), the RCA catalog and the extractors. Everything stays lazy as well, because Azure
    runs the warmup trigger only when it scales out, not on restarts; a failure here (storage still
    starting, say) is logged and left to the first invocation. True when the services were built."""
    import shared.extract  # noqa: F401  (the parsers of every alert shape)
    from shared.errors import IntegrationError
    from shared.rca.catalog_load import load_catalog

    load_catalog()
    try:
        get_services()
    except IntegrationError as exc:
        log.warning("warmup: services not built yet (%s is unavailable); the first invocation retries", exc.system)
        return False
    return True
