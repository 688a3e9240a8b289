"""Misbehaving peers never take the broker down: garbage, vanished clients mid-transfer, many connections."""

from __future__ import annotations

import os
import random
import socket
import struct
import threading
import time

import pytest
from azure.servicebus import ServiceBusClient, ServiceBusMessage
from proton import Delivery

from devhost.servicebus import EmulatorHandle

from .conftest import Links, QueuePool
from .helpers import body_text, receive_exactly, texts
from .rawamqp import RawClient

pytestmark = pytest.mark.timeout(60)
SASL_HEADER, AMQP_HEADER = b"AMQP\x03\x01\x00\x00", b"AMQP\x00\x01\x00\x00"
GARBAGE = {
    "random bytes": random.Random(7).randbytes(8192),
    "http request": b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "sasl header then junk": SASL_HEADER + b"\x00\x00\x00\x10\x02\x01\x00\x00junkjunk",
    "amqp header then junk": AMQP_HEADER + random.Random(8).randbytes(512),
    "frame claiming 4 GiB": SASL_HEADER + b"\xff\xff\xff\xff\x02\x01\x00\x00",
    "nothing at all": b"",
}


def _assert_broker_serves(links: Links, queue: str) -> None:
    sender, receiver = links.pair(queue)
    sender.send_messages(ServiceBusMessage("still alive"))
    [message] = receive_exactly(receiver, 1)
    assert body_text(message) == "still alive"
    receiver.complete_message(message)


def _closed_by_peer(sock: socket.socket, timeout: float = 3.0) -> bool:
    sock.settimeout(timeout)
    try:
        while sock.recv(65536):
            pass
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


@pytest.mark.parametrize("payload", GARBAGE.values(), ids=GARBAGE.keys())
def test_garbage_gets_the_connection_closed_and_nothing_else(emulator: EmulatorHandle, payload: bytes) -> None:
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=3) as sock:
        sock.sendall(payload)
        if not payload:
            sock.shutdown(socket.SHUT_WR)
        assert _closed_by_peer(sock), "the broker kept a garbage connection open"


def test_broker_serves_after_garbage_and_protocol_violations(emulator: EmulatorHandle, links: Links,
                                                            queue: str) -> None:
    for payload in GARBAGE.values():
        with socket.create_connection(("127.0.0.1", emulator.port), timeout=3) as sock:
            sock.sendall(payload)
    violator = RawClient(emulator.port)
    violator.sender(queue)
    # A transfer on a link handle that was never attached (99): the broker ends this connection only.
    transfer = b"\x00\x53\x14\xc0\x08\x03\x52\x63\x52\x00\xa0\x01x"
    violator.sock.sendall(struct.pack(">IBBH", 8 + len(transfer), 2, 0, 0) + transfer)
    assert _closed_by_peer(violator.sock)
    violator.vanish()
    _assert_broker_serves(links, queue)


def test_a_sender_vanishing_mid_transfer_leaves_no_half_message(emulator: EmulatorHandle, links: Links,
                                                               queue: str) -> None:
    client = RawClient(emulator.port)
    link = client.sender(queue)
    client.start_transfer(link, os.urandom(200_000))
    sent = client.flush(limit=70_000)  # a few frames of the transfer, then the peer is gone
    assert 0 < sent < 200_000
    client.vanish()
    sender, receiver = links.pair(queue)
    assert receiver.peek_messages(5, sequence_number=1) == []
    sender.send_messages(ServiceBusMessage("whole"))
    assert texts(receive_exactly(receiver, 1)) == ["whole"]


def test_a_receiver_vanishing_mid_transfer_gets_its_message_back_after_the_lock(
        emulator: EmulatorHandle, links: Links, queue_pool: QueuePool) -> None:
    queue = queue_pool.take("short_lock")
    sender, receiver = links.pair(queue)
    big = "x" * 200_000
    sender.send_messages(ServiceBusMessage(big))
    client = RawClient(emulator.port)
    client.receiver(queue, credit=1)
    client.sock.settimeout(3)
    received = 0
    while received < 20_000:  # the first frames of the delivery arrived; stop reading and vanish
        received += len(client.sock.recv(4096))
    client.vanish()
    [back] = receive_exactly(receiver, 1, timeout=5)
    assert (len(body_text(back)), back.delivery_count) == (200_000, 1)
    receiver.complete_message(back)


def test_large_messages_cross_frame_boundaries_both_ways(links: Links, queue: str) -> None:
    sender, receiver = links.pair(queue)
    body = bytes(random.Random(9).randbytes(250_000))
    sender.send_messages(ServiceBusMessage(body))
    [message] = receive_exactly(receiver, 1)
    assert b"".join(message.body) == body
    receiver.complete_message(message)


def test_an_oversized_transfer_is_rejected_with_size_exceeded(emulator: EmulatorHandle, queue: str) -> None:
    client = RawClient(emulator.port)
    link = client.sender(queue)
    delivery = client.start_transfer(link, b"y" * 300_000)  # over the 256 KiB Standard-tier limit
    client.pump(lambda: delivery.remote_state == Delivery.REJECTED)
    assert delivery.remote.condition.name == "amqp:link:message-size-exceeded"
    client.vanish()


def test_two_dozen_concurrent_connections_are_all_served(emulator: EmulatorHandle, client: ServiceBusClient,
                                                         links: Links, queue: str) -> None:
    connections, per_sender = 24, 5
    everyone_connected = threading.Barrier(connections)
    failures: list[BaseException] = []

    def produce(index: int) -> None:
        try:
            with client.get_queue_sender(queue) as sender:
                everyone_connected.wait(timeout=30)  # all 24 connections are open at the same moment
                sender.send_messages([ServiceBusMessage(f"c{index}-{n}") for n in range(per_sender)])
        except BaseException as error:  # collected and re-raised in the test thread
            failures.append(error)

    threads = [threading.Thread(target=produce, args=(index,)) for index in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(45)
    assert not failures, failures
    receivers = links.open(*[("receiver", queue, {})] * 2)
    seen: list[str] = []
    for receiver in receivers:
        while batch := receiver.receive_messages(max_message_count=50, max_wait_time=0.5):
            seen += texts(batch)
            for message in batch:
                receiver.complete_message(message)
    assert sorted(seen) == sorted(f"c{index}-{n}" for index in range(connections) for n in range(per_sender))
    assert time.monotonic() - started < 30
