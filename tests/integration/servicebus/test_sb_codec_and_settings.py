"""Pure checks of the emulator's message codec and queue declarations (no sockets, milliseconds)."""

from __future__ import annotations

import pytest
from proton import Message

from devhost.servicebus.codec import CodecError, parse_message, unpack_batch
from devhost.servicebus.settings import QueueSettings, parse_queue_specs


def _data_section(payload: bytes) -> bytes:
    return b"\x00\x53\x75\xb0" + len(payload).to_bytes(4, "big") + payload


def _properties(message_id: str) -> bytes:
    encoded = message_id.encode()
    return b"\x00\x53\x73\xc0" + bytes([len(encoded) + 3, 1, 0xA1, len(encoded)]) + encoded


def test_batch_envelopes_are_unpacked_into_their_messages() -> None:
    inner = [Message(body=f"m{index}", id=f"id-{index}").encode() for index in range(3)]
    envelope = _properties("id-0") + b"".join(_data_section(message) for message in inner)
    assert unpack_batch(envelope) == inner
    assert unpack_batch(b"".join(_data_section(message) for message in inner)) == inner


def test_data_that_merely_looks_like_a_batch_is_left_alone() -> None:
    inner = Message(body="m", id="inner-id").encode()
    assert unpack_batch(_properties("outer-id") + _data_section(inner)) is None  # ids differ: not an envelope
    assert unpack_batch(_data_section(b"plain bytes")) is None
    assert unpack_batch(Message(body="value body", id="x").encode()) is None


def test_parsed_message_keeps_body_bytes_and_rewrites_the_header() -> None:
    original = Message(body=b"\x00\x01payload", id="abc", properties={"k": "v"})
    original.ttl = 5
    parsed = parse_message(original.encode())
    assert (parsed.message_id, parsed.ttl_seconds) == ("abc", 5.0)
    rendered = Message()
    rendered.decode(parsed.encode(3, {"x-opt-sequence-number": 7}, {"DeadLetterReason": "why"}))
    assert rendered.body == b"\x00\x01payload"
    assert rendered.delivery_count == 3
    assert rendered.annotations["x-opt-sequence-number"] == 7
    assert rendered.properties == {"k": "v", "DeadLetterReason": "why"}


@pytest.mark.parametrize("raw", [b"", b"\x00\x53", b"\x00\x53\x75\xb0\xff\xff\xff\xff", b"\x00\x53\x77",
                                 b"\x00\x53\x73\xc0\x01\x00", b"\xff" * 10])
def test_malformed_messages_raise_codec_error(raw: bytes) -> None:
    with pytest.raises(CodecError):
        parse_message(raw)


def test_queue_specs_take_per_queue_overrides_over_the_defaults() -> None:
    defaults = QueueSettings(name="_", lock_seconds=5, max_delivery_count=4)
    plain, tuned = parse_queue_specs("plain,tuned:lock=1.5:maxdelivery=2:ttl=60:deadletteronexpiration=true",
                                     defaults)
    assert (plain.name, plain.lock_seconds, plain.max_delivery_count) == ("plain", 5, 4)
    assert (tuned.lock_seconds, tuned.max_delivery_count, tuned.default_ttl_seconds,
            tuned.dead_letter_on_expiration) == (1.5, 2, 60, True)


@pytest.mark.parametrize("spec", ["", "a,A", "a:lock=0", "a:lock", "a:colour=blue", "$cbs", "a//b", "a/"])
def test_bad_queue_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_queue_specs(spec)
