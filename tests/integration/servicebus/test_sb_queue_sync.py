"""Queue semantics through the synchronous SDK: send, FIFO, peek-lock, settle, defer, dead-letter, peek, RAD."""

from __future__ import annotations

import datetime

import pytest
from azure.servicebus import ServiceBusMessage, ServiceBusMessageState, ServiceBusReceiveMode, ServiceBusSubQueue
from azure.servicebus.exceptions import MessageAlreadySettled, MessageNotFoundError

from .conftest import Links
from .helpers import body_text, messages, receive_exactly, texts

pytestmark = pytest.mark.timeout(60)
DEAD_LETTER = {"sub_queue": ServiceBusSubQueue.DEAD_LETTER}


def test_one_message_arrives_with_its_properties(links: Links, queue: str) -> None:
    sender, receiver = links.pair(queue)
    sender.send_messages(ServiceBusMessage(
        '{"alert": 1}', message_id="alert-1", content_type="application/json", correlation_id="corr-7",
        subject="failure", application_properties={"source": "adf", "attempt": 2, "urgent": True},
        time_to_live=datetime.timedelta(minutes=5),
    ))
    [received] = receive_exactly(receiver, 1)
    assert body_text(received) == '{"alert": 1}'
    assert (received.message_id, received.content_type, received.correlation_id, received.subject) == (
        "alert-1", "application/json", "corr-7", "failure")
    assert received.application_properties == {b"source": b"adf", b"attempt": 2, b"urgent": True}
    assert received.time_to_live == datetime.timedelta(minutes=5)
    assert received.delivery_count == 0
    assert received.sequence_number >= 1
    assert received.enqueued_time_utc is not None
    assert received.locked_until_utc > datetime.datetime.now(datetime.UTC)
    receiver.complete_message(received)


def test_batches_and_lists_arrive_as_separate_messages_in_fifo_order(links: Links, queue: str) -> None:
    sender, receiver = links.pair(queue)
    batch = sender.create_message_batch()
    for index in range(5):
        batch.add_message(ServiceBusMessage(f"batch-{index}"))
    sender.send_messages(batch)
    sender.send_messages(messages("list-0", "list-1"))
    sender.send_messages(ServiceBusMessage("single"))
    received = receive_exactly(receiver, 8)
    assert texts(received) == [f"batch-{index}" for index in range(5)] + ["list-0", "list-1", "single"]
    numbers = [message.sequence_number for message in received]
    assert numbers == sorted(numbers) and len(set(numbers)) == 8
    for message in received:
        receiver.complete_message(message)
    assert receiver.receive_messages(max_wait_time=0.3) == []


def test_a_data_body_that_looks_like_a_message_is_not_unpacked(links: Links, queue: str) -> None:
    from azure.servicebus.amqp import AmqpAnnotatedMessage

    inner = b"\x00\x53\x77\xa1\x05inner"  # an encoded amqp-value message, sent as opaque bytes
    sender, receiver = links.pair(queue)
    sender.send_messages(AmqpAnnotatedMessage(data_body=[b"part-1", b"part-2"]))
    sender.send_messages(ServiceBusMessage(inner))
    first, second = receive_exactly(receiver, 2)
    assert b"".join(first.body) == b"part-1part-2"
    assert b"".join(second.body) == inner
    receiver.complete_message(first)
    receiver.complete_message(second)


def test_peek_lock_delivers_no_more_than_the_credit_asked_for(links: Links, queue: str) -> None:
    sender, first, second = links.open(("sender", queue, {}), ("receiver", queue, {}), ("receiver", queue, {}))
    sender.send_messages(messages(*[f"m{index}" for index in range(5)]))
    taken = first.receive_messages(max_message_count=2, max_wait_time=3)
    assert texts(taken) == ["m0", "m1"]
    # The other three were never locked by `first`, so a competitor gets them at once.
    rest = receive_exactly(second, 3)
    assert texts(rest) == ["m2", "m3", "m4"]
    for message in taken:
        first.complete_message(message)
    for message in rest:
        second.complete_message(message)


def test_completed_messages_are_gone(links: Links, queue: str) -> None:
    sender, receiver = links.pair(queue)
    sender.send_messages(messages("done", "kept"))
    done, kept = receive_exactly(receiver, 2)
    receiver.complete_message(done)
    receiver.abandon_message(kept)
    assert texts(receiver.peek_messages(10, sequence_number=1)) == ["kept"]


def test_abandon_redelivers_first_with_delivery_count_plus_one(links: Links, queue: str) -> None:
    sender, receiver = links.pair(queue)
    sender.send_messages(messages("first", "second"))
    [first] = receive_exactly(receiver, 1)
    receiver.abandon_message(first)
    [again] = receive_exactly(receiver, 1)
    assert (body_text(again), again.delivery_count) == ("first", 1)
    assert again.sequence_number == first.sequence_number
    assert again.lock_token != first.lock_token
    receiver.abandon_message(again)
    [third] = receive_exactly(receiver, 1)
    assert (body_text(third), third.delivery_count) == ("first", 2)
    receiver.complete_message(third)


