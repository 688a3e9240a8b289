"""Start (or reuse) Azurite, the Service Bus emulator and the SignalR settings, and publish their settings."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from devhost.azurite import Azurite, start_azurite
from devhost.environment import env_number, signalr_connection_string
from devhost.servicebus_proc import ServiceBusEmulator, start_servicebus

__all__ = ["Components", "StartRequest", "start_azurite_if_needed", "start_servicebus_if_needed",
           "ensure_signalr_setting"]

log = logging.getLogger("devhost")
STORAGE, SERVICEBUS, SIGNALR = "AzureWebJobsStorage", "ServiceBusConnection", "AzureSignalRConnectionString"


@dataclass
class StartRequest:
    project_root: Path
    port: int
    preset: frozenset[str]  # variables set in the real environment, before local.settings.json
    azurite: bool = True
    servicebus: bool = True
    azurite_ports: tuple[int, int, int] | None = None
    servicebus_port: int | None = None


@dataclass
class Components:
    """The children devhost started (to stop on exit) and one address line per component."""

    azurite: Azurite | None = None
    servicebus: ServiceBusEmulator | None = None
    lines: dict[str, str] = field(default_factory=dict)

    @property
    def pids(self) -> list[int]:
        return [*(self.azurite.pids if self.azurite else []),
                *([self.servicebus.process.pid] if self.servicebus else [])]

    def stop(self) -> None:
        for child in (self.servicebus, self.azurite):
            if child is not None:
                child.stop()
        self.servicebus = self.azurite = None


def start_azurite_if_needed(request: StartRequest, components: Components) -> None:
    if STORAGE in request.preset:
        components.lines["azurite"] = f"not started ({STORAGE} is set in the environment)"
    elif not request.azurite:
        where = "local.settings.json" if os.environ.get(STORAGE) else "nowhere: storage calls will fail"
        components.lines["azurite"] = f"not started (--no-azurite; {STORAGE} from {where})"
    else:
        components.azurite = start_azurite(request.project_root, request.azurite_ports)
        os.environ[STORAGE] = components.azurite.connection_string
        components.lines["azurite"] = components.azurite.address


def start_servicebus_if_needed(request: StartRequest, components: Components, queues: list[str]) -> None:
    if SERVICEBUS in request.preset:
        components.lines["servicebus"] = f"not started ({SERVICEBUS} is set in the environment)"
    elif not request.servicebus:
        components.lines["servicebus"] = f"not started (--no-servicebus; {SERVICEBUS} from local settings)"
    elif not queues:
        components.lines["servicebus"] = "not started (the app has no Service Bus bindings)"
    else:
        components.servicebus = start_servicebus(
            request.project_root, queues, port=request.servicebus_port,
            max_delivery_count=int(env_number("DEVHOST_MAX_DELIVERY_COUNT", 10)),
            lock_seconds=env_number("DEVHOST_LOCK_SECONDS", 30))
        os.environ[SERVICEBUS] = components.servicebus.connection_string
        components.lines["servicebus"] = components.servicebus.address


def ensure_signalr_setting(request: StartRequest) -> str:
    """The devhost endpoint's connection string unless the real environment names one already."""
    if SIGNALR not in request.preset:
        os.environ[SIGNALR] = signalr_connection_string(request.port)
    return os.environ[SIGNALR]
