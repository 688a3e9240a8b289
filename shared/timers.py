"""Timer work: the SLA monitor (breach and warning at the moment they happen) and the redrive of stuck tickets."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from shared.errors import IntegrationError
from shared.ports import OutboundMessage, Outcome, TicketChange, mutate_tracked
from shared.services import Services
from shared.tickets import Stage, Ticket, TicketStatus

__all__ = ["check_sla", "redrive_stuck", "NEXT_STAGE"]

log = logging.getLogger(__name__)

# Which message moves a ticket on from the stage it is stuck at.
NEXT_STAGE = {Stage.INGESTED: "enrich", Stage.ENRICHED: "analyze", Stage.ANALYZED: "notify"}


def _breach(ticket: Ticket, now: datetime) -> bool:
    if ticket.sla_status != "pending" or ticket.acknowledged_at or not ticket.is_open:
        return False
    # Breached at the deadline, as a close after it records; the timer only notices a little later.
    ticket.sla_status, ticket.sla_breached_at = "breached", ticket.sla_due_at or now
    return True


def _warn(ticket: Ticket, now: datetime) -> bool:
    if ticket.sla_warned_at or ticket.sla_status != "pending" or ticket.acknowledged_at:
        return False
    ticket.sla_warned_at = now
    return True


def check_sla(svc: Services) -> Outcome:
    now, outcome = svc.clock.now(), Outcome()
    fraction = svc.settings.sla_warning_fraction
    for ticket in svc.store.open_unacknowledged():
        if ticket.sla_due_at is None or ticket.sla_status != "pending":
            continue
        if now >= ticket.sla_due_at:
            # Queue the escalation first: if that fails the breach is not marked, so the next run
            # tries again; marking first would lose the escalation for good. (A reopened ticket's
            # second deadline gets its own message id.)
            try:
                svc.publisher.send(svc.settings.notify_queue,
                                   {"ticket_id": ticket.id, "stage": "notify", "kind": "sla_breached"},
                                   f"{ticket.id}:sla_breached:{int(ticket.sla_due_at.timestamp())}")
            except IntegrationError:
                log.warning("escalation not queued; retrying next run", extra={"ticket_id": ticket.id})
                continue
            updated, changed = mutate_tracked(svc.store, ticket.id, lambda t: _breach(t, now))
            if updated is None or not changed:
                continue  # someone acknowledged it in the meantime (notify then finds nothing to escalate)
            svc.record(ticket.id, "sla-monitor", "sla_breached", due=ticket.sla_due_at.isoformat(),
                       priority=ticket.priority)
            outcome.changes.append(TicketChange("sla_breached", updated))
        elif fraction < 1 and now >= ticket.created_at + (ticket.sla_due_at - ticket.created_at) * fraction:
            updated, changed = mutate_tracked(svc.store, ticket.id, lambda t: _warn(t, now))
            if updated is not None and changed:
                svc.record(ticket.id, "sla-monitor", "sla_warning", due=ticket.sla_due_at.isoformat())
                outcome.messages.append(OutboundMessage(  # a heads-up in the Slack thread (best effort)
                    svc.settings.notify_queue, {"ticket_id": ticket.id, "stage": "notify", "kind": "sla_warning"},
                    f"{ticket.id}:sla_warning:{int(ticket.sla_due_at.timestamp())}"))
    return outcome


def _due_after_dead_letter(ticket: Ticket, now: datetime, svc: Services) -> bool:
    """A dead-lettered ticket is retried too, with a doubling wait (an outage may last hours)."""
    error = ticket.pipeline_error or {}
    if ticket.status != TicketStatus.PIPELINE_ERROR or not error.get("at"):
        return True
    wait = svc.settings.redrive_after_seconds * 2 ** min(int(error.get("redrives", 0)), 6)
    return now >= datetime.fromisoformat(error["at"]) + timedelta(seconds=wait)


def _count_redrive(ticket: Ticket, now: datetime) -> bool:
    if not ticket.pipeline_error:
        return False
    ticket.pipeline_error = {**ticket.pipeline_error, "redrives": int(ticket.pipeline_error.get("redrives", 0)) + 1,
                             "at": now.isoformat()}
    return True


def redrive_stuck(svc: Services) -> Outcome:
    """Re-send the next stage's message for tickets stuck longer than REDRIVE_AFTER_SECONDS.
    The message id carries the stuck time, so Service Bus duplicate detection does not swallow it."""
    now, outcome = svc.clock.now(), Outcome()
    cutoff = now - timedelta(seconds=svc.settings.redrive_after_seconds)
    queues = {"enrich": svc.settings.enrich_queue, "analyze": svc.settings.analyze_queue,
              "notify": svc.settings.notify_queue}
    for ticket in svc.store.in_flight():
        stage = NEXT_STAGE.get(ticket.stage)
        stuck_since = ticket.stage_at or ticket.created_at
        if stage is None or stuck_since > cutoff or not _due_after_dead_letter(ticket, now, svc):
            continue
        body = {"ticket_id": ticket.id, "stage": stage, **({"kind": "ticket"} if stage == "notify" else {})}
        attempt = int((ticket.pipeline_error or {}).get("redrives", 0))
        outcome.messages.append(OutboundMessage(
            queues[stage], body, f"{ticket.id}:{stage}:redrive:{int(stuck_since.timestamp())}:{attempt}"))
        svc.record(ticket.id, "redrive", "redriven", stage=stage, stuck_since=stuck_since.isoformat())
        if ticket.status == TicketStatus.PIPELINE_ERROR:
            svc.store.mutate(ticket.id, lambda t: _count_redrive(t, now))
        log.warning("redriving stuck ticket", extra={"ticket_id": ticket.id, "stage": stage})
    return outcome
