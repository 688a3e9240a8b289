"""Fixtures for the Service Bus emulator contract suite: one emulator subprocess, a pool of fresh queues."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from azure.servicebus import ServiceBusClient, ServiceBusReceiver, ServiceBusSender

from devhost.servicebus import EmulatorHandle, start_emulator

# Every test takes queues nobody else used, so tests stay independent without draining.
# Queues needing short locks or TTLs get them through per-queue overrides on the same emulator.
QUEUE_POOLS = {
    "plain": ("", 60),
    "short_lock": (":lock=1:maxdelivery=3", 16),
    "ttl": (":ttl=1", 4),
    "ttl_dead_letter": (":ttl=1:deadletteronexpiration=true", 3),
    "short_dedup": (":dupwindow=0.5", 3),
}


class QueuePool:
    """Hands out declared-but-unused queue names by kind."""

    def __init__(self) -> None:
        self._names = {kind: iter(self.names(kind)) for kind in QUEUE_POOLS}

    @staticmethod
    def names(kind: str) -> list[str]:
        return [f"{kind.replace('_', '-')}-{index:02d}" for index in range(QUEUE_POOLS[kind][1])]

    @classmethod
    def specs(cls) -> list[str]:
        return [name + QUEUE_POOLS[kind][0] for kind in QUEUE_POOLS for name in cls.names(kind)]

    def take(self, kind: str = "plain") -> str:
        try:
            return next(self._names[kind])
        except StopIteration:
            pytest.fail(f"queue pool {kind!r} exhausted: raise its size in conftest.QUEUE_POOLS")


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorHandle]:
    """The emulator started the way devhost starts it: `python -m devhost.servicebus` as a child process."""
    with start_emulator(QueuePool.specs(), subprocess=True) as handle:
        yield handle
        assert handle.process is not None and handle.process.poll() is None, "the emulator died during the suite"


@pytest.fixture(scope="session")
def queue_pool(emulator: EmulatorHandle) -> QueuePool:
    return QueuePool()


@pytest.fixture
def queue(queue_pool: QueuePool) -> str:
    return queue_pool.take("plain")


@pytest.fixture
def short_lock_queue(queue_pool: QueuePool) -> str:
    """lock 1 s, max delivery count 3."""
    return queue_pool.take("short_lock")


@pytest.fixture(scope="session")
def client(emulator: EmulatorHandle) -> Iterator[ServiceBusClient]:
    with ServiceBusClient.from_connection_string(emulator.connection_string) as sb_client:
        yield sb_client


class Links:
    """Opens SDK senders/receivers in parallel and closes them in the background.

    The SDK spends ~0.5 s opening and up to ~1 s closing each link, mostly in its own sleeps;
    doing that off the test's critical path keeps the suite fast without changing what is tested.
    """

    def __init__(self, clients: dict[str, ServiceBusClient], closer: ThreadPoolExecutor) -> None:
        self._clients, self._closer, self._open = clients, closer, []

    def sender(self, queue: str) -> ServiceBusSender:
        return self.open(("sender", queue, {}))[0]

    def receiver(self, queue: str, **options) -> ServiceBusReceiver:
        return self.open(("receiver", queue, options))[0]

    def pair(self, queue: str, **receiver_options) -> tuple[ServiceBusSender, ServiceBusReceiver]:
        sender, receiver = self.open(("sender", queue, {}), ("receiver", queue, receiver_options))
        return sender, receiver

    def open(self, *specs: tuple[str, str, dict]) -> list:
        def start(spec: tuple[str, str, dict]):
            kind, queue, options = spec
            options = dict(options)
            # `via="no_retry"` uses a client that raises at once where the SDK would retry for ~10 s.
            client = self._clients[options.pop("via", "default")]
            handler = (client.get_queue_sender(queue) if kind == "sender"
                       else client.get_queue_receiver(queue, **options))
            handler.__enter__()
            return handler

        with ThreadPoolExecutor(len(specs)) as pool:
            handlers = list(pool.map(start, specs))
        self._open += handlers
        return handlers

    def close_in_background(self) -> None:
        for handler in self._open:
            self._closer.submit(handler.close)
        self._open = []


@pytest.fixture(scope="session")
def _closer() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(8, thread_name_prefix="sb-close") as pool:
        yield pool


@pytest.fixture(scope="session")
def no_retry_client(emulator: EmulatorHandle) -> Iterator[ServiceBusClient]:
    with ServiceBusClient.from_connection_string(emulator.connection_string, retry_total=0) as sb_client:
        yield sb_client


@pytest.fixture
def links(client: ServiceBusClient, no_retry_client: ServiceBusClient,
          _closer: ThreadPoolExecutor) -> Iterator[Links]:
    opened = Links({"default": client, "no_retry": no_retry_client}, _closer)
    yield opened
    opened.close_in_background()
