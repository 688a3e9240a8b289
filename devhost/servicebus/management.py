"""Request/response nodes: `$cbs` put-token and the `<entity>/$management` operations the SDK uses."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from proton import UNDESCRIBED, Array, Data, Message, timestamp

from . import wire
from .codec import CodecError, parse_message
from .entity import Entity, LockLost, MessageNotFound

__all__ = ["cbs_reply", "management_reply", "not_found_reply"]

Operation = Callable[[Entity, dict, float], tuple[int, Any]]


class _BadRequest(Exception):
    pass


def cbs_reply(request: Message) -> Message:
    # The emulator trusts every token, as Microsoft's emulator does with its fixed SAS key.
    return Message(correlation_id=request.id, properties={"status-code": 202, "status-description": "Accepted"})


def not_found_reply(request: Message, description: str) -> Message:
    properties = {"statusCode": 404, "statusDescription": description, "errorCondition": wire.NOT_FOUND}
    return Message(correlation_id=request.id, properties=properties)


def management_reply(entity: Entity, request: Message, now: float) -> Message:
    """Run one management request against `entity` and build the reply the SDK matches by correlation id."""
    operation = str((request.properties or {}).get("operation", ""))
    status, body, error, description = 200, None, None, "OK"
    handler = _OPERATIONS.get(operation)
    try:
        if handler is None:
            status, error, description = 501, "amqp:not-implemented", f"Operation {operation!r} is not supported."
        else:
            status, body = handler(entity, request.body if isinstance(request.body, dict) else {}, now)
    except LockLost as lost:
        status, error, description = 410, wire.LOCK_LOST, str(lost)
    except MessageNotFound as missing:
        status, error, description = 404, wire.MESSAGE_NOT_FOUND, str(missing)
    except (_BadRequest, CodecError, KeyError, TypeError, ValueError) as bad:
        status, error, description = 400, wire.ARGUMENT_ERROR, f"Bad {operation} request: {bad}"
    properties: dict[str, Any] = {"statusCode": status, "statusDescription": description}
    if error:
        properties["errorCondition"] = error
    return Message(correlation_id=request.id, properties=properties, body=body)


def _items(value: Any) -> list:
    if isinstance(value, Array):
        return list(value.elements)
    if isinstance(value, (list, tuple)):
        return list(value)
    raise _BadRequest(f"expected an array, got {type(value).__name__}")


def _tokens(body: dict) -> list[uuid.UUID]:
    return [item if isinstance(item, uuid.UUID) else uuid.UUID(str(item)) for item in _items(body["lock-tokens"])]


def _message_list(entity: Entity, messages: list, locked: bool) -> dict:
    items = []
    for stored in messages:
        item: dict[str, Any] = {"message": wire.render_message(stored, locked=locked)}
        if locked and stored.lock_token is not None:
            item["lock-token"] = stored.lock_token
        items.append(item)
    return {"messages": items}


def _renew_lock(entity: Entity, body: dict, now: float) -> tuple[int, Any]:
    expirations = [timestamp(int(entity.renew(token, now) * 1000)) for token in _tokens(body)]
    return 200, {"expirations": Array(UNDESCRIBED, Data.TIMESTAMP, *expirations)}


def _peek(entity: Entity, body: dict, now: float) -> tuple[int, Any]:
    entity.on_timer(now)
    found = entity.peek(int(body.get("from-sequence-number", 1)), max(1, int(body.get("message-count", 1))))
    return (200, _message_list(entity, found, locked=False)) if found else (204, None)


def _receive_by_sequence_number(entity: Entity, body: dict, now: float) -> tuple[int, Any]:
    peek_lock = int(body.get("receiver-settle-mode", 1)) == 1
    found = entity.receive_deferred([int(seq) for seq in _items(body["sequence-numbers"])], now, lock=peek_lock)
    return 200, _message_list(entity, found, locked=peek_lock)


def _schedule(entity: Entity, body: dict, now: float) -> tuple[int, Any]:
    parsed = [parse_message(bytes(item["message"])) for item in _items(body["messages"])]
    seqs = [entity.accept(message, now) for message in parsed]
    # A duplicate is dropped, as on the send link; Service Bus still answers with a number.
    numbers = [seq if seq is not None else 0 for seq in seqs]
    return 200, {"sequence-numbers": Array(UNDESCRIBED, Data.LONG, *numbers)}


def _cancel_scheduled(entity: Entity, body: dict, now: float) -> tuple[int, Any]:
    entity.cancel_scheduled([int(seq) for seq in _items(body["sequence-numbers"])])
    return 200, None


def _update_disposition(entity: Entity, body: dict, now: float) -> tuple[int, Any]:
    status = str(body["disposition-status"]).lower()
    if status not in ("completed", "abandoned", "defered", "deferred", "suspended"):
        raise _BadRequest(f"unknown disposition-status {status!r}")
    tokens = _tokens(body)
    for token in tokens:
        entity.locked(token, now)
    for token in tokens:
        if status == "completed":
            entity.complete(token, now)
        elif status == "abandoned":
            entity.abandon(token, now, annotations=body.get("properties-to-modify") or None)
        elif status != "suspended":
            entity.defer(token, now)
        else:
            entity.dead_letter_locked(token, now, body.get("deadletter-reason"), body.get("deadletter-description"))
    return 200, None


_OPERATIONS: dict[str, Operation] = {
    "com.microsoft:renew-lock": _renew_lock,
    "com.microsoft:peek-message": _peek,
    "com.microsoft:receive-by-sequence-number": _receive_by_sequence_number,
    "com.microsoft:schedule-message": _schedule,
    "com.microsoft:cancel-scheduled-message": _cancel_scheduled,
    "com.microsoft:update-disposition": _update_disposition,
}
