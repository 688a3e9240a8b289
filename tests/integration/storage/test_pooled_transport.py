"""The pooled http.client transport under the storage SDKs: wire format, reuse, stale sockets, failures."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from azure.core.exceptions import ServiceRequestError, ServiceResponseError, ServiceResponseTimeoutError
from azure.core.rest import HttpRequest

from shared.adapters.pooled_transport import PooledHttpTransport

Reply = Callable[[bytes, int], bytes | None]  # (request head+body, index on this connection) -> raw reply


class RawServer:
    """A loopback HTTP/1.1 server that records raw requests and answers with scripted raw bytes
    (None closes the connection without answering)."""

    def __init__(self, reply: Reply, close_after_each: bool = False) -> None:
        self.reply = reply
        self.close_after_each = close_after_each
        self.requests: list[bytes] = []
        self.connections = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer, index = b"", 0
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, rest = buffer.partition(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(rest) < length:
                    rest += conn.recv(65536)
                request, buffer = head + b"\r\n\r\n" + rest[:length], rest[length:]
                self.requests.append(request)
                answer = self.reply(request, index)
                index += 1
                if answer is None:
                    return
                conn.sendall(answer)
                if self.close_after_each:
                    return

    def close(self) -> None:
        self._sock.close()


def ok(body: bytes = b'{"ok": true}', extra: str = "") -> bytes:
    return (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
            ).encode() + body


@pytest.fixture
def serve() -> Iterator[Callable[..., RawServer]]:
    servers: list[RawServer] = []

    def start(reply: Reply, close_after_each: bool = False) -> RawServer:
        servers.append(RawServer(reply, close_after_each))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_a_request_goes_out_as_one_well_formed_message_and_the_connection_is_reused(serve) -> None:
    server = serve(lambda request, i: ok())
    transport = PooledHttpTransport()
    first = transport.send(HttpRequest("PUT", server.url("/c/b?comp=block"), content=b"hello",
                                       headers={"x-ms-version": "2025-11-05"}))
    second = transport.send(HttpRequest("PUT", server.url("/c/empty")))
    assert first.status_code == second.status_code == 200 and first.json() == {"ok": True}
    head, _, body = server.requests[0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"PUT /c/b?comp=block HTTP/1.1" and body == b"hello"
    assert f"Host: 127.0.0.1:{server.port}".encode() in lines and b"x-ms-version: 2025-11-05" in lines
    assert b"Content-Length: 5" in lines
    assert b"Content-Length: 0" in server.requests[1].split(b"\r\n")  # a bodiless PUT still says so
    assert server.connections == 1


def test_headers_bodies_chunked_and_head_responses_are_read_whole(serve) -> None:
    def reply(request: bytes, i: int) -> bytes:
        if request.startswith(b"HEAD"):
            return b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nx-ms-meta-a: 1\r\nx-ms-meta-a: 2\r\n\r\n"
        return (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
                b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")

    server = serve(reply)
    transport = PooledHttpTransport(block_size=4)
    head = transport.send(HttpRequest("HEAD", server.url("/blob")))
    assert head.headers["Content-Length"] == "1234" and head.headers["X-MS-META-A"] == "1, 2"
    assert head.read() == b""
    chunked = transport.send(HttpRequest("GET", server.url("/blob")), stream=True)
    assert b"".join(chunked.iter_bytes()) == b"hello world" and chunked.text() == "hello world"
    assert server.connections == 1  # the HEAD's declared length did not desynchronise the socket


def test_a_socket_the_server_closed_while_idle_is_replaced_without_an_error(serve) -> None:
    server = serve(lambda request, i: ok(), close_after_each=True)  # answers, then hangs up (no Connection: close)
    transport = PooledHttpTransport()
    for _ in range(3):
        assert transport.send(HttpRequest("GET", server.url("/x"))).status_code == 200
        time.sleep(0.05)
    assert server.connections == 3 and len(server.requests) == 3  # detected before sending: no retries


def test_a_connection_dropped_as_the_request_arrives_is_retried_once_on_a_new_socket(serve) -> None:
    # The keep-alive race: the pooled socket looks healthy, and the server closes it on our request.
    server = serve(lambda request, i: ok() if i == 0 else None)
    transport = PooledHttpTransport()
    transport.send(HttpRequest("GET", server.url("/first")))
    assert transport.send(HttpRequest("GET", server.url("/second"))).status_code == 200
    assert [r.split(b" ")[1] for r in server.requests] == [b"/first", b"/second", b"/second"]
    assert server.connections == 2


def test_a_post_the_server_may_have_processed_is_not_sent_twice(serve) -> None:
    # Hung up after reading the POST: it might have been applied (an insert), so it is an error
    # for the caller (ingestion answers 503 and the sender retries), never a silent second insert.
    server = serve(lambda request, i: ok() if i == 0 else None)
    transport = PooledHttpTransport()
    transport.send(HttpRequest("GET", server.url("/first")))
    with pytest.raises(ServiceResponseError):
        transport.send(HttpRequest("POST", server.url("/insert"), content=b"{}"))
    assert [r.split(b" ")[1] for r in server.requests] == [b"/first", b"/insert"]


def test_a_fresh_connection_that_fails_is_an_error_not_a_retry(serve) -> None:
    server = serve(lambda request, i: None)
    with pytest.raises(ServiceResponseError):
        PooledHttpTransport().send(HttpRequest("GET", server.url("/never")))
    assert len(server.requests) == 1


def test_unreachable_slow_and_garbled_peers_raise_the_azure_core_errors(serve) -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    transport = PooledHttpTransport(read_timeout=0.3)
    with pytest.raises(ServiceRequestError):
        transport.send(HttpRequest("GET", f"http://127.0.0.1:{port}/"))
    silent = serve(lambda request, i: (time.sleep(1), ok())[1])
    with pytest.raises(ServiceResponseTimeoutError):
        transport.send(HttpRequest("GET", silent.url("/slow")))
    garbled = serve(lambda request, i: b"NOT HTTP AT ALL\r\n\r\n")
    with pytest.raises(ServiceResponseError):
        transport.send(HttpRequest("GET", garbled.url("/junk")))


def test_header_values_with_line_breaks_are_refused(serve) -> None:
    server = serve(lambda request, i: ok())
    with pytest.raises(ValueError, match="line break"):
        PooledHttpTransport().send(HttpRequest("GET", server.url("/"), headers={"x-ms-meta-a": "1\r\nInjected: 1"}))
    assert server.requests == []


@pytest.mark.parametrize("transport", ["pooled", "requests"])
def test_both_transports_serve_the_storage_adapters_against_azurite(transport, storage_settings) -> None:
    from shared.adapters.blob_store import BlobArchive, BlobAuditLog
    from shared.adapters.storage_clients import blob_service, table_service
    from shared.adapters.table_ticket_store import TableTicketStore
    from shared.bootstrap import ensure_storage
    from shared.config import Settings
    from shared.tickets import AuditEntry
    from tests.integration.storage.test_ticket_store_contract import T0, make_ticket

    settings = Settings(AzureWebJobsStorage=storage_settings.storage_connection, STORAGE_TRANSPORT=transport)
    prefix = "x" + uuid.uuid4().hex[:8]
    tables, blobs = table_service(settings), blob_service(settings)
    ensure_storage(tables, blobs, prefix)
    store, audit = TableTicketStore(tables, prefix), BlobAuditLog(blobs, prefix + "audit")
    archive = BlobArchive(blobs, prefix + "raw-alerts")
    ticket = make_ticket(1, T0)
    assert store.create(ticket) and store.get(ticket.id) == ticket
    audit.start(ticket.id)
    audit.append(ticket.id, AuditEntry(at=T0, actor="test", action="created", details={"x": "é"}))
    assert [e.action for e in audit.read(ticket.id)] == ["created"]
    archive.put("2026/12/04/r.json", b'{"a": 1}', {"status": "created"})
    assert archive.get("2026/12/04/r.json") == b'{"a": 1}'
    assert archive.get_metadata("2026/12/04/r.json")["status"] == "created"
