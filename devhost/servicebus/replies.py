"""Request/response plumbing for `$cbs` and `<entity>/$management`: answer each request on its paired link."""

from __future__ import annotations

import logging
import uuid
from collections import deque

from proton import Connection, Link, Message, Sender

from . import wire
from .entity import Entity
from .management import cbs_reply, management_reply, not_found_reply

__all__ = ["RequestNodes"]

LOG = logging.getLogger("devhost.servicebus")


class RequestNodes:
    """Knows each connection's reply links and holds replies until the client grants credit."""

    def __init__(self) -> None:
        self._reply_links: dict[Connection, dict[str, Sender]] = {}
        self._outboxes: dict[Sender, deque[bytes]] = {}

    def register_reply_link(self, link: Sender, address: wire.Address) -> None:
        self._reply_links.setdefault(link.connection, {})[address.key] = link

    def forget_link(self, link: Link) -> None:
        self._outboxes.pop(link, None)
        replies = self._reply_links.get(link.connection, {})
        for key in [key for key, reply_link in replies.items() if reply_link == link]:
            del replies[key]

    def forget_connection(self, connection: Connection) -> None:
        for link in self._reply_links.pop(connection, {}).values():
            self._outboxes.pop(link, None)

    def on_credit(self, link: Sender) -> None:
        outbox = self._outboxes.get(link)
        while outbox and link.credit > 0:
            self._send_now(link, outbox.popleft())

    def handle(self, link: Link, payload: bytes, entity: Entity | None, now: float):
        """Answer one request that arrived on `link`; returns a rejection condition or None."""
        request = Message()
        try:
            request.decode(payload)
        except Exception as error:  # proton raises its own exception types for undecodable input
            return wire.condition(wire.DECODE_ERROR, f"The request could not be decoded: {error}")
        if link.sb_kind == "cbs":
            reply = cbs_reply(request)
        elif entity is None:
            reply = not_found_reply(request, f"The messaging entity '{link.sb_address.entity}' could not be found.")
        else:
            reply = management_reply(entity, request, now)
        self._reply(link, request, reply)
        return None

    def _reply(self, request_link: Link, request: Message, reply: Message) -> None:
        replies = self._reply_links.get(request_link.connection, {})
        address = wire.parse_address(request.reply_to) if request.reply_to else None
        link = (replies.get(address.key) if address else None) or replies.get(request_link.sb_address.key)
        if link is None:
            LOG.debug("no reply link for %s; reply dropped", request_link.sb_address)
            return
        payload = reply.encode()
        if link.credit > 0 and not self._outboxes.get(link):
            self._send_now(link, payload)
        else:
            self._outboxes.setdefault(link, deque()).append(payload)

    @staticmethod
    def _send_now(link: Sender, payload: bytes) -> None:
        delivery = link.delivery(uuid.uuid4().bytes)
        link.stream(payload)
        link.advance()
        delivery.settle()
