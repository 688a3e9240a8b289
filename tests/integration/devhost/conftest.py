"""Fixtures for the devhost suite: one devhost subprocess hosting the test-only sample app per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devhost.testing import DevhostHandle, run_devhost
from tests.integration.devhost.helpers import HERE, SAMPLE_APP, sample_env


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("devhost-sample-state")


@pytest.fixture(scope="session")
def sample_host(state_dir: Path) -> Iterator[DevhostHandle]:
    """devhost with its own Azurite and Service Bus emulator, a short lock and 3 deliveries before dead-letter."""
    env = sample_env(state_dir)
    handle = run_devhost(SAMPLE_APP, env,
                         args=["--host-json", str(HERE / "host.json"), "--web-root", str(HERE / "webroot"),
                               "--local-settings", str(HERE / "no-such-local.settings.json")])
    try:
        yield handle
    finally:
        handle.stop()
