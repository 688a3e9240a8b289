"""Service Bus message shapes: SDK received message -> `azure.functions` message, output value -> SDK message."""

from __future__ import annotations

import json
import os
from typing import Any

from azure.functions.servicebus import ServiceBusMessage as FunctionMessage

from devhost.app_loader import AppLoadError, Binding, HostedFunction, resolve_setting_expr

__all__ = ["to_function_message", "to_sdk_message", "queue_of", "declared_queues", "DEAD_LETTER_SUFFIX"]

DEAD_LETTER_SUFFIX = "/$deadletterqueue"


def _text(value: Any) -> Any:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def _properties(raw: dict[Any, Any] | None) -> dict[str, Any]:
    """The SDK hands received application properties back with bytes keys and bytes string values."""
    return {str(_text(key)): _text(value) for key, value in (raw or {}).items()}


def _body(message: Any) -> bytes:
    body = message.body
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if body is None:
        return b""
    try:
        return b"".join(bytes(chunk) for chunk in body)
    except TypeError:
        return json.dumps(body, default=str).encode("utf-8")


def to_function_message(message: Any) -> FunctionMessage:
    """Build the message a Python function receives from an `azure.servicebus` received message."""
    properties = _properties(message.application_properties)
    return FunctionMessage(
        body=_body(message),
        application_properties=properties,
        user_properties=dict(properties),
        content_type=_text(message.content_type),
        correlation_id=_text(message.correlation_id),
        dead_letter_error_description=_text(message.dead_letter_error_description),
        dead_letter_reason=_text(message.dead_letter_reason),
        dead_letter_source=_text(message.dead_letter_source),
        # The wire carries prior attempts (AMQP counts from 0); the Functions host, like the .NET and Java
        # SDKs, adds one, so the first delivery a function sees is 1. The Python SDK passes the raw value.
        delivery_count=(message.delivery_count or 0) + 1,
        enqueued_sequence_number=message.enqueued_sequence_number,
        enqueued_time_utc=message.enqueued_time_utc,
        expires_at_utc=message.expires_at_utc,
        label=_text(message.subject),
        locked_until=message.locked_until_utc,
        lock_token=str(message.lock_token) if message.lock_token else None,
        message_id=str(_text(message.message_id) or ""),
        partition_key=_text(message.partition_key),
        reply_to=_text(message.reply_to),
        reply_to_session_id=_text(message.reply_to_session_id),
        scheduled_enqueue_time_utc=message.scheduled_enqueue_time_utc,
        sequence_number=message.sequence_number,
        session_id=_text(message.session_id),
        subject=_text(message.subject),
        time_to_live=message.time_to_live,
        to=_text(message.to),
    )


def to_sdk_message(value: Any) -> Any:
    """What a function set on a Service Bus output: str or bytes as the body, dict/list as JSON."""
    from azure.servicebus import ServiceBusMessage

    if isinstance(value, (str, bytes)):
        return ServiceBusMessage(value)
    if isinstance(value, (dict, list)):
        return ServiceBusMessage(json.dumps(value), content_type="application/json")
    raise TypeError(f"a Service Bus output takes str, bytes, dict or list, not {type(value).__name__}")


def queue_of(binding: Binding, env: dict[str, str] | None = None) -> tuple[str, bool]:
    """(queue name, is dead-letter sub-queue) for a trigger or output binding, `%SETTING%` resolved."""
    if binding.get("topicName"):
        raise AppLoadError(f"binding '{binding.name}': topics/subscriptions are not supported by devhost")
    name = resolve_setting_expr(str(binding.get("queueName") or ""), os.environ if env is None else env)
    if not name:
        raise AppLoadError(f"binding '{binding.name}' has no queueName")
    if name.lower().endswith(DEAD_LETTER_SUFFIX):
        return name[: -len(DEAD_LETTER_SUFFIX)], True
    return name, False


def declared_queues(functions: list[HostedFunction]) -> list[str]:
    """Every queue the app's Service Bus triggers and outputs use (dead-letter triggers name their queue)."""
    names: list[str] = []
    for fn in functions:
        for binding in fn.bindings:
            if binding.type in ("serviceBusTrigger", "serviceBus"):
                queue, _ = queue_of(binding)
                if queue not in names:
                    names.append(queue)
    return names
