"""Databricks adapter over databricks-sdk: job runs, task outputs, jobs and clusters as REST-shaped dicts."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from shared.enrich.tokens import AZURE_DATABRICKS_SCOPE, TokenProvider
from shared.errors import IntegrationError, PermanentError, RetryableError

__all__ = ["DatabricksRuns", "build_databricks", "SYSTEM"]

log = logging.getLogger(__name__)

SYSTEM = "Databricks"


class _BearerStrategy:
    """A databricks-sdk credentials strategy fed by an Entra ID token provider (managed identity,
    service principal): the SDK has no managed-identity strategy of its own in this version."""

    def __init__(self, provider: TokenProvider) -> None:
        self._provider = provider

    def auth_type(self) -> str:
        return "azure-identity"

    def __call__(self, cfg: Any) -> Callable[[], dict[str, str]]:
        return lambda: {"Authorization": f"Bearer {self._provider(AZURE_DATABRICKS_SCOPE)}"}


class _CappedClock:
    """The SDK sleeps a whole Retry-After; a long one is better spent by Service Bus redelivering."""

    def __init__(self, max_sleep: float) -> None:
        self.max_sleep = max_sleep

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, min(seconds, self.max_sleep)))


def _status_of(exc: Exception) -> int | None:
    """The HTTP status behind an SDK error (the SDK maps statuses to classes and keeps no number)."""
    from databricks.sdk.errors import platform as p

    table = [(p.PermissionDenied, 403), (p.Unauthenticated, 401), (p.NotFound, 404),
             (p.ResourceConflict, 409), (p.TooManyRequests, 429), (p.TemporarilyUnavailable, 503),
             (p.DeadlineExceeded, 504), (p.NotImplemented, 501), (p.InternalError, 500),
             (p.Cancelled, 499), (p.BadRequest, 400)]
    return next((status for cls, status in table if isinstance(exc, cls)), None)


def _classify(what: str, exc: BaseException) -> IntegrationError:
    """SDK/transport failure -> Retryable/Permanent error whose message holds no secret or body."""
    from databricks.sdk.errors import DatabricksError

    if isinstance(exc, TimeoutError):  # the SDK's retry budget ran out; the cause says on what
        cause = exc.__cause__
        status = _status_of(cause) if isinstance(cause, DatabricksError) else None
        detail = f"{status}" if status else "timed out"
        return RetryableError(SYSTEM, f"{detail} ({what}, retries exhausted)", status=status)
    if isinstance(exc, DatabricksError):
        status = _status_of(exc)
        code = f" {exc.error_code}" if getattr(exc, "error_code", None) else ""
        retryable = status is not None and (status == 429 or status >= 500)
        cls = RetryableError if retryable else PermanentError
        return cls(SYSTEM, f"{status or 'error'}{code} ({what})", status=status)
    if isinstance(exc, requests.Timeout):
        return RetryableError(SYSTEM, f"timed out ({what})")
    if isinstance(exc, requests.RequestException):
        return RetryableError(SYSTEM, f"connection failed ({what})")
    return PermanentError(SYSTEM, f"unexpected {type(exc).__name__} ({what})")


class DatabricksRuns:
    """Jobs API 2.2 / Clusters API 2.1 through `WorkspaceClient`; one client per adapter, built at
    the first call (its construction probes the host, which must not happen at import or cold start)."""

    system = SYSTEM

    def __init__(self, host: str, token: str | None = None, token_provider: TokenProvider | None = None,
                 *, http_timeout: float = 20.0, retry_timeout: int = 45, max_sleep: float = 20.0,
                 clock: Any = None) -> None:
        self.host = host.rstrip("/")
        self._token = token
        self._token_provider = token_provider
        self._http_timeout = http_timeout
        self._retry_timeout = retry_timeout
        self._clock = clock or _CappedClock(max_sleep)
        self._client: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never show the token
        return f"DatabricksRuns(host={self.host!r})"

    def _workspace(self) -> Any:
        with self._lock:
            if self._client is None:
                from databricks.sdk import WorkspaceClient
                from databricks.sdk.config import Config

                common: dict[str, Any] = dict(host=self.host, http_timeout_seconds=self._http_timeout,
                                              retry_timeout_seconds=self._retry_timeout, clock=self._clock)
                if self._token:
                    cfg = Config(auth_type="pat", token=self._token, **common)
                elif self._token_provider:
                    cfg = Config(credentials_strategy=_BearerStrategy(self._token_provider), **common)
                else:  # the SDK's own chain (env, Azure CLI, service principal settings)
                    cfg = Config(**common)
                self._client = WorkspaceClient(config=cfg)
            return self._client

    def _call(self, what: str, fn: Callable[[Any], Any]) -> dict[str, Any]:
        try:
            client = self._workspace()
        except ValueError as exc:  # the SDK masks secrets in its config errors; we keep none of it
            log.warning("Databricks client could not be configured: %s", type(exc).__name__)
            raise PermanentError(SYSTEM, "client not configured (check DATABRICKS_HOST and credentials)") from None
        try:
            return fn(client).as_dict()
        except Exception as exc:  # noqa: BLE001 - every failure becomes a classified error
            err = _classify(what, exc)
            log.info("Databricks %s failed: %s", what, err.detail)
            raise err from None

    def get_run(self, run_id: str | int) -> dict[str, Any]:
        """`jobs/runs/get`; the SDK pages through runs with more than 100 tasks."""
        return self._call("runs/get", lambda w: w.jobs.get_run(int(run_id)))

    def get_run_output(self, task_run_id: str | int) -> dict[str, Any]:
        """`jobs/runs/get-output` of a *task* run (the API rejects a multi-task parent)."""
        return self._call("runs/get-output", lambda w: w.jobs.get_run_output(int(task_run_id)))

    def get_job(self, job_id: str | int) -> dict[str, Any]:
        return self._call("jobs/get", lambda w: w.jobs.get(int(job_id)))

    def get_cluster(self, cluster_id: str) -> dict[str, Any]:
        return self._call("clusters/get", lambda w: w.clusters.get(cluster_id))


def build_databricks(settings: Any, credential: Any = None) -> DatabricksRuns | None:
    """The adapter the settings ask for: PAT when DATABRICKS_TOKEN is set, otherwise Entra ID tokens
    from `credential` (managed identity in Azure). None when DATABRICKS_HOST is not set."""
    if not getattr(settings, "databricks_host", None):
        return None
    if settings.databricks_token:
        return DatabricksRuns(settings.databricks_host, token=settings.databricks_token)
    if credential is not None:
        from shared.enrich.tokens import entra_token_provider

        return DatabricksRuns(settings.databricks_host, token_provider=entra_token_provider(credential))
    return DatabricksRuns(settings.databricks_host)
