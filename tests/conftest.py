"""Session fixtures shared by every suite: a real Azurite started from node_modules."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test reads settings afresh, so monkeypatched environment variables take effect."""
    from shared.config import reset_settings

    reset_settings()
    yield
    reset_settings()


@pytest.fixture(scope="session")
def azurite() -> Iterator[str]:
    """The connection string of an in-memory Azurite for this test session."""
    from devhost.azurite import start_azurite

    instance = start_azurite(ROOT)
    try:
        yield instance.connection_string
    finally:
        instance.stop()


@pytest.fixture
def storage_settings(azurite: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Settings pointing at Azurite; each test gets its own table/container names via a prefix."""
    from shared.config import load_settings

    monkeypatch.setenv("AzureWebJobsStorage", azurite)
    return load_settings()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
