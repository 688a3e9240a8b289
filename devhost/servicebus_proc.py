"""Start the Service Bus emulator (`python -m devhost.servicebus`) as a child and build its connection string."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from devhost.azurite import PortInUseError
from devhost.processes import ChildProcess, port_in_use

__all__ = ["ServiceBusEmulator", "start_servicebus", "servicebus_connection_string"]

READY_PATTERN = r"servicebus emulator listening on 127\.0\.0\.1:(\d+)"
READY_TIMEOUT_SECONDS = 30


def servicebus_connection_string(port: int) -> str:
    return (f"Endpoint=sb://localhost:{port};SharedAccessKeyName=RootManageSharedAccessKey;"
            f"SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;")


@dataclass
class ServiceBusEmulator:
    process: ChildProcess
    port: int
    queues: list[str]

    @property
    def connection_string(self) -> str:
        return servicebus_connection_string(self.port)

    @property
    def address(self) -> str:
        return f"amqp://127.0.0.1:{self.port} (queues: {', '.join(self.queues)})"

    def stop(self) -> None:
        self.process.stop()


def start_servicebus(project_root: Path, queues: list[str], *, port: int | None = None,
                     max_delivery_count: int = 10, lock_seconds: float = 30) -> ServiceBusEmulator:
    """Start the emulator with these queues and wait for its readiness line."""
    if port and port_in_use(port):
        raise PortInUseError(f"servicebus port {port} is already in use")
    # Port 0: the emulator binds a free port itself and prints it, so there is no race for it.
    argv = [sys.executable, "-m", "devhost.servicebus", "--port", str(port or 0), "--queues", ",".join(queues),
            "--max-delivery-count", str(max_delivery_count), "--lock-seconds", f"{lock_seconds:g}"]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(project_root), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    process = ChildProcess("servicebus", argv, env=env, cwd=str(project_root))
    try:
        ready = process.wait_for_line(READY_PATTERN, READY_TIMEOUT_SECONDS)
    except Exception:
        process.stop()
        raise
    return ServiceBusEmulator(process, int(ready.group(1)), queues)
