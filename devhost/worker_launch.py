"""Start and stop devhost's queue-worker processes (`python -m devhost.queue_worker`)."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from devhost.processes import ChildProcess

__all__ = ["QueueWorker", "start_workers", "stop_workers", "READY_LINE"]

READY_LINE = "queue worker ready"
READY_TIMEOUT_SECONDS = 45


@dataclass
class QueueWorker:
    process: ChildProcess

    @property
    def pid(self) -> int:
        return self.process.pid


def _launch(index: int, app_spec: str, host_json: Path | None, log_level: str) -> QueueWorker:
    argv = [sys.executable, "-m", "devhost.queue_worker", "--app", app_spec, "--log-level", log_level,
            "--name", f"queue-worker-{index}"]
    if host_json is not None:
        argv += ["--host-json", str(host_json)]
    env = dict(os.environ)  # the connection strings devhost just published, the SignalR key included
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), root, env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return QueueWorker(ChildProcess(f"queue-worker-{index}", argv, env=env, cwd=os.getcwd(), echo=True))


async def start_workers(count: int, app_spec: str, host_json: Path | None, log_level: str) -> list[QueueWorker]:
    """Launch `count` workers and wait until each has its receivers attached (stopping all on failure)."""
    workers = [_launch(i + 1, app_spec, host_json, log_level) for i in range(count)]
    try:
        await asyncio.gather(*(asyncio.to_thread(w.process.wait_for_line, READY_LINE, READY_TIMEOUT_SECONDS)
                               for w in workers))
    except BaseException:
        await asyncio.to_thread(stop_workers, workers)
        raise
    return workers


def stop_workers(workers: list[QueueWorker]) -> None:
    for worker in workers:
        worker.process.stop(grace=8.0)
