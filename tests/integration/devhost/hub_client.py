"""A small Python SignalR client (serverless redirect, negotiate, WebSocket JSON hub protocol) for tests."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

import aiohttp

RS = "\x1e"


class HubClient:
    """Connects the way @microsoft/signalr does: POST <base>/negotiate, follow {url, accessToken}, negotiate, WS."""

    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.closed = asyncio.Event()
        self.close_message: dict[str, Any] | None = None
        self._reader: asyncio.Task[None] | None = None

    async def connect(self, api_base: str) -> HubClient:
        self.session = aiohttp.ClientSession()
        async with self.session.post(f"{api_base}/negotiate?negotiateVersion=1") as response:
            assert response.status == 200, await response.text()
            redirect = await response.json(content_type=None)
        url, token = redirect["url"], redirect["accessToken"]
        parts = urlsplit(url)
        negotiate_url = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/negotiate?{parts.query}" \
                        f"&negotiateVersion=1"
        async with self.session.post(negotiate_url, headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status == 200, await response.text()
            negotiated = await response.json()
        ws_url = f"{url}&id={negotiated['connectionToken']}&access_token={token}"
        self.ws = await self.session.ws_connect(ws_url.replace("http://", "ws://"))
        await self.ws.send_str(json.dumps({"protocol": "json", "version": 1}) + RS)
        handshake = await self.ws.receive(timeout=5)
        assert handshake.data == "{}" + RS, handshake
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            for record in filter(None, msg.data.split(RS)):
                message = json.loads(record)
                if message.get("type") == 7:
                    self.close_message = message
                await self.messages.put(message)
        self.closed.set()

    async def next_invocation(self, target: str, timeout: float = 10.0) -> list[Any]:
        """The arguments of the next invocation of `target` (other messages are skipped)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = await asyncio.wait_for(self.messages.get(), max(0.01, deadline - loop.time()))
            if message.get("type") == 1 and message.get("target") == target:
                return list(message["arguments"])

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.send_str(json.dumps({"type": 7}) + RS)
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
        if self.session is not None:
            await self.session.close()
