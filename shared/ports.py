"""Ports: the small interfaces stage handlers depend on; adapters implement them, tests fake them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from shared.rca.model import RcaResult
from shared.ticket_facts import TicketFacts
from shared.tickets import AuditEntry, Ticket

__all__ = [
    "TicketStore", "AuditLog", "Publisher", "Archive", "RcaCache", "Clock", "SeenEvents",
    "TicketQuery", "TicketPage", "OutboundMessage", "TicketChange", "Outcome", "ConcurrencyError",
    "Mutation", "mutate_tracked", "SimilarIncidents",
]


class ConcurrencyError(Exception):
    """An etag-checked write lost a race; re-read and try again."""


# A mutation edits a ticket in place and returns False to say "no change, don't write".
Mutation = Callable[[Ticket], bool | None]


@dataclass
class TicketQuery:
    status: str | None = None
    severity: str | None = None
    priority: str | None = None
    source: str | None = None
    category: str | None = None
    team: str | None = None
    q: str | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass
class TicketPage:
    items: list[Ticket]
    next_cursor: str | None


class TicketStore(Protocol):
    def claim(self, dedup_key: str, candidate_id: str) -> tuple[str, bool]:
        """Atomically bind a dedup key to a ticket id. Returns (the bound id, True if this call bound it).
        Exactly one caller wins however many race, on however many instances."""

    def find(self, dedup_key: str) -> str | None:
        """The ticket id bound to a dedup key, if any (never binds)."""

    def create(self, ticket: Ticket) -> bool:
        """Atomic insert-if-absent. True if this call created it, False if it already existed."""

    def get(self, ticket_id: str, *, recent: bool = False) -> Ticket | None:
        """The stored ticket. `recent=True` accepts the copy this process last wrote, which may miss
        another instance's later write: only for decisions a later etag-checked mutate re-checks."""

    def mutate(self, ticket_id: str, change: Mutation) -> Ticket | None:
        """Read, apply `change`, write back with an etag check; retried on conflicts, so `change`
        may run more than once and must only edit the ticket it is given.
        Returns the ticket as stored afterwards (None if it does not exist)."""

    def list(self, query: TicketQuery) -> TicketPage:
        """Newest first (by created_at), filtered, cursor-paged."""

    def open_unacknowledged(self) -> list[Ticket]:
        """Tickets that are open and not acknowledged (SLA timer), without scanning all tickets."""

    def in_flight(self) -> list[Ticket]:
        """Tickets whose processing has not reached the notified stage (redrive timer)."""

    def find_by_jira_key(self, jira_key: str) -> Ticket | None: ...

    def find_by_alert_guid(self, guid: str) -> Ticket | None:
        """The alert-keyed ticket of an Azure alert, by the GUID that ends its alertId."""

    def tickets_for_job(self, workspace_id: str | None, job_id: str) -> list[Ticket]:
        """Unresolved tickets of one Databricks job (a later success of the job resolves them)."""

    def similar_incidents(self, fingerprint: str, since: datetime, before: datetime, exclude: str,
                          limit: int) -> SimilarIncidents:
        """Tickets whose RCA has this fingerprint, created in [since, before], other than `exclude`:
        how many, the newest `limit` of them, and the latest one someone resolved."""

    def all_tickets(self, since: datetime | None = None) -> list[Ticket]:
        """Every ticket created since `since`."""

    def ticket_facts(self, since: datetime | None = None) -> list[TicketFacts]:
        """The summary's fields of every ticket created since `since`, without whole documents."""


class AuditLog(Protocol):
    def start(self, ticket_id: str) -> None:
        """Prepare a new ticket's trail (optional work done early, so the first append is cheap)."""

    def append(self, ticket_id: str, entry: AuditEntry) -> None: ...

    def append_many(self, ticket_id: str, entries: list[AuditEntry]) -> None:
        """Append several entries in one atomic write (nothing is written for an empty list)."""

    def read(self, ticket_id: str) -> list[AuditEntry]: ...


class Publisher(Protocol):
    def send(self, queue: str, body: dict[str, Any], message_id: str) -> None:
        """Send one message; `message_id` makes redelivered sends collapse (duplicate detection)."""


class Archive(Protocol):
    def put(self, name: str, body: bytes, metadata: dict[str, str]) -> None: ...

    def get(self, name: str) -> bytes: ...

    def list(self, prefix: str) -> list[str]: ...

    def entries(self, prefix: str) -> list[tuple[str, dict[str, str]]]:
        """Names under `prefix` with their metadata, in name order."""


class RcaCache(Protocol):
    def get(self, fingerprint: str) -> RcaResult | None: ...

    def put(self, fingerprint: str, result: RcaResult) -> None: ...


class SeenEvents(Protocol):
    def first_time(self, namespace: str, event_id: str) -> bool:
        """Atomically record an event id; True only the first time (webhook redelivery guard)."""

    def forget(self, namespace: str, event_id: str) -> None:
        """Drop a recorded id (its work failed after all, so a retry must get through)."""


class Clock(Protocol):
    def now(self) -> datetime: ...


def mutate_tracked(store: TicketStore, ticket_id: str, change: Mutation) -> tuple[Ticket | None, bool]:
    """`store.mutate`, also telling whether the last run of `change` (the one written) changed it."""
    changed = [False]

    def run(ticket: Ticket) -> bool:
        changed[0] = change(ticket) is not False
        return changed[0]

    return store.mutate(ticket_id, run), changed[0]


@dataclass
class SimilarIncidents:
    count: int = 0
    # newest first: {id, created_at, status, resolved_at, resolved_by, jira_key, jira_url} (ISO times)
    recent: list[dict[str, Any]] = field(default_factory=list)
    resolved_ticket: str | None = None
    resolved_by: str | None = None


@dataclass
class OutboundMessage:
    queue: str
    body: dict[str, Any]
    message_id: str


@dataclass
class TicketChange:
    change: str  # created, occurrence, enriched, analyzed, ticketed, acknowledged, ...
    ticket: Ticket

    def signalr_message(self) -> dict[str, Any]:
        return {"target": "ticketChanged", "arguments": [{**self.ticket.summary(), "change": self.change}]}


@dataclass
class Outcome:
    """What a handler wants done after it returns: messages to send and changes to push."""

    messages: list[OutboundMessage] = field(default_factory=list)
    changes: list[TicketChange] = field(default_factory=list)

    def extend(self, other: Outcome) -> Outcome:
        self.messages.extend(other.messages)
        self.changes.extend(other.changes)
        return self
