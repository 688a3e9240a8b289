"""The command line and the in-process API exactly as devhost relies on them."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from azure.servicebus import ServiceBusClient, ServiceBusMessage, ServiceBusSubQueue
from proton import Delivery

from devhost.servicebus import start_emulator

from .conftest import Links
from .helpers import body_text, receive_exactly, texts
from .rawamqp import RawClient

pytestmark = pytest.mark.timeout(60)
REPO_ROOT = Path(__file__).resolve().parents[3]
READY = re.compile(r"^servicebus emulator listening on 127\.0\.0\.1:(\d+)\n$")


def _spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "devhost.servicebus", *args], cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))


def _finish(process: subprocess.Popen, timeout: float = 10) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_ready_line_then_silence_then_clean_exit_on_signal(signum: int) -> None:
    process = _spawn("--port", "0", "--queues", "alpha,beta")
    ready = READY.match(process.stdout.readline())
    assert ready, "expected exactly the ready line"
    client = RawClient(int(ready.group(1)))
    link = client.sender("amqps://localhost/beta")
    delivery = client.start_transfer(link, b"ping")
    client.pump(lambda: delivery.remote_state == Delivery.ACCEPTED)
    # The client is still connected: that must not hold up the shutdown.
    started = time.monotonic()
    process.send_signal(signum)
    code, out, err = _finish(process)
    assert time.monotonic() - started < 5
    assert (code, out, err) == (0, "", "")
    client.vanish()


def test_a_port_in_use_is_one_line_on_stderr_and_exit_code_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = _finish(_spawn("--port", str(port), "--queues", "a"))
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and "in use" in err and str(port) in err
    assert "Traceback" not in err


@pytest.mark.parametrize("queues", ["a,b:nonsense=1", "a,a", "bad$name", "a:maxdelivery=0"])
def test_bad_queue_declarations_are_one_line_and_exit_code_2(queues: str) -> None:
    code, out, err = _finish(_spawn("--port", "0", "--queues", queues))
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_command_line_defaults_for_lock_delivery_count_and_dedup_window(_closer: ThreadPoolExecutor) -> None:
    with start_emulator(["flags"], lock_seconds=1, max_delivery_count=2, duplicate_window_seconds=0) as emulator, \
            ServiceBusClient.from_connection_string(emulator.connection_string) as client:
        links = Links({"default": client}, _closer)
        sender, receiver, dead_letters = links.open(
            ("sender", "flags", {}), ("receiver", "flags", {}),
            ("receiver", "flags", {"sub_queue": ServiceBusSubQueue.DEAD_LETTER}))
        sender.send_messages([ServiceBusMessage("same", message_id="m"), ServiceBusMessage("same", message_id="m")])
        first, second = receive_exactly(receiver, 2)  # dedup window 0: both accepted
        receiver.complete_message(second)
        time.sleep(1.1)  # lock 1 s: the first one comes back
        [again] = receive_exactly(receiver, 1)
        assert again.delivery_count == 1
        receiver.abandon_message(again)  # second delivery failed: max delivery count 2 reached
        [dead] = receive_exactly(dead_letters, 1)
        assert (body_text(dead), dead.dead_letter_reason) == ("same", "MaxDeliveryCountExceeded")
        dead_letters.complete_message(dead)
        links.close_in_background()


def test_in_process_emulator_serves_and_frees_its_port_on_stop(_closer: ThreadPoolExecutor) -> None:
    with start_emulator(["inproc"], subprocess=False) as emulator, \
            ServiceBusClient.from_connection_string(emulator.connection_string) as client:
        assert emulator.process is None
        assert "UseDevelopmentEmulator=true;" in emulator.connection_string
        assert f"sb://localhost:{emulator.port};" in emulator.connection_string
        links = Links({"default": client}, _closer)
        sender, receiver = links.pair("inproc")
        sender.send_messages(ServiceBusMessage("in-process"))
        assert texts(receive_exactly(receiver, 1)) == ["in-process"]
        links.close_in_background()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", emulator.port), timeout=1).close()


def test_subprocess_handle_stops_the_child() -> None:
    emulator = start_emulator(["child"], subprocess=True)
    assert emulator.process is not None and emulator.process.poll() is None
    emulator.stop()
    assert emulator.process.returncode == 0


def test_verbose_logs_frames_to_stderr() -> None:
    process = _spawn("--port", "0", "--queues", "loud", "--verbose")
    port = int(READY.match(process.stdout.readline()).group(1))
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"AMQP\x03\x01\x00\x00")
        sock.recv(1024)
    time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    code, out, err = _finish(process)
    assert (code, out) == (0, "")
    assert "sasl-mechanisms" in err
