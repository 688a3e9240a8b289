"""`python -m devhost`: start Azurite, the Service Bus emulator and the function host, stop them on exit."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from types import FrameType

from devhost.app_loader import AppLoadError, describe_functions, load_app
from devhost.azurite import PortInUseError
from devhost.components import (
    Components,
    StartRequest,
    ensure_signalr_setting,
    start_azurite_if_needed,
    start_servicebus_if_needed,
)
from devhost.demo_estate import DemoEstate, start_demo_estate
from devhost.environment import apply_defaults, configure_logging, load_local_settings, read_host_json
from devhost.host import HostPlan, HostStartError, serve
from devhost.processes import ChildProcessError_
from devhost.sb_messages import declared_queues
from devhost.timers import ScheduleError

log = logging.getLogger("devhost")
EXIT_FAILED, EXIT_USAGE = 1, 2


def _ports(text: str | None) -> tuple[int, int, int] | None:
    if not text:
        return None
    parts = [int(p) for p in text.split(",")]
    if len(parts) != 3:
        raise argparse.ArgumentTypeError("--azurite-ports takes BLOB,QUEUE,TABLE")
    return parts[0], parts[1], parts[2]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m devhost", description=__doc__)
    parser.add_argument("--port", type=int, default=int(env("DEVHOST_PORT", "7071")),
                        help="functions host port (0 = a free one); default 7071")
    parser.add_argument("--app", default="function_app:app", help="module[:attr] or file.py[:attr] of the FunctionApp")
    parser.add_argument("--demo", action="store_true", help="replay devhost/demo_alerts/ after startup")
    parser.add_argument("--no-azurite", action="store_true", help="use the configured AzureWebJobsStorage")
    parser.add_argument("--no-servicebus", action="store_true", help="use the configured ServiceBusConnection")
    parser.add_argument("--azurite-ports", type=_ports, default=env("DEVHOST_AZURITE_PORTS"),
                        help="BLOB,QUEUE,TABLE ports (default: free ones)")
    parser.add_argument("--servicebus-port", type=int, default=int(env("DEVHOST_SERVICEBUS_PORT", "0")) or None)
    parser.add_argument("--host-json", type=Path, default=Path("host.json"))
    parser.add_argument("--local-settings", type=Path, default=Path("local.settings.json"))
    parser.add_argument("--web-root", type=Path, default=Path("web"))
    parser.add_argument("--log-level", default=env("DEVHOST_LOG_LEVEL", "INFO"))
    args = parser.parse_args(argv)
    if isinstance(args.azurite_ports, str):
        args.azurite_ports = _ports(args.azurite_ports)
    return args


def _listen(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # still refuses a port with a live listener
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(f"port {port} is already in use (functions host); choose another with --port "
                                "(or DEVHOST_PORT=<port>, e.g. for make run)") from None
        raise
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds startup so the finally block stops the children


def _reset_cached_app_settings() -> None:
    """The app may have cached settings during import; devhost has just changed the environment."""
    config = sys.modules.get("shared.config")
    if config is not None and hasattr(config, "reset_settings"):
        config.reset_settings()


def run(args: argparse.Namespace) -> int:
    project_root = Path.cwd()
    preset = frozenset(os.environ)
    components = Components()
    estate = DemoEstate()
    sock: socket.socket | None = None
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        loaded = load_local_settings(args.local_settings)
        if loaded:
            log.info("loaded %d setting(s) from %s", len(loaded), args.local_settings)
        apply_defaults()
        config = read_host_json(args.host_json)
        sock = _listen(args.port)
        port = sock.getsockname()[1]
        request = StartRequest(project_root, port, preset, azurite=not args.no_azurite,
                               servicebus=not args.no_servicebus, azurite_ports=args.azurite_ports,
                               servicebus_port=args.servicebus_port)
        start_azurite_if_needed(request, components)
        functions, problems = describe_functions(load_app(args.app))
        for problem in problems:
            log.error("not hosting: %s", problem)
        start_servicebus_if_needed(request, components, declared_queues(functions))
        if args.demo:
            estate = start_demo_estate(preset)
            components.lines.update(estate.lines)
        signalr_connection = ensure_signalr_setting(request)
        _reset_cached_app_settings()
        web_root = args.web_root if args.web_root.is_dir() else None
        plan = HostPlan(functions=functions, sock=sock, port=port, config=config,
                        signalr_connection=signalr_connection, web_root=web_root, demo=args.demo,
                        component_lines=components.lines, child_pids=components.pids,
                        announce=lambda line: print(line, flush=True), app_spec=args.app,
                        host_json=args.host_json, log_level=args.log_level)
        asyncio.run(serve(plan))
        return 0
    except PortInUseError as exc:
        print(f"devhost: error: {exc}", file=sys.stderr, flush=True)
        return EXIT_USAGE
    except (AppLoadError, ChildProcessError_, HostStartError, ScheduleError, ValueError) as exc:
        print(f"devhost: error: {exc}", file=sys.stderr, flush=True)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 0
    finally:
        estate.stop()
        components.stop()
        if sock is not None:
            sock.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging(args.log_level)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
