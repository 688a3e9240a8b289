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
    process: ChildProcess
    blob_port: int
    queue_port: int
    table_port: int

    @property
    def connection_string(self) -> str:
        return storage_connection_string(self.blob_port, self.queue_port, self.table_port)

    @property
    def address(self) -> str:
        return (f"blob http://127.0.0.1:{self.blob_port}, queue http://127.0.0.1:{self.queue_port}, "
                f"table http://127.0.0.1:{self.table_port}")

    def stop(self) -> None:
        self.process.stop()


def _binary(project_root: Path) -> str:
    local = project_root / "node_modules" / ".bin" / "azurite"
    if local.exists():
        return str(local)
    found = shutil.which("azurite")
    if not found:
        raise ChildProcessError_("azurite not found: run `npm install` in the project root (or pass --no-azurite)")
    return found


def start_azurite(project_root: Path, ports: tuple[int, int, int] | None = None) -> Azurite:
    """Start Azurite and wait until blob, queue and table all accept connections."""
    chosen = ports or (free_port(), free_port(), free_port())
    if ports:
        for service, port in zip(("blob", "queue", "table"), ports, strict=True):
            if port_in_use(port):
                raise PortInUseError(f"azurite {service} port {port} is already in use")
    blob, queue, table = chosen
    argv = [_binary(project_root), "--inMemoryPersistence", "--silent", "--skipApiVersionCheck",
            "--disableTelemetry", "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
            "--blobPort", str(blob), "--queuePort", str(queue), "--tablePort", str(table)]
    process = ChildProcess("azurite", argv, env=dict(os.environ), cwd=str(project_root))
    if not wait_for_ports([blob, queue, table], READY_TIMEOUT_SECONDS, alive=process.alive):
        tail = process.tail()
        process.stop()
        raise ChildProcessError_(f"azurite did not open ports {blob}/{queue}/{table}; its output:\n{tail or '(none)'}")
    return Azurite(process, blob, queue, table)
