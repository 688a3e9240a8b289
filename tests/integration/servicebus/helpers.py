"""Small helpers the Service Bus contract tests share."""

from __future__ import annotations

import time

from azure.servicebus import ServiceBusMessage, ServiceBusReceivedMessage, ServiceBusReceiver


def body_text(message: ServiceBusReceivedMessage) -> str:
    return b"".join(message.body).decode()


def texts(messages: list[ServiceBusReceivedMessage]) -> list[str]:
    return [body_text(message) for message in messages]


def messages(*bodies: str, **properties) -> list[ServiceBusMessage]:
    return [ServiceBusMessage(body, **properties) for body in bodies]


def receive_exactly(receiver: ServiceBusReceiver, count: int, timeout: float = 5.0) -> list[ServiceBusReceivedMessage]:
    """Receive until `count` messages arrived or `timeout` passed; returns what arrived."""
    got: list[ServiceBusReceivedMessage] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and (left := deadline - time.monotonic()) > 0:
        got += receiver.receive_messages(max_message_count=count - len(got), max_wait_time=min(left, 2.0))
    return got
