"""`python -m devhost.queue_worker`: an app's Service Bus-triggered functions in a process of their own.

Like one more instance of a scaled-out Function App: it receives from the queues, runs the
functions on its own GIL, sends their Service Bus outputs itself, and publishes SignalR outputs
through the SignalR REST API of the devhost that owns the WebSockets. devhost starts it
(DEVHOST_QUEUE_WORKERS, default 1) with the environment it has prepared.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path

from devhost.app_loader import AppLoadError, HostedFunction, describe_functions, load_app
from devhost.environment import HostConfig, configure_logging, function_executor, read_host_json
from devhost.host import HostStartError, hostable, queue_pumps, start_queues
from devhost.invoker import Invoker
from devhost.sb_outputs import SenderPool, ServiceBusClients
from devhost.signalr_rest import RestPublisher
from devhost.warmup import run_warmup
from devhost.worker_launch import READY_LINE


async def work(functions: list[HostedFunction], config: HostConfig, name: str) -> None:
    """Pump the app's queue triggers until SIGTERM/SIGINT, then drain and close everything."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    clients = ServiceBusClients()
    senders = SenderPool(clients)
    publisher = RestPublisher(os.environ["AzureSignalRConnectionString"])
    executor = function_executor()
    invoker = Invoker(executor, inputs={}, outputs={"serviceBus": senders.send, "signalR": publisher.handler()})
    queued = hostable([f for f in functions if f.trigger.type == "serviceBusTrigger"], invoker)
    pumps = queue_pumps(queued, clients, invoker, config.max_concurrent_calls)
    try:
        await asyncio.gather(start_queues(pumps, senders, queued), run_warmup(functions, invoker))
        print(f"{READY_LINE}: {name} pumps {len(pumps)} queue(s)", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        await asyncio.gather(*(p.stop() for p in pumps))
        await publisher.close()
        await senders.close()
        await clients.close()
        executor.shutdown(wait=False, cancel_futures=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devhost.queue_worker", description=__doc__)
    parser.add_argument("--app", required=True, help="module:attribute of the FunctionApp")
    parser.add_argument("--host-json", type=Path, default=Path("host.json"))
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--name", default="queue-worker")
    args = parser.parse_args(argv)
    configure_logging(args.log_level, f"[{args.name}]")
    try:
        functions, _ = describe_functions(load_app(args.app))
        asyncio.run(work(functions, read_host_json(args.host_json), args.name))
    except (AppLoadError, HostStartError, ValueError) as exc:
        print(f"{args.name}: error: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
