"""Service Bus emulator throughput through the real SDK, as JSON lines: sends (batched, single) and receive+complete.

Run: `.venv/bin/python bench/servicebus_throughput.py [--messages 5000] [--batch-size 100] [--receivers 1,4]`.
Each line also reports the emulator's own CPU seconds for the case, so one can see who the bottleneck is.
Receivers run in separate processes, as Function instances would.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devhost.servicebus import EmulatorHandle, start_emulator  # noqa: E402

QUEUE = "bench"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def _body(size: int, index: int) -> str:
    prefix = json.dumps({"alert": index, "pipeline": "pl_ingest_sales", "status": "Failed"})
    return prefix + " " * max(0, size - len(prefix))


def _report(case: str, messages: int, seconds: float, emulator_cpu: float | None, **extra) -> None:
    line = {"bench": "servicebus", "case": case, "messages": messages, "seconds": round(seconds, 3),
            "msg_per_s": round(messages / seconds, 1) if seconds else None, **extra,
            "emulator_cpu_s": None if emulator_cpu is None else round(emulator_cpu, 3),
            "emulator_cpu_share": None if emulator_cpu is None or not seconds else round(emulator_cpu / seconds, 2)}
    print(json.dumps(line), flush=True)


def _send(connection_string: str, count: int, batch_size: int, body_bytes: int) -> float:
    from azure.servicebus import ServiceBusClient, ServiceBusMessage

    with ServiceBusClient.from_connection_string(connection_string) as client, \
            client.get_queue_sender(QUEUE) as sender:
        started = time.perf_counter()
        for first in range(0, count, batch_size):
            if batch_size == 1:
                sender.send_messages(ServiceBusMessage(_body(body_bytes, first), message_id=f"m-{first}"))
                continue
            batch = sender.create_message_batch()
            for index in range(first, min(first + batch_size, count)):
                batch.add_message(ServiceBusMessage(_body(body_bytes, index), message_id=f"m-{index}"))
            sender.send_messages(batch)
        return time.perf_counter() - started


def _receive_worker(connection_string: str, go, results, expected: int, done) -> None:
    from azure.servicebus import ServiceBusClient

    handled, last_handled_at = 0, 0.0
    with ServiceBusClient.from_connection_string(connection_string) as client, \
            client.get_queue_receiver(QUEUE, prefetch_count=0) as receiver:
        receiver.peek_messages(1)  # opens the link before the clock starts
        go.wait()
        while not done.is_set():
            batch = receiver.receive_messages(max_message_count=50, max_wait_time=1)
            for message in batch:
                receiver.complete_message(message)
            if batch:
                handled, last_handled_at = handled + len(batch), time.perf_counter()
            with done.get_lock():
                done.value += len(batch)
                if done.value >= expected:
                    done.set()
        # The time of the last completion, not of leaving: others may sit in a receive wait by then.
        results.put((handled, last_handled_at))


class _Counter:
    """A shared count that also acts as the 'all done' flag."""

    def __init__(self, context) -> None:
        self._value = context.Value("i", 0)
        self._event = context.Event()

    def get_lock(self):
        return self._value.get_lock()

    @property
    def value(self) -> int:
        return self._value.value

    @value.setter
    def value(self, new: int) -> None:
        self._value.value = new

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()


def _receive(emulator: EmulatorHandle, receivers: int, expected: int) -> float:
    context = multiprocessing.get_context("spawn")
    go, results, done = context.Event(), context.Queue(), _Counter(context)
    workers = [context.Process(target=_receive_worker, args=(emulator.connection_string, go, results, expected, done))
               for _ in range(receivers)]
    for worker in workers:
        worker.start()
    time.sleep(1.5 + 0.5 * receivers)  # let every worker import the SDK and attach
    started = time.perf_counter()
    go.set()
    finished = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(30)
    handled = sum(count for count, _ in finished)
    if handled < expected:
        raise RuntimeError(f"only {handled} of {expected} messages were received")
    return max(end for _, end in finished) - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--single-messages", type=int, default=500, help="messages for the one-by-one send case")
    parser.add_argument("--body-bytes", type=int, default=1024)
    parser.add_argument("--receivers", default="1,4", help="comma-separated receiver counts")
    args = parser.parse_args(argv)
    with start_emulator([QUEUE], duplicate_window_seconds=0) as emulator:
        pid = emulator.process.pid
        cases = [("send_batch", args.messages, args.batch_size), ("send_single", args.single_messages, 1)]
        for case, count, batch_size in cases:
            cpu_before = _cpu_seconds(pid)
            seconds = _send(emulator.connection_string, count, batch_size, args.body_bytes)
            cpu = None if cpu_before is None else _cpu_seconds(pid) - cpu_before
            _report(case, count, seconds, cpu, batch_size=batch_size, body_bytes=args.body_bytes)
        # Drain what the send cases left, then refill for each receive case.
        _receive(emulator, 1, args.messages + args.single_messages)
        for receivers in (int(item) for item in args.receivers.split(",")):
            _send(emulator.connection_string, args.messages, args.batch_size, args.body_bytes)
            cpu_before = _cpu_seconds(pid)
            seconds = _receive(emulator, receivers, args.messages)
            cpu = None if cpu_before is None else _cpu_seconds(pid) - cpu_before
            _report("receive_complete", args.messages, seconds, cpu, receivers=receivers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
