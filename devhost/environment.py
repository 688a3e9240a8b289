"""Settings for the hosted app: `local.settings.json` Values, devhost defaults, and what `host.json` says."""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["HostConfig", "read_host_json", "load_local_settings", "apply_defaults", "signalr_connection_string",
           "env_number", "DEVHOST_DEFAULTS", "configure_logging", "function_executor"]

log = logging.getLogger("devhost")

# The documented defaults of the queue settings (ARCHITECTURE.md): bindings name them as %SETTING%,
# and Azure would refuse to start without them, so a fresh checkout gets them here.
DEVHOST_DEFAULTS = {"ENRICH_QUEUE": "alerts-enrich", "ANALYZE_QUEUE": "alerts-analyze",
                    "NOTIFY_QUEUE": "alerts-notify"}


@dataclass(frozen=True)
class HostConfig:
    route_prefix: str = "api"
    max_concurrent_calls: int = 4


def read_host_json(path: Path) -> HostConfig:
    """`extensions.http.routePrefix` and the Service Bus `maxConcurrentCalls` (v4 or v5 extension layout)."""
    if not path.is_file():
        return HostConfig()
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None
    extensions = data.get("extensions") or {}
    http = extensions.get("http") or {}
    servicebus = extensions.get("serviceBus") or {}
    handler = servicebus.get("messageHandlerOptions") or {}
    calls = handler.get("maxConcurrentCalls", servicebus.get("maxConcurrentCalls", HostConfig.max_concurrent_calls))
    prefix = http.get("routePrefix", HostConfig.route_prefix)
    return HostConfig(route_prefix=str(prefix).strip("/"), max_concurrent_calls=int(calls))


def load_local_settings(path: Path) -> list[str]:
    """Copy `Values` into os.environ without overriding variables already set; return the names copied."""
    if not path.is_file():
        return []
    try:
        values = json.loads(path.read_text(encoding="utf-8")).get("Values") or {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None
    loaded = []
    for name, value in values.items():
        if name not in os.environ and value is not None:
            os.environ[name] = str(value)
            loaded.append(name)
    return loaded


def apply_defaults() -> None:
    for name, value in DEVHOST_DEFAULTS.items():
        os.environ.setdefault(name, value)


def signalr_connection_string(port: int) -> str:
    return f"Endpoint=http://127.0.0.1:{port}/signalr;AccessKey={secrets.token_urlsafe(32)};Version=1.0;"


def env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


def configure_logging(level: str, tag: str = "") -> None:
    """devhost's log format on stderr (`tag` names a worker process); the SDKs' chatter kept at WARNING."""
    logging.basicConfig(level=level.upper(), stream=sys.stderr,
                        format=f"%(asctime)s %(levelname)s {tag + ' ' if tag else ''}%(name)s: %(message)s")
    for noisy in ("azure", "uamqp", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def function_executor() -> ThreadPoolExecutor:
    """The threads sync functions run on. Like the Python worker's PYTHON_THREADPOOL_THREAD_COUNT:
    more threads than cores only adds GIL hand-offs once the storage SDKs keep every thread busy."""
    workers = int(env_number("PYTHON_THREADPOOL_THREAD_COUNT", 16))
    return ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="function")
