"""HTTP triggers on aiohttp: routing, methods, auth level, body limit, principal injection, `web/` files."""

from __future__ import annotations

import base64
import hmac
import json
import logging
import mimetypes
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import azure.functions as func
from aiohttp import web

from devhost.app_loader import HostedFunction
from devhost.routes import RouteTable

__all__ = ["HttpHost", "MAX_BODY_BYTES", "LOCAL_PRINCIPAL", "error_response"]

log = logging.getLogger("devhost.http")
# The Functions host's own request limit (100 MB by default in Azure): an app enforces its own,
# smaller limits itself - ours answers 413 above 1 MiB after archiving the body.
MAX_BODY_BYTES = int(os.environ.get("DEVHOST_MAX_BODY_BYTES") or 100 * 1024 * 1024)
LOCAL_PRINCIPAL = {"identityProvider": "devhost", "userId": "local", "userDetails": "local-user",
                   "userRoles": ["anonymous", "authenticated", "aiops-reader", "aiops-responder"]}
ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

Invoke = Callable[[HostedFunction, Any], Awaitable[Any]]


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None,
                   details: list[object] | None = None) -> web.Response:
    """The contract's error shape: {"error": {"code", "message", "details": [...]}}."""
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return web.json_response(body, status=status, headers=headers)


@dataclass
class _HttpFunction:
    fn: HostedFunction
    methods: tuple[str, ...]
    auth_level: str


def _principal_headers() -> dict[str, str]:
    encoded = base64.b64encode(json.dumps(LOCAL_PRINCIPAL).encode()).decode()
    return {"x-ms-client-principal": encoded, "x-ms-client-principal-id": LOCAL_PRINCIPAL["userId"],
            "x-ms-client-principal-name": LOCAL_PRINCIPAL["userDetails"],
            "x-ms-client-principal-idp": LOCAL_PRINCIPAL["identityProvider"]}


