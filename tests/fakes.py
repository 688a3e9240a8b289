"""In-memory fakes of every port, for unit tests; contract tests run the same checks on real adapters."""

from __future__ import annotations

import copy
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.adapters.ticket_rows import similar_summary
from shared.ports import Mutation, SimilarIncidents, TicketPage, TicketQuery
from shared.rca.model import RcaResult
from shared.ticket_facts import TicketFacts, facts_of
from shared.ticket_query import matches
from shared.tickets import AuditEntry, Stage, Ticket, TicketStatus

if TYPE_CHECKING:
    from shared.services import Services


class FakeTicketStore:
    def __init__(self) -> None:
        self.tickets: dict[str, Ticket] = {}
        self.claims: dict[str, str] = {}
        self._lock = threading.RLock()

    def claim(self, dedup_key: str, candidate_id: str) -> tuple[str, bool]:
        with self._lock:
            if dedup_key in self.claims:
                return self.claims[dedup_key], False
            self.claims[dedup_key] = candidate_id
            return candidate_id, True

    def find(self, dedup_key: str) -> str | None:
        return self.claims.get(dedup_key)

    def create(self, ticket: Ticket) -> bool:
        with self._lock:
            if ticket.id in self.tickets:
                return False
            self.tickets[ticket.id] = ticket.model_copy(deep=True)
            return True

    def get(self, ticket_id: str, *, recent: bool = False) -> Ticket | None:
        with self._lock:
            found = self.tickets.get(ticket_id)
            return found.model_copy(deep=True) if found else None

    def mutate(self, ticket_id: str, change: Mutation) -> Ticket | None:
        with self._lock:
            current = self.get(ticket_id)
            if current is None:
                return None
            if change(current) is not False:
                self.tickets[ticket_id] = current.model_copy(deep=True)
            return current

    def list(self, query: TicketQuery) -> TicketPage:
        with self._lock:
            ordered = sorted(self.tickets.values(), key=lambda t: (t.created_at, t.id), reverse=True)
        hits = [t for t in ordered if matches(t, query)]
        start = int(query.cursor or 0)
        page = hits[start:start + query.limit]
        more = start + query.limit < len(hits)
        return TicketPage([t.model_copy(deep=True) for t in page], str(start + query.limit) if more else None)

    def open_unacknowledged(self) -> list[Ticket]:
        return [t.model_copy(deep=True) for t in self.tickets.values()
                if t.is_open and t.acknowledged_at is None]

    def in_flight(self) -> list[Ticket]:
        return [t.model_copy(deep=True) for t in self.tickets.values() if t.stage != Stage.NOTIFIED]

    def find_by_jira_key(self, jira_key: str) -> Ticket | None:
        return next((t.model_copy(deep=True) for t in self.tickets.values() if t.jira_key == jira_key), None)

    def find_by_alert_guid(self, guid: str) -> Ticket | None:
        from shared.adapters.ticket_rows import alert_guid

        return next((t.model_copy(deep=True) for t in self.tickets.values()
                     if t.dedup_key.startswith("alert:") and alert_guid(t.dedup_key) == guid.strip().lower()), None)

    def tickets_for_job(self, workspace_id: str | None, job_id: str) -> list[Ticket]:
        return [t.model_copy(deep=True) for t in self.tickets.values() if t.job_id == job_id
                and t.status != TicketStatus.RESOLVED and (workspace_id is None or t.workspace_id == workspace_id)]

    def similar_incidents(self, fingerprint: str, since: datetime, before: datetime, exclude: str,
                          limit: int) -> SimilarIncidents:
        found = sorted((t.model_copy(deep=True) for t in self.tickets.values() if t.rca is not None
                        and t.rca.fingerprint == fingerprint and since <= t.created_at <= before and t.id != exclude),
                       key=lambda t: (t.created_at, t.id), reverse=True)
        resolver = next((t for t in found if t.resolved_by), None)
        recent = [{"id": t.id, **{k: v or None for k, v in similar_summary(t).items()}} for t in found[:limit]]
        return SimilarIncidents(len(found), recent, resolver.id if resolver else None,
                                resolver.resolved_by if resolver else None)

    def ticket_facts(self, since: datetime | None = None) -> list[TicketFacts]:
        return [facts_of(t) for t in self.tickets.values() if since is None or t.created_at >= since]

    def all_tickets(self, since: datetime | None = None) -> list[Ticket]:
        return [t.model_copy(deep=True) for t in self.tickets.values() if since is None or t.created_at >= since]


