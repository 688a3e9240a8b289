"""A dead-lettered stage message marks its ticket `pipeline_error`: nothing dies silently."""

from __future__ import annotations

from typing import Any

from shared.ports import Outcome, TicketChange, mutate_tracked
from shared.services import Services
from shared.tickets import Ticket, TicketStatus

__all__ = ["handle_dead_letter"]


def handle_dead_letter(body: dict[str, Any], stage: str, reason: str | None, description: str | None,
                       svc: Services) -> Outcome:
    ticket_id = str(body.get("ticket_id") or body.get("parent_ticket_id") or "")
    now = svc.clock.now()
    detail = {"stage": stage, "reason": (reason or "unknown")[:200], "description": (description or "")[:1000],
              "at": now.isoformat()}

    def mark(ticket: Ticket) -> bool:
        if ticket.pipeline_error and ticket.pipeline_error.get("stage") == stage and \
                ticket.status == TicketStatus.PIPELINE_ERROR:
            return False  # the same dead letter delivered twice
        ticket.pipeline_error = {**detail, "previous_status": ticket.status.value}
        ticket.status = TicketStatus.PIPELINE_ERROR
        return True

    ticket, changed = mutate_tracked(svc.store, ticket_id, mark) if ticket_id else (None, False)
    outcome = Outcome()
    if ticket is None or not changed:
        return outcome
    svc.record(ticket.id, "deadletter", "pipeline_error", **detail)
    outcome.changes.append(TicketChange("pipeline_error", ticket))
    return outcome
