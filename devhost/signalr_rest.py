"""SignalR Service's data-plane REST API (v1), served by devhost and called by its queue workers.

In Azure a `signalR` output binding does not hold client connections: it calls the service's REST
API (`POST {endpoint}/api/v1/hubs/{hub}` and friends) with an HS256 bearer token whose audience is
the request URL, signed with the AccessKey. devhost's queue-worker processes do exactly that, so
one process owns the WebSockets and any number of processes can publish.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import quote, urlsplit

from aiohttp import ClientSession, ClientTimeout, web

from devhost import hs256
from devhost.app_loader import Binding
from devhost.invoker import OutputHandler
from devhost.signalr import SignalRService, group_action, output_items
from devhost.signalr_bindings import hub_of, parse_connection_string

__all__ = ["attach_rest_api", "RestPublisher"]

log = logging.getLogger("devhost.signalr")
API = "/api/v1/hubs/{hub}"


def attach_rest_api(app: web.Application, service: SignalRService, prefix: str = "") -> None:
    """Serve the broadcast, user, group and group-membership endpoints under `prefix`."""
    base = prefix.rstrip("/") + API
    for target in ("", "/users/{user}", "/groups/{group}"):  # the hub's connections, a user's, a group's
        app.router.add_post(base + target, _handler(service, _send))
    app.router.add_put(base + "/groups/{group}/users/{user}", _handler(service, _membership))
    app.router.add_delete(base + "/groups/{group}/users/{user}", _handler(service, _membership))


def _handler(service: SignalRService, action: Any) -> Any:
    async def handle(request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        origin = urlsplit(service.endpoint)
        # The token is for exactly this URL, as sent: the raw (still percent-encoded) path.
        audience = f"{origin.scheme}://{origin.netloc}{request.rel_url.raw_path}"
        try:
            hs256.decode(auth[7:] if auth.lower().startswith("bearer ") else "", service.access_key,
                         audience=audience)
        except hs256.TokenError as exc:
            return web.json_response({"error": f"unauthorized: {exc}"}, status=401)
        return await action(service, request)

    return handle


async def _message(request: web.Request) -> tuple[str, list[Any]] | web.Response:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return web.json_response({"error": "body is not JSON"}, status=400)
    if not isinstance(body, dict) or not isinstance(body.get("target"), str) or not body["target"]:
        return web.json_response({"error": "body needs a 'target' string and 'arguments'"}, status=400)
    arguments = body.get("arguments") or []
    if not isinstance(arguments, list):
        return web.json_response({"error": "'arguments' must be a list"}, status=400)
    return body["target"], arguments


async def _send(service: SignalRService, request: web.Request) -> web.Response:
    message = await _message(request)
    if isinstance(message, web.Response):
        return message
    await service.send(request.match_info["hub"], *message, user_id=request.match_info.get("user"),
                       group=request.match_info.get("group"))
    return web.Response(status=202)


async def _membership(service: SignalRService, request: web.Request) -> web.Response:
    action = "add" if request.method == "PUT" else "remove"
    await service.publish(request.match_info["hub"], {"action": action, "groupName": request.match_info["group"],
                                                      "userId": request.match_info["user"]})
    return web.Response(status=202)


class RestPublisher:
    """The `signalR` output handler of a process that does not own the SignalR endpoint."""

    TOKEN_SECONDS = 300

    def __init__(self, connection_string: str) -> None:
        self._endpoint, self._key = parse_connection_string(connection_string)
        self._session: ClientSession | None = None

    def handler(self) -> OutputHandler:
        async def deliver(binding: Binding, value: Any) -> None:
            await self.publish(hub_of(binding), value)

        return deliver

    async def publish(self, hub: str, value: Any) -> None:
        for item in output_items(value):
            await self._call(hub, item)

    async def _call(self, hub: str, item: dict[str, Any]) -> None:
        path = API.format(hub=quote(hub.lower(), safe=""))
        method, body = "POST", None
        if item.get("action"):
            method = "PUT" if group_action(item) == "add" else "DELETE"
            path += f"/groups/{quote(item['groupName'], safe='')}/users/{quote(item['userId'], safe='')}"
        elif item.get("target"):
            body = {"target": item["target"], "arguments": list(item.get("arguments") or [])}
            if item.get("userId"):
                path += f"/users/{quote(str(item['userId']), safe='')}"
            elif item.get("groupName"):
                path += f"/groups/{quote(str(item['groupName']), safe='')}"
        else:
            raise ValueError("SignalR output message needs 'target' (and 'arguments')")
        url = self._endpoint + path
        now = int(time.time())
        token = hs256.encode({"aud": url, "iat": now, "exp": now + self.TOKEN_SECONDS}, self._key)
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=10))
        async with self._session.request(method, url, json=body, headers={"Authorization": f"Bearer {token}"}) as resp:
            if resp.status >= 300:
                raise RuntimeError(f"SignalR REST {method} {path} -> {resp.status}: {(await resp.text())[:200]}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
