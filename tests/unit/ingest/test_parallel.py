"""run_together: concurrent, all-or-error, and never deadlocks when nested under load."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.parallel import run_together


def test_calls_run_concurrently_and_results_keep_their_order():
    started = time.perf_counter()
    assert run_together(*(lambda i=i: (time.sleep(0.2), i)[1] for i in range(4))) == [0, 1, 2, 3]
    assert time.perf_counter() - started < 0.6


def test_the_first_failure_is_raised_after_every_call_finished():
    finished = []

    def slow() -> None:
        time.sleep(0.1)
        finished.append("slow")

    def boom() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError):
        run_together(boom, slow)
    assert finished == ["slow"]


def test_nested_use_from_many_threads_does_not_deadlock():
    def inner() -> int:
        return sum(run_together(*(lambda: (time.sleep(0.01), 1)[1] for _ in range(3))))

    def outer() -> int:
        return sum(run_together(inner, inner, inner))

    with ThreadPoolExecutor(max_workers=48) as pool:
        futures = [pool.submit(outer) for _ in range(64)]
        assert [f.result(timeout=20) for f in futures] == [9] * 64
    assert threading.active_count() < 200


def test_inside_a_pool_thread_every_call_still_runs_before_the_error():
    ran = []

    def nested() -> None:
        def boom() -> None:
            raise ValueError("first")

        with pytest.raises(ValueError):
            run_together(boom, lambda: ran.append("second"), lambda: ran.append("third"))

    run_together(lambda: None, nested)  # `nested` runs on a pool thread
    assert ran == ["second", "third"]