def test_deferred_messages_are_only_received_by_sequence_number(links: Links, queue: str) -> None:
    sender, receiver = links.pair(queue, via="no_retry")
    sender.send_messages(messages("later", "now"))
    [later] = receive_exactly(receiver, 1)
    receiver.defer_message(later)
    [now] = receive_exactly(receiver, 1)
    assert body_text(now) == "now"
    receiver.complete_message(now)
    assert receiver.receive_messages(max_wait_time=0.3) == []
    [peeked] = receiver.peek_messages(5, sequence_number=1)
    assert peeked.state == ServiceBusMessageState.DEFERRED
    [deferred] = receiver.receive_deferred_messages([later.sequence_number])
    assert body_text(deferred) == "later" and deferred.lock_token is not None
    assert deferred.locked_until_utc > datetime.datetime.now(datetime.UTC)
    receiver.complete_message(deferred)
    with pytest.raises(MessageNotFoundError):
        receiver.receive_deferred_messages([later.sequence_number])


def test_abandoned_deferred_message_stays_deferred(links: Links, queue: str) -> None:
    sender, receiver, dead_letters = links.open(("sender", queue, {}), ("receiver", queue, {}),
                                                ("receiver", queue, DEAD_LETTER))
    sender.send_messages(ServiceBusMessage("parked"))
    [parked] = receive_exactly(receiver, 1)
    receiver.defer_message(parked)
    [deferred] = receiver.receive_deferred_messages(parked.sequence_number)
    receiver.abandon_message(deferred)
    assert receiver.receive_messages(max_wait_time=0.3) == []
    [again] = receiver.receive_deferred_messages(parked.sequence_number)
    assert again.delivery_count == 1
    receiver.dead_letter_message(again, reason="gave-up", error_description="deferred too long")
    [dead] = receive_exactly(dead_letters, 1)
    assert (body_text(dead), dead.dead_letter_reason) == ("parked", "gave-up")
    dead_letters.complete_message(dead)


def test_dead_letter_keeps_reason_and_description_on_the_sub_queue(links: Links, queue: str) -> None:
    sender, receiver, dead_letters = links.open(("sender", queue, {}), ("receiver", queue, {}),
                                                ("receiver", queue, DEAD_LETTER))
    sender.send_messages(ServiceBusMessage("poison", application_properties={"ticket": "T-1"}))
    [poison] = receive_exactly(receiver, 1)
    receiver.dead_letter_message(poison, reason="SchemaMismatch", error_description="column x missing")
    assert receiver.receive_messages(max_wait_time=0.3) == []
    assert texts(dead_letters.peek_messages(5, sequence_number=1)) == ["poison"]
    [dead] = receive_exactly(dead_letters, 1)
    assert body_text(dead) == "poison"
    assert dead.dead_letter_reason == "SchemaMismatch"
    assert dead.dead_letter_error_description == "column x missing"
    assert dead.dead_letter_source == queue
    assert dead.application_properties[b"ticket"] == b"T-1"
    assert dead.delivery_count == 0
    dead_letters.complete_message(dead)
    assert dead_letters.receive_messages(max_wait_time=0.3) == []


def test_dead_letter_address_works_as_a_queue_name(links: Links, queue: str) -> None:
    sender, receiver, dead_letters = links.open(("sender", queue, {}), ("receiver", queue, {}),
                                                ("receiver", f"{queue}/$DeadLetterQueue", {}))
    sender.send_messages(ServiceBusMessage("via-path"))
    receiver.dead_letter_message(receive_exactly(receiver, 1)[0], reason="r", error_description="d")
    [dead] = receive_exactly(dead_letters, 1)
    assert (body_text(dead), dead.dead_letter_reason, dead.dead_letter_error_description) == ("via-path", "r", "d")
    dead_letters.complete_message(dead)


def test_peek_neither_locks_nor_counts_a_delivery(links: Links, queue: str) -> None:
    sender, receiver = links.pair(queue)
    sender.send_messages(messages("a", "b", "c"))
    peeked = receiver.peek_messages(2, sequence_number=1)
    assert texts(peeked) == ["a", "b"]
    assert all(message.lock_token is None for message in peeked)
    assert texts(receiver.peek_messages(5)) == ["c"]  # continues after the last one seen
    received = receive_exactly(receiver, 3)
    assert texts(received) == ["a", "b", "c"]
    assert [message.delivery_count for message in received] == [0, 0, 0]
    assert texts(receiver.peek_messages(5, sequence_number=1)) == ["a", "b", "c"]  # locked ones are peekable
    for message in received:
        receiver.complete_message(message)
    assert receiver.peek_messages(5, sequence_number=1) == []


def test_receive_and_delete_removes_on_delivery(links: Links, queue: str) -> None:
    sender, receiver, peeker = links.open(
        ("sender", queue, {}), ("receiver", queue, {"receive_mode": ServiceBusReceiveMode.RECEIVE_AND_DELETE}),
        ("receiver", queue, {}))
    sender.send_messages(messages("x", "y"))
    received = receive_exactly(receiver, 2)
    assert texts(received) == ["x", "y"]
    assert all(message.lock_token is None for message in received)
    assert peeker.peek_messages(5, sequence_number=1) == []
    assert peeker.receive_messages(max_wait_time=0.3) == []


def test_settling_twice_is_refused_by_the_client(links: Links, queue: str) -> None:
    sender, receiver = links.pair(queue)
    sender.send_messages(ServiceBusMessage("once"))
    [message] = receive_exactly(receiver, 1)
    receiver.complete_message(message)
    with pytest.raises(MessageAlreadySettled):
        receiver.complete_message(message)


def test_queue_names_are_case_insensitive_as_in_azure(links: Links, queue: str) -> None:
    sender, receiver = links.open(("sender", queue.upper(), {}), ("receiver", queue, {}))
    sender.send_messages(ServiceBusMessage("shouted"))
    assert texts(receive_exactly(receiver, 1)) == ["shouted"]
