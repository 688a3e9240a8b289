"""Run the app's warmup-triggered function once per process before it takes traffic, as Azure does on scale-out."""

from __future__ import annotations

import logging

from azure.functions.warmup import WarmUpContext

from devhost.app_loader import HostedFunction
from devhost.invoker import Invoker

__all__ = ["run_warmup", "WARMUP_TRIGGER"]

log = logging.getLogger("devhost.warmup")
WARMUP_TRIGGER = "warmupTrigger"


async def run_warmup(functions: list[HostedFunction], invoker: Invoker) -> None:
    """A failing warmup is logged and the process still starts: the app must load lazily anyway."""
    for fn in functions:
        if fn.trigger.type != WARMUP_TRIGGER:
            continue
        try:
            await invoker.invoke(fn, WarmUpContext())
        except Exception:  # the invoker has logged it with the stack
            log.warning("warmup function '%s' failed; the process starts cold", fn.name)
