"""A bare AMQP client on proton's engine, for tests that must misbehave in ways the SDK never would."""

from __future__ import annotations

import socket
import struct
import time

from proton import Collector, Connection, Endpoint, Message, Transport

__all__ = ["RawClient"]


class RawClient:
    """One TCP connection driven by hand: attach links, then stop or vanish at any byte."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.sock = socket.create_connection((host, port), timeout=5)
        self.connection = Connection()
        self.collector = Collector()
        self.connection.collect(self.collector)
        self.transport = Transport()
        self.transport.sasl().allowed_mechs("ANONYMOUS")
        self.transport.bind(self.connection)
        self.connection.open()
        self.session = self.connection.session()
        self.session.open()

    def pump(self, until, timeout: float = 5.0) -> None:
        """Exchange bytes with the broker until `until()` is true."""
        deadline = time.monotonic() + timeout
        while not until():
            if time.monotonic() > deadline:
                raise TimeoutError("the broker did not answer in time")
            self.flush()
            self.sock.settimeout(0.05)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            if not data:
                raise ConnectionError("the broker closed the connection")
            self.transport.push(data)
            while self.collector.peek():
                self.collector.pop()

    def flush(self, limit: int | None = None) -> int:
        """Send pending output (at most `limit` bytes); returns how many bytes went out."""
        pending = self.transport.pending()
        if pending <= 0:
            return 0
        chunk = self.transport.peek(pending if limit is None else min(pending, limit))
        self.sock.sendall(chunk)
        self.transport.pop(len(chunk))
        return len(chunk)

    def sender(self, address: str):
        link = self.session.sender(f"raw-sender-{address}")
        link.target.address = address
        link.open()
        self.pump(lambda: link.credit > 0)
        return link

    def receiver(self, address: str, credit: int):
        link = self.session.receiver(f"raw-receiver-{address}")
        link.source.address = address
        link.open()
        self.pump(lambda: bool(link.state & Endpoint.REMOTE_ACTIVE))
        link.flow(credit)
        self.flush()
        return link

    def start_transfer(self, link, body: bytes):
        """Queue a whole message on `link` without sending it: `flush(limit)` decides how much goes out."""
        delivery = link.delivery(b"raw-1")
        link.stream(Message(body=body).encode())
        link.advance()
        return delivery

    def vanish(self) -> None:
        """Drop the TCP connection with a reset, no AMQP close."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()
