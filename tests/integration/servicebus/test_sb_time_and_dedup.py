"""Scheduled messages, time to live and duplicate detection through the synchronous SDK."""

from __future__ import annotations

import datetime
import time

import pytest
from azure.servicebus import ServiceBusMessage, ServiceBusMessageState, ServiceBusSubQueue
from azure.servicebus.exceptions import MessageNotFoundError

from .conftest import Links, QueuePool
from .helpers import body_text, messages, receive_exactly, texts

pytestmark = pytest.mark.timeout(60)


def _in(seconds: float) -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds)


def test_scheduled_message_arrives_at_its_time_and_not_before(links: Links, queue: str) -> None:
    sender, receiver = links.pair(queue)
    due = _in(0.7)
    [number] = sender.schedule_messages(ServiceBusMessage("wake up"), due)
    [peeked] = receiver.peek_messages(1, sequence_number=1)
    assert (peeked.sequence_number, peeked.state) == (number, ServiceBusMessageState.SCHEDULED)
    assert receiver.receive_messages(max_wait_time=0.2) == []
    [message] = receive_exactly(receiver, 1, timeout=4)
    assert datetime.datetime.now(datetime.UTC) >= due - datetime.timedelta(milliseconds=50)
    assert (body_text(message), message.sequence_number) == ("wake up", number)
    assert abs((message.scheduled_enqueue_time_utc - due).total_seconds()) < 0.01
    receiver.complete_message(message)


def test_send_with_a_scheduled_enqueue_time_is_delayed_too(links: Links, queue: str) -> None:
    sender, receiver = links.pair(queue)
    sender.send_messages([ServiceBusMessage("later", scheduled_enqueue_time_utc=_in(0.8)), ServiceBusMessage("now")])
    [first] = receive_exactly(receiver, 1)
    assert body_text(first) == "now"
    receiver.complete_message(first)
    [second] = receive_exactly(receiver, 1, timeout=4)
    assert body_text(second) == "later"
    receiver.complete_message(second)


def test_cancelled_scheduled_message_never_arrives(links: Links, queue: str) -> None:
    sender, receiver = links.open(("sender", queue, {"via": "no_retry"}), ("receiver", queue, {}))
    kept, cancelled = sender.schedule_messages(messages("kept", "cancelled"), _in(0.8))
    sender.cancel_scheduled_messages(cancelled)
    assert texts(receiver.peek_messages(5, sequence_number=1)) == ["kept"]
    [message] = receive_exactly(receiver, 1, timeout=4)
    assert body_text(message) == "kept"
    receiver.complete_message(message)
    assert receiver.receive_messages(max_wait_time=0.5) == []
    with pytest.raises(MessageNotFoundError):
        sender.cancel_scheduled_messages(kept)  # already enqueued, so no longer scheduled


def test_message_time_to_live_expires_unreceived_messages(links: Links, queue: str) -> None:
    sender, receiver = links.pair(queue)
    # The SDK sends whole seconds (it truncates sub-second TTLs to 0, which means "none").
    sender.send_messages([ServiceBusMessage("short-lived", time_to_live=datetime.timedelta(seconds=1)),
                          ServiceBusMessage("durable")])
    [peeked, _] = receiver.peek_messages(5, sequence_number=1)
    assert peeked.expires_at_utc == peeked.enqueued_time_utc + datetime.timedelta(seconds=1)
    time.sleep(1.2)
    assert texts(receiver.peek_messages(5, sequence_number=1)) == ["durable"]
    [message] = receive_exactly(receiver, 1)
    assert body_text(message) == "durable"
    receiver.complete_message(message)


def test_queue_default_time_to_live_applies_when_the_message_has_none(links: Links, queue_pool: QueuePool) -> None:
    ttl_queue = queue_pool.take("ttl")  # default TTL 1 s
    sender, receiver = links.pair(ttl_queue)
    sender.send_messages(ServiceBusMessage("fleeting"))
    [peeked] = receiver.peek_messages(1, sequence_number=1)
    assert peeked.time_to_live == datetime.timedelta(seconds=1)  # the effective TTL, as Azure reports it
    time.sleep(1.2)
    assert receiver.receive_messages(max_wait_time=0.3) == []
    assert receiver.peek_messages(5, sequence_number=1) == []


def test_expired_messages_go_to_the_dead_letter_queue_when_the_queue_says_so(
        links: Links, queue_pool: QueuePool) -> None:
    ttl_queue = queue_pool.take("ttl_dead_letter")
    sender, dead_letters = links.open(("sender", ttl_queue, {}),
                                      ("receiver", ttl_queue, {"sub_queue": ServiceBusSubQueue.DEAD_LETTER}))
    sender.send_messages(ServiceBusMessage("stale"))
    [dead] = receive_exactly(dead_letters, 1, timeout=4)
    assert (body_text(dead), dead.dead_letter_reason) == ("stale", "TTLExpiredException")
    dead_letters.complete_message(dead)


def test_duplicate_message_ids_inside_the_window_are_dropped(links: Links, queue: str) -> None:
    sender, receiver = links.pair(queue)
    sender.send_messages(ServiceBusMessage("first A", message_id="A"))
    sender.send_messages(ServiceBusMessage("second A", message_id="A"))
    sender.send_messages([ServiceBusMessage("B", message_id="B"), ServiceBusMessage("third A", message_id="A")])
    received = receive_exactly(receiver, 2)
    assert texts(received) == ["first A", "B"]
    for message in received:
        receiver.complete_message(message)
    assert texts(receiver.receive_messages(max_wait_time=0.3)) == []
    sender.send_messages(ServiceBusMessage("A after completion", message_id="A"))  # still inside the window
    assert receiver.receive_messages(max_wait_time=0.3) == []


def test_duplicate_detection_forgets_ids_after_the_window(links: Links, queue_pool: QueuePool) -> None:
    dedup_queue = queue_pool.take("short_dedup")  # window 0.5 s
    sender, receiver = links.pair(dedup_queue)
    sender.send_messages(ServiceBusMessage("one", message_id="same"))
    sender.send_messages(ServiceBusMessage("dropped", message_id="same"))
    time.sleep(0.6)
    sender.send_messages(ServiceBusMessage("two", message_id="same"))
    received = receive_exactly(receiver, 2)
    assert texts(received) == ["one", "two"]
    for message in received:
        receiver.complete_message(message)
    assert texts(receiver.receive_messages(max_wait_time=0.3)) == []


def test_duplicate_detection_is_per_queue(links: Links, queue_pool: QueuePool) -> None:
    first_queue, second_queue = queue_pool.take(), queue_pool.take()
    first, second, receiver = links.open(("sender", first_queue, {}), ("sender", second_queue, {}),
                                         ("receiver", second_queue, {}))
    first.send_messages(ServiceBusMessage("in first", message_id="shared-id"))
    second.send_messages(ServiceBusMessage("in second", message_id="shared-id"))
    [message] = receive_exactly(receiver, 1)
    assert body_text(message) == "in second"
    receiver.complete_message(message)
