"""One queue (or its dead-letter sub-queue): FIFO order, peek-lock, deferral, scheduling, TTL and dedup."""

from __future__ import annotations

import heapq
import uuid
from typing import Any

from .codec import ParsedMessage
from .settings import QueueSettings
from .stored import LockLost, MessageNotFound, MessageState, StoredMessage

__all__ = ["Entity", "MessageState", "StoredMessage", "LockLost", "MessageNotFound"]

DEAD_LETTER_SUFFIX = "/$DeadLetterQueue"
_LOCK, _ACTIVATE, _EXPIRE = 0, 1, 2


class Entity:
    """A queue's messages and their state machine; pure Python, driven by an injected clock value."""

    def __init__(self, settings: QueueSettings, dead_letter: Entity | None = None, path: str | None = None) -> None:
        self.settings = settings
        self.path = path or settings.name
        self.dead_letter = dead_letter
        self.messages: dict[int, StoredMessage] = {}
        self._ready: list[tuple[int, int]] = []
        self._locks: dict[uuid.UUID, StoredMessage] = {}
        self._timers: list[tuple[float, int, int]] = []
        self._seen_ids: dict[Any, float] = {}
        self._next_seq = 1
        self._next_order = 1

    @classmethod
    def with_dead_letter_queue(cls, settings: QueueSettings) -> Entity:
        dlq_settings = QueueSettings(name=settings.name + DEAD_LETTER_SUFFIX, lock_seconds=settings.lock_seconds,
                                     duplicate_window_seconds=0)
        return cls(settings, dead_letter=cls(dlq_settings, path=dlq_settings.name))

    # --- sending -----------------------------------------------------------------------------------
    def accept(self, message: ParsedMessage, now: float) -> int | None:
        """Store a sent message; returns its sequence number, or None when it is a duplicate."""
        if self._is_duplicate(message.message_id, now):
            return None
        scheduled = message.annotation("x-opt-scheduled-enqueue-time")
        ttls = [ttl for ttl in (message.ttl_seconds, self.settings.default_ttl_seconds) if ttl]
        stored = StoredMessage(self._take_seq(), message, enqueued_at=now, ttl_seconds=min(ttls) if ttls else None)
        self.messages[stored.seq] = stored
        scheduled_at = int(scheduled) / 1000.0 if scheduled is not None else None
        if scheduled_at is not None and scheduled_at > now:
            stored.state = MessageState.SCHEDULED
            self._timer(scheduled_at, _ACTIVATE, stored.seq)
        else:
            self._activate(stored, now)
        return stored.seq

    def adopt(self, stored: StoredMessage, reason: str | None, description: str | None, source: str) -> None:
        """Take in a message dead-lettered from the parent queue."""
        stored.seq, stored.state, stored.expires_at, stored.lock_token = self._take_seq(), MessageState.ACTIVE, None, None
        stored.extra_properties = {key: value for key, value in (("DeadLetterReason", reason),
                                   ("DeadLetterErrorDescription", description)) if value is not None}
        stored.dead_letter_source = source
        self.messages[stored.seq] = stored
        stored.order = self._take_order()
        heapq.heappush(self._ready, (stored.order, stored.seq))

    def cancel_scheduled(self, seqs: list[int]) -> None:
        missing = [seq for seq in seqs if getattr(self.messages.get(seq), "state", None) != MessageState.SCHEDULED]
        if missing:
            raise MessageNotFound(f"no scheduled message with sequence number {missing[0]}")
        for seq in seqs:
            del self.messages[seq]

    # --- receiving ---------------------------------------------------------------------------------
    def has_ready(self) -> bool:
        return bool(self._ready)

    def acquire(self, now: float, lock: bool) -> StoredMessage | None:
        """Next active message in FIFO order: locked for peek-lock, removed for receive-and-delete."""
        while self._ready:
            order, seq = heapq.heappop(self._ready)
            stored = self.messages.get(seq)
            if stored is None or stored.order != order or stored.state != MessageState.ACTIVE or stored.lock_token:
                continue
            if stored.expires_at is not None and stored.expires_at <= now:
                self._expire(stored)
                continue
            self._lock(stored, now) if lock else self.messages.pop(seq)
            return stored
        return None

    def receive_deferred(self, seqs: list[int], now: float, lock: bool) -> list[StoredMessage]:
        found = [self.messages.get(seq) for seq in seqs]
        for seq, stored in zip(seqs, found, strict=True):
            if stored is None or stored.state != MessageState.DEFERRED or stored.lock_token:
                raise MessageNotFound(f"no deferred, unlocked message with sequence number {seq}")
        for stored in found:
            self._lock(stored, now) if lock else self.messages.pop(stored.seq)
        return found

    def peek(self, from_seq: int, count: int) -> list[StoredMessage]:
        picked = []
        for seq, stored in self.messages.items():
            if seq >= from_seq:
                picked.append(stored)
                if len(picked) >= count:
                    break
        return picked

    # --- settling ----------------------------------------------------------------------------------
    def locked(self, token: uuid.UUID, now: float) -> StoredMessage:
        stored = self._locks.get(token)
        if stored is None:
            raise LockLost("The lock supplied is invalid. Either the lock expired, or the message has already "
                           "been removed from the queue.")
        if stored.locked_until <= now:
            self._unlock(stored, now, count_delivery=True)
            raise LockLost("The lock on the message expired before it was settled.")
        return stored

    def complete(self, token: uuid.UUID, now: float) -> None:
        stored = self.locked(token, now)
        del self._locks[token]
        del self.messages[stored.seq]

    def abandon(self, token: uuid.UUID, now: float, count_delivery: bool = True,
                annotations: dict | None = None) -> None:
        stored = self.locked(token, now)
        if annotations:
            stored.message.annotations.update(annotations)
        self._unlock(stored, now, count_delivery)

    def defer(self, token: uuid.UUID, now: float) -> None:
        stored = self.locked(token, now)
        stored.state = MessageState.DEFERRED
        self._unlock(stored, now, count_delivery=False)

    def dead_letter_locked(self, token: uuid.UUID, now: float, reason: str | None, description: str | None) -> None:
        self._move_to_dead_letter(self.locked(token, now), reason, description)

    def renew(self, token: uuid.UUID, now: float) -> float:
        stored = self.locked(token, now)
        stored.locked_until = now + self.settings.lock_seconds
        self._timer(stored.locked_until, _LOCK, stored.seq)
        return stored.locked_until

    # --- time --------------------------------------------------------------------------------------
    def next_deadline(self) -> float | None:
        return self._timers[0][0] if self._timers else None

    def on_timer(self, now: float) -> None:
        while self._timers and self._timers[0][0] <= now:
            _, kind, seq = heapq.heappop(self._timers)
            stored = self.messages.get(seq)
            if stored is None:
                continue
            if kind == _LOCK and stored.lock_token and stored.locked_until <= now:
                self._unlock(stored, now, count_delivery=True)
            elif kind == _ACTIVATE and stored.state == MessageState.SCHEDULED:
                stored.state, stored.enqueued_at = MessageState.ACTIVE, now
                self._activate(stored, now)
            elif kind == _EXPIRE and stored.expires_at is not None and stored.expires_at <= now:
                if stored.state == MessageState.ACTIVE and not stored.lock_token:
                    self._expire(stored)

    # --- internals ---------------------------------------------------------------------------------
    def _take_seq(self) -> int:
        self._next_seq += 1
        return self._next_seq - 1

    def _take_order(self) -> int:
        self._next_order += 1
        return self._next_order - 1

    def _timer(self, when: float, kind: int, seq: int) -> None:
        heapq.heappush(self._timers, (when, kind, seq))

    def _is_duplicate(self, message_id: Any, now: float) -> bool:
        window = self.settings.duplicate_window_seconds
        if not window or message_id is None:
            return False
        while self._seen_ids:
            oldest_key = next(iter(self._seen_ids))
            if self._seen_ids[oldest_key] > now - window:
                break
            del self._seen_ids[oldest_key]
        key = (type(message_id).__name__, message_id)
        if key in self._seen_ids:
            return True
        self._seen_ids[key] = now
        return False

    def _activate(self, stored: StoredMessage, now: float) -> None:
        if stored.ttl_seconds is not None:
            stored.expires_at = now + stored.ttl_seconds
            self._timer(stored.expires_at, _EXPIRE, stored.seq)
        stored.order = self._take_order()
        heapq.heappush(self._ready, (stored.order, stored.seq))

    def _lock(self, stored: StoredMessage, now: float) -> None:
        stored.lock_token = uuid.uuid4()
        stored.locked_until = now + self.settings.lock_seconds
        self._locks[stored.lock_token] = stored
        self._timer(stored.locked_until, _LOCK, stored.seq)

    def _unlock(self, stored: StoredMessage, now: float, count_delivery: bool) -> None:
        self._locks.pop(stored.lock_token, None)
        stored.lock_token = None
        if count_delivery:
            stored.delivery_count += 1
            limit = self.settings.max_delivery_count
            if self.dead_letter is not None and stored.delivery_count >= limit:
                self._move_to_dead_letter(stored, "MaxDeliveryCountExceeded",
                                          f"Message could not be consumed after {limit} delivery attempts.")
                return
        if stored.state != MessageState.ACTIVE:
            return
        if stored.expires_at is not None and stored.expires_at <= now:
            self._expire(stored)
            return
        heapq.heappush(self._ready, (stored.order, stored.seq))

    def _expire(self, stored: StoredMessage) -> None:
        if self.settings.dead_letter_on_expiration and self.dead_letter is not None:
            self._move_to_dead_letter(stored, "TTLExpiredException", "The message expired and was dead lettered.")
        else:
            self.messages.pop(stored.seq, None)

    def _move_to_dead_letter(self, stored: StoredMessage, reason: str | None, description: str | None) -> None:
        self._locks.pop(stored.lock_token, None)
        self.messages.pop(stored.seq, None)
        target = self.dead_letter or self
        target.adopt(stored, reason, description, source=self.settings.name)

