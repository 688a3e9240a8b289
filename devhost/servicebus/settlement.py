"""Apply a receiver's disposition of a peek-locked delivery and echo the outcome, as Service Bus does."""

from __future__ import annotations

from proton import Delivery

from . import wire
from .entity import LockLost

__all__ = ["apply_disposition"]

_TERMINAL = (Delivery.ACCEPTED, Delivery.REJECTED, Delivery.RELEASED, Delivery.MODIFIED)


def apply_disposition(delivery: Delivery, now: float) -> None:
    """accepted = complete, released = unlock, modified = abandon (or defer when undeliverable-here),
    rejected = dead-letter; the settled echo tells the SDK it worked, rejected(lock-lost) that it did not."""
    state = delivery.remote_state
    if state not in _TERMINAL:
        if delivery.settled:
            delivery.settle()
        return
    entity, token = getattr(delivery, "sb_lock", (None, None))
    if entity is None:
        delivery.settle()
        return
    delivery.sb_lock = (None, None)
    remote = delivery.remote
    try:
        if state == Delivery.ACCEPTED:
            entity.complete(token, now)
        elif state == Delivery.RELEASED:
            entity.abandon(token, now, count_delivery=False)
        elif state == Delivery.MODIFIED and remote.undeliverable:
            entity.defer(token, now)
        elif state == Delivery.MODIFIED:
            entity.abandon(token, now, count_delivery=remote.failed, annotations=remote.annotations)
        else:
            info = {str(key): value for key, value in ((remote.condition and remote.condition.info) or {}).items()}
            entity.dead_letter_locked(token, now, info.get("DeadLetterReason"), info.get("DeadLetterErrorDescription"))
        if state == Delivery.MODIFIED:
            delivery.local.failed, delivery.local.undeliverable = remote.failed, remote.undeliverable
        delivery.update(state)  # a rejected echo carries no error: the SDK reads an error as failure
    except LockLost as lost:
        delivery.local.condition = wire.condition(wire.LOCK_LOST, str(lost))
        delivery.update(Delivery.REJECTED)
    delivery.settle()
