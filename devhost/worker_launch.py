"""Start, supervise and stop devhost's queue-worker processes (`python -m devhost.queue_worker`)."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from devhost.processes import ChildProcess, ChildProcessError_

__all__ = ["QueueWorker", "start_workers", "supervise", "stop_workers", "READY_LINE"]

log = logging.getLogger("devhost")

READY_LINE = "queue worker ready"
READY_TIMEOUT_SECONDS = 45


@dataclass
class QueueWorker:
    process: ChildProcess
    index: int

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
    return QueueWorker(ChildProcess(f"queue-worker-{index}", argv, env=env, cwd=os.getcwd(), echo=True), index)


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


async def supervise(workers: list[QueueWorker], app_spec: str, host_json: Path | None, log_level: str,
                    interval: float = 2.0) -> None:
    """Restart a worker that exits: a crashed worker must not silently stop every stage. Runs until
    cancelled; replacements go into `workers` at once, so `stop_workers` always sees every process.
    A worker that keeps failing is retried with a doubling pause (up to a minute), not in a tight loop."""
    pause = {w.index: interval for w in workers}
    while True:
        await asyncio.sleep(interval)
        for slot, worker in enumerate(workers):
            if worker.process.alive():
                continue
            log.error("queue worker %d exited with code %s; restarting it. Its last output:\n%s", worker.index,
                      worker.process.proc.returncode, worker.process.tail() or "(none)")
            workers[slot] = fresh = _launch(worker.index, app_spec, host_json, log_level)
            try:
                await asyncio.to_thread(fresh.process.wait_for_line, READY_LINE, READY_TIMEOUT_SECONDS)
            except ChildProcessError_ as exc:
                fresh.process.stop()  # alive but never ready, or dead again: try later, more slowly
                log.error("queue worker %d did not come back (next try in %.0fs): %s", fresh.index,
                          pause[fresh.index], exc)
                await asyncio.sleep(pause[fresh.index])
                pause[fresh.index] = min(pause[fresh.index] * 2, 60.0)
                continue
            pause[fresh.index] = interval
            log.warning("queue worker %d is back (pid %d)", fresh.index, fresh.pid)


def stop_workers(workers: list[QueueWorker]) -> None:
    for worker in workers:
        worker.process.stop(grace=8.0)
