"""The running host: one asyncio loop serving HTTP + SignalR, pumping queues, firing timers, until stopped."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from devhost.app_loader import AppLoadError, HostedFunction
from devhost.demo import post_demo_alerts
from devhost.environment import HostConfig, env_number, function_executor
from devhost.http_host import MAX_BODY_BYTES, HttpHost
from devhost.invoker import Invoker
from devhost.sb_messages import queue_of
from devhost.sb_outputs import SenderPool, ServiceBusClients
from devhost.sb_pump import QueuePump
from devhost.signalr import SignalRService
from devhost.signalr_bindings import connection_info_provider, parse_connection_string, signalr_output_handler
from devhost.signalr_rest import attach_rest_api
from devhost.timers import TimerRunner
from devhost.warmup import run_warmup
from devhost.worker_launch import QueueWorker, start_workers, stop_workers, supervise

__all__ = ["HostPlan", "HostStartError", "serve", "hostable", "queue_pumps", "start_queues", "STARTUP_TIMEOUT_SECONDS"]

log = logging.getLogger("devhost")
STARTUP_TIMEOUT_SECONDS = 30


@dataclass
class HostPlan:
    """Everything `serve` needs, decided before the event loop starts."""

    functions: list[HostedFunction]
    sock: socket.socket
    port: int
    config: HostConfig
    signalr_connection: str
    web_root: Path | None
    demo: bool = False
    component_lines: dict[str, str] | None = None
    child_pids: list[int] | None = None
    announce: Callable[[str], None] = print
    # What a queue-worker process needs to load the same app (None: pump queues in this process).
    app_spec: str | None = None
    host_json: Path | None = None
    log_level: str = "INFO"


def _write_ready_file(plan: HostPlan, base_url: str) -> None:
    """For launchers (devhost.testing): where everything listens, written just before the Dashboard line."""
    path = os.environ.get("DEVHOST_READY_FILE")
    if not path:
        return
    settings = {name: os.environ.get(name) for name in
                ("AzureWebJobsStorage", "ServiceBusConnection", "AzureSignalRConnectionString", "INGEST_API_KEY")}
    info = {"base_url": base_url, "port": plan.port, "pid": os.getpid(), "child_pids": plan.child_pids or [],
            "settings": settings}
    Path(path + ".tmp").write_text(json.dumps(info), encoding="utf-8")
    os.replace(path + ".tmp", path)


def _admin_routes(app: web.Application, signalr: SignalRService, functions: list[HostedFunction],
                  workers: list[QueueWorker]) -> None:
    async def restart(request: web.Request) -> web.Response:
        down = float(request.query.get("down_seconds", "1"))
        return web.json_response({"dropped": await signalr.restart(down)})

    async def status(request: web.Request) -> web.Response:
        # The live worker processes: a restarted worker's new pid shows here (the ready file is a snapshot).
        return web.json_response({"functions": [f.name for f in functions],
                                  "signalr_connections": signalr.connection_count(),
                                  "queue_worker_pids": [w.pid for w in workers if w.process.alive()]})

    app.router.add_post("/_devhost/signalr/restart", restart)
    app.router.add_get("/_devhost/status", status)


def _describe(http: HttpHost, queues: list[str], timers: TimerRunner) -> list[str]:
    lines = [f"  {methods} {route} -> {name}" for methods, route, name in http.routes]
    lines += [f"  {line}" for line in queues]
    lines += [f"  timer {expression} -> {name}" for name, expression in timers.schedules]
    return lines


def _queue_lines(pumps: list[QueuePump], where: str) -> list[str]:
    return [f"queue {p.source} -> {p.fn.name} (maxConcurrentCalls {p.max_concurrent}{where})" for p in pumps]


class HostStartError(RuntimeError):
    """The host could not get ready (e.g. Service Bus receivers never attached)."""


def queue_pumps(functions: list[HostedFunction], clients: ServiceBusClients, invoker: Invoker,
                max_concurrent: int) -> list[QueuePump]:
    pumps = []
    for fn in functions:
        if fn.trigger.type != "serviceBusTrigger":
            continue
        try:
            pumps.append(QueuePump(fn, clients, invoker.invoke, max_concurrent))
        except AppLoadError as exc:  # e.g. --no-servicebus without a connection: host the rest
            log.error("not hosting '%s': %s", fn.name, exc)
    return pumps


def hostable(functions: list[HostedFunction], invoker: Invoker) -> list[HostedFunction]:
    hostable = []
    for fn in functions:
        problems = invoker.check(fn)
        for problem in problems:
            log.error("not hosting: %s", problem)
        if not problems:
            hostable.append(fn)
    return hostable


async def start_queues(pumps: list[QueuePump], senders: SenderPool, functions: list[HostedFunction]) -> None:
    """Start the pumps and open the output senders; raise HostStartError if the receivers never attach."""
    for pump in pumps:
        pump.start()
    outputs = {queue_of(b)[0]: b for fn in functions for b in fn.outputs_of("serviceBus")}
    try:
        await asyncio.wait_for(asyncio.gather(senders.warm(list(outputs.values())),
                                              *(p.ready.wait() for p in pumps)), STARTUP_TIMEOUT_SECONDS)
    except TimeoutError:
        raise HostStartError(f"Service Bus receivers not attached within {STARTUP_TIMEOUT_SECONDS}s "
                             f"(is ServiceBusConnection reachable?)") from None


def _web_app(plan: HostPlan, http: HttpHost, signalr: SignalRService, functions: list[HostedFunction],
             workers: list[QueueWorker]) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    # Served under /signalr always, and under the connection string's own path when that differs.
    for prefix in dict.fromkeys(["/signalr", urlsplit(signalr.endpoint).path.rstrip("/")]):
        signalr.attach(app, prefix)
        attach_rest_api(app, signalr, prefix)
    _admin_routes(app, signalr, functions, workers)
    http.attach(app)
    return app


def _announce(plan: HostPlan, http: HttpHost, queues: list[str], timers: TimerRunner, endpoint: str,
              count: int) -> str:
    base_url = f"http://127.0.0.1:{plan.port}"
    for name, line in (plan.component_lines or {}).items():
        plan.announce(f"{name}: {line}")
    plan.announce(f"signalr: {endpoint} (serverless hub endpoint, JSON hub protocol)")
    plan.announce(f"functions host: {base_url}/{plan.config.route_prefix} ({count} functions)")
    for line in _describe(http, queues, timers):
        plan.announce(line)
    _write_ready_file(plan, base_url)
    plan.announce(f"Dashboard: {base_url}/")
    return base_url


async def serve(plan: HostPlan) -> None:
    """Run until SIGINT/SIGTERM; every resource opened here is closed before returning."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    endpoint, access_key = parse_connection_string(plan.signalr_connection)
    signalr = SignalRService(endpoint, access_key, ping_interval=env_number("DEVHOST_SIGNALR_PING_SECONDS", 15))
    clients = ServiceBusClients()
    senders = SenderPool(clients)
    executor = function_executor()
    invoker = Invoker(executor, inputs={"signalRConnectionInfo": connection_info_provider(signalr)},
                      outputs={"serviceBus": senders.send, "signalR": signalr_output_handler(signalr)})
    functions = hostable(plan.functions, invoker)
    # Built before anything listens, so a bad schedule or setting fails startup cleanly.
    timers = TimerRunner(functions, invoker.invoke, override_seconds=env_number("DEVHOST_TIMER_SECONDS", 0) or None)
    pumps = queue_pumps(functions, clients, invoker, plan.config.max_concurrent_calls)
    worker_count = int(env_number("DEVHOST_QUEUE_WORKERS", 1)) if plan.app_spec and pumps else 0
    local_pumps = [] if worker_count else pumps  # with workers, these only describe the queues
    workers: list[QueueWorker] = []
    supervisor: asyncio.Task[None] | None = None
    http = HttpHost(functions, invoker.invoke, api_key=os.environ.get("INGEST_API_KEY"),
                    route_prefix=plan.config.route_prefix, web_root=plan.web_root,
                    inject_principal=os.environ.get("DEVHOST_LOCAL_USER", "").lower() != "none")
    if http.needs_key and not os.environ.get("INGEST_API_KEY"):
        log.warning("INGEST_API_KEY is empty: FUNCTION-level routes accept requests without a key")
    runner = web.AppRunner(_web_app(plan, http, signalr, functions, workers), access_log=None, handle_signals=False,
                           shutdown_timeout=2)
    await runner.setup()
    demo: asyncio.Task[object] | None = None
    # Alongside the rest of startup; ready (and the ready file) waits for it, as traffic does in Azure.
    warming = asyncio.create_task(run_warmup(functions, invoker))
    try:
        await web.SockSite(runner, plan.sock).start()
        if worker_count:
            # Queue functions run in processes of their own, as on scaled-out instances: the stages
            # then never hold this process's GIL while it answers HTTP.
            workers.extend(await start_workers(worker_count, plan.app_spec or "", plan.host_json, plan.log_level))
            supervisor = asyncio.create_task(supervise(workers, plan.app_spec or "", plan.host_json, plan.log_level))
            plan.child_pids = [*(plan.child_pids or []), *(w.pid for w in workers)]
        await start_queues(local_pumps, senders, functions)
        where = f", in {worker_count} queue worker process{'es' if worker_count > 1 else ''}" if worker_count else ""
        queues = _queue_lines(pumps, where)
        await warming
        timers.start()
        base_url = _announce(plan, http, queues, timers, endpoint, len(functions))
        if plan.demo:
            demo = asyncio.create_task(post_demo_alerts(base_url, os.environ.get("INGEST_API_KEY"),
                                                        plan.config.route_prefix))
        await stop.wait()
        log.info("stopping")
    finally:
        warming.cancel()
        if demo:
            demo.cancel()
        await timers.stop()
        if supervisor is not None:
            supervisor.cancel()
            await asyncio.gather(supervisor, return_exceptions=True)
        await asyncio.to_thread(stop_workers, workers)
        await asyncio.gather(*(p.stop() for p in local_pumps))
        await signalr.close()
        await runner.cleanup()
        await senders.close()
        await clients.close()
        executor.shutdown(wait=False, cancel_futures=True)
