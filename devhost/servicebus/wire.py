"""Service Bus vocabulary on the wire: node addresses, error conditions, annotations of delivered messages."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from proton import Condition, symbol, timestamp

from .entity import MessageState, StoredMessage

__all__ = ["Address", "parse_address", "condition", "render_message",
           "NOT_FOUND", "NOT_ALLOWED", "LOCK_LOST", "MESSAGE_NOT_FOUND", "SIZE_EXCEEDED", "DECODE_ERROR"]

NOT_FOUND = "amqp:not-found"
NOT_ALLOWED = "amqp:not-allowed"
DECODE_ERROR = "amqp:decode-error"
SIZE_EXCEEDED = "amqp:link:message-size-exceeded"
LOCK_LOST = "com.microsoft:message-lock-lost"
MESSAGE_NOT_FOUND = "com.microsoft:message-not-found"
ARGUMENT_ERROR = "com.microsoft:argument-error"

_PREFIX = re.compile(r"^(?:amqps?|sb)://[^/]*/", re.IGNORECASE)
_MANAGEMENT = "/$management"
DEAD_LETTER = "/$deadletterqueue"


@dataclass(frozen=True)
class Address:
    """A link address reduced to what the broker routes on: the entity path and which node of it."""

    entity: str
    node: str  # "entity", "management" or "cbs"

    @property
    def key(self) -> str:
        """Lower-cased so a request and its reply link match however the client spells the entity."""
        return f"{self.entity}/{self.node}".lower()

    @property
    def is_dead_letter(self) -> bool:
        return self.entity.lower().endswith(DEAD_LETTER)


def parse_address(address: str | None) -> Address | None:
    """`amqps://host:port/q`, `q/$DeadLetterQueue`, `q/$management` or `$cbs`; None when unusable."""
    if not address:
        return None
    path = _PREFIX.sub("", address.strip()).strip("/")
    if path.lower() == "$cbs":
        return Address("$cbs", "cbs")
    node = "entity"
    if path.lower().endswith(_MANAGEMENT):
        path, node = path[: -len(_MANAGEMENT)], "management"
    return Address(path, node) if path else None


def condition(name: str, description: str) -> Condition:
    # Service Bus puts a tracking id in every error's info map; the SDK also needs a non-empty info
    # on rejected outcomes, or its send callback fails internally and send_messages never returns.
    return Condition(name, description, {symbol("com.microsoft:tracking-id"): str(uuid.uuid4())})


def render_message(stored: StoredMessage, *, locked: bool) -> bytes:
    """Encode a stored message the way Service Bus hands it to a receiver or a peek."""
    annotations: dict = {
        "x-opt-sequence-number": stored.seq,
        "x-opt-enqueued-time": timestamp(int(stored.enqueued_at * 1000)),
    }
    if stored.state != MessageState.ACTIVE:
        annotations["x-opt-message-state"] = int(stored.state)
    if locked and stored.lock_token is not None:
        annotations["x-opt-locked-until"] = timestamp(int(stored.locked_until * 1000))
        annotations["x-opt-lock-token"] = stored.lock_token
    if stored.dead_letter_source:
        annotations["x-opt-deadletter-source"] = stored.dead_letter_source
    ttl_ms = int(stored.ttl_seconds * 1000) if stored.ttl_seconds else None
    return stored.message.encode(stored.delivery_count, annotations, stored.extra_properties or None, ttl_ms)
