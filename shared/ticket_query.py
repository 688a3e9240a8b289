"""Pure ticket filtering and text search, shared by every TicketStore so they agree on results."""

from __future__ import annotations

from shared.ports import TicketQuery
from shared.tickets import Ticket

__all__ = ["matches", "search_text"]

FILTER_FIELDS = ("status", "severity", "priority", "source", "team")


def search_text(ticket: Ticket) -> str:
    parts = [ticket.id, ticket.title, ticket.pipeline, ticket.job, ticket.resource, ticket.run_id,
             ticket.error_code, ticket.error_message, ticket.activity, ticket.jira_key, ticket.team]
    if ticket.rca:
        parts += [ticket.rca.error_type, ticket.rca.category.value, ticket.rca.root_cause]
    return " ".join(p for p in parts if p).lower()


def _wanted(value: str | None) -> set[str] | None:
    """Filters accept comma-separated alternatives: status=open,acknowledged."""
    if not value:
        return None
    return {v.strip().lower() for v in value.split(",") if v.strip()}


def matches(ticket: Ticket, query: TicketQuery) -> bool:
    for name in FILTER_FIELDS:
        wanted = _wanted(getattr(query, name))
        if wanted is not None and str(getattr(ticket, name) or "").lower() not in wanted:
            return False
    wanted = _wanted(query.category)
    if wanted is not None and (ticket.rca.category.value if ticket.rca else "") not in wanted:
        return False
    if query.q:
        haystack = search_text(ticket)
        return all(term in haystack for term in query.q.lower().split())
    return True
