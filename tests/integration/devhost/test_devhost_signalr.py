"""SignalR through devhost: negotiate redirect, tokens, fan-out, restart, timers, and the official JS client."""

from __future__ import annotations

import asyncio
import json
import queue
import shutil
import subprocess
import threading
import time
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import requests

from devhost import hs256
from devhost.processes import die_with_parent
from devhost.testing import PROJECT_ROOT, DevhostHandle
from tests.integration.devhost.helpers import HERE, wait_for
from tests.integration.devhost.hub_client import RS, HubClient


def _connection_info(handle: DevhostHandle) -> dict:
    response = requests.post(handle.url("/api/negotiate"), timeout=10)
    assert response.status_code == 200
    return response.json()


def _service_negotiate_url(info: dict) -> str:
    parts = urlsplit(info["url"])
    return f"{parts.scheme}://{parts.netloc}{parts.path}negotiate?{parts.query}&negotiateVersion=1"


def test_connection_info_points_at_the_local_service_with_a_token_for_that_url(sample_host: DevhostHandle) -> None:
    info = _connection_info(sample_host)
    assert info["url"] == f"{sample_host.base_url}/signalr/client/?hub=samples"
    access_key = sample_host.settings["AzureSignalRConnectionString"].split("AccessKey=")[1].split(";")[0]
    claims = hs256.decode(info["accessToken"], access_key, audience=info["url"])
    assert claims["exp"] > time.time() + 60


def test_service_negotiate_offers_websockets_and_refuses_bad_tokens(sample_host: DevhostHandle) -> None:
    info = _connection_info(sample_host)
    url = _service_negotiate_url(info)
    good = requests.post(url, headers={"Authorization": f"Bearer {info['accessToken']}"}, timeout=10)
    assert good.status_code == 200
    body = good.json()
    assert body["negotiateVersion"] == 1 and body["connectionId"] and body["connectionToken"]
    assert body["availableTransports"] == [{"transport": "WebSockets", "transferFormats": ["Text"]}]

    assert requests.post(url, timeout=10).status_code == 401
    tampered = info["accessToken"][:-2] + ("AA" if not info["accessToken"].endswith("AA") else "BB")
    assert requests.post(url, headers={"Authorization": f"Bearer {tampered}"}, timeout=10).status_code == 401
    forged = hs256.encode({"aud": info["url"], "exp": time.time() + 600}, "not-the-access-key")
    assert requests.post(url, headers={"Authorization": f"Bearer {forged}"}, timeout=10).status_code == 401
    other_hub = url.replace("hub=samples", "hub=other")
    refused = requests.post(other_hub, headers={"Authorization": f"Bearer {info['accessToken']}"}, timeout=10)
    assert refused.status_code == 401


def test_websocket_needs_a_valid_token_and_a_negotiated_id(sample_host: DevhostHandle) -> None:
    info = _connection_info(sample_host)
    negotiated = requests.post(_service_negotiate_url(info), timeout=10,
                               headers={"Authorization": f"Bearer {info['accessToken']}"}).json()
    ws_base = info["url"].replace("http://", "ws://")

    async def status_of(url: str) -> int:
        async with aiohttp.ClientSession() as session:
            try:
                async with session.ws_connect(url):
                    return 101
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status

    token = negotiated["connectionToken"]
    assert asyncio.run(status_of(f"{ws_base}&id={token}&access_token=bad.token.here")) == 401
    assert asyncio.run(status_of(f"{ws_base}&id=unknown&access_token={info['accessToken']}")) == 404
    assert asyncio.run(status_of(f"{ws_base}&id={token}&access_token={info['accessToken']}")) == 101


def test_wrong_protocol_handshake_is_refused(sample_host: DevhostHandle) -> None:
    info = _connection_info(sample_host)
    negotiated = requests.post(_service_negotiate_url(info), timeout=10,
                               headers={"Authorization": f"Bearer {info['accessToken']}"}).json()

    async def handshake() -> str:
        url = f"{info['url']}&id={negotiated['connectionToken']}&access_token={info['accessToken']}"
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url.replace("http://", "ws://")) as ws:
                await ws.send_str(json.dumps({"protocol": "messagepack", "version": 1}) + RS)
                reply = await ws.receive(timeout=5)
                return reply.data

    assert "not supported" in json.loads(asyncio.run(handshake()).rstrip(RS))["error"]


def test_broadcast_fans_out_to_every_connection_of_the_hub(sample_host: DevhostHandle) -> None:
    async def scenario() -> list:
        clients = [await HubClient().connect(sample_host.url("/api")) for _ in range(3)]
        try:
            message = {"target": "fanout", "arguments": [{"n": 1}, "two"]}
            response = await asyncio.to_thread(requests.post, sample_host.url("/api/broadcast"),
                                               data=json.dumps(message), timeout=10)
            assert response.status_code == 204
            return [await c.next_invocation("fanout", timeout=10) for c in clients]
        finally:
            for client in clients:
                await client.close()

    assert asyncio.run(scenario()) == [[{"n": 1}, "two"]] * 3


