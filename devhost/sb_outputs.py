"""Service Bus output bindings: one long-lived async sender per (connection, queue), opened once."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from devhost.app_loader import AppLoadError, Binding
from devhost.sb_messages import queue_of, to_sdk_message

__all__ = ["ServiceBusClients", "SenderPool", "connection_string_of"]

log = logging.getLogger("devhost.servicebus")


def connection_string_of(binding: Binding) -> str:
    setting = str(binding.get("connection") or "ServiceBusConnection")
    value = os.environ.get(setting, "")
    if not value:
        raise AppLoadError(f"binding '{binding.name}': connection setting '{setting}' is not set")
    return value


class ServiceBusClients:
    """One async `ServiceBusClient` per connection string, shared by senders and receivers."""

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}

    def get(self, connection_string: str) -> Any:
        if connection_string not in self._clients:
            from azure.servicebus.aio import ServiceBusClient

            self._clients[connection_string] = ServiceBusClient.from_connection_string(connection_string)
        return self._clients[connection_string]

    async def close(self) -> None:
        results = await asyncio.gather(*(c.close() for c in self._clients.values()), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):  # closing on shutdown must not mask the real exit path
                log.debug("closing Service Bus client: %s", result)
        self._clients.clear()


class SenderPool:
    """Sends output-binding values; opening a sender costs ~0.5 s, so each is opened once and reused."""

    def __init__(self, clients: ServiceBusClients) -> None:
        self._clients = clients
        self._senders: dict[tuple[str, str], Any] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def _sender(self, connection_string: str, queue: str) -> Any:
        key = (connection_string, queue)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key not in self._senders:
                sender = self._clients.get(connection_string).get_queue_sender(queue_name=queue)
                await sender.__aenter__()  # opens the link now rather than inside the first send
                self._senders[key] = sender
            return self._senders[key]

    async def warm(self, bindings: list[Binding]) -> None:
        """Open the senders of these bindings ahead of the first invocation; failures only log."""
        async def open_one(binding: Binding) -> None:
            try:
                await self._sender(connection_string_of(binding), queue_of(binding)[0])
            except Exception as exc:
                log.warning("could not open a sender for '%s': %s", binding.get("queueName"), exc)

        await asyncio.gather(*(open_one(b) for b in bindings))

    async def send(self, binding: Binding, value: Any) -> None:
        """The output handler for `serviceBus` bindings; a broken sender is replaced and the send retried once."""
        connection_string, (queue, _) = connection_string_of(binding), queue_of(binding)
        message = to_sdk_message(value)
        from azure.servicebus.exceptions import MessagingEntityNotFoundError, ServiceBusError

        for attempt in (1, 2):
            sender = await self._sender(connection_string, queue)
            try:
                await sender.send_messages(message)
                return
            except MessagingEntityNotFoundError:
                raise
            except ServiceBusError as exc:
                await self._discard(connection_string, queue, sender)
                if attempt == 2:
                    raise
                log.warning("send to '%s' failed (%s); retrying with a new sender", queue, exc)

    async def _discard(self, connection_string: str, queue: str, sender: Any) -> None:
        if self._senders.get((connection_string, queue)) is sender:
            del self._senders[(connection_string, queue)]
        try:
            await sender.close()
        except Exception as exc:
            log.debug("closing a broken sender: %s", exc)

    async def close(self) -> None:
        results = await asyncio.gather(*(s.close() for s in self._senders.values()), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                log.debug("closing sender: %s", result)
        self._senders.clear()
