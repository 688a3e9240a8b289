"""An azure-core HttpTransport on plain sockets and http.client's response parser, with a keep-alive pool.

Why: the storage SDKs' own pipeline costs ~0.35 ms of CPU per call, but the default `requests`
transport adds ~1.5 ms more (requests, urllib3 and their wrappers), and one alert needs several
calls. Here a request is one `sendall` of head and body together on a TCP_NODELAY socket (two
writes without NODELAY can stall on Nagle + delayed ACK), and the response is parsed by
`http.client.HTTPResponse`. Every body is read whole (our entities and blobs are small); redirects
are left to the pipeline's redirect policy; socket failures become the azure-core errors that the
retry policy and `storage_errors` expect. Proxies are not supported: set STORAGE_TRANSPORT=requests.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
from collections import deque
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import (
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest._http_response_impl import HttpResponseImpl
from azure.core.utils import case_insensitive_dict

__all__ = ["PooledHttpTransport"]

# A pooled connection the server closed while idle fails on first use in one of these ways, before
# any response byte arrives. Such a request is sent again on a new socket when that is safe: always
# if the failure came while sending, otherwise only for idempotent methods (a POST the server might
# have processed before hanging up surfaces as an error instead, as azure-core's retry policy would).
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "MERGE"})


class _Stale(Exception):
    """A reused socket turned out closed before any response byte: the request may be resent."""
Origin = tuple[str, str, int]


def _tls_context() -> ssl.SSLContext:
    try:
        import certifi  # the CA bundle requests would have used, when installed

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()


def _body_bytes(request: Any) -> bytes | None:
    # azure.core.rest requests carry `content`; the legacy pipeline.transport ones carry `data`.
    body = request.content if hasattr(request, "content") else request.data
    if getattr(request, "files", None):
        raise ValueError("multipart form uploads are not supported by this transport")
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(part.encode("utf-8") if isinstance(part, str) else bytes(part) for part in body)


def _head(method: str, target: str, host: str, headers: dict[str, str], body: bytes | None) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    has_length = False
    for name, value in headers.items():
        value = str(value)
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise ValueError(f"header {name!r} contains a line break")
        has_length = has_length or name.lower() == "content-length"
        if name.lower() != "host":
            lines.append(f"{name}: {value}")
    if not has_length and (body is not None or method in _BODY_METHODS):
        lines.append(f"Content-Length: {len(body or b'')}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _Connection:
    """One keep-alive socket to one origin."""

    def __init__(self, origin: Origin, timeout: float, tls: ssl.SSLContext | None) -> None:
        scheme, host, port = origin
        name = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets in Host
        self.host_header = name if port == (443 if scheme == "https" else 80) else f"{name}:{port}"
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock: socket.socket = tls.wrap_socket(sock, server_hostname=host) if tls else sock
        except BaseException:
            sock.close()
            raise

    def dropped(self) -> bool:
        """An idle keep-alive socket that is readable has been closed by the server (or sent junk)."""
        try:
            if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
                return True
            poller = select.poll()  # not select(): it cannot take descriptors above 1023
            poller.register(self.sock, select.POLLIN | select.POLLERR | select.POLLHUP)
            return bool(poller.poll(0))
        except (OSError, ValueError):
            return True

    def exchange(self, method: str, target: str, headers: dict[str, str], body: bytes | None,
                 timeout: float, reused: bool = False) -> http.client.HTTPResponse:
        """One request and its whole response. On a reused socket, raises _Stale when the request
        can safely be sent again (see _STALE)."""
        self.sock.settimeout(timeout)
        try:
            self.sock.sendall(_head(method, target, self.host_header, headers, body) + (body or b""))
        except _STALE as exc:
            if reused:
                raise _Stale() from exc
            raise
        response = http.client.HTTPResponse(self.sock, method=method)
        try:
            response.begin()
        except _STALE as exc:  # nothing of a response arrived
            if reused and method in _IDEMPOTENT:
                raise _Stale() from exc
            raise
        response.data = response.read()  # type: ignore[attr-defined]
        return response

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class _Pool:
    """Idle connections per origin, most recently used first; at most `max_idle` kept per origin."""

    def __init__(self, max_idle: int) -> None:
        self._idle: dict[Origin, deque[_Connection]] = {}
        self._lock = threading.Lock()
        self._max_idle = max_idle
        self._tls: ssl.SSLContext | None = None

    def take(self, origin: Origin) -> _Connection | None:
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                if not idle:
                    return None
                conn = idle.pop()
            if not conn.dropped():
                return conn
            conn.close()

    def new(self, origin: Origin, timeout: float) -> _Connection:
        tls = None
        if origin[0] == "https":
            with self._lock:
                tls = self._tls = self._tls or _tls_context()
        return _Connection(origin, timeout, tls)

    def give_back(self, origin: Origin, conn: _Connection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, deque())
            if len(idle) < self._max_idle:
                idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            pools, self._idle = self._idle, {}
        for idle in pools.values():
            for conn in idle:
                conn.close()


class _Chunks:
    """What `stream_download` returns: an iterator that, like the SDK's own, carries `response` and
    takes attributes (the blob SDK hangs the blob's properties on it)."""

    def __init__(self, pipeline: Any, response: Any, body: bytes, block_size: int) -> None:
        self.pipeline, self.response, self.request, self.block_size = pipeline, response, response.request, block_size
        self.content_length = int(response.headers.get("Content-Length") or len(body))
        self._parts: Iterator[bytes] = (body[i:i + block_size] for i in range(0, len(body), block_size))

    def __len__(self) -> int:
        return self.content_length

    def __iter__(self) -> _Chunks:
        return self

    def __next__(self) -> bytes:
        return next(self._parts)


class _Response(HttpResponseImpl):
    """A fully read response; streaming reads are served from the bytes already in memory."""

    def __init__(self, request: Any, raw: http.client.HTTPResponse, block_size: int) -> None:
        merged: dict[str, str] = {}
        for name, value in raw.getheaders():
            merged[name] = f"{merged[name]}, {value}" if name in merged else value
        headers = case_insensitive_dict(merged)
        super().__init__(request=request, internal_response=raw, status_code=raw.status, reason=raw.reason,
                         headers=headers, content_type=headers.get("Content-Type"), block_size=block_size,
                         stream_download_generator=self._chunks)
        self._content = raw.data  # type: ignore[attr-defined]

    def _chunks(self, pipeline: Any = None, response: Any = None, **kwargs: Any) -> _Chunks:
        # Called as (pipeline, response) by `stream_download` and with keywords by `iter_bytes`.
        return _Chunks(pipeline, self, self._content or b"", self._block_size)


class PooledHttpTransport(HttpTransport):
    """Thread-safe: each request holds one pooled connection for its duration."""

    def __init__(self, *, connection_timeout: float = 10.0, read_timeout: float = 30.0,
                 max_idle_per_origin: int = 64, block_size: int = 4 * 1024 * 1024) -> None:
        self._connection_timeout = connection_timeout
        self._read_timeout = read_timeout
        self._block_size = block_size
        self._pool = _Pool(max_idle_per_origin)

    def __enter__(self) -> PooledHttpTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        # SDK clients enter and leave their transport around `with client:` blocks; the pool
        # outlives them and is closed by `close()`, as RequestsTransport's shared session is.
        pass

    def open(self) -> None:
        pass

    def close(self) -> None:
        self._pool.close()

    def send(self, request: Any, **kwargs: Any) -> _Response:  # type: ignore[override]
        parts = urlsplit(request.url)
        scheme = parts.scheme.lower()
        origin: Origin = (scheme, parts.hostname or "", parts.port or (443 if scheme == "https" else 80))
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        body, headers = _body_bytes(request), dict(request.headers)
        read_timeout = kwargs.get("read_timeout") or self._read_timeout
        conn = self._pool.take(origin)
        if conn is not None:
            try:
                return self._exchange(conn, origin, request, target, headers, body, read_timeout, reused=True)
            except _Stale:
                pass  # closed by the server while idle: send it again on a fresh connection
            except (OSError, http.client.HTTPException) as exc:
                raise _translated(exc, request.method, origin) from exc
        try:
            conn = self._pool.new(origin, kwargs.get("connection_timeout") or self._connection_timeout)
        except OSError as exc:
            kind = ServiceRequestTimeoutError if isinstance(exc, TimeoutError) else ServiceRequestError
            raise kind(f"cannot connect to {origin[1]}:{origin[2]}: {exc}", error=exc) from exc
        try:
            return self._exchange(conn, origin, request, target, headers, body, read_timeout)
        except (OSError, http.client.HTTPException) as exc:
            raise _translated(exc, request.method, origin) from exc

    def _exchange(self, conn: _Connection, origin: Origin, request: Any, target: str, headers: dict[str, str],
                  body: bytes | None, read_timeout: float, reused: bool = False) -> _Response:
        try:
            raw = conn.exchange(request.method, target, headers, body, read_timeout, reused)
        except BaseException:
            conn.close()
            raise
        if raw.will_close:
            conn.close()
        else:
            self._pool.give_back(origin, conn)
        return _Response(request, raw, self._block_size)


def _translated(exc: OSError | http.client.HTTPException, method: str, origin: Origin) -> Exception:
    """Socket and protocol failures as the azure-core errors its retry policy understands."""
    if isinstance(exc, TimeoutError):
        return ServiceResponseTimeoutError(f"{method} {origin[1]}: no response in time", error=exc)
    return ServiceResponseError(f"{method} {origin[1]}: {type(exc).__name__}: {exc}", error=exc)
