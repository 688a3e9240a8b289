"""Start Azurite (npm) in memory on free or chosen ports and build its explicit connection string."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from devhost.processes import ChildProcess, ChildProcessError_, free_port, port_in_use, wait_for_ports

__all__ = ["Azurite", "start_azurite", "storage_connection_string", "DEVSTORE_KEY", "PortInUseError"]

DEVSTORE_ACCOUNT = "devstoreaccount1"
# The well-known Azurite / storage-emulator key: public by design, not a secret.
DEVSTORE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
READY_TIMEOUT_SECONDS = 30


class PortInUseError(RuntimeError):
    """A port devhost was told to use is taken; the message names the component and the port."""


def storage_connection_string(blob_port: int, queue_port: int, table_port: int, host: str = "127.0.0.1") -> str:
    base = f"http://{host}"
    return (f"DefaultEndpointsProtocol=http;AccountName={DEVSTORE_ACCOUNT};AccountKey={DEVSTORE_KEY};"
            f"BlobEndpoint={base}:{blob_port}/{DEVSTORE_ACCOUNT};QueueEndpoint={base}:{queue_port}/{DEVSTORE_ACCOUNT};"
            f"TableEndpoint={base}:{table_port}/{DEVSTORE_ACCOUNT};")


@dataclass
class Azurite:
    """One Azurite process per service: Node runs each on one event loop, so blob appends (the audit
    trail) and table writes (tickets) no longer queue behind each other."""

    processes: list[ChildProcess]
    blob_port: int
    queue_port: int
    table_port: int

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    @property
    def connection_string(self) -> str:
        return storage_connection_string(self.blob_port, self.queue_port, self.table_port)

    @property
    def address(self) -> str:
        return (f"blob http://127.0.0.1:{self.blob_port}, queue http://127.0.0.1:{self.queue_port}, "
                f"table http://127.0.0.1:{self.table_port}")

    def stop(self) -> None:
        for process in self.processes:
            process.stop()


def _binary(project_root: Path, name: str) -> str:
    local = project_root / "node_modules" / ".bin" / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if not found:
        raise ChildProcessError_(f"{name} not found: run `npm install` in the project root (or pass --no-azurite)")
    return found


def start_azurite(project_root: Path, ports: tuple[int, int, int] | None = None) -> Azurite:
    """Start Azurite's blob, queue and table services and wait until all three accept connections."""
    chosen = ports or (free_port(), free_port(), free_port())
    if ports:
        for service, port in zip(("blob", "queue", "table"), ports, strict=True):
            if port_in_use(port):
                raise PortInUseError(f"azurite {service} port {port} is already in use")
    processes: list[ChildProcess] = []
    try:
        for service, port in zip(("blob", "queue", "table"), chosen, strict=True):
            argv = [_binary(project_root, f"azurite-{service}"), "--inMemoryPersistence", "--silent",
                    "--skipApiVersionCheck", "--disableTelemetry", f"--{service}Host", "127.0.0.1",
                    f"--{service}Port", str(port)]
            processes.append(ChildProcess(f"azurite-{service}", argv, env=dict(os.environ), cwd=str(project_root)))
        if not wait_for_ports(list(chosen), READY_TIMEOUT_SECONDS, alive=lambda: all(p.alive() for p in processes)):
            tails = "\n".join(f"[{p.name}] {p.tail() or '(no output)'}" for p in processes)
            raise ChildProcessError_(f"azurite did not open ports {'/'.join(map(str, chosen))}; its output:\n{tails}")
    except BaseException:
        for process in processes:
            process.stop()
        raise
    return Azurite(processes, *chosen)
