"""TCP server: one selector loop on one thread drives a proton engine per connection and the broker's timers."""

from __future__ import annotations

import logging
import selectors
import socket
import sys
import threading
import time

from proton import Collector, Connection, Event, Transport

from .broker import Broker

__all__ = ["EmulatorServer"]

LOG = logging.getLogger("devhost.servicebus")
_READ_CHUNK = 64 * 1024


class _Peer:
    """One client socket and the proton engine that speaks AMQP on it."""

    def __init__(self, sock: socket.socket, verbose: bool) -> None:
        self.sock = sock
        self.connection = Connection()
        self.collector = Collector()
        self.connection.collect(self.collector)
        self.transport = Transport(Transport.SERVER)
        if verbose:
            self.transport.trace(Transport.TRACE_FRM)
            self.transport.tracer = lambda _transport, frame: print(f"[{sock.fileno()}] {frame}", file=sys.stderr)
        sasl = self.transport.sasl()
        sasl.allowed_mechs("ANONYMOUS PLAIN")
        sasl.allow_insecure_mechs = True
        self.transport.bind(self.connection)

    def read(self) -> None:
        capacity = self.transport.capacity()
        if capacity <= 0:
            return
        try:
            data = self.sock.recv(min(capacity, _READ_CHUNK))
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            self.transport.push(data)
        else:
            self.transport.close_tail()

    def write(self) -> None:
        while (pending := self.transport.pending()) > 0:
            try:
                sent = self.sock.send(self.transport.peek(pending))
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.transport.close_head()
                self.transport.close_tail()
                return
            self.transport.pop(sent)
        if pending < 0:
            self.transport.close_head()

    @property
    def finished(self) -> bool:
        return self.transport.closed

    @property
    def wants_write(self) -> bool:
        return self.transport.pending() > 0


class EmulatorServer:
    """Listens on (host, port) at construction, so a busy port fails early with OSError."""

    def __init__(self, broker: Broker, host: str = "127.0.0.1", port: int = 0, verbose: bool = False) -> None:
        self.broker = broker
        self.verbose = verbose
        self._listener = socket.create_server((host, port), backlog=128)
        self._listener.setblocking(False)
        self.host, self.port = self._listener.getsockname()[:2]
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, None)
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._selector.register(self._wake_reader, selectors.EVENT_READ, "wake")
        self._peers: dict[socket.socket, _Peer] = {}
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Ask the loop to finish; safe from any thread and from signal handlers."""
        self._stopping.set()
        try:
            self._wake_writer.send(b"x")
        except OSError:
            pass

    def serve_forever(self) -> None:
        try:
            while not self._stopping.is_set():
                self._step()
        finally:
            self._close_all()

    def _step(self) -> None:
        for key, mask in self._selector.select(self._timeout()):
            if key.data is None:
                self._accept()
            elif key.data == "wake":
                self._drain_wake()
            else:
                peer = key.data
                self._guard(peer, peer.read if mask & selectors.EVENT_READ else peer.write)
                if mask & selectors.EVENT_READ and mask & selectors.EVENT_WRITE:
                    self._guard(peer, peer.write)
        self._guard_broker(self.broker.on_timer)
        now = time.monotonic()
        for peer in list(self._peers.values()):
            self._guard(peer, lambda peer=peer: peer.transport.tick(now))
            self._dispatch(peer)
        self._guard_broker(self.broker.pump)
        for peer in list(self._peers.values()):
            self._dispatch(peer)  # pump and replies queue more local work; drain what it produced
            self._guard(peer, peer.write)
            self._update_interest(peer)

    def _timeout(self) -> float:
        deadline = self.broker.next_deadline()
        timeout = 1.0 if deadline is None else max(0.0, min(1.0, deadline - self.broker.clock()))
        return timeout

    def _accept(self) -> None:
        for _ in range(64):
            try:
                sock, _address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # e.g. too many open files: keep serving the others
                LOG.warning("accept failed: %s", error)
                return
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            peer = _Peer(sock, self.verbose)
            self._peers[sock] = peer
            self._selector.register(sock, selectors.EVENT_READ, peer)

    def _drain_wake(self) -> None:
        try:
            while self._wake_reader.recv(512):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def _dispatch(self, peer: _Peer) -> None:
        collector = peer.collector
        while (event := collector.peek()) is not None:
            if not self._guard(peer, lambda event=event: self._route(peer, event)):
                return
            collector.pop()

    def _route(self, peer: _Peer, event: Event) -> None:
        if event.type in (Event.TRANSPORT_ERROR, Event.TRANSPORT_CLOSED):
            condition = peer.transport.condition
            if condition is not None and self.verbose:
                LOG.info("connection %s: %s %s", peer.sock.fileno(), condition.name, condition.description)
            return
        self.broker.on_event(event)

    def _guard(self, peer: _Peer, action) -> bool:
        """Run one step for one peer; any failure drops that peer only, never the broker."""
        try:
            action()
            return True
        except Exception:
            LOG.warning("dropping a connection after an internal error", exc_info=self.verbose)
            self._drop(peer)
            return False

    def _guard_broker(self, action) -> None:
        try:
            action()
        except Exception:
            LOG.exception("broker step failed")

    def _update_interest(self, peer: _Peer) -> None:
        if peer.sock not in self._peers:
            return
        if peer.finished:
            self._drop(peer)
            return
        mask = selectors.EVENT_READ if peer.transport.capacity() >= 0 else 0
        if peer.wants_write:
            mask |= selectors.EVENT_WRITE
        if mask == 0:
            self._drop(peer)
            return
        self._selector.modify(peer.sock, mask, peer)

    def _drop(self, peer: _Peer) -> None:
        if self._peers.pop(peer.sock, None) is None:
            return
        try:
            self.broker.connection_lost(peer.connection)
        except Exception:
            LOG.exception("cleanup after a lost connection failed")
        try:
            self._selector.unregister(peer.sock)
        except (KeyError, ValueError):
            pass
        peer.sock.close()
        peer.transport.unbind()
        peer.collector.release()

    def _close_all(self) -> None:
        for peer in list(self._peers.values()):
            # Say goodbye with a close frame where the socket still takes it, then let go.
            self._guard(peer, peer.connection.close)
            self._guard(peer, peer.write)
            self._drop(peer)
        self._selector.close()
        self._listener.close()
        self._wake_reader.close()
        self._wake_writer.close()
