"""The broker: routes proton endpoint events to queues, delivers on link credit, applies settlements."""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from collections.abc import Callable

from proton import Connection, Delivery, Event, Link, Sender, Terminus

from . import wire
from .codec import CodecError, parse_message, unpack_batch
from .entity import Entity
from .replies import RequestNodes
from .settings import QueueSettings
from .settlement import apply_disposition

__all__ = ["Broker", "MAX_MESSAGE_BYTES"]

LOG = logging.getLogger("devhost.servicebus")
MAX_MESSAGE_BYTES = 256 * 1024  # Azure Service Bus Standard tier
_CREDIT = 500


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
        self._nodes = RequestNodes()
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
                apply_disposition(event.delivery, self.clock())
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
        self._nodes.forget_connection(connection)

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
            try:
                self._deliver(link, entity, stored)
            except Exception:  # one broken link must not stop deliveries to the others
                LOG.warning("closing a consumer link after a failed delivery", exc_info=True)
                consumers.remove(link)
                link.condition = wire.condition("amqp:internal-error", "delivery failed")
                link.close()
                continue
            if link.credit > 0:
                ready.append(link)
            # Rotate so the next message starts with the next consumer: competing consumers share work.
            consumers.append(consumers.pop(consumers.index(link)))

    @staticmethod
    def _deliver(link: Sender, entity: Entity, stored) -> None:
        # The delivery tag is the lock token: the SDK reads it back as UUID(bytes_le=tag).
        delivery = link.delivery(stored.lock_token.bytes_le if stored.lock_token else uuid.uuid4().bytes_le)
        link.stream(wire.render_message(stored, locked=True))
        link.advance()
        if stored.lock_token is None:
            delivery.settle()
        else:
            delivery.sb_lock = (entity, stored.lock_token)

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
                self._nodes.register_reply_link(link, address)
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
        self._nodes.forget_link(link)
        self._draining.discard(link)

    def _forget_links(self, connection: Connection, session=None) -> None:
        link = connection.link_head(0)
        while link:
            if session is None or link.session == session:
                self._forget_link(link)
            link = link.next(0)

    def _on_flow(self, link: Link) -> None:
        if not link.is_sender:
            return
        self._nodes.on_credit(link)
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
            return self._nodes.handle(link, payload, link.sb_entity, self.clock())
        return None
