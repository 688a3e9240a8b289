"""devhost's warmup runner: each warmup function once, and a failing or stuck one never blocks startup."""

import asyncio
import time

from devhost.app_loader import Binding, HostedFunction
from devhost.warmup import run_warmup


def _fn(name: str, trigger: str) -> HostedFunction:
    return HostedFunction(name=name, func=lambda **_: None, trigger=Binding(name="w", type=trigger, direction="IN", raw={}),
                          inputs=[], outputs=[], parameters=["w"])


class _Invoker:
    def __init__(self, behaviour) -> None:
        self.behaviour, self.calls = behaviour, []

    async def invoke(self, fn, value):
        self.calls.append((fn.name, type(value).__name__))
        await self.behaviour()


def _run(behaviour, timeout=5.0):
    invoker = _Invoker(behaviour)
    started = time.monotonic()
    asyncio.run(run_warmup([_fn("api", "httpTrigger"), _fn("warmup", "warmupTrigger")], invoker, timeout=timeout))
    return invoker.calls, time.monotonic() - started


def test_only_the_warmup_function_runs_once_with_a_warmup_context():
    async def ok():
        return None

    calls, _ = _run(ok)
    assert calls == [("warmup", "WarmUpContext")]


def test_a_failing_warmup_is_logged_not_raised(caplog):
    async def fail():
        raise RuntimeError("storage still starting")

    calls, _ = _run(fail)
    assert calls and "failed; the process starts cold" in caplog.text


def test_a_stuck_warmup_is_given_up_on_after_the_timeout(caplog):
    async def stuck():
        await asyncio.sleep(30)

    _, seconds = _run(stuck, timeout=0.2)
    assert seconds < 5 and "still running after" in caplog.text
