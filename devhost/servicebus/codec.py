"""AMQP message sections: split raw bytes without decoding bodies, unpack batches, re-encode for delivery."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from proton import Data, symbol

__all__ = ["CodecError", "ParsedMessage", "parse_message", "unpack_batch", "encode_map_section", "encode_value"]

HEADER, DELIVERY_ANNOTATIONS, MESSAGE_ANNOTATIONS, PROPERTIES = 0x70, 0x71, 0x72, 0x73
APPLICATION_PROPERTIES, DATA, AMQP_SEQUENCE, AMQP_VALUE, FOOTER = 0x74, 0x75, 0x76, 0x77, 0x78
BODY_CODES = (DATA, AMQP_SEQUENCE, AMQP_VALUE)
_SYMBOLIC_DESCRIPTORS = {
    b"amqp:header:list": HEADER,
    b"amqp:delivery-annotations:map": DELIVERY_ANNOTATIONS,
    b"amqp:message-annotations:map": MESSAGE_ANNOTATIONS,
    b"amqp:properties:list": PROPERTIES,
    b"amqp:application-properties:map": APPLICATION_PROPERTIES,
    b"amqp:data:binary": DATA,
    b"amqp:amqp-sequence:list": AMQP_SEQUENCE,
    b"amqp:amqp-value:*": AMQP_VALUE,
    b"amqp:footer:map": FOOTER,
}


class CodecError(ValueError):
    """The bytes are not a well-formed AMQP message."""


def _skip_value(buf: bytes, pos: int) -> int:
    """Return the offset just past the encoded AMQP value starting at `pos`."""
    if pos >= len(buf):
        raise CodecError("truncated value")
    code = buf[pos]
    if code == 0x00:
        return _skip_value(buf, _skip_value(buf, pos + 1))
    width_class = code >> 4
    fixed = {0x4: 0, 0x5: 1, 0x6: 2, 0x7: 4, 0x8: 8, 0x9: 16}
    if width_class in fixed:
        end = pos + 1 + fixed[width_class]
    elif width_class in (0xA, 0xC, 0xE):
        if pos + 2 > len(buf):
            raise CodecError("truncated size")
        end = pos + 2 + buf[pos + 1]
    elif width_class in (0xB, 0xD, 0xF):
        if pos + 5 > len(buf):
            raise CodecError("truncated size")
        end = pos + 5 + struct.unpack_from(">I", buf, pos + 1)[0]
    else:
        raise CodecError(f"unknown constructor 0x{code:02x}")
    if end > len(buf):
        raise CodecError("value runs past the end of the message")
    return end


def _section_code(buf: bytes, pos: int) -> tuple[int, int]:
    """Return (section code, offset of the section's value) for the section starting at `pos`."""
    if pos + 3 > len(buf) or buf[pos] != 0x00:
        raise CodecError("expected a described section")
    kind = buf[pos + 1]
    if kind == 0x53:
        return buf[pos + 2], pos + 3
    if kind == 0x80:
        return struct.unpack_from(">Q", buf, pos + 2)[0], pos + 10
    if kind in (0xA3, 0xB3):
        end = _skip_value(buf, pos + 1)
        name = buf[pos + 3 : end] if kind == 0xA3 else buf[pos + 6 : end]
        return _SYMBOLIC_DESCRIPTORS.get(bytes(name), -1), end
    raise CodecError("unsupported section descriptor")


def split_sections(buf: bytes) -> list[tuple[int, int, int, int]]:
    """List (code, start, value_start, end) for every section; strict about order and completeness."""
    sections, pos, last = [], 0, 0
    while pos < len(buf):
        code, value_start = _section_code(buf, pos)
        if not HEADER <= code <= FOOTER or code < last or (code == last and code not in (DATA, AMQP_SEQUENCE)):
            raise CodecError(f"unexpected section 0x{code:x}")
        end = _skip_value(buf, value_start)
        sections.append((code, pos, value_start, end))
        pos, last = end, code
    return sections


def decode_value(raw: bytes) -> Any:
    data = Data()
    data.decode(raw)
    return data.get_object()


def encode_value(value: Any) -> bytes:
    data = Data()
    data.put_object(value)
    return data.encode()


def encode_map_section(code: int, mapping: dict) -> bytes:
    return b"\x00\x53" + bytes([code]) + encode_value(mapping)


def _encode_header(durable: bool, priority: int, ttl_ms: int | None, first_acquirer: bool, delivery_count: int) -> bytes:
    fields = b"\x41" if durable else b"\x42"
    fields += b"\x50" + bytes([priority & 0xFF])
    fields += b"\x40" if ttl_ms is None else b"\x70" + struct.pack(">I", ttl_ms & 0xFFFFFFFF)
    fields += b"\x41" if first_acquirer else b"\x42"
    # Written explicitly: the SDK reads header.delivery-count and a missing value would be None.
    fields += b"\x70" + struct.pack(">I", delivery_count & 0xFFFFFFFF)
    return b"\x00\x53\x70\xc0" + bytes([len(fields) + 1, 5]) + fields


@dataclass
class ParsedMessage:
    """One message as stored: the sections the broker rewrites decoded, the rest kept as raw bytes."""

    header: list = field(default_factory=list)
    annotations: dict = field(default_factory=dict)
    properties: list = field(default_factory=list)
    properties_raw: bytes = b""
    application_properties: dict | None = None
    application_properties_raw: bytes = b""
    body_raw: bytes = b""
    footer_raw: bytes = b""
    size: int = 0

    @property
    def message_id(self) -> Any:
        return self.properties[0] if self.properties else None

    @property
    def ttl_seconds(self) -> float | None:
        ttl = self.header[2] if len(self.header) > 2 else None
        return None if ttl is None else int(ttl) / 1000.0

    def annotation(self, name: str) -> Any:
        return self.annotations.get(symbol(name))

    def encode(self, delivery_count: int, extra_annotations: dict, extra_properties: dict | None = None,
               ttl_ms: int | None = None) -> bytes:
        """Render for a receiver: broker annotations, effective TTL and, for dead letters, extra properties."""
        header = list(self.header) + [None] * (5 - len(self.header))
        ttl_ms = ttl_ms if ttl_ms is not None else (None if header[2] is None else int(header[2]))
        parts = [_encode_header(bool(header[0]), 4 if header[1] is None else int(header[1]), ttl_ms,
                                bool(header[3]), delivery_count)]
        annotations = dict(self.annotations)
        annotations.update({symbol(key): value for key, value in extra_annotations.items()})
        parts.append(encode_map_section(MESSAGE_ANNOTATIONS, annotations))
        parts.append(self.properties_raw)
        if extra_properties:
            merged = dict(self.application_properties or {})
            merged.update(extra_properties)
            parts.append(encode_map_section(APPLICATION_PROPERTIES, merged))
        else:
            parts.append(self.application_properties_raw)
        parts.append(self.body_raw)
        parts.append(self.footer_raw)
        return b"".join(parts)


def parse_message(buf: bytes) -> ParsedMessage:
    """Parse one encoded message; raises CodecError when it is not well formed or has no body."""
    try:
        sections = split_sections(buf)
    except (IndexError, struct.error) as error:
        raise CodecError("truncated message") from error
    parsed = ParsedMessage(size=len(buf))
    body: list[bytes] = []
    try:
        for code, start, value_start, end in sections:
            raw = buf[start:end]
            if code == HEADER:
                parsed.header = list(decode_value(buf[value_start:end]) or [])
            elif code == MESSAGE_ANNOTATIONS:
                parsed.annotations = dict(decode_value(buf[value_start:end]) or {})
            elif code == PROPERTIES:
                parsed.properties, parsed.properties_raw = list(decode_value(buf[value_start:end]) or []), raw
            elif code == APPLICATION_PROPERTIES:
                parsed.application_properties_raw = raw
                parsed.application_properties = dict(decode_value(buf[value_start:end]) or {})
            elif code in BODY_CODES:
                body.append(raw)
            elif code == FOOTER:
                parsed.footer_raw = raw
    except CodecError:
        raise
    except Exception as error:  # proton raises several exception types for bad encodings
        raise CodecError(f"undecodable section: {error}") from error
    if not body:
        raise CodecError("message has no body")
    parsed.body_raw = b"".join(body)
    return parsed


def unpack_batch(buf: bytes) -> list[bytes] | None:
    """Inner messages of a batch (format 0x80013700: each Data section one whole message), else None.

    proton does not expose the transfer's message-format, so a batch is recognised by its shape: no
    header or application properties, a body made only of Data sections that each hold a complete,
    well-formed message, and (as every Service Bus SDK builds the envelope) either no properties or
    the first inner message's message-id.
    """
    try:
        sections = split_sections(buf)
    except (CodecError, IndexError, struct.error):
        return None
    if any(code in (HEADER, APPLICATION_PROPERTIES, AMQP_SEQUENCE, AMQP_VALUE) for code, *_ in sections):
        return None
    body = [section for section in sections if section[0] == DATA]
    if not body:
        return None
    inner = []
    for _, _, value_start, end in body:
        payload_start = value_start + (2 if buf[value_start] == 0xA0 else 5)
        payload = buf[payload_start:end]
        try:
            inner_sections = split_sections(payload)
        except (CodecError, IndexError, struct.error):
            return None
        if not any(code in BODY_CODES for code, *_ in inner_sections):
            return None
        inner.append(payload)
    envelope = [section for section in sections if section[0] == PROPERTIES]
    if envelope:
        try:
            envelope_id = _first_field(decode_value(buf[envelope[0][2]:envelope[0][3]]))
            first_id = _first_field(parse_message(inner[0]).properties)
        except (CodecError, ValueError, TypeError):
            return None
        if envelope_id != first_id:
            return None
    return inner


def _first_field(fields: Any) -> Any:
    return fields[0] if fields else None
