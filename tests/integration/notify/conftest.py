"""Notify integration tests: real JiraClient / SlackClient against the local fake Jira and Slack servers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Without a project-level pytest `pythonpath` setting, pytest only puts this folder on sys.path.
_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from shared.notify.jira import JiraClient  # noqa: E402
from shared.notify.slack import SlackClient  # noqa: E402
from tests.fakes_http.jira_server import FakeJira  # noqa: E402
from tests.fakes_http.slack_server import FakeSlack  # noqa: E402
from tests.integration.notify.notify_clients import make_jira, make_slack  # noqa: E402


# One server per session (stopping one costs half a second); each test starts from a clean slate.
@pytest.fixture(scope="session")
def _jira_running() -> Iterator[FakeJira]:
    with FakeJira() as server:
        yield server


@pytest.fixture(scope="session")
def _slack_running() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def jira_server(_jira_running: FakeJira) -> FakeJira:
    _jira_running.reset()
    return _jira_running


@pytest.fixture
def slack_server(_slack_running: FakeSlack) -> FakeSlack:
    _slack_running.reset()
    return _slack_running


@pytest.fixture
def jira(jira_server: FakeJira) -> JiraClient:
    return make_jira(jira_server)


@pytest.fixture
def slack(slack_server: FakeSlack) -> SlackClient:
    return make_slack(slack_server)
