"""Notify unit tests: make the repository importable and offer the sample ticket as a fixture."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Without a project-level pytest `pythonpath` setting, pytest only puts this folder on sys.path.
_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from shared.tickets import Ticket  # noqa: E402
from tests.unit.notify.notify_samples import build_ticket  # noqa: E402


@pytest.fixture
def ticket() -> Ticket:
    return build_ticket()
