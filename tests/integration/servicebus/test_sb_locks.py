"""Locks through the synchronous SDK: expiry, renew, max delivery count, competing and vanished consumers."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from azure.servicebus import ServiceBusClient, ServiceBusMessage, ServiceBusSubQueue
from azure.servicebus.exceptions import MessageLockLostError

from devhost.servicebus import EmulatorHandle

from .conftest import Links
from .helpers import body_text, messages, receive_exactly, texts

pytestmark = pytest.mark.timeout(60)
DEAD_LETTER = {"sub_queue": ServiceBusSubQueue.DEAD_LETTER}
REPO_ROOT = Path(__file__).resolve().parents[3]


def test_expired_lock_returns_the_message_and_a_late_settle_raises(links: Links, short_lock_queue: str) -> None:
    sender, receiver = links.pair(short_lock_queue)
    sender.send_messages(ServiceBusMessage("slow"))
    [first] = receive_exactly(receiver, 1)
    time.sleep(1.2)
    with pytest.raises(MessageLockLostError):
        receiver.complete_message(first)
    [again] = receive_exactly(receiver, 1)
    assert (body_text(again), again.delivery_count) == ("slow", 1)
    receiver.complete_message(again)


def test_renewed_lock_outlives_the_first_one(links: Links, short_lock_queue: str) -> None:
    sender, receiver, competitor = links.open(("sender", short_lock_queue, {}), ("receiver", short_lock_queue, {}),
                                              ("receiver", short_lock_queue, {}))
    sender.send_messages(ServiceBusMessage("long job"))
    [message] = receive_exactly(receiver, 1)
    first_expiry = message.locked_until_utc
    time.sleep(0.6)
    renewed = receiver.renew_message_lock(message)
    assert renewed > first_expiry
    time.sleep(0.6)  # past the first lock: without the renewal the message would be back in the queue
    assert receiver.renew_message_lock(message) > renewed
    assert competitor.receive_messages(max_wait_time=0.2) == []
    receiver.complete_message(message)
    assert competitor.peek_messages(5, sequence_number=1) == []


def test_max_delivery_count_dead_letters_after_expiries_and_abandons(links: Links, short_lock_queue: str) -> None:
    sender, receiver, dead_letters = links.open(("sender", short_lock_queue, {}), ("receiver", short_lock_queue, {}),
                                                ("receiver", short_lock_queue, DEAD_LETTER))
    sender.send_messages(ServiceBusMessage("poison"))
    counts = []
    for _ in range(2):  # max delivery count is 3 on short-lock queues: expire twice, abandon once
        [message] = receive_exactly(receiver, 1, timeout=4)
        counts.append(message.delivery_count)
        time.sleep(1.1)
    [last] = receive_exactly(receiver, 1, timeout=4)
    counts.append(last.delivery_count)
    receiver.abandon_message(last)
    assert counts == [0, 1, 2]
    assert receiver.receive_messages(max_wait_time=0.3) == []
    [dead] = receive_exactly(dead_letters, 1)
    assert body_text(dead) == "poison"
    assert dead.dead_letter_reason == "MaxDeliveryCountExceeded"
    assert "3" in dead.dead_letter_error_description
    assert dead.delivery_count == 3
    dead_letters.complete_message(dead)


def test_competing_consumers_never_see_a_locked_message_twice(links: Links, queue: str) -> None:
    sender, *receivers = links.open(("sender", queue, {}), *[("receiver", queue, {})] * 3)
    sender.send_messages(messages(*[f"job-{index}" for index in range(30)]))
    seen: list[str] = []
    lock = threading.Lock()

    def work(receiver) -> None:
        deadline = time.monotonic() + 15
        while len(seen) < 30 and time.monotonic() < deadline:
            batch = receiver.receive_messages(max_message_count=4, max_wait_time=0.3)
            with lock:
                seen.extend(texts(batch))
            time.sleep(0.05)  # hold the locks a little, as real work would
            for message in batch:
                receiver.complete_message(message)

    threads = [threading.Thread(target=work, args=(receiver,)) for receiver in receivers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(seen) == sorted(f"job-{index}" for index in range(30))
    assert receivers[0].receive_messages(max_wait_time=0.3) == []


_HOLDER = textwrap.dedent("""
    import sys, time
    from azure.servicebus import ServiceBusClient
    client = ServiceBusClient.from_connection_string(sys.argv[1])
    receiver = client.get_queue_receiver(sys.argv[2])
    got = []
    while len(got) < 3:
        got += receiver.receive_messages(max_message_count=3 - len(got), max_wait_time=5)
    print(max(m.locked_until_utc for m in got).timestamp(), flush=True)
    time.sleep(60)
""")


def test_messages_held_by_a_killed_client_come_back_when_their_locks_expire(
        emulator: EmulatorHandle, links: Links, short_lock_queue: str) -> None:
    sender, receiver = links.pair(short_lock_queue)
    sender.send_messages(messages("a", "b", "c"))
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, emulator.connection_string, short_lock_queue],
                              stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT, env=dict(os.environ))
    try:
        locked_until = float(holder.stdout.readline())
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    returned = receive_exactly(receiver, 3, timeout=5)
    arrived = time.time()
    assert sorted(texts(returned)) == ["a", "b", "c"]
    assert [message.delivery_count for message in returned] == [1, 1, 1]
    assert arrived >= locked_until - 0.05
    for message in returned:
        receiver.complete_message(message)


def test_closing_a_prefetching_receiver_releases_what_it_had_not_handed_out(
        client: ServiceBusClient, links: Links, queue: str) -> None:
    sender, other = links.pair(queue)
    sender.send_messages(messages(*[f"p{index}" for index in range(5)]))
    with client.get_queue_receiver(queue, prefetch_count=5) as prefetching:
        [taken] = receive_exactly(prefetching, 1)
        time.sleep(0.3)  # let the prefetch fill
    # Released on close, not locked for 30 s: a competitor gets them at once, delivery count unchanged.
    rest = receive_exactly(other, 4, timeout=3)
    assert sorted(texts(rest)) == sorted({f"p{index}" for index in range(5)} - {body_text(taken)})
    assert all(message.delivery_count == 0 for message in rest)
    assert taken.locked_until_utc > datetime.datetime.now(datetime.UTC)
    for message in rest:
        other.complete_message(message)
