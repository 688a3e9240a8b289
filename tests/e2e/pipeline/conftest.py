"""E2E pipeline fixtures: an isolated `python -m devhost` per test module, and fake Jira and Slack servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from devhost.testing import DevhostHandle, run_devhost
from tests.e2e.pipeline.helpers import API_KEY
from tests.e2e.running import RUNNING
from tests.fakes_http.jira_server import FakeJira
from tests.fakes_http.slack_server import FakeSlack

# Every setting an outer environment might carry that would change what the app talks to.
_ISOLATED = (
    "AzureWebJobsStorage", "ServiceBusConnection", "AzureSignalRConnectionString",
    "DATABRICKS_HOST", "DATABRICKS_TOKEN", "ADF_SUBSCRIPTION_ID", "ADF_RESOURCE_GROUP", "ADF_FACTORY_NAME",
    "ARM_BASE_URL", "ARM_TOKEN", "SYNAPSE_ENDPOINT", "GEMINI_API_KEY", "GEMINI_BASE_URL", "GEMINI_MODEL",
    "JIRA_BASE_URL", "JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PROJECT_KEY", "JIRA_WEBHOOK_SECRET",
    "JIRA_STATUS_MAP", "JIRA_TRANSITIONS", "SLACK_BOT_TOKEN", "SLACK_CHANNEL", "SLACK_SIGNING_SECRET",
    "SLACK_API_BASE_URL", "SLACK_REPEAT_INTERVAL_SECONDS", "SLA_SECONDS_P1", "SLA_SECONDS_P2",
    "SLA_SECONDS_P3", "SLA_SECONDS_P4", "SLA_WARNING_FRACTION", "RESOLVE_CLOSES_TICKET",
    "DURATION_WARNINGS_ENABLED", "REDRIVE_AFTER_SECONDS", "TEAM_RULES", "DEVHOST_TIMER_SECONDS",
    "DEVHOST_MAX_DELIVERY_COUNT", "DEVHOST_LOCK_SECONDS", "DEVHOST_LOCAL_USER", "DEVHOST_PORT",
)



def start_devhost(env: Mapping[str, str | None], tmp: Path) -> DevhostHandle:
    """devhost hosting the real function_app with its own Azurite and emulator, and only `env` configured."""
    full: dict[str, str | None] = {name: None for name in _ISOLATED}
    full.update({"INGEST_API_KEY": API_KEY, "DEVHOST_LOG_LEVEL": "INFO"})
    full.update(env)
    handle = run_devhost(env=full, args=["--local-settings", str(tmp / "no-local.settings.json")], timeout=90)
    RUNNING.append(handle)
    return handle


@pytest.fixture(scope="module")
def devhost_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., DevhostHandle]]:
    """Call with an env mapping; every host started is stopped at the end of the module."""
    started: list[DevhostHandle] = []

    def make(env: Mapping[str, str | None]) -> DevhostHandle:
        handle = start_devhost(env, tmp_path_factory.mktemp("devhost"))
        started.append(handle)
        return handle

    yield make
    for handle in started:
        handle.stop()
        RUNNING.remove(handle)


@pytest.fixture(scope="module")
def jira() -> Iterator[FakeJira]:
    with FakeJira() as server:
        yield server


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server
