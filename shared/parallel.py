"""Run a few independent blocking calls at once (storage round trips of one request)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

__all__ = ["run_together"]


@functools.cache
def _pool() -> ThreadPoolExecutor:
    # Built on first use, never at import; the SDK calls release the GIL while they wait.
    return ThreadPoolExecutor(max_workers=16, thread_name_prefix=POOL_PREFIX)


POOL_PREFIX = "aiops-io"


def run_together(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls concurrently (the first in this thread); re-raise the first failure after all finish.
    Inside a pool thread the calls run one after another: a worker waiting on work queued behind it in
    its own pool is how a busy host deadlocks."""
    if len(calls) <= 1 or threading.current_thread().name.startswith(POOL_PREFIX):
        return _one_by_one(calls)
    futures: list[Future[Any]] = [_pool().submit(call) for call in calls[1:]]
    results: list[Any] = []
    error: BaseException | None = None
    try:
        results.append(calls[0]())
    except BaseException as exc:  # still wait for the others: none may be left running half-done
        error = exc
    for future in futures:
        try:
            results.append(future.result())
        except BaseException as exc:
            error = error or exc
    if error is not None:
        raise error
    return results


def _one_by_one(calls: tuple[Callable[[], Any], ...]) -> list[Any]:
    """Same contract as the concurrent path: every call runs, then the first failure is raised."""
    results: list[Any] = []
    error: BaseException | None = None
    for call in calls:
        try:
            results.append(call())
        except BaseException as exc:
            error = error or exc
    if error is not None:
        raise error
    return results
