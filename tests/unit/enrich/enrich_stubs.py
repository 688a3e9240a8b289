"""In-memory Databricks and ADF adapters (dict-backed) and ticket builders for the enrich unit tests."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.enrich.adf import ArmDataFactory, Scope
from shared.enrich.tokens import static_token
from shared.errors import PermanentError, RetryableError
from shared.tickets import Ticket

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "api"
FACTORY_ID = ("/subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-dataplatform-prod"
              "/providers/microsoft.datafactory/factories/adf-contoso-prod")
NOW = datetime(2025, 6, 3, 2, 18, tzinfo=UTC)


def fixture(path: str) -> Any:
    return json.loads((FIXTURES / path).read_text())


def ticket(**kw: Any) -> Ticket:
    base: dict[str, Any] = dict(id="T20250603-021741-AB12", dedup_key="k", source="databricks_job",
                                title="t", first_seen_at=NOW, last_seen_at=NOW, created_at=NOW)
    base.update(kw)
    return Ticket(**base)


class StubDatabricks:
    system = "Databricks"

    def __init__(self) -> None:
        self.runs: dict[str, dict[str, Any]] = {}
        self.outputs: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.clusters: dict[str, dict[str, Any]] = {}
        self.errors: dict[str, Exception] = {}  # method name -> error to raise
        self.calls: list[tuple[str, str]] = []

    @classmethod
    def with_samples(cls) -> StubDatabricks:
        stub = cls()
        for name in ("runs_get_failed_multitask.json", "runs_get_cluster_failure.json"):
            run = fixture(f"databricks/{name}")
            stub.runs[str(run["run_id"])] = run
        stub.outputs["556677889900112"] = fixture("databricks/runs_get_output_failed_notebook_task.json")
        stub.outputs["556677889900210"] = fixture("databricks/runs_get_output_cluster_failure_task.json")
        stub.jobs["123456789012345"] = fixture("databricks/jobs_get_nightly_sales.json")
        stub.clusters["0604-021503-xyz98765"] = fixture("databricks/clusters_get_terminated_quota.json")
        return stub

    def _get(self, method: str, table: dict[str, Any], key: Any) -> dict[str, Any]:
        self.calls.append((method, str(key)))
        if method in self.errors:
            raise self.errors[method]
        if str(key) not in table:
            raise PermanentError("Databricks", f"400 INVALID_PARAMETER_VALUE ({method})", status=400)
        return copy.deepcopy(table[str(key)])

    def get_run(self, run_id: Any) -> dict[str, Any]:
        return self._get("get_run", self.runs, run_id)

    def get_run_output(self, run_id: Any) -> dict[str, Any]:
        run = self.runs.get(str(run_id))
        assert not (run and len(run.get("tasks") or []) > 1), "get-output called on a multi-task parent"
        return self._get("get_run_output", self.outputs, run_id)

    def get_job(self, job_id: Any) -> dict[str, Any]:
        return self._get("get_job", self.jobs, job_id)

    def get_cluster(self, cluster_id: str) -> dict[str, Any]:
        return self._get("get_cluster", self.clusters, cluster_id)


class StubAdf:
    """Scopes from the real adapter (pure), runs and activities from dicts."""

    def __init__(self) -> None:
        self._real = ArmDataFactory("https://management.azure.com", static_token("unused"))
        self.runs: list[dict[str, Any]] = []
        self.activities: dict[str, list[dict[str, Any]]] = {}
        self.tags: dict[str, str] = {}
        self.errors: dict[str, Exception] = {}
        self.calls: list[tuple[Any, ...]] = []

    @classmethod
    def with_samples(cls) -> StubAdf:
        stub = cls()
        stub.runs = fixture("adf/pipeline_runs_factory_2025-06-03.json")["value"]
        stub.activities["7a3c9e21-4b8d-4f6e-9c12-5d0e8f3a6b77"] = fixture("adf/activity_runs_query_failed.json")["value"]
        stub.activities["b4d2f6a8-1c3e-4f5a-8b7c-9d0e1f2a3b4c"] = fixture("adf/activity_runs_second_run.json")["value"]
        stub.tags = fixture("adf/factory_get.json")["tags"]
        return stub

    def scope_for(self, resource_id: str | None) -> Scope | None:
        return self._real.scope_for(resource_id)

    def _check(self, method: str, *args: Any) -> None:
        self.calls.append((method, *args))
        if method in self.errors:
            raise self.errors[method]

    def get_pipeline_run(self, scope: Scope, run_id: str) -> dict[str, Any]:
        self._check("get_pipeline_run", run_id)
        found = next((r for r in self.runs if r["runId"] == run_id), None)
        if found is None:
            raise PermanentError(scope.system, "404 PipelineRunNotFound", status=404)
        return copy.deepcopy(found)

    def query_pipeline_runs(self, scope: Scope, pipeline: str | None, start: datetime, end: datetime,
                            status: str | None = "Failed") -> list[dict[str, Any]]:
        self._check("query_pipeline_runs", pipeline, start, end)
        return [copy.deepcopy(r) for r in self.runs
                if (pipeline is None or r["pipelineName"] == pipeline) and (status is None or r["status"] == status)
                and start <= datetime.fromisoformat(r["lastUpdated"][:26] + "+00:00") <= end]

    def query_activity_runs(self, scope: Scope, run_id: str, start: datetime, end: datetime,
                            pipeline: str | None = None) -> list[dict[str, Any]]:
        self._check("query_activity_runs", run_id)
        return copy.deepcopy(self.activities.get(run_id, []))

    def get_resource_tags(self, scope: Scope) -> dict[str, str]:
        self._check("get_resource_tags")
        return dict(self.tags)


def retryable(system: str = "Databricks", status: int = 503) -> RetryableError:
    return RetryableError(system, f"{status}", status=status)


def permanent(system: str = "Databricks", status: int = 403, code: str = "PERMISSION_DENIED") -> PermanentError:
    return PermanentError(system, f"{status} {code}", status=status)
