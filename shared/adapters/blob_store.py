"""Blob adapters: the raw-alert archive (block blobs with metadata) and the audit trail (append blobs)."""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from typing import Any

from shared.adapters.names import AUDIT, RAW_ALERTS
from shared.adapters.storage_errors import storage_boundary
from shared.tickets import AuditEntry, iso

__all__ = ["BlobArchive", "BlobAuditLog"]

log = logging.getLogger(__name__)


def _ascii(value: str) -> str:
    """Blob metadata values must be ASCII and header-safe."""
    return value.encode("ascii", "replace").decode().replace("\n", " ").replace("\r", " ")[:2000]


@storage_boundary
class BlobArchive:
    def __init__(self, service: Any, container: str = RAW_ALERTS) -> None:
        self._container = service.get_container_client(container)

    def put(self, name: str, body: bytes, metadata: dict[str, str]) -> None:
        self._container.upload_blob(
            name, body, overwrite=True, metadata={k: _ascii(v) for k, v in metadata.items()},
        )

    def get(self, name: str) -> bytes:
        return bytes(self._container.download_blob(name).readall())

    def get_metadata(self, name: str) -> dict[str, str]:
        return dict(self._container.get_blob_client(name).get_blob_properties().metadata)

    def list(self, prefix: str) -> list[str]:
        return sorted(b.name for b in self._container.list_blobs(name_starts_with=prefix))

    def entries(self, prefix: str) -> list[tuple[str, dict[str, str]]]:
        blobs = self._container.list_blobs(name_starts_with=prefix, include=["metadata"])
        return sorted((b.name, dict(b.metadata or {})) for b in blobs)


@storage_boundary
class BlobAuditLog:
    """One append blob of JSON lines per ticket: appends are atomic, and nothing rewrites history."""

    def __init__(self, service: Any, container: str = AUDIT) -> None:
        self._container = service.get_container_client(container)
        # Blob clients cost ~0.5 ms to build, so the recent ones are kept.
        self._clients: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def _blob(self, ticket_id: str) -> Any:
        with self._lock:
            found = self._clients.get(ticket_id)
            if found is None:
                found = self._clients[ticket_id] = self._container.get_blob_client(f"{ticket_id}.jsonl")
                while len(self._clients) > 5000:
                    self._clients.popitem(last=False)
            self._clients.move_to_end(ticket_id)
            return found

    def start(self, ticket_id: str) -> None:
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError

        try:
            self._blob(ticket_id).create_append_blob(match_condition=MatchConditions.IfMissing)
        except (ResourceExistsError, ResourceModifiedError):
            pass

    def append(self, ticket_id: str, entry: AuditEntry) -> None:
        self.append_many(ticket_id, [entry])

    def append_many(self, ticket_id: str, entries: list[AuditEntry]) -> None:
        """One Append Block for all the lines: atomic, and a single round trip."""
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError

        if not entries:
            return
        line = "".join(json.dumps({"at": iso(e.at), "actor": e.actor, "action": e.action, "details": e.details},
                                  default=str) + "\n" for e in entries)
        blob = self._blob(ticket_id)
        # Append first, even to a blob this process has not seen: it usually exists (ingestion
        # created it, maybe in another process), and asking first would cost a call every time.
        try:
            blob.append_block(line.encode())
            return
        except ResourceNotFoundError:  # not created yet, or removed by retention: create it
            pass
        try:  # create only if still absent, so a racing writer's entries survive
            blob.create_append_blob(match_condition=MatchConditions.IfMissing)
        except (ResourceExistsError, ResourceModifiedError):
            pass
        blob.append_block(line.encode())

    def read(self, ticket_id: str) -> list[AuditEntry]:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            raw = self._container.download_blob(f"{ticket_id}.jsonl").readall()
        except ResourceNotFoundError:
            return []
        entries = []
        for line in bytes(raw).decode().splitlines():
            if line.strip():
                try:
                    entries.append(AuditEntry.model_validate(json.loads(line)))
                except ValueError:
                    log.warning("skipping unreadable audit line", extra={"ticket_id": ticket_id})
        # Concurrent writers stamp before they append, so file order can differ by milliseconds.
        return sorted(entries, key=lambda e: e.at)
