"""E2E hook shared by the pipeline and dashboard suites: a failed test shows its devhost's output tail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.running import RUNNING


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and RUNNING:
        tail = "\n".join(RUNNING[-1].output().splitlines()[-120:])
        report.sections.append(("devhost output (last 120 lines)", tail))
