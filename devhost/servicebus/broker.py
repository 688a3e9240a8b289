"""The broker: routes proton endpoint events to queues, delivers on link credit, applies settlements."""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from typing import Callable

from proton import Connection, Delivery, Event, Link, Message, Sender, Terminus

from . import wire
from .codec import CodecError, parse_message, unpack_batch
from .entity import Entity, LockLost
from .management import cbs_reply, management_reply, not_found_reply
from .settings import QueueSettings

__all__ = ["Broker", "MAX_MESSAGE_BYTES"]

LOG = logging.getLogger("devhost.servicebus")
MAX_MESSAGE_BYTES = 256 * 1024  # Azure Service Bus Standard tier
_CREDIT = 500
_TERMINAL = (Delivery.ACCEPTED, Delivery.REJECTED, Delivery.RELEASED, Delivery.MODIFIED)


class Broker:
    """All broker state; every method runs on the server's single I/O thread."""

    def __init__(self, queues: list[QueueSettings], clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.entities: dict[str, Entity] = {}
        for settings in queues:
            entity = Entity.with_dead_letter_queue(settings)
            self.entities[entity.path.lower()] = entity
            self.entities[entity.dead_letter.path.lower()] = entity.dead_letter
        self._consumers: dict[Entity, list[Sender]] = {entity: [] for entity in self.entities.values()}
        self._reply_links: dict[Connection, dict[str, Sender]] = {}
        self._outboxes: dict[Sender, deque[bytes]] = {}
        self._draining: set[Sender] = set()

    # --- events ------------------------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        kind = event.type
        if kind == Event.CONNECTION_REMOTE_OPEN:
            event.connection.container = "devhost-servicebus-emulator"
            event.connection.open()
        elif kind == Event.SESSION_REMOTE_OPEN:
            event.session.open()
        elif kind == Event.LINK_REMOTE_OPEN:
            self._open_link(event.link)
        elif kind == Event.LINK_FLOW:
            self._on_flow(event.link)
        elif kind == Event.DELIVERY:
            if event.link.is_receiver:
                self._on_transfer(event.delivery)
            else:
                self._on_disposition(event.delivery)
        elif kind in (Event.LINK_REMOTE_CLOSE, Event.LINK_REMOTE_DETACH):
            self._forget_link(event.link)
            event.link.close()
        elif kind == Event.SESSION_REMOTE_CLOSE:
            self._forget_links(event.connection, session=event.session)
            event.session.close()
        elif kind == Event.CONNECTION_REMOTE_CLOSE:
            self.connection_lost(event.connection)
            event.connection.close()

    def connection_lost(self, connection: Connection) -> None:
        """Forget a connection's links; messages it held locked come back when their locks expire."""
        self._forget_links(connection)
        self._reply_links.pop(connection, None)

    # --- time and delivery -------------------------------------------------------------------------
    def next_deadline(self) -> float | None:
        deadlines = [d for d in (entity.next_deadline() for entity in self.entities.values()) if d is not None]
        return min(deadlines) if deadlines else None

    def on_timer(self) -> None:
        now = self.clock()
        for entity in self.entities.values():
            entity.on_timer(now)

    def pump(self) -> None:
        """Hand ready messages to consumers with credit, round-robin, then answer pending drains."""
        now = self.clock()
        for entity, consumers in self._consumers.items():
            if consumers and entity.has_ready():
                self._pump_entity(entity, consumers, now)
        for link in list(self._draining):
            if link.drain_mode:
                link.drained()
        self._draining.clear()

    def _pump_entity(self, entity: Entity, consumers: list[Sender], now: float) -> None:
        ready = deque(link for link in consumers if link.credit > 0)
        while ready:
            link = ready.popleft()
            stored = entity.acquire(now, lock=not link.sb_receive_and_delete)
            if stored is None:
                break
            delivery = link.delivery(stored.lock_token.bytes_le if stored.lock_token else uuid.uuid4().bytes_le)
            link.stream(wire.render_message(stored, locked=True))
            link.advance()
            if stored.lock_token is None:
                delivery.settle()
            else:
                delivery.sb_lock = (entity, stored.lock_token)
            if link.credit > 0:
                ready.append(link)
            # Rotate so the next message starts with the next consumer: competing consumers share work.
            consumers.append(consumers.pop(consumers.index(link)))

    # --- links -------------------------------------------------------------------------------------
    def _open_link(self, link: Link) -> None:
        link.source.copy(link.remote_source)
        link.target.copy(link.remote_target)
        link.snd_settle_mode = link.remote_snd_settle_mode
        link.rcv_settle_mode = link.remote_rcv_settle_mode
        remote: Terminus = link.remote_source if link.is_sender else link.remote_target
        address = wire.parse_address(remote.address)
        entity = self.entities.get(address.entity.lower()) if address else None
        link.sb_kind, link.sb_entity, link.sb_receive_and_delete = None, entity, False
        missing = f"The messaging entity '{remote.address}' could not be found."
        if address is None or (entity is None and address.node == "entity" and link.is_sender):
            return self._refuse(link, wire.NOT_FOUND, missing)
        if address.node != "entity":
            link.sb_kind = address.node
            if link.is_sender:
                self._reply_links.setdefault(link.connection, {})[address.key] = link
        elif link.is_sender:
            link.sb_kind = "consumer"
            link.sb_receive_and_delete = link.remote_snd_settle_mode == Link.SND_SETTLED
            self._consumers[entity].append(link)
        elif entity is None or address.is_dead_letter:
            # A detach would race the SDK's first transfer and surface as a vague error; Service Bus
            # clients see a rejected transfer carrying the condition instead.
            link.sb_kind = "refused"
            link.sb_refusal = (wire.NOT_FOUND, missing) if entity is None else (
                wire.NOT_ALLOWED, "Messages cannot be sent to a dead-letter sub-queue.")
        else:
            link.sb_kind = "producer"
            link.max_message_size = MAX_MESSAGE_BYTES
        link.sb_address = address
        link.open()
        if link.is_receiver:
            link.flow(_CREDIT)

    def _refuse(self, link: Link, name: str, description: str) -> None:
        # Service Bus answers the attach, then detaches with the error; the SDK raises from the detach.
        link.sb_kind = None
        link.condition = wire.condition(name, description)
        link.open()
        link.close()

    def _forget_link(self, link: Link) -> None:
        entity, kind = getattr(link, "sb_entity", None), getattr(link, "sb_kind", None)
        if kind == "consumer" and link in self._consumers.get(entity, []):
            self._consumers[entity].remove(link)
        self._outboxes.pop(link, None)
        self._draining.discard(link)
        replies = self._reply_links.get(link.connection, {})
        for key in [key for key, reply_link in replies.items() if reply_link == link]:
            del replies[key]

    def _forget_links(self, connection: Connection, session=None) -> None:
        link = connection.link_head(0)
        while link:
            if session is None or link.session == session:
                self._forget_link(link)
            link = link.next(0)

    def _on_flow(self, link: Link) -> None:
        if not link.is_sender:
            return
        outbox = self._outboxes.get(link)
        while outbox and link.credit > 0:
            self._send_reply_now(link, outbox.popleft())
        if link.drain_mode:
            self._draining.add(link)

    # --- incoming transfers ------------------------------------------------------------------------
    def _on_transfer(self, delivery: Delivery) -> None:
        link = delivery.link
        # Kept on the delivery itself, so a peer vanishing mid-transfer leaves nothing behind here.
        buffer = getattr(delivery, "sb_buffer", None)
        if buffer is None:
            buffer = delivery.sb_buffer = bytearray()
        chunk = link.recv(delivery.pending) if delivery.pending else b""
        if chunk and len(buffer) <= MAX_MESSAGE_BYTES:
            buffer.extend(chunk)
        if delivery.partial and not delivery.aborted:
            return
        delivery.sb_buffer = None
        link.advance()
        if delivery.aborted:
            delivery.settle()
            return
        refusal = self._handle_transfer(link, bytes(buffer))
        if not delivery.settled:
            if refusal is not None:
                delivery.local.condition = refusal
                delivery.update(Delivery.REJECTED)
            else:
                delivery.update(Delivery.ACCEPTED)
        delivery.settle()
        if link.credit < _CREDIT // 2:
            link.flow(_CREDIT - link.credit)

    def _handle_transfer(self, link: Link, payload: bytes):
        kind = link.sb_kind
        if len(payload) > MAX_MESSAGE_BYTES:
            return wire.condition(wire.SIZE_EXCEEDED, f"The message is larger than {MAX_MESSAGE_BYTES} bytes.")
        if kind == "refused":
            return wire.condition(*link.sb_refusal)
        if kind == "producer":
            try:
                parsed = [parse_message(item) for item in (unpack_batch(payload) or [payload])]
            except CodecError as error:
                return wire.condition(wire.DECODE_ERROR, f"The message could not be decoded: {error}")
            now = self.clock()
            for message in parsed:
                link.sb_entity.accept(message, now)
        elif kind in ("cbs", "management"):
            request = Message()
            try:
                request.decode(payload)
            except Exception as error:  # proton raises its own exception types for undecodable input
                return wire.condition(wire.DECODE_ERROR, f"The request could not be decoded: {error}")
            if kind == "cbs":
                reply = cbs_reply(request)
            elif link.sb_entity is None:
                reply = not_found_reply(request, f"The messaging entity '{link.sb_address.entity}' could not be found.")
            else:
                reply = management_reply(link.sb_entity, request, self.clock())
            self._reply(link, request, reply)
        return None

    def _reply(self, request_link: Link, request: Message, reply: Message) -> None:
        replies = self._reply_links.get(request_link.connection, {})
        address = wire.parse_address(request.reply_to) if request.reply_to else None
        link = replies.get(address.key) if address else None
        link = link or replies.get(request_link.sb_address.key)
        if link is None:
            LOG.debug("no reply link for %s; reply dropped", request_link.sb_address)
            return
        payload = reply.encode()
        if link.credit > 0 and not self._outboxes.get(link):
            self._send_reply_now(link, payload)
        else:
            self._outboxes.setdefault(link, deque()).append(payload)

    def _send_reply_now(self, link: Sender, payload: bytes) -> None:
        delivery = link.delivery(uuid.uuid4().bytes)
        link.stream(payload)
        link.advance()
        delivery.settle()

    # --- settlements -------------------------------------------------------------------------------
    def _on_disposition(self, delivery: Delivery) -> None:
        state = delivery.remote_state
        if state not in _TERMINAL:
            if delivery.settled:
                delivery.settle()
            return
        entity, token = getattr(delivery, "sb_lock", (None, None))
        if entity is None:
            delivery.settle()
            return
        delivery.sb_lock = (None, None)
        now, remote = self.clock(), delivery.remote
        try:
            if state == Delivery.ACCEPTED:
                entity.complete(token, now)
            elif state == Delivery.RELEASED:
                entity.abandon(token, now, count_delivery=False)
            elif state == Delivery.MODIFIED and remote.undeliverable:
                entity.defer(token, now)
            elif state == Delivery.MODIFIED:
                entity.abandon(token, now, count_delivery=remote.failed, annotations=remote.annotations)
            else:
                info = {str(key): value for key, value in ((remote.condition and remote.condition.info) or {}).items()}
                entity.dead_letter_locked(token, now, info.get("DeadLetterReason"),
                                          info.get("DeadLetterErrorDescription"))
            if state == Delivery.MODIFIED:
                delivery.local.failed, delivery.local.undeliverable = remote.failed, remote.undeliverable
            delivery.update(state)
        except LockLost as lost:
            delivery.local.condition = wire.condition(wire.LOCK_LOST, str(lost))
            delivery.update(Delivery.REJECTED)
        delivery.settle()
