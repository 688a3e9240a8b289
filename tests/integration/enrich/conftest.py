"""Fixtures for the enrich integration tests: fake servers (reset per test), adapters with short timeouts."""

import time
from collections.abc import Iterator
from typing import Any

import pytest

from shared.adapters.http import retrying_session
from shared.enrich.adf import ArmDataFactory
from shared.enrich.databricks import DatabricksRuns
from tests.fakes_http.arm_server import ArmServer
from tests.fakes_http.databricks_server import DatabricksServer


class VirtualClock:
    """The SDK's retry clock: sleeps are recorded and skipped (time moves on by the slept amount)."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return time.time() + self.offset

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.offset += seconds


# One server per module (stopping one costs half a second); each test gets it freshly reset.
@pytest.fixture(scope="module")
def _dbx_module() -> Iterator[DatabricksServer]:
    with DatabricksServer().with_samples() as server:
        yield server


@pytest.fixture(scope="module")
def _arm_module() -> Iterator[ArmServer]:
    with ArmServer().with_samples() as server:
        yield server


@pytest.fixture
def dbx_server(_dbx_module: DatabricksServer) -> DatabricksServer:
    return _dbx_module.reset()


@pytest.fixture
def arm_server(_arm_module: ArmServer) -> ArmServer:
    return _arm_module.reset()


@pytest.fixture
def sdk_clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def databricks(dbx_server: DatabricksServer, sdk_clock: VirtualClock) -> DatabricksRuns:
    return DatabricksRuns(dbx_server.url, token=dbx_server.token, http_timeout=0.5, retry_timeout=20,
                          clock=sdk_clock)


def arm_tokens(server: ArmServer) -> Any:
    tokens = {"https://management.azure.com/.default": server.arm_token,
              "https://dev.azuresynapse.net/.default": server.synapse_token}
    return lambda scope: tokens[scope]


@pytest.fixture
def adf(arm_server: ArmServer) -> ArmDataFactory:
    session = retrying_session(total=2, backoff=0.01, timeout=0.5, max_retry_after=2)
    return ArmDataFactory(arm_server.url, arm_tokens(arm_server), session=session,
                          synapse_endpoint=arm_server.synapse_endpoint())
