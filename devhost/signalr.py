"""Local SignalR Service (serverless mode): negotiate, WebSocket JSON hub protocol, broadcast, restart."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import WSMsgType, web

from devhost import hs256

__all__ = ["SignalRService", "RECORD_SEPARATOR", "output_items", "group_action"]

log = logging.getLogger("devhost.signalr")
RECORD_SEPARATOR = "\x1e"
TOKEN_LIFETIME_SECONDS = 3600
PENDING_LIFETIME_SECONDS = 300
CORS_HEADERS = "authorization, content-type, x-requested-with, x-signalr-user-agent"


def _frame(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":")) + RECORD_SEPARATOR


def output_items(value: Any) -> list[dict[str, Any]]:
    """A `signalR` output value (JSON text, an object or a list of objects) as a list of objects."""
    if isinstance(value, (str, bytes)):
        value = json.loads(value)
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, dict):
            raise ValueError(f"SignalR output must be an object or a list of objects, got {type(item).__name__}")
    return items


def group_action(item: dict[str, Any]) -> str:
    """'add' or 'remove' for a group-membership output item; ValueError for anything malformed."""
    if not item.get("groupName") or not item.get("userId"):
        raise ValueError("SignalR group action needs 'groupName' and 'userId'")
    action = str(item["action"]).lower()
    if action not in ("add", "remove"):
        raise ValueError(f"unknown SignalR group action '{action}'")
    return action


@dataclass
class _Connection:
    connection_id: str
    hub: str
    user_id: str | None
    ws: web.WebSocketResponse
    groups: set[str] = field(default_factory=set)


class SignalRService:
    """One local SignalR endpoint; `attach(app, prefix)` serves `<prefix>/client/...` on an aiohttp app."""

    def __init__(self, endpoint: str, access_key: str, ping_interval: float = 15.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.access_key = access_key
        self.ping_interval = ping_interval
        self._connections: dict[str, _Connection] = {}
        self._pending: dict[str, tuple[str, str, str | None, float]] = {}
        self._user_groups: dict[str, set[str]] = {}
        self._down_until = 0.0

    # --- what the bindings use -------------------------------------------------------------
    def client_url(self, hub: str) -> str:
        return f"{self.endpoint}/client/?hub={quote(hub.lower())}"

    def connection_info(self, hub: str, user_id: str | None = None) -> dict[str, str]:
        """The `signalRConnectionInfo` input: the client URL and an access token for it."""
        now = int(time.time())
        claims: dict[str, Any] = {"aud": self.client_url(hub), "iat": now, "nbf": now,
                                  "exp": now + TOKEN_LIFETIME_SECONDS}
        if user_id:
            claims["nameid"] = user_id
        return {"url": self.client_url(hub), "accessToken": hs256.encode(claims, self.access_key)}

    async def publish(self, hub: str, value: Any) -> None:
        """Deliver what a function set on a `signalR` output: a message, a group action, or a list."""
        for item in output_items(value):
            if item.get("action"):
                self._group_action(item)
            elif item.get("target"):
                await self.send(hub, item["target"], list(item.get("arguments") or []),
                                user_id=item.get("userId"), group=item.get("groupName"))
            else:
                raise ValueError("SignalR output message needs 'target' (and 'arguments')")

    async def send(self, hub: str, target: str, arguments: list[Any], *, user_id: str | None = None,
                   group: str | None = None) -> int:
        """Send an invocation to the hub's connections (or a user's / a group's); returns how many got it."""
        frame = _frame({"type": 1, "target": target, "arguments": arguments})
        targets = [c for c in self._connections.values() if c.hub == hub.lower()
                   and (user_id is None or c.user_id == user_id)
                   and (group is None or group in c.groups or group in self._user_groups.get(c.user_id or "", ()))]
        results = await asyncio.gather(*(c.ws.send_str(frame) for c in targets), return_exceptions=True)
        for conn, result in zip(targets, results, strict=True):
            if isinstance(result, BaseException):
                log.debug("dropping connection %s: %s", conn.connection_id, result)
                self._connections.pop(conn.connection_id, None)
        return sum(1 for r in results if not isinstance(r, BaseException))

    def _group_action(self, item: dict[str, Any]) -> None:
        action = group_action(item)
        members = self._user_groups.setdefault(item["userId"], set())
        if action == "add":
            members.add(item["groupName"])
        else:
            members.discard(item["groupName"])

    def connection_count(self, hub: str | None = None) -> int:
        return sum(1 for c in self._connections.values() if hub is None or c.hub == hub.lower())

    async def restart(self, down_seconds: float = 1.0) -> int:
        """Drop every connection (close message with allowReconnect) and refuse new ones for a moment."""
        self._down_until = time.monotonic() + down_seconds
        self._pending.clear()
        dropped = list(self._connections.values())
        self._connections.clear()
        for conn in dropped:
            try:
                await conn.ws.send_str(_frame({"type": 7, "error": "Service restarting", "allowReconnect": True}))
                await conn.ws.close()
            except (ConnectionError, RuntimeError):
                pass
        log.info("signalr restarted: dropped %d connection(s), refusing new ones for %.1fs", len(dropped), down_seconds)
        return len(dropped)

    async def close(self) -> None:
        for conn in list(self._connections.values()):
            await conn.ws.close()
        self._connections.clear()

    # --- HTTP side ------------------------------------------------------------------------------
    def attach(self, app: web.Application, prefix: str = "/signalr") -> None:
        """Serve `<prefix>/client/negotiate` and the WebSocket at `<prefix>/client/` (prefix may be '')."""
        prefix = prefix.rstrip("/")
        app.router.add_route("OPTIONS", prefix + "/client/{tail:.*}", self._preflight)
        app.router.add_post(prefix + "/client/negotiate", self._negotiate)
        app.router.add_get(prefix + "/client/", self._websocket)
        app.router.add_get(prefix + "/client", self._websocket)

    @staticmethod
    def _cors(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
        return response

    async def _preflight(self, request: web.Request) -> web.StreamResponse:
        response = web.Response(status=204, headers={"Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                                                     "Access-Control-Allow-Headers": CORS_HEADERS})
        return self._cors(request, response)

    def _admit(self, request: web.Request) -> tuple[web.Response | None, str | None]:
        """(refusal response or None, the token's user id): checks restart window, hub and token."""
        if time.monotonic() < self._down_until:
            return web.json_response({"error": "SignalR service is restarting"}, status=503), None
        hub = request.query.get("hub", "").lower()
        if not hub:
            return web.json_response({"error": "missing 'hub' query parameter"}, status=400), None
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else request.query.get("access_token", "")
        try:
            claims = hs256.decode(token, self.access_key, audience=self.client_url(hub))
        except hs256.TokenError as exc:
            return web.json_response({"error": f"unauthorized: {exc}"}, status=401), None
        return None, claims.get("nameid")

    async def _negotiate(self, request: web.Request) -> web.StreamResponse:
        refusal, user_id = self._admit(request)
        if refusal is not None:
            return self._cors(request, refusal)
        now = time.monotonic()
        self._pending = {k: v for k, v in self._pending.items() if now - v[3] < PENDING_LIFETIME_SECONDS}
        connection_id, token = secrets.token_urlsafe(16), secrets.token_urlsafe(24)
        version = 1 if request.query.get("negotiateVersion", "0") not in ("", "0") else 0
        key = token if version else connection_id
        self._pending[key] = (connection_id, request.query["hub"].lower(), user_id, now)
        body: dict[str, Any] = {"negotiateVersion": version, "connectionId": connection_id,
                                "availableTransports": [{"transport": "WebSockets", "transferFormats": ["Text"]}]}
        if version:
            body["connectionToken"] = token
        return self._cors(request, web.json_response(body))

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        refusal, _ = self._admit(request)
        if refusal is not None:
            return refusal
        pending = self._pending.pop(request.query.get("id", ""), None)
        if pending is None or pending[1] != request.query["hub"].lower():
            return web.json_response({"error": "No Connection with that ID"}, status=404)
        ws = web.WebSocketResponse(autoping=True)
        if not ws.can_prepare(request).ok:
            return web.json_response({"error": "only the WebSockets transport is supported"}, status=400)
        await ws.prepare(request)
        conn = _Connection(connection_id=pending[0], hub=pending[1], user_id=pending[2], ws=ws)
        pinger: asyncio.Task[None] | None = None
        try:
            if not await self._handshake(ws):
                return ws
            self._connections[conn.connection_id] = conn
            pinger = asyncio.create_task(self._ping(ws))
            await self._receive(conn)
        finally:
            if pinger:
                pinger.cancel()
            self._connections.pop(conn.connection_id, None)
            await ws.close()
        return ws

    @staticmethod
    async def _handshake(ws: web.WebSocketResponse) -> bool:
        buffer = ""
        while RECORD_SEPARATOR not in buffer:
            msg = await ws.receive(timeout=15)
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                return False
            buffer += msg.data if msg.type == WSMsgType.TEXT else msg.data.decode()
        try:
            request = json.loads(buffer.split(RECORD_SEPARATOR, 1)[0])
        except json.JSONDecodeError:
            request = {}
        if request.get("protocol") != "json" or request.get("version") != 1:
            await ws.send_str(_frame({"error": f"protocol {request.get('protocol')!r} is not supported"}))
            return False
        await ws.send_str(_frame({}))
        return True

    async def _ping(self, ws: web.WebSocketResponse) -> None:
        try:
            while not ws.closed:
                await asyncio.sleep(self.ping_interval)
                await ws.send_str(_frame({"type": 6}))
        except (ConnectionError, RuntimeError):
            pass

    @staticmethod
    async def _receive(conn: _Connection) -> None:
        async for msg in conn.ws:
            if msg.type != WSMsgType.TEXT:
                continue
            for record in filter(None, msg.data.split(RECORD_SEPARATOR)):
                try:
                    message = json.loads(record)
                except json.JSONDecodeError:
                    log.warning("closing connection %s: a frame is not JSON", conn.connection_id)
                    return
                if not isinstance(message, dict) or message.get("type") == 7:
                    return
                if message.get("type") == 1 and message.get("invocationId"):
                    # Serverless mode has no hub methods; answer so the client's invoke() fails fast.
                    await conn.ws.send_str(_frame({"type": 3, "invocationId": message["invocationId"],
                                                   "error": "serverless hub: client invocations are not supported"}))
