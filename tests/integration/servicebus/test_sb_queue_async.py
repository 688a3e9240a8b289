"""The same contract through `azure.servicebus.aio`: the async transport must see identical semantics."""

from __future__ import annotations

import asyncio
import datetime
import threading
from collections.abc import Awaitable, Callable, Iterator

import pytest
from azure.servicebus import ServiceBusMessage, ServiceBusReceiveMode, ServiceBusSubQueue
from azure.servicebus.aio import ServiceBusClient, ServiceBusReceiver
from azure.servicebus.exceptions import MessageLockLostError, MessagingEntityNotFoundError

from devhost.servicebus import EmulatorHandle

from .conftest import QueuePool
from .helpers import body_text, messages, texts

pytestmark = pytest.mark.timeout(60)
DEAD_LETTER = {"sub_queue": ServiceBusSubQueue.DEAD_LETTER}


async def _receive_exactly(receiver: ServiceBusReceiver, count: int, timeout: float = 5.0) -> list:
    got: list = []
    deadline = asyncio.get_running_loop().time() + timeout
    while len(got) < count and (left := deadline - asyncio.get_running_loop().time()) > 0:
        got += await receiver.receive_messages(max_message_count=count - len(got), max_wait_time=min(left, 2.0))
    return got


class AsyncLinks:
    """One event loop on a background thread for the module; links close in the background there.

    The async SDK, like the sync one, spends about a second in each close; doing that off the
    test's critical path keeps the suite fast without changing what is tested.
    """

    def __init__(self, connection_string: str) -> None:
        self._connection_string = connection_string
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sb-aio", daemon=True)
        self._thread.start()
        self._closing: list[asyncio.Future] = []
        self._client = self._call(self._make_client())

    async def _make_client(self) -> ServiceBusClient:
        return ServiceBusClient.from_connection_string(self._connection_string)

    def _call(self, coroutine, timeout: float = 45):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def run(self, scenario: Callable[..., Awaitable[None]], *specs: tuple[str, str, dict]) -> None:
        """Open the links in `specs` concurrently, run `scenario(*links)` on the loop, close them later."""
        self._call(self._run(scenario, specs))

    async def _run(self, scenario: Callable[..., Awaitable[None]], specs: tuple) -> None:
        client = self._client
        handlers = [client.get_queue_sender(queue) if kind == "sender"
                    else client.get_queue_receiver(queue, **options) for kind, queue, options in specs]
        try:
            await asyncio.gather(*(handler.__aenter__() for handler in handlers))
            await scenario(*handlers)
        finally:
            self._closing.append(asyncio.ensure_future(
                asyncio.gather(*(handler.close() for handler in handlers), return_exceptions=True)))

    def shutdown(self) -> None:
        async def finish() -> None:
            await asyncio.gather(*self._closing, return_exceptions=True)
            await self._client.close()

        self._call(finish())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@pytest.fixture(scope="module")
def aio(emulator: EmulatorHandle) -> Iterator[AsyncLinks]:
    links = AsyncLinks(emulator.connection_string)
    yield links
    links.shutdown()


def _sender(queue: str) -> tuple[str, str, dict]:
    return ("sender", queue, {})


def _receiver(queue: str, **options) -> tuple[str, str, dict]:
    return ("receiver", queue, options)


def test_async_send_receive_complete_abandon_and_peek(aio: AsyncLinks, queue: str) -> None:
    async def scenario(sender, receiver) -> None:
        await sender.send_messages(ServiceBusMessage("one", application_properties={"n": 1}))
        batch = await sender.create_message_batch()
        for body in ("two", "three"):
            batch.add_message(ServiceBusMessage(body))
        await sender.send_messages(batch)
        assert texts(await receiver.peek_messages(5, sequence_number=1)) == ["one", "two", "three"]
        received = await _receive_exactly(receiver, 3)
        assert texts(received) == ["one", "two", "three"]
        assert received[0].application_properties == {b"n": 1}
        await receiver.complete_message(received[0])
        await receiver.complete_message(received[2])
        await receiver.abandon_message(received[1])
        [again] = await _receive_exactly(receiver, 1)
        assert (body_text(again), again.delivery_count) == ("two", 1)
        await receiver.complete_message(again)
        assert await receiver.peek_messages(5, sequence_number=1) == []

    aio.run(scenario, _sender(queue), _receiver(queue))


