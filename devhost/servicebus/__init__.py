"""Local Azure Service Bus emulator: an AMQP 1.0 broker, queues only, that the unmodified azure-servicebus SDK talks to.

Test and development tooling; production uses Azure Service Bus. Connect with
`Endpoint=sb://localhost:PORT;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`
(`EmulatorHandle.connection_string`).

Command line::

    python -m devhost.servicebus --port PORT --queues a,b,c [--host 127.0.0.1] [--lock-seconds 30]
        [--max-delivery-count 10] [--duplicate-window-seconds 600] [--verbose]

`--port 0` picks a free port. When ready it prints exactly one line, `servicebus emulator listening on HOST:PORT`,
and is quiet after that unless `--verbose`. SIGTERM/SIGINT stop it with exit code 0; a busy port or bad
arguments print one line on stderr and exit with code 2.

Per-queue overrides follow the name, separated by colons: `--queues a,b:maxdelivery=3:lock=5,c:ttl=60`.
Options: `lock` (seconds), `maxdelivery`, `dupwindow` (seconds, 0 = off), `ttl` (default message time to
live, seconds), `deadletteronexpiration` (true/false). `--queues` may be given more than once.

Semantics follow Azure Service Bus: FIFO per queue; peek-lock honouring link credit; complete, abandon
(delivery count +1), defer and receive-deferred, dead-letter with reason and description onto
`<queue>/$DeadLetterQueue` (also accepted as a queue name); lock expiry and renew-lock; dead-letter with
`MaxDeliveryCountExceeded`; peek; receive-and-delete; scheduled messages and cancel; time to live;
duplicate detection on `message_id` within the window; messages up to 256 KiB (Standard tier). Any SAS
token is accepted. A queue that was not declared makes the SDK raise `MessagingEntityNotFoundError`.
State lives in memory only.
"""

from __future__ import annotations

import os
import subprocess as _subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType

from .broker import Broker
from .server import EmulatorServer
from .settings import QueueSettings, parse_queue_specs

__all__ = ["start_emulator", "EmulatorHandle", "connection_string", "QueueSettings", "parse_queue_specs"]

READY_PREFIX = "servicebus emulator listening on "
_REPO_ROOT = Path(__file__).resolve().parents[2]


def connection_string(port: int, host: str = "localhost") -> str:
    return (f"Endpoint=sb://{host}:{port};SharedAccessKeyName=RootManageSharedAccessKey;"
            "SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;")


class EmulatorHandle:
    """A running emulator (child process or background thread); `stop()` or use it as a context manager."""

    def __init__(self, port: int, *, process: _subprocess.Popen | None = None,
                 server: EmulatorServer | None = None, thread: threading.Thread | None = None) -> None:
        self.port = port
        self.connection_string = connection_string(port)
        self.process = process
        self._server, self._thread = server, thread

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except _subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self.process is not None and self.process.stdout:
            self.process.stdout.close()
        if self._server is not None:
            self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()


def start_emulator(queues: list[str], port: int = 0, *, lock_seconds: float = 30, max_delivery_count: int = 10,
                   duplicate_window_seconds: float = 600, subprocess: bool = True, host: str = "127.0.0.1",
                   verbose: bool = False, ready_timeout: float = 20.0) -> EmulatorHandle:
    """Start an emulator serving `queues` (items may carry `:option=value` overrides) and wait until it listens."""
    if subprocess:
        return _start_process(queues, port, lock_seconds, max_delivery_count, duplicate_window_seconds,
                              host, verbose, ready_timeout)
    defaults = QueueSettings(name="_", lock_seconds=lock_seconds, max_delivery_count=max_delivery_count,
                             duplicate_window_seconds=duplicate_window_seconds)
    server = EmulatorServer(Broker(parse_queue_specs(list(queues), defaults)), host=host, port=port, verbose=verbose)
    thread = threading.Thread(target=server.serve_forever, name="servicebus-emulator", daemon=True)
    thread.start()
    return EmulatorHandle(server.port, server=server, thread=thread)


def _start_process(queues: list[str], port: int, lock_seconds: float, max_delivery_count: int,
                   duplicate_window_seconds: float, host: str, verbose: bool, ready_timeout: float) -> EmulatorHandle:
    command = [sys.executable, "-m", "devhost.servicebus", "--host", host, "--port", str(port),
               "--queues", ",".join(queues), "--lock-seconds", str(lock_seconds),
               "--max-delivery-count", str(max_delivery_count),
               "--duplicate-window-seconds", str(duplicate_window_seconds)] + (["--verbose"] if verbose else [])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_REPO_ROOT), env.get("PYTHONPATH")]))
    process = _subprocess.Popen(command, stdout=_subprocess.PIPE, text=True, env=env, cwd=_REPO_ROOT)
    ready: list[str] = []
    reader = threading.Thread(target=lambda: ready.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(ready_timeout)
    line = ready[0].strip() if ready else ""
    if not line.startswith(READY_PREFIX):
        process.kill()
        process.wait()
        raise RuntimeError(f"servicebus emulator did not start (exit code {process.returncode}); see its stderr")
    return EmulatorHandle(int(line.rsplit(":", 1)[1]), process=process)
