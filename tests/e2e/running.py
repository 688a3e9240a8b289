"""The devhost processes the e2e suites have running, so a failed test can show the newest one's output."""

from __future__ import annotations

from devhost.testing import DevhostHandle

RUNNING: list[DevhostHandle] = []
