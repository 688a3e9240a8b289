"""Command line: `python -m devhost.servicebus --port PORT --queues a,b,c` (see the package docstring)."""

from __future__ import annotations

import argparse
import errno
import logging
import signal
import sys

from .broker import Broker
from .server import EmulatorServer
from .settings import QueueSettings, parse_queue_specs

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m devhost.servicebus",
                                     description="Local Azure Service Bus emulator (queues only, AMQP 1.0).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5672, help="TCP port; 0 picks a free one (default 5672)")
    parser.add_argument("--queues", required=True, action="append",
                        help="comma-separated queue names, each optionally with :option=value overrides "
                             "(lock, maxdelivery, dupwindow, ttl, deadletteronexpiration)")
    parser.add_argument("--lock-seconds", type=float, default=30.0, help="peek-lock duration (default 30)")
    parser.add_argument("--max-delivery-count", type=int, default=10, help="deliveries before dead-lettering")
    parser.add_argument("--duplicate-window-seconds", type=float, default=600.0,
                        help="duplicate detection window on message_id; 0 turns it off (default 600)")
    parser.add_argument("--verbose", action="store_true", help="log AMQP frames and connection errors to stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.lock_seconds <= 0 or args.max_delivery_count < 1 or args.duplicate_window_seconds < 0:
        print("servicebus emulator: --lock-seconds must be > 0, --max-delivery-count >= 1, "
              "--duplicate-window-seconds >= 0", file=sys.stderr)
        return 2
    defaults = QueueSettings(name="_", lock_seconds=args.lock_seconds, max_delivery_count=args.max_delivery_count,
                             duplicate_window_seconds=args.duplicate_window_seconds)
    try:
        queues = parse_queue_specs(args.queues, defaults)
    except ValueError as error:
        print(f"servicebus emulator: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        server = EmulatorServer(Broker(queues), host=args.host, port=args.port, verbose=args.verbose)
    except OSError as error:
        reason = "address already in use" if error.errno == errno.EADDRINUSE else error.strerror or str(error)
        print(f"servicebus emulator: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
        return 2
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: server.stop())
    print(f"servicebus emulator listening on {server.host}:{server.port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
