"""Service Bus through devhost: output binding -> queue trigger -> SignalR, dead-lettering, concurrency, locks."""

from __future__ import annotations

import asyncio
import json
import uuid

import requests
from azure.servicebus import ServiceBusClient, ServiceBusMessage, ServiceBusSubQueue

from devhost.testing import DevhostHandle
from tests.integration.devhost.helpers import API_KEY, read_records, wait_for
from tests.integration.devhost.hub_client import HubClient


def _send(handle: DevhostHandle, queue: str, *messages: ServiceBusMessage) -> None:
    with ServiceBusClient.from_connection_string(handle.settings["ServiceBusConnection"]) as client:
        with client.get_queue_sender(queue) as sender:
            sender.send_messages(list(messages))


def test_http_output_binding_feeds_the_queue_trigger_which_pushes_over_signalr(sample_host: DevhostHandle) -> None:
    marker = uuid.uuid4().hex

    async def scenario() -> list:
        client = await HubClient().connect(sample_host.url("/api"))
        try:
            response = await asyncio.to_thread(
                requests.post, sample_host.url("/api/enqueue"), data=json.dumps({"marker": marker}),
                headers={"x-functions-key": API_KEY}, timeout=10)
            assert response.status_code == 202, response.text
            while True:
                arguments = await client.next_invocation("sampleReceived", timeout=15)
                if arguments[0]["payload"].get("marker") == marker:
                    return arguments
        finally:
            await client.close()

    (pushed,) = asyncio.run(scenario())
    assert pushed["payload"] == {"marker": marker}
    assert pushed["delivery_count"] == 1
    assert pushed["enqueued"] is True
    assert isinstance(pushed["sequence_number"], int)
    assert pushed["message_id"]


def test_a_returned_value_goes_to_the_return_output_binding(sample_host: DevhostHandle) -> None:
    marker = uuid.uuid4().hex

    async def scenario() -> dict:
        client = await HubClient().connect(sample_host.url("/api"))
        try:
            await asyncio.to_thread(_send, sample_host, "sample-relay", ServiceBusMessage(json.dumps({"m": marker})))
            while True:
                (pushed,) = await client.next_invocation("sampleReceived", timeout=15)
                if pushed["payload"].get("m") == marker:
                    return pushed["payload"]
        finally:
            await client.close()

    assert asyncio.run(scenario()) == {"m": marker, "relayed": True}


def test_a_failing_message_is_abandoned_until_it_is_dead_lettered(sample_host: DevhostHandle, state_dir) -> None:
    message_id = f"poison-{uuid.uuid4().hex[:8]}"
    _send(sample_host, "sample-poison", ServiceBusMessage(
        b'{"bad": true}', message_id=message_id, content_type="application/json", correlation_id="corr-1",
        application_properties={"kind": "poison", "attempt_limit": 3}))

    def attempts() -> list:
        found = [r for r in read_records(state_dir, "poison") if r["message_id"] == message_id]
        return found if len(found) >= 3 else []

    records = wait_for(attempts, timeout=20)
    assert [r["delivery_count"] for r in records] == [1, 2, 3]
    first = records[0]
    assert first["application_properties"] == {"kind": "poison", "attempt_limit": 3}
    assert first["user_properties"] == first["application_properties"]
    assert first["content_type"] == "application/json"
    assert first["correlation_id"] == "corr-1"
    assert first["body"] == '{"bad": true}'

    with ServiceBusClient.from_connection_string(sample_host.settings["ServiceBusConnection"]) as client:
        with client.get_queue_receiver("sample-poison", sub_queue=ServiceBusSubQueue.DEAD_LETTER,
                                       max_wait_time=10) as receiver:
            dead = receiver.receive_messages(max_message_count=1, max_wait_time=10)
            assert dead, "the message did not reach the dead-letter queue"
            assert dead[0].message_id == message_id
            assert dead[0].dead_letter_reason == "MaxDeliveryCountExceeded"
            receiver.complete_message(dead[0])
    assert len([r for r in read_records(state_dir, "poison") if r["message_id"] == message_id]) == 3


