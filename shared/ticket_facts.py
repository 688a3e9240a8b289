"""TicketFacts: the few fields the summary aggregates, readable from flat columns without the JSON doc."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.rca.model import RcaSource
from shared.tickets import Ticket

__all__ = ["TicketFacts", "facts_of"]


@dataclass(frozen=True)
class TicketFacts:
    id: str
    status: str
    priority: str
    source: str
    team: str
    category: str  # "unclassified" before analysis
    created_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None = None  # the first acknowledgement (MTTA survives a reopen)
    resolved_at: datetime | None = None
    sla_status: str = "pending"
    occurrences: int = 1
    fingerprint: str | None = None
    error_type: str | None = None
    rca_source: str | None = None
    llm_tokens: int = 0
    llm_called: bool = False
    split: bool = False  # an alert ticket handed over to its run tickets: not an incident of its own
    sla_met_before: int = 0  # response SLAs of earlier cycles (before reopens), by outcome
    sla_breached_before: int = 0


def facts_of(t: Ticket) -> TicketFacts:
    rca = t.rca
    return TicketFacts(
        id=t.id, status=t.status.value, priority=t.priority, source=t.source, team=t.team,
        category=rca.category.value if rca else "unclassified", created_at=t.created_at,
        last_seen_at=t.last_seen_at, acknowledged_at=t.first_acknowledged_at or t.acknowledged_at,
        resolved_at=t.resolved_at,
        sla_status=t.sla_status, occurrences=t.occurrences, fingerprint=rca.fingerprint if rca else None,
        error_type=rca.error_type if rca else None, rca_source=rca.source.value if rca else None,
        llm_tokens=int(rca.tokens.get("total", 0) or 0) if rca else 0, split=bool(t.split_into_runs),
        llm_called=bool(rca and (rca.llm_called or rca.source == RcaSource.LLM)),
        sla_met_before=sum(h.get("status") == "met" for h in t.sla_history),
        sla_breached_before=sum(h.get("status") == "breached" for h in t.sla_history),
    )
