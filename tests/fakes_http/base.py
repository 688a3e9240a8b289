"""A tiny threaded HTTP server for fake SaaS APIs: routes, recorded requests and scripted faults."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["FakeServer", "Recorded", "Reply", "Fault"]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON, bytes/str -> raw
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    """A scripted failure for the next `times` requests matching `path_regex`."""

    path_regex: str
    status: int = 503
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to stall before answering (simulates a timeout)
    body: Any = None


Handler = Callable[[Recorded, re.Match[str]], Reply]


class FakeServer:
    """Subclasses register routes with `route(method, regex, handler)`; a handler raising
    AssertionError answers 400 with the message, so a wrong request fails the caller's test."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    def route(self, method: str, regex: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(regex + r"\Z"), handler))

    def fail_next(self, path_regex: str, status: int = 503, times: int = 1, **kw: Any) -> None:
        self.faults.append(Fault(path_regex, status, times, **kw))

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://127.0.0.1:{port}"

    def start(self) -> FakeServer:
        server = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else small replies wait ~40 ms for delayed ACKs

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                rec = Recorded(self.command, parts.path, parse_qs(parts.query),
                               {k.lower(): v for k, v in self.headers.items()}, body)
                reply = server._dispatch(rec)
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                raw = reply.body
                ctype = reply.headers.get("Content-Type", "application/json")
                if isinstance(raw, (dict, list)):
                    raw = json.dumps(raw).encode()
                elif isinstance(raw, str):
                    raw = raw.encode()
                raw = raw or b""
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    if k != "Content-Type":
                        self.send_header(k, v)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                try:
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and re.search(fault.path_regex, path):
                    fault.times -= 1
                    return fault
        return None

    def _dispatch(self, rec: Recorded) -> Reply:
        with self._lock:
            self.requests.append(rec)
        fault = self._take_fault(rec.path)
        if fault:
            time.sleep(fault.delay)
            return Reply(fault.status, fault.body or {"error": "injected fault"}, fault.headers)
        for method, pattern, handler in self._routes:
            match = pattern.match(rec.path)
            if match and method == rec.method:
                try:
                    return handler(rec, match)
                except AssertionError as exc:
                    self.errors.append(f"{rec.method} {rec.path}: {exc}")
                    return Reply(400, {"error": f"fake rejected request: {exc}"})
        self.errors.append(f"no route for {rec.method} {rec.path}")
        return Reply(404, {"error": f"no route for {rec.method} {rec.path}"})

    def requests_to(self, regex: str, method: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if re.search(regex, r.path) and (method is None or r.method == method)]
