"""The SignalR service in-process: messages for one user or one group reach only those connections."""

from __future__ import annotations

import asyncio
import socket

from aiohttp import web

from devhost.signalr import SignalRService
from tests.integration.devhost.hub_client import HubClient


async def _serve() -> tuple[SignalRService, web.AppRunner, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    service = SignalRService(f"{base}/signalr", "test-access-key")
    app = web.Application()

    async def negotiate(request: web.Request) -> web.Response:  # what an app's negotiate function returns
        return web.json_response(service.connection_info("alerts", request.match_info["user"]))

    app.router.add_post("/{user}/negotiate", negotiate)
    service.attach(app, "/signalr")
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return service, runner, base


def test_user_and_group_targets() -> None:
    async def scenario() -> None:
        service, runner, base = await _serve()
        alice, bob = await HubClient().connect(f"{base}/alice"), await HubClient().connect(f"{base}/bob")
        try:
            assert service.connection_count("alerts") == 2
            assert await service.send("alerts", "hello", ["all"]) == 2
            assert await alice.next_invocation("hello") == ["all"]
            assert await bob.next_invocation("hello") == ["all"]

            await service.publish("alerts", {"target": "private", "arguments": ["for bob"], "userId": "bob"})
            await service.publish("alerts", '{"userId": "alice", "groupName": "oncall", "action": "add"}')
            await service.publish("alerts", [{"target": "page", "arguments": ["oncall only"], "groupName": "oncall"},
                                             {"target": "done", "arguments": []}])
            assert await bob.next_invocation("private") == ["for bob"]
            assert await alice.next_invocation("page") == ["oncall only"]
            await bob.next_invocation("done")
            await alice.next_invocation("done")
            leftovers = [m for q in (alice.messages, bob.messages) for m in _drain(q) if m.get("type") == 1]
            assert leftovers == []
        finally:
            await alice.close()
            await bob.close()
            await service.close()
            await runner.cleanup()

    asyncio.run(scenario())


def _drain(messages: asyncio.Queue) -> list[dict]:
    drained = []
    while not messages.empty():
        drained.append(messages.get_nowait())
    return drained


def test_bad_output_values_are_errors() -> None:
    service = SignalRService("http://127.0.0.1:1/signalr", "k")

    async def publish(value: object) -> str:
        try:
            await service.publish("alerts", value)
        except ValueError as exc:
            return str(exc)
        return ""

    assert "target" in asyncio.run(publish({"arguments": [1]}))
    assert "object" in asyncio.run(publish([1, 2]))
    assert "action" in asyncio.run(publish({"userId": "u", "groupName": "g", "action": "explode"}))
