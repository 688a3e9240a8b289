"""Small Table adapters: the RCA cache by fingerprint and the seen-webhook-event guard."""

from __future__ import annotations

import hashlib
from typing import Any

from shared.adapters.names import RCA_CACHE, SEEN_EVENTS
from shared.adapters.storage_errors import storage_boundary
from shared.adapters.ticket_rows import safe_key
from shared.rca.model import RcaResult

__all__ = ["TableRcaCache", "TableSeenEvents"]


@storage_boundary
class TableRcaCache:
    """Stores the RCA per fingerprint; expiry policy lives with the analyzer that reads it."""

    def __init__(self, service: Any, prefix: str = "") -> None:
        self._table = service.get_table_client(prefix + RCA_CACHE)

    def get(self, fingerprint: str) -> RcaResult | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            entity = self._table.get_entity(fingerprint[:2], safe_key(fingerprint))
        except ResourceNotFoundError:
            return None
        return RcaResult.model_validate_json(entity["doc"])

    def put(self, fingerprint: str, result: RcaResult) -> None:
        self._table.upsert_entity({"PartitionKey": fingerprint[:2], "RowKey": safe_key(fingerprint),
                                   "doc": result.model_dump_json()})


@storage_boundary
class TableSeenEvents:
    def __init__(self, service: Any, prefix: str = "") -> None:
        self._table = service.get_table_client(prefix + SEEN_EVENTS)

    def first_time(self, namespace: str, event_id: str) -> bool:
        from azure.core.exceptions import ResourceExistsError

        digest = hashlib.sha256(event_id.encode()).hexdigest()
        try:
            self._table.create_entity({"PartitionKey": safe_key(namespace), "RowKey": digest,
                                       "event_id": event_id[:500]})
            return True
        except ResourceExistsError:
            return False

    def forget(self, namespace: str, event_id: str) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            self._table.delete_entity(safe_key(namespace), hashlib.sha256(event_id.encode()).hexdigest())
        except ResourceNotFoundError:
            pass
