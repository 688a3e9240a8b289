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

    # Only a message that carries the ticket forward leaves it stuck; a dead follow-up (a Slack
    # refresh, a thread reply) is recorded without touching the lifecycle status.
    blocking = stage in ("enrich", "analyze") or str(body.get("kind") or "ticket") == "ticket"

    def mark(ticket: Ticket) -> bool:
        if ticket.pipeline_error and ticket.pipeline_error.get("at") == detail["at"]:
            return False  # the same dead letter delivered twice
        redrives = int((ticket.pipeline_error or {}).get("redrives", 0))
        previous = ticket.status if ticket.status != TicketStatus.PIPELINE_ERROR else \
            TicketStatus((ticket.pipeline_error or {}).get("previous_status", "open"))
        ticket.pipeline_error = {**detail, "previous_status": previous.value, "blocking": blocking,
                                 "redrives": redrives}
        if blocking:
            ticket.status = TicketStatus.PIPELINE_ERROR
        return True

    ticket, changed = mutate_tracked(svc.store, ticket_id, mark) if ticket_id else (None, False)
    outcome = Outcome()
    if ticket is None or not changed:
        return outcome
    svc.record(ticket.id, "deadletter", "pipeline_error", **detail)
    outcome.changes.append(TicketChange("pipeline_error", ticket))
    return outcome
