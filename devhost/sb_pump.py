"""Service Bus queue triggers: peek-lock receive, concurrent calls, lock renewal, complete or abandon."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from devhost.app_loader import HostedFunction
from devhost.sb_messages import queue_of, to_function_message
from devhost.sb_outputs import ServiceBusClients, connection_string_of

__all__ = ["QueuePump", "DEFAULT_MAX_CONCURRENT_CALLS"]

log = logging.getLogger("devhost.servicebus")
DEFAULT_MAX_CONCURRENT_CALLS = 4
RECONNECT_DELAY_SECONDS = 1.0
RECEIVE_WAIT_SECONDS = 5.0
DRAIN_SECONDS = 5.0


class QueuePump:
    """Pumps one queue-triggered function: up to `max_concurrent` invocations in flight at once."""

    def __init__(self, fn: HostedFunction, clients: ServiceBusClients,
                 invoke: Callable[[HostedFunction, Any], Awaitable[Any]],
                 max_concurrent: int = DEFAULT_MAX_CONCURRENT_CALLS) -> None:
        self.fn = fn
        self.queue, self.dead_letter = queue_of(fn.trigger)
        self._connection_string = connection_string_of(fn.trigger)
        self._clients = clients
        self._invoke = invoke
        self.max_concurrent = max(1, max_concurrent)
        self._inflight: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.ready = asyncio.Event()

    @property
    def source(self) -> str:
        return self.queue + ("/$DeadLetterQueue" if self.dead_letter else "")

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"pump:{self.fn.name}")

    async def stop(self) -> None:
        """Stop receiving, let running invocations finish briefly, then cancel what is left."""
        self._stopping = True
        if self._inflight:
            await asyncio.wait(self._inflight, timeout=DRAIN_SECONDS)
        for task in [*self._inflight, *([self._task] if self._task else [])]:
            task.cancel()
        await asyncio.gather(*self._inflight, *([self._task] if self._task else []), return_exceptions=True)

    def _receiver(self) -> Any:
        from azure.servicebus import ServiceBusReceiveMode, ServiceBusSubQueue

        client = self._clients.get(self._connection_string)
        return client.get_queue_receiver(
            queue_name=self.queue, receive_mode=ServiceBusReceiveMode.PEEK_LOCK, prefetch_count=0,
            sub_queue=ServiceBusSubQueue.DEAD_LETTER if self.dead_letter else None)

    async def _run(self) -> None:
        from azure.servicebus.exceptions import ServiceBusError

        while not self._stopping:
            try:
                async with self._receiver() as receiver:
                    self.ready.set()
                    await self._receive_loop(receiver)
            except asyncio.CancelledError:
                raise
            except (ServiceBusError, OSError) as exc:
                if self._stopping:
                    return
                log.warning("receiver for '%s' (%s) failed: %s; reconnecting", self.source, self.fn.name, exc)
                await asyncio.sleep(RECONNECT_DELAY_SECONDS)

    async def _receive_loop(self, receiver: Any) -> None:
        while not self._stopping:
            if len(self._inflight) >= self.max_concurrent:
                await asyncio.wait(self._inflight, return_when=asyncio.FIRST_COMPLETED)
                continue
            # One message per call: the SDK lingers after the first message of a larger batch.
            messages = await receiver.receive_messages(max_message_count=1, max_wait_time=RECEIVE_WAIT_SECONDS)
            for message in messages:
                task = asyncio.create_task(self._handle(receiver, message))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)

    async def _handle(self, receiver: Any, message: Any) -> None:
        renewer = asyncio.create_task(self._keep_lock(receiver, message))
        succeeded = False
        try:
            await self._invoke(self.fn, to_function_message(message))
            succeeded = True
        except Exception:
            pass  # the invoker logged it; abandoning lets max delivery count dead-letter the message
        finally:
            renewer.cancel()
        await self._settle(receiver, message, succeeded)

    async def _settle(self, receiver: Any, message: Any, succeeded: bool) -> None:
        from azure.servicebus.exceptions import ServiceBusError

        try:
            if succeeded:
                await receiver.complete_message(message)
            else:
                await receiver.abandon_message(message)
        except (ServiceBusError, OSError, ValueError) as exc:
            log.warning("could not %s message %s on '%s': %s", "complete" if succeeded else "abandon",
                        message.message_id, self.source, exc)

    async def _keep_lock(self, receiver: Any, message: Any) -> None:
        """Renew the lock at half its remaining time while the function runs."""
        from azure.servicebus.exceptions import ServiceBusError

        while True:
            locked_until = message.locked_until_utc
            remaining = (locked_until - datetime.now(UTC)).total_seconds() if locked_until else 30.0
            await asyncio.sleep(max(0.5, remaining / 2))
            try:
                await receiver.renew_message_lock(message)
            except (ServiceBusError, OSError, ValueError) as exc:
                log.warning("could not renew the lock of message %s on '%s': %s", message.message_id,
                            self.source, exc)
                return
