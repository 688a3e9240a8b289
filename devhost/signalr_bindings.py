"""The `signalRConnectionInfo` input and `signalR` output bindings, backed by the local SignalRService."""

from __future__ import annotations

import json
import logging
import os
import re
from typing import Any

from devhost.app_loader import Binding, resolve_setting_expr
from devhost.invoker import InputProvider, OutputHandler
from devhost.signalr import SignalRService

__all__ = ["parse_connection_string", "hub_of", "connection_info_provider", "signalr_output_handler"]

log = logging.getLogger("devhost.signalr")
_EXPRESSION = re.compile(r"^\{(headers|query)\.([^}]+)\}$", re.IGNORECASE)


def parse_connection_string(value: str) -> tuple[str, str]:
    """`Endpoint=...;AccessKey=...;Version=1.0;` -> (endpoint without trailing slash, access key)."""
    parts = dict(p.split("=", 1) for p in value.split(";") if "=" in p)
    lowered = {k.strip().lower(): v.strip() for k, v in parts.items()}
    if not lowered.get("endpoint") or not lowered.get("accesskey"):
        raise ValueError("SignalR connection string needs Endpoint=...;AccessKey=...")
    endpoint = lowered["endpoint"].rstrip("/")
    if lowered.get("port"):
        scheme, _, rest = endpoint.partition("://")
        host, _, path = rest.partition("/")
        endpoint = f"{scheme}://{host.split(':')[0]}:{lowered['port']}" + (f"/{path}" if path else "")
    return endpoint, lowered["accesskey"]


def hub_of(binding: Binding) -> str:
    hub = resolve_setting_expr(str(binding.get("hubName") or ""))
    if not hub:
        raise ValueError(f"SignalR binding '{binding.name}' has no hubName")
    return hub


_warned: set[str] = set()


def _check_setting(binding: Binding, service: SignalRService) -> None:
    setting = str(binding.get("connectionStringSetting") or "AzureSignalRConnectionString")
    value = os.environ.get(setting)
    if value and setting not in _warned and parse_connection_string(value)[1] != service.access_key:
        _warned.add(setting)
        log.warning("%s is not the devhost SignalR endpoint; tokens are issued for devhost's own", setting)


def _user_id(expression: Any, trigger_value: Any) -> str | None:
    """`userId` may be a literal or `{headers.NAME}` / `{query.NAME}` taken from the HTTP request."""
    if not expression:
        return None
    found = _EXPRESSION.match(str(expression))
    if not found:
        return str(expression)
    source = getattr(trigger_value, "headers" if found.group(1).lower() == "headers" else "params", None) or {}
    return source.get(found.group(2)) or source.get(found.group(2).lower())


def connection_info_provider(service: SignalRService) -> InputProvider:
    def provide(binding: Binding, trigger_value: Any) -> str:
        _check_setting(binding, service)
        info = service.connection_info(hub_of(binding), _user_id(binding.get("userId"), trigger_value))
        return json.dumps(info)

    return provide


def signalr_output_handler(service: SignalRService) -> OutputHandler:
    async def deliver(binding: Binding, value: Any) -> None:
        await service.publish(hub_of(binding), value)

    return deliver
