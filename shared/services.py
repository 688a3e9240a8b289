"""The Services bundle every handler receives: ports plus optional integrations (None = not configured)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.config import Settings
from shared.ports import Archive, AuditLog, Clock, Publisher, RcaCache, SeenEvents, TicketStore
from shared.rca.evidence import FailureEvidence
from shared.rca.model import RcaResult
from shared.tickets import AuditEntry

__all__ = ["Services", "SystemClock"]


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    store: TicketStore
    audit: AuditLog
    publisher: Publisher
    archive: Archive
    rca_cache: RcaCache
    seen_events: SeenEvents
    clock: Clock = field(default_factory=SystemClock)
    analyzer: Callable[[FailureEvidence], RcaResult] | None = None
    # Integrations: built only when configured; typed loosely so shared/ core never imports SDKs.
    databricks: Any = None
    adf: Any = None
    jira: Any = None
    slack: Any = None

    def record(self, ticket_id: str, actor: str, action: str, **details: Any) -> AuditEntry:
        """Append one audit entry (append-only log) stamped with the service clock."""
        entry = AuditEntry(at=self.clock.now(), actor=actor, action=action, details=details)
        self.audit.append(ticket_id, entry)
        return entry