class HttpHost:
    """Maps aiohttp requests under `/<route_prefix>/` to HTTP-triggered functions and back."""

    def __init__(self, functions: list[HostedFunction], invoke: Invoke, *, api_key: str | None,
                 route_prefix: str = "api", inject_principal: bool = True, web_root: Path | None = None) -> None:
        self._invoke = invoke
        self._api_key = api_key or None
        self._inject_principal = inject_principal
        self._web_root = web_root.resolve() if web_root else None
        self.route_prefix = route_prefix.strip("/")
        self.table: RouteTable[_HttpFunction] = RouteTable()
        self.routes: list[tuple[str, str, str]] = []  # (methods, path, function name) for the startup banner
        self._targets: list[_HttpFunction] = []
        for fn in functions:
            if fn.trigger.type != "httpTrigger":
                continue
            route = fn.trigger.get("route") or fn.name
            methods = tuple(m.upper() for m in fn.trigger.get("methods") or ALL_METHODS)
            target = _HttpFunction(fn, methods, str(fn.trigger.get("authLevel", "FUNCTION")).upper())
            self.table.add(route, target)
            self._targets.append(target)
            path = f"/{self.route_prefix}/{route.strip('/')}".replace("//", "/")
            self.routes.append((",".join(methods), path, fn.name))

    @property
    def needs_key(self) -> bool:
        """True when some route is FUNCTION/ADMIN level (so an empty INGEST_API_KEY deserves a warning)."""
        return any(t.auth_level != "ANONYMOUS" for t in self._targets)

    def attach(self, app: web.Application) -> None:
        prefix = f"/{self.route_prefix}" if self.route_prefix else ""
        app.router.add_get("/.auth/me", self._auth_me)
        app.router.add_route("*", prefix + "/{tail:.*}", self._dispatch)
        if self._web_root is not None:
            app.router.add_get("/{path:.*}", self._static)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["tail"]
        matches = self.table.resolve(path)
        if not matches:
            return error_response(404, "not_found", f"no function serves /{self.route_prefix}/{path}")
        allowed = [(t, p) for t, p in matches if request.method in t.methods]
        if not allowed:
            methods = sorted({m for t, _ in matches for m in t.methods})
            return error_response(405, "method_not_allowed", f"{request.method} is not allowed here",
                                  headers={"Allow": ", ".join(methods)})
        target, route_params = allowed[0]
        if target.auth_level != "ANONYMOUS" and not self._authorized(request):
            return error_response(401, "unauthorized", "a valid function key is required "
                                  "(x-functions-key header or code query parameter)")
        declared = request.content_length
        if declared is not None and declared > MAX_BODY_BYTES:
            return error_response(413, "payload_too_large", f"request body is over {MAX_BODY_BYTES} bytes")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return error_response(413, "payload_too_large", f"request body is over {MAX_BODY_BYTES} bytes")
        http_request = self._to_function_request(request, route_params, body)
        try:
            result = await self._invoke(target.fn, http_request)
        except Exception as exc:
            return error_response(500, "internal_error", f"function '{target.fn.name}' failed: {type(exc).__name__}")
        return self._to_aiohttp_response(result)

    async def _auth_me(self, request: web.Request) -> web.Response:
        """Static Web Apps' "who is signed in": the request's own principal, else the local user
        devhost injects (none with DEVHOST_LOCAL_USER=none), so the dashboard knows the roles."""
        principal: Any = None
        supplied = request.headers.get("x-ms-client-principal")
        if supplied:
            try:
                decoded = json.loads(base64.b64decode(supplied, validate=True))
                principal = decoded if isinstance(decoded, dict) else None
            except (ValueError, TypeError):
                principal = None
        elif self._inject_principal:
            principal = LOCAL_PRINCIPAL
        return web.json_response({"clientPrincipal": principal})

    def _authorized(self, request: web.Request) -> bool:
        if self._api_key is None:
            return True
        supplied = request.headers.get("x-functions-key") or request.query.get("code") or ""
        return hmac.compare_digest(supplied.encode(), self._api_key.encode())

    def _to_function_request(self, request: web.Request, route_params: dict[str, str],
                             body: bytes) -> func.HttpRequest:
        headers: dict[str, str] = {}
        for name, value in request.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        if self._inject_principal and "x-ms-client-principal" not in headers:
            headers.update(_principal_headers())
        params: dict[str, str] = {}
        for name, value in request.query.items():
            params[name] = f"{params[name]},{value}" if name in params else value
        return func.HttpRequest(method=request.method, url=str(request.url), headers=headers, params=params,
                                route_params=route_params, body=body)

    @staticmethod
    def _to_aiohttp_response(result: Any) -> web.Response:
        if result is None:
            return web.Response(status=204)
        if isinstance(result, (str, bytes)):
            body = result.encode() if isinstance(result, str) else result
            return web.Response(status=200, body=body, headers={"Content-Type": "text/plain; charset=utf-8"})
        if not isinstance(result, func.HttpResponse):
            log.error("HTTP function returned %s, not an HttpResponse", type(result).__name__)
            return error_response(500, "internal_error", "function returned an unsupported value")
        headers = dict(result.headers.items())
        if not any(k.lower() == "content-type" for k in headers):
            mimetype = result.mimetype or "text/plain"
            headers["Content-Type"] = f"{mimetype}; charset={result.charset}" if mimetype.startswith("text/") \
                else mimetype
        return web.Response(status=int(result.status_code), body=result.get_body() or b"", headers=headers)

    async def _static(self, request: web.Request) -> web.StreamResponse:
        assert self._web_root is not None
        relative = request.match_info["path"]
        candidate = (self._web_root / relative).resolve()
        if candidate != self._web_root and self._web_root not in candidate.parents:
            return error_response(404, "not_found", "no such file")
        if candidate.is_dir():
            candidate = candidate / "index.html"
        if not candidate.is_file():
            return error_response(404, "not_found", f"no such file: /{relative}")
        content_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
        if candidate.suffix in (".js", ".mjs"):
            content_type = "text/javascript"
        return web.FileResponse(candidate, headers={"Content-Type": content_type, "Cache-Control": "no-cache"})