class FakeAuditLog:
    def __init__(self) -> None:
        self.entries: dict[str, list[AuditEntry]] = {}
        self.reads = self.writes = 0  # round trips a real log would make

    def start(self, ticket_id: str) -> None:
        self.entries.setdefault(ticket_id, [])

    def append(self, ticket_id: str, entry: AuditEntry) -> None:
        self.append_many(ticket_id, [entry])

    def append_many(self, ticket_id: str, entries: list[AuditEntry]) -> None:
        self.writes += bool(entries)
        self.entries.setdefault(ticket_id, []).extend(e.model_copy(deep=True) for e in entries)

    def read(self, ticket_id: str) -> list[AuditEntry]:
        self.reads += 1
        return list(self.entries.get(ticket_id, []))

    def actions(self, ticket_id: str) -> list[str]:
        return [e.action for e in self.entries.get(ticket_id, [])]


class FakePublisher:
    """Mimics Service Bus duplicate detection on message_id, and can be told to fail."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any], str]] = []
        self.fail_with: Exception | None = None
        self._seen: set[tuple[str, str]] = set()

    def send(self, queue: str, body: dict[str, Any], message_id: str) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        if (queue, message_id) in self._seen:
            return
        self._seen.add((queue, message_id))
        self.sent.append((queue, copy.deepcopy(body), message_id))

    def to(self, queue: str) -> list[dict[str, Any]]:
        return [body for q, body, _ in self.sent if q == queue]


class FakeArchive:
    def __init__(self) -> None:
        self.blobs: dict[str, tuple[bytes, dict[str, str]]] = {}

    def put(self, name: str, body: bytes, metadata: dict[str, str]) -> None:
        self.blobs[name] = (body, dict(metadata))

    def get(self, name: str) -> bytes:
        return self.blobs[name][0]

    def list(self, prefix: str) -> list[str]:
        return sorted(n for n in self.blobs if n.startswith(prefix))

    def entries(self, prefix: str) -> list[tuple[str, dict[str, str]]]:
        return [(n, dict(self.blobs[n][1])) for n in self.list(prefix)]


class FakeRcaCache:
    def __init__(self) -> None:
        self.items: dict[str, RcaResult] = {}

    def get(self, fingerprint: str) -> RcaResult | None:
        found = self.items.get(fingerprint)
        return found.model_copy(deep=True) if found else None

    def put(self, fingerprint: str, result: RcaResult) -> None:
        self.items[fingerprint] = result.model_copy(deep=True)


class FakeSeenEvents:
    def __init__(self) -> None:
        self.seen_ids: set[tuple[str, str]] = set()

    def first_time(self, namespace: str, event_id: str) -> bool:
        key = (namespace, event_id)
        if key in self.seen_ids:
            return False
        self.seen_ids.add(key)
        return True

    def forget(self, namespace: str, event_id: str) -> None:
        self.seen_ids.discard((namespace, event_id))


class FixedClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 12, 4, 3, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> datetime:
        self.current += timedelta(seconds=seconds)
        return self.current


def fake_services(**overrides: Any) -> Services:
    """A Services bundle of in-memory fakes; pass keyword arguments to swap any of them."""
    from shared.config import load_settings
    from shared.services import Services

    parts: dict[str, Any] = dict(
        settings=overrides.pop("settings", None) or load_settings(),
        store=FakeTicketStore(), audit=FakeAuditLog(), publisher=FakePublisher(),
        archive=FakeArchive(), rca_cache=FakeRcaCache(), seen_events=FakeSeenEvents(),
        clock=FixedClock(),
    )
    parts.update(overrides)
    return Services(**parts)
