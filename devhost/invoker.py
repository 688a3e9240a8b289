"""Run one function invocation: bind arguments, call (thread pool or await), deliver output bindings, log."""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import azure.functions as func

from devhost.app_loader import Binding, HostedFunction

__all__ = ["Invoker", "OutValue", "InvocationContext", "InputProvider", "OutputHandler"]

log = logging.getLogger("devhost.invoke")

# An input provider builds the value of an input binding from the trigger value (e.g. the HTTP request).
InputProvider = Callable[[Binding, Any], Any]
# An output handler delivers the value a function set on an output binding (Service Bus send, SignalR push).
OutputHandler = Callable[[Binding, Any], Awaitable[None]]


class OutValue(func.Out):
    """The concrete `func.Out[T]` handed to functions for their output bindings."""

    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


@dataclass
class InvocationContext:
    """What the Python worker passes as `context`: ids and names (tracing fields are empty locally)."""

    invocation_id: str
    function_name: str
    function_directory: str = ""
    trace_context: Any = None
    retry_context: Any = None

    @property
    def thread_local_storage(self) -> threading.local:
        return _thread_local


_thread_local = threading.local()


class Invoker:
    """Binds and runs functions; output bindings are delivered only after the function succeeds."""

    def __init__(self, executor: ThreadPoolExecutor, inputs: dict[str, InputProvider],
                 outputs: dict[str, OutputHandler]) -> None:
        self._executor = executor
        self._inputs = inputs
        self._outputs = outputs

    def check(self, fn: HostedFunction) -> list[str]:
        """Problems that would make every invocation of `fn` fail (unbound parameters, missing handlers)."""
        problems = []
        bound = {b.name for b in fn.bindings} | {"context"}
        for param in fn.parameters:
            if param not in bound:
                problems.append(f"function '{fn.name}': parameter '{param}' matches no binding")
        for binding in [*fn.inputs, *fn.outputs]:
            table = self._inputs if binding.direction == "IN" else self._outputs
            if binding.type != "http" and binding.type not in table:
                problems.append(f"function '{fn.name}': no handler for {binding.direction} binding '{binding.type}'")
        return problems

    async def invoke(self, fn: HostedFunction, trigger_value: Any) -> Any:
        """Run `fn`; return its return value. Raises what the function (or an output delivery) raised."""
        invocation_id = str(uuid.uuid4())
        started = time.perf_counter()
        try:
            kwargs, outs = self._arguments(fn, trigger_value, invocation_id)
            if fn.is_async:
                result = await fn.func(**kwargs)
            else:
                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(self._executor, functools.partial(fn.func, **kwargs))
            await self._deliver(fn, outs, result)
        except BaseException as exc:
            elapsed_ms = (time.perf_counter() - started) * 1000
            log.error("Executed 'Functions.%s' (Failed, Id=%s, Duration=%.0fms): %s: %s", fn.name, invocation_id,
                      elapsed_ms, type(exc).__name__, exc, exc_info=not isinstance(exc, asyncio.CancelledError))
            raise
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info("Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%.0fms)", fn.name, invocation_id, elapsed_ms)
        return result

    def _arguments(self, fn: HostedFunction, trigger_value: Any,
                   invocation_id: str) -> tuple[dict[str, Any], dict[str, OutValue]]:
        kwargs: dict[str, Any] = {}
        outs: dict[str, OutValue] = {}
        by_name = {b.name: b for b in fn.bindings}
        for param in fn.parameters:
            binding = by_name.get(param)
            if binding is fn.trigger:
                kwargs[param] = trigger_value
            elif binding is not None and binding.direction == "IN":
                kwargs[param] = self._inputs[binding.type](binding, trigger_value)
            elif binding is not None:
                kwargs[param] = outs[param] = OutValue()
            elif param == "context":
                kwargs[param] = InvocationContext(invocation_id=invocation_id, function_name=fn.name)
        return kwargs, outs

    async def _deliver(self, fn: HostedFunction, outs: dict[str, OutValue], result: Any) -> None:
        deliveries = []
        for binding in fn.outputs:
            if binding.type == "http":
                continue
            if binding.name == "$return":
                value = None if isinstance(result, func.HttpResponse) else result
            else:
                value = outs[binding.name].get() if binding.name in outs else None
            if value is not None:
                deliveries.append(self._outputs[binding.type](binding, value))
        if deliveries:
            await asyncio.gather(*deliveries)