def test_a_dead_letter_queue_trigger_receives_dead_lettered_messages(sample_host: DevhostHandle) -> None:
    body = f"watched-{uuid.uuid4().hex[:8]}"

    async def scenario() -> dict:
        client = await HubClient().connect(sample_host.url("/api"))
        try:
            await asyncio.to_thread(_send, sample_host, "sample-watched", ServiceBusMessage(body))
            while True:
                (info,) = await client.next_invocation("deadLettered", timeout=20)
                if info["body"] == body:
                    return info
        finally:
            await client.close()

    info = asyncio.run(scenario())
    assert info["reason"] == "MaxDeliveryCountExceeded"


def test_concurrency_follows_host_json_and_locks_are_renewed(sample_host: DevhostHandle, state_dir) -> None:
    # host.json says maxConcurrentCalls 2; the lock is 2 s, and one message runs 3 s.
    run_id = uuid.uuid4().hex[:6]
    long_id = f"{run_id}-long"
    short_ids = [f"{run_id}-short-{i}" for i in range(4)]
    _send(sample_host, "sample-slow", ServiceBusMessage(json.dumps({"seconds": 3.0}), message_id=long_id),
          *(ServiceBusMessage(json.dumps({"seconds": 0.4}), message_id=m) for m in short_ids))

    def finished() -> list:
        done = [r for r in read_records(state_dir, "slow") if r["message_id"].startswith(run_id)]
        return done if {r["message_id"] for r in done} == {long_id, *short_ids} else []

    done = wait_for(finished, timeout=20)
    assert max(r["peak"] for r in done) == 2
    assert all(r["delivery_count"] == 1 for r in done), done
    assert len(done) == 5, "a message was delivered twice: its lock was not renewed"
    with ServiceBusClient.from_connection_string(sample_host.settings["ServiceBusConnection"]) as client:
        with client.get_queue_receiver("sample-slow") as receiver:
            assert receiver.peek_messages(max_message_count=10, sequence_number=0) == []


def test_a_queue_worker_that_dies_is_restarted_and_the_queues_flow_again(tmp_path) -> None:
    import os
    import signal

    from devhost.testing import run_devhost
    from tests.integration.devhost.helpers import HERE, SAMPLE_APP, sample_env

    handle = run_devhost(SAMPLE_APP, sample_env(tmp_path), args=["--host-json", str(HERE / "host.json")])
    try:
        worker = handle.child_pids[-1]  # Azurite x3, the Service Bus emulator, then the queue worker
        assert "devhost.queue_worker" in open(f"/proc/{worker}/cmdline").read()
        # Each process ran the warmup function once, before devhost said it was ready.
        warmed = read_records(tmp_path, "warmup")
        assert sorted(r["pid"] for r in warmed) == sorted([handle.pid, worker])
        assert {r["type"] for r in warmed} == {"WarmUpContext"}
        os.kill(worker, signal.SIGKILL)
        wait_for(lambda: "queue worker 1 is back" in handle.output(), timeout=30)
        assert "queue worker 1 exited with code -9; restarting it" in handle.output()
        status = requests.get(f"{handle.base_url}/_devhost/status", timeout=10).json()
        [fresh] = status["queue_worker_pids"]
        assert fresh != worker and "devhost.queue_worker" in open(f"/proc/{fresh}/cmdline").read()
        assert read_records(tmp_path, "warmup")[-1]["pid"] == fresh  # the new instance warmed up too
        _send(handle, "sample-slow", ServiceBusMessage(json.dumps({"seconds": 0}), message_id="after-restart"))
        wait_for(lambda: [r for r in read_records(tmp_path, "slow") if r["message_id"] == "after-restart"],
                 timeout=20)
    finally:
        handle.stop()


def test_with_no_queue_workers_the_queues_are_pumped_in_the_devhost_process(tmp_path) -> None:
    from devhost.testing import run_devhost
    from tests.integration.devhost.helpers import HERE, SAMPLE_APP, sample_env

    env = {**sample_env(tmp_path), "DEVHOST_QUEUE_WORKERS": "0"}
    with run_devhost(SAMPLE_APP, env, args=["--host-json", str(HERE / "host.json")]) as handle:
        assert len(handle.child_pids) == 4  # Azurite x3 and the Service Bus emulator, no worker
        assert "queue worker" not in handle.output()
        assert "queue sample-slow -> slow (maxConcurrentCalls 2)" in handle.output()
        _send(handle, "sample-slow", ServiceBusMessage(json.dumps({"seconds": 0}), message_id="in-process"))
        wait_for(lambda: [r for r in read_records(tmp_path, "slow") if r["message_id"] == "in-process"],
                 timeout=20)
