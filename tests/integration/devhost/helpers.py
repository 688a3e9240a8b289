"""Helpers for the devhost suite: the sample app's constants, its state records, polling."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
SAMPLE_APP = "tests.integration.devhost.sample_app:app"
API_KEY = "sample-key"


def sample_env(state_dir: Path) -> dict[str, str | None]:
    """Environment for the sample app: queue names, a short lock, 3 deliveries, 1-second timers."""
    env: dict[str, str | None] = {
        "SAMPLE_STATE_DIR": str(state_dir), "SAMPLE_QUEUE": "sample-work", "POISON_QUEUE": "sample-poison",
        "WATCHED_QUEUE": "sample-watched", "SLOW_QUEUE": "sample-slow",
        "RELAY_QUEUE": "sample-relay", "TICK_SCHEDULE": "0 0 0 1 1 *",
        "DEVHOST_TIMER_SECONDS": "1", "DEVHOST_MAX_DELIVERY_COUNT": "3", "DEVHOST_LOCK_SECONDS": "2",
        "INGEST_API_KEY": API_KEY, "DEVHOST_LOCAL_USER": None,
        "DEVHOST_MAX_BODY_BYTES": str(1024 * 1024)}  # the sample app has no limit of its own
    for name in ("AzureWebJobsStorage", "ServiceBusConnection", "AzureSignalRConnectionString"):
        env[name] = None  # devhost must start and wire its own components
    return env


def read_records(state_dir: Path, name: str) -> list[dict[str, Any]]:
    path = state_dir / f"{name}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def wait_for(condition: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll until `condition()` is truthy and return it; fail the test with a clear message otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s")
