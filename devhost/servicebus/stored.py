"""What a queue keeps per message, its states, and the errors its operations raise."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from .codec import ParsedMessage

__all__ = ["LockLost", "MessageNotFound", "MessageState", "StoredMessage"]


class LockLost(Exception):
    """The lock token is unknown, settled, or its lock expired."""


class MessageNotFound(Exception):
    """No message with that sequence number is in the state the operation needs."""


class MessageState(IntEnum):
    ACTIVE = 0
    DEFERRED = 1
    SCHEDULED = 2


@dataclass(eq=False)
class StoredMessage:
    """One message in a queue: its broker-side state next to the parsed AMQP sections."""

    seq: int
    message: ParsedMessage
    enqueued_at: float
    state: MessageState = MessageState.ACTIVE
    expires_at: float | None = None
    ttl_seconds: float | None = None
    order: int = 0
    delivery_count: int = 0
    lock_token: uuid.UUID | None = None
    locked_until: float = 0.0
    extra_properties: dict[str, Any] = field(default_factory=dict)
    dead_letter_source: str | None = None
