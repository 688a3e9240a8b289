"""Builders shared by the domain unit tests."""

from __future__ import annotations

from datetime import timedelta

from shared.tickets import Stage, Ticket, new_ticket_id


def stored_ticket(svc, n: int = 1, **fields) -> Ticket:
    """Put an open, notified ticket created 'now' (the fake clock) into the fake store."""
    now = svc.clock.now()
    key = fields.pop("dedup_key", f"adf:factory:run-{n}")
    priority = fields.pop("priority", "P3")
    ticket = Ticket(id=new_ticket_id(key, now), dedup_key=key, source=fields.pop("source", "adf"),
                    title=fields.pop("title", f"PL_{n} failed"), pipeline=f"PL_{n}", first_seen_at=now, last_seen_at=now,
                    created_at=now, priority=priority, stage=fields.pop("stage", Stage.NOTIFIED),
                    sla_due_at=now + timedelta(seconds=svc.settings.sla_seconds(priority)), **fields)
    svc.store.create(ticket)
    svc.store.claim(key, ticket.id)
    return ticket