def test_timers_fire_with_devhost_timer_seconds(sample_host: DevhostHandle) -> None:
    async def scenario() -> list:
        client = await HubClient().connect(sample_host.url("/api"))
        try:
            return [await client.next_invocation("tick", timeout=5) for _ in range(2)]
        finally:
            await client.close()

    ticks = asyncio.run(scenario())
    assert all(tick == [{"past_due": False}] for tick in ticks)


def test_restart_drops_connections_refuses_for_a_moment_then_accepts(sample_host: DevhostHandle) -> None:
    async def scenario() -> None:
        client = await HubClient().connect(sample_host.url("/api"))
        dropped = await asyncio.to_thread(sample_host.restart_signalr, 1.0)
        assert dropped >= 1
        await asyncio.wait_for(client.closed.wait(), 5)
        assert client.close_message == {"type": 7, "error": "Service restarting", "allowReconnect": True}
        await client.close()
        info = await asyncio.to_thread(_connection_info, sample_host)
        refused = await asyncio.to_thread(requests.post, _service_negotiate_url(info), timeout=10,
                                          headers={"Authorization": f"Bearer {info['accessToken']}"})
        assert refused.status_code == 503
        await asyncio.sleep(1.1)
        again = await HubClient().connect(sample_host.url("/api"))
        await again.close()

    asyncio.run(scenario())


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_the_official_javascript_client_connects_receives_and_reconnects(sample_host: DevhostHandle) -> None:
    if not (PROJECT_ROOT / "node_modules" / "@microsoft" / "signalr").is_dir():
        pytest.skip("needs npm install (@microsoft/signalr)")
    client = subprocess.Popen(["node", str(HERE / "official_signalr_client.cjs"), sample_host.base_url],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              cwd=str(PROJECT_ROOT), preexec_fn=die_with_parent)
    events: queue.Queue[dict] = queue.Queue()

    def read() -> None:
        assert client.stdout is not None
        for line in client.stdout:
            text = line.decode().strip()
            events.put(json.loads(text) if text.startswith("{") else {"event": "log", "text": text})

    threading.Thread(target=read, daemon=True).start()

    def next_event(name: str, timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if event["event"] == name:
                return event
            assert event["event"] not in ("failed", "closed"), event
        pytest.fail(f"the official client did not report '{name}'")

    def broadcast(text: str) -> None:
        body = json.dumps({"target": "broadcastTest", "arguments": [text]})
        assert requests.post(sample_host.url("/api/broadcast"), data=body, timeout=10).status_code == 204

    try:
        assert next_event("connected")["state"] == "Connected"
        broadcast("first")
        assert next_event("message")["args"] == ["first"]
        sample_host.restart_signalr(1.0)
        next_event("reconnecting")
        next_event("reconnected")
        wait_for(lambda: sample_host.signalr_connections() >= 1, timeout=5)
        broadcast("after restart")
        assert next_event("message")["args"] == ["after restart"]
    finally:
        assert client.stdin is not None
        client.stdin.close()
        try:
            client.wait(timeout=10)
        except subprocess.TimeoutExpired:
            client.kill()


def test_negotiate_query_carries_the_hub_name(sample_host: DevhostHandle) -> None:
    info = _connection_info(sample_host)
    assert parse_qs(urlsplit(info["url"]).query) == {"hub": ["samples"]}


def _rest_token(handle: DevhostHandle, url: str, key: str | None = None) -> str:
    access_key = key or handle.settings["AzureSignalRConnectionString"].split("AccessKey=")[1].split(";")[0]
    return hs256.encode({"aud": url, "exp": int(time.time()) + 60}, access_key)


def test_the_rest_api_publishes_for_other_processes_with_a_token_for_exactly_that_url(
        sample_host: DevhostHandle) -> None:
    url = sample_host.url("/signalr/api/v1/hubs/samples")
    message = json.dumps({"target": "fromRest", "arguments": [{"n": 7}]})

    async def scenario() -> list:
        client = await HubClient().connect(sample_host.url("/api"))
        try:
            refusals = [await asyncio.to_thread(requests.post, url, data=message, headers=headers, timeout=10)
                        for headers in ({}, {"Authorization": f"Bearer {_rest_token(sample_host, url + '/x')}"},
                                        {"Authorization": f"Bearer {_rest_token(sample_host, url, 'wrong-key')}"})]
            assert [r.status_code for r in refusals] == [401, 401, 401]
            bad = await asyncio.to_thread(requests.post, url, data="[1]", timeout=10,
                                          headers={"Authorization": f"Bearer {_rest_token(sample_host, url)}"})
            assert bad.status_code == 400
            sent = await asyncio.to_thread(requests.post, url, data=message, timeout=10,
                                           headers={"Authorization": f"Bearer {_rest_token(sample_host, url)}"})
            assert sent.status_code == 202
            return await client.next_invocation("fromRest", timeout=10)
        finally:
            await client.close()

    assert asyncio.run(scenario()) == [{"n": 7}]


def test_rest_tokens_are_for_the_url_as_sent_with_percent_encoded_names(sample_host: DevhostHandle) -> None:
    url = sample_host.url("/signalr/api/v1/hubs/samples/users/alice%40example.com")
    response = requests.post(url, data=json.dumps({"target": "t", "arguments": []}), timeout=10,
                             headers={"Authorization": f"Bearer {_rest_token(sample_host, url)}"})
    assert response.status_code == 202
