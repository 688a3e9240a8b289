"""One notify delivery at a time creates a ticket's Jira issue and Slack message.

Two deliveries of one ticket can run at once: a message lock that expired during a slow Jira call,
or the redrive timer re-sending while the first delivery still works. Both would search Jira by
label, find nothing (search is eventually consistent) and both create. The lease is a field on the
ticket row, taken with the row's etag check, so exactly one delivery holds it; the other waits until
it is released (then finds the issue and the message on the ticket) or expires (its holder died).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from shared.errors import RetryableError
from shared.services import Services
from shared.tickets import NotifyLease, Ticket

__all__ = ["exclusively", "LEASE_SECONDS"]

T = TypeVar("T")
LEASE_SECONDS = 60.0  # longer than a Jira create plus a Slack post, even with their retries
POLL_SECONDS = 0.25


def _take(svc: Services, ticket_id: str, holder: str) -> tuple[Ticket | None, bool]:
    now = svc.clock.now()
    taken: list[bool] = []

    def take(ticket: Ticket) -> bool:
        taken.clear()  # the store may re-run this on an etag conflict: the last run counts
        lease = ticket.notify_lease
        if lease is not None and lease.holder != holder and lease.until > now:
            return False
        ticket.notify_lease = NotifyLease(holder=holder, until=now + timedelta(seconds=LEASE_SECONDS))
        taken.append(True)
        return True

    stored = svc.store.mutate(ticket_id, take)
    return stored, bool(taken)


def _release(holder: str) -> Callable[[Ticket], bool]:
    def release(ticket: Ticket) -> bool:
        if ticket.notify_lease is None or ticket.notify_lease.holder != holder:
            return False
        ticket.notify_lease = None
        return True
    return release


def exclusively(svc: Services, ticket_id: str, work: Callable[[Ticket], T], *,
                wait_seconds: float = LEASE_SECONDS) -> T | None:
    """Run `work` on the freshly read ticket while holding its lease (None: the ticket is gone).
    Waits for a lease another delivery holds; if it is still held after `wait_seconds`, raises
    RetryableError so Service Bus delivers the message again later."""
    holder = uuid.uuid4().hex
    deadline = time.monotonic() + wait_seconds
    while True:
        ticket, taken = _take(svc, ticket_id, holder)
        if ticket is None:
            return None
        if taken:
            break
        if time.monotonic() >= deadline:
            raise RetryableError("notify", "another delivery is still creating this ticket's Jira issue "
                                 "and Slack message")
        time.sleep(POLL_SECONDS)
    try:
        return work(ticket)
    finally:
        svc.store.mutate(ticket_id, _release(holder))
