"""Run the app's warmup-triggered function once per process before it takes traffic, as Azure does on scale-out."""

from __future__ import annotations

import asyncio
import logging

from azure.functions.warmup import WarmUpContext

from devhost.app_loader import HostedFunction
from devhost.invoker import Invoker

__all__ = ["run_warmup", "WARMUP_TRIGGER", "WARMUP_TIMEOUT_SECONDS"]

log = logging.getLogger("devhost.warmup")
WARMUP_TRIGGER = "warmupTrigger"
# A warmup stuck on an unreachable dependency (its SDK retrying) must not hold the host back for long.
WARMUP_TIMEOUT_SECONDS = 20.0


async def run_warmup(functions: list[HostedFunction], invoker: Invoker,
                     timeout: float = WARMUP_TIMEOUT_SECONDS) -> None:
    """A failing or slow warmup is logged and the process still starts: the app must load lazily anyway."""
    for fn in functions:
        if fn.trigger.type != WARMUP_TRIGGER:
            continue
        invocation = asyncio.ensure_future(invoker.invoke(fn, WarmUpContext()))
        done, _ = await asyncio.wait([invocation], timeout=timeout)
        if not done:
            log.warning("warmup function '%s' still running after %.0fs; starting without it", fn.name, timeout)
        elif invocation.exception() is not None:  # the invoker has logged it with the stack
            log.warning("warmup function '%s' failed; the process starts cold", fn.name)