def test_async_defer_and_dead_letter(aio: AsyncLinks, queue: str) -> None:
    async def scenario(sender, receiver, dead_letters) -> None:
        await sender.send_messages(messages("deferred", "poison"))
        deferred, poison = await _receive_exactly(receiver, 2)
        await receiver.defer_message(deferred)
        await receiver.dead_letter_message(poison, reason="BadPayload", error_description="not JSON")
        assert await receiver.receive_messages(max_wait_time=0.3) == []
        [back] = await receiver.receive_deferred_messages([deferred.sequence_number])
        assert body_text(back) == "deferred"
        await receiver.complete_message(back)
        [dead] = await _receive_exactly(dead_letters, 1)
        assert (body_text(dead), dead.dead_letter_reason, dead.dead_letter_error_description) == (
            "poison", "BadPayload", "not JSON")
        await dead_letters.complete_message(dead)

    aio.run(scenario, _sender(queue), _receiver(queue), _receiver(queue, **DEAD_LETTER))


def test_async_lock_expiry_renewal_and_max_delivery_count(aio: AsyncLinks, queue_pool: QueuePool) -> None:
    queue = queue_pool.take("short_lock")  # lock 1 s, max delivery count 3

    async def scenario(sender, receiver, dead_letters) -> None:
        await sender.send_messages(messages("expiring", "renewed"))
        expiring, renewed = await _receive_exactly(receiver, 2)
        await asyncio.sleep(0.6)
        await receiver.renew_message_lock(renewed)
        await asyncio.sleep(0.6)
        with pytest.raises(MessageLockLostError):
            await receiver.complete_message(expiring)
        await receiver.complete_message(renewed)
        for expected_count in (1, 2):
            [message] = await _receive_exactly(receiver, 1)
            assert (body_text(message), message.delivery_count) == ("expiring", expected_count)
            await receiver.abandon_message(message)
        [dead] = await _receive_exactly(dead_letters, 1)
        assert (body_text(dead), dead.dead_letter_reason) == ("expiring", "MaxDeliveryCountExceeded")
        await dead_letters.complete_message(dead)

    aio.run(scenario, _sender(queue), _receiver(queue), _receiver(queue, **DEAD_LETTER))


def test_async_receive_and_delete_schedule_and_cancel(aio: AsyncLinks, queue: str) -> None:
    async def scenario(sender, deleting) -> None:
        due = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=0.8)
        kept, cancelled = await sender.schedule_messages(messages("kept", "cancelled"), due)
        await sender.cancel_scheduled_messages(cancelled)
        await sender.send_messages(ServiceBusMessage("now"))
        assert texts(await _receive_exactly(deleting, 1)) == ["now"]
        [late] = await _receive_exactly(deleting, 1, timeout=4)
        assert (body_text(late), late.sequence_number, late.lock_token) == ("kept", kept, None)
        assert await deleting.peek_messages(5, sequence_number=1) == []

    aio.run(scenario, _sender(queue),
         _receiver(queue, receive_mode=ServiceBusReceiveMode.RECEIVE_AND_DELETE))


def test_async_competing_consumers_split_the_work(aio: AsyncLinks, queue: str) -> None:
    async def scenario(sender, *receivers) -> None:
        await sender.send_messages(messages(*[f"w{index}" for index in range(24)]))
        seen: list[str] = []

        async def work(receiver) -> None:
            deadline = asyncio.get_running_loop().time() + 15
            while len(seen) < 24 and asyncio.get_running_loop().time() < deadline:
                batch = await receiver.receive_messages(max_message_count=3, max_wait_time=0.3)
                seen.extend(texts(batch))
                await asyncio.sleep(0.05)
                for message in batch:
                    await receiver.complete_message(message)

        await asyncio.gather(*(work(receiver) for receiver in receivers))
        assert sorted(seen) == sorted(f"w{index}" for index in range(24))
        assert await receivers[0].receive_messages(max_wait_time=0.3) == []

    aio.run(scenario, _sender(queue), *[_receiver(queue)] * 3)


def test_async_duplicates_are_dropped_and_unknown_queues_raise(aio: AsyncLinks, emulator: EmulatorHandle,
                                                               queue: str) -> None:
    async def scenario(sender, receiver) -> None:
        await sender.send_messages([ServiceBusMessage("a", message_id="x"), ServiceBusMessage("b", message_id="x")])
        assert texts(await _receive_exactly(receiver, 1)) == ["a"]
        assert await receiver.receive_messages(max_wait_time=0.3) == []
        async with ServiceBusClient.from_connection_string(emulator.connection_string, retry_total=0) as client:
            with pytest.raises(MessagingEntityNotFoundError):
                async with client.get_queue_sender("no-such-queue") as missing:
                    await missing.send_messages(ServiceBusMessage("lost"))

    aio.run(scenario, _sender(queue), _receiver(queue, receive_mode=ServiceBusReceiveMode.RECEIVE_AND_DELETE))
