"""Ticket lifecycle: acknowledge, resolve, reopen — one domain operation each, whoever asks.

The dashboard, Slack buttons, Jira webhooks and source notices all call `change_status`; it
records who did what, keeps MTTA/MTTR clocks and the SLA outcome, and queues the follow-up
(Slack message update, Jira transition) for the notify stage.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from shared.api import ApiError
from shared.ports import OutboundMessage, Outcome, TicketChange, mutate_tracked
from shared.services import Services
from shared.tickets import Ticket, TicketStatus, iso

__all__ = ["change_status", "apply_acknowledge", "apply_resolve", "apply_reopen", "ACTIONS"]

_sequence = itertools.count()


def _settle_sla(ticket: Ticket, at: datetime) -> None:
    if ticket.sla_status == "pending" and ticket.sla_due_at is not None:
        ticket.sla_status = "met" if at <= ticket.sla_due_at else "breached"
        if ticket.sla_status == "breached" and ticket.sla_breached_at is None:
            ticket.sla_breached_at = ticket.sla_due_at


def apply_acknowledge(ticket: Ticket, actor: str, at: datetime, note: str | None = None) -> bool:
    if ticket.status == TicketStatus.RESOLVED:
        raise ApiError(409, "invalid_transition", "a resolved ticket cannot be acknowledged; reopen it first")
    if ticket.status == TicketStatus.ACKNOWLEDGED:
        return False
    ticket.status = TicketStatus.ACKNOWLEDGED
    if ticket.acknowledged_at is None:
        ticket.acknowledged_at, ticket.acknowledged_by = at, actor
    ticket.first_acknowledged_at = ticket.first_acknowledged_at or at
    _settle_sla(ticket, at)
    return True


def apply_resolve(ticket: Ticket, actor: str, at: datetime, note: str | None = None) -> bool:
    if ticket.status == TicketStatus.RESOLVED:
        return False
    ticket.status = TicketStatus.RESOLVED
    ticket.resolved_at, ticket.resolved_by = at, actor
    _settle_sla(ticket, at)  # resolving before the deadline met the response SLA too
    return True


def apply_reopen(ticket: Ticket, actor: str, at: datetime, note: str | None = None) -> bool:
    if ticket.status in (TicketStatus.OPEN, TicketStatus.PIPELINE_ERROR):
        return False
    ticket.status = TicketStatus.OPEN
    ticket.resolved_at = ticket.resolved_by = None
    ticket.acknowledged_at = ticket.acknowledged_by = None  # a reopened incident needs a new response
    ticket.reopened_at = at
    if ticket.sla_status != "pending":  # the cycle that ends here keeps its outcome on record
        ticket.sla_history.append({"due_at": iso(ticket.sla_due_at), "status": ticket.sla_status,
                                   "breached_at": iso(ticket.sla_breached_at)})
    # ... and a new response deadline, watched by the SLA monitor like a new ticket's.
    ticket.sla_due_at = at + (ticket.sla_due_at - ticket.created_at if ticket.sla_due_at else timedelta(hours=2))
    ticket.sla_status, ticket.sla_warned_at, ticket.sla_breached_at = "pending", None, None
    return True


ACTIONS: dict[str, tuple[Callable[..., bool], str]] = {
    "acknowledge": (apply_acknowledge, "acknowledged"),
    "resolve": (apply_resolve, "resolved"),
    "reopen": (apply_reopen, "reopened"),
}


def change_status(svc: Services, ticket_id: str, action: str, actor: str, origin: str,
                  note: str | None = None) -> tuple[Ticket, Outcome]:
    """Apply `action` by `actor` coming from `origin` (dashboard, slack, jira, source)."""
    if action not in ACTIONS:
        raise ApiError(400, "unknown_action", f"action must be one of {sorted(ACTIONS)}")
    apply, change = ACTIONS[action]
    at = svc.clock.now()
    ticket, changed = mutate_tracked(svc.store, ticket_id, lambda t: apply(t, actor, at, note))
    if ticket is None:
        raise ApiError(404, "not_found", f"ticket {ticket_id[:60]} does not exist")
    outcome = Outcome()
    if not changed:
        return ticket, outcome
    details = {"origin": origin, **({"note": note[:2000]} if note else {})}
    svc.record(ticket.id, actor, change, **details)
    outcome.changes.append(TicketChange(change, ticket))
    body: dict[str, Any] = {"ticket_id": ticket.id, "stage": "notify", "kind": "status", "change": change,
            "actor": actor, "origin": origin, **({"note": note[:2000]} if note else {})}
    stamp = f"{at:%Y%m%dT%H%M%S%f}-{next(_sequence)}"
    body["event_id"] = stamp
    outcome.messages.append(OutboundMessage(svc.settings.notify_queue, body, f"{ticket.id}:status:{change}:{stamp}"))
    return ticket, outcome
