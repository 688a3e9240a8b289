"""Fixtures for the devhost suite: one devhost subprocess hosting the test-only sample app per session."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from devhost.testing import DevhostHandle, run_devhost
from tests.integration.devhost.helpers import API_KEY, HERE, SAMPLE_APP


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("devhost-sample-state")


@pytest.fixture(scope="session")
def sample_host(state_dir: Path) -> Iterator[DevhostHandle]:
    """devhost with its own Azurite and Service Bus emulator, a short lock and 3 deliveries before dead-letter."""
    env: dict[str, str | None] = {"SAMPLE_STATE_DIR": str(state_dir), "SAMPLE_QUEUE": "sample-work", "POISON_QUEUE": "sample-poison",
           "WATCHED_QUEUE": "sample-watched", "SLOW_QUEUE": "sample-slow", "TICK_SCHEDULE": "0 0 0 1 1 *",
           "DEVHOST_TIMER_SECONDS": "1", "DEVHOST_MAX_DELIVERY_COUNT": "3", "DEVHOST_LOCK_SECONDS": "2",
           "INGEST_API_KEY": API_KEY, "DEVHOST_LOCAL_USER": None}
    for name in ("AzureWebJobsStorage", "ServiceBusConnection", "AzureSignalRConnectionString"):
        env[name] = None  # devhost must start and wire its own components
    handle = run_devhost(SAMPLE_APP, env,
                         args=["--host-json", str(HERE / "host.json"), "--web-root", str(HERE / "webroot"),
                               "--local-settings", str(HERE / "no-such-local.settings.json")])
    try:
        yield handle
    finally:
        handle.stop()
