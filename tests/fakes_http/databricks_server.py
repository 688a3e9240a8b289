"""Fake Databricks workspace REST API (Jobs 2.1/2.2, Clusters 2.0/2.1) that checks requests as the real one does."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from tests.fakes_http.base import FakeServer, Recorded, Reply

__all__ = ["DatabricksServer", "load_fixture", "FIXTURES"]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "api" / "databricks"


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"error_code": code, "message": message})


class DatabricksServer(FakeServer):
    """Runs, task outputs, jobs and clusters in memory. Every request must carry
    `Authorization: Bearer <token>`; ids must be integers; `runs/get-output` on a multi-task parent
    answers 400 INVALID_PARAMETER_VALUE (and is recorded in `parent_output_requests`)."""

    def __init__(self, token: str = "dapi-fake-0123456789abcdef") -> None:
        super().__init__()
        self.token = token
        self.runs: dict[int, dict[str, Any]] = {}
        self.outputs: dict[int, dict[str, Any]] = {}
        self.jobs: dict[int, dict[str, Any]] = {}
        self.clusters: dict[str, dict[str, Any]] = {}
        self.parent_output_requests: list[int] = []
        self.auth_failures: list[str] = []
        self.tasks_page_size = 100
        self.route("GET", r"/\.well-known/databricks-config", self._host_metadata)
        self.route("GET", r"/api/2\.[12]/jobs/runs/get", self._get_run)
        self.route("GET", r"/api/2\.[12]/jobs/runs/get-output", self._get_output)
        self.route("GET", r"/api/2\.[12]/jobs/get", self._get_job)
        self.route("GET", r"/api/2\.[01]/clusters/get", self._get_cluster)

    # -- data ---------------------------------------------------------------------------------

    def add_run(self, run: dict[str, Any]) -> DatabricksServer:
        self.runs[int(run["run_id"])] = copy.deepcopy(run)
        return self

    def add_output(self, run_id: int | str, output: dict[str, Any]) -> DatabricksServer:
        self.outputs[int(run_id)] = copy.deepcopy(output)
        return self

    def add_job(self, job: dict[str, Any]) -> DatabricksServer:
        self.jobs[int(job["job_id"])] = copy.deepcopy(job)
        return self

    def add_cluster(self, cluster: dict[str, Any]) -> DatabricksServer:
        self.clusters[str(cluster["cluster_id"])] = copy.deepcopy(cluster)
        return self

    def with_samples(self) -> DatabricksServer:
        """The sample estate: the failed nightly-sales-etl run (code error) and its cluster-failure twin."""
        self.add_run(load_fixture("runs_get_failed_multitask.json"))
        self.add_output(556677889900112, load_fixture("runs_get_output_failed_notebook_task.json"))
        self.add_run(load_fixture("runs_get_cluster_failure.json"))
        self.add_output(556677889900210, load_fixture("runs_get_output_cluster_failure_task.json"))
        self.add_job(load_fixture("jobs_get_nightly_sales.json"))
        self.add_cluster(load_fixture("clusters_get_terminated_quota.json"))
        return self

    def reset(self) -> DatabricksServer:
        """Forget recorded requests, scripted faults and errors (the data stays)."""
        for log in (self.requests, self.faults, self.errors, self.parent_output_requests, self.auth_failures):
            log.clear()
        self.tasks_page_size = 100
        return self

    def throttle(self, path_regex: str, times: int = 1, retry_after: int = 1) -> None:
        self.fail_next(path_regex, 429, times, headers={"Retry-After": str(retry_after)},
                       body={"error_code": "REQUEST_LIMIT_EXCEEDED",
                             "message": "The request rate limit has been exceeded. Please retry later."})

    # -- checks -------------------------------------------------------------------------------

    def _denied(self, rec: Recorded) -> Reply | None:
        header = rec.headers.get("authorization")
        if not header:
            self.auth_failures.append(f"{rec.path}: no Authorization header")
            return _error(401, "401", "Credential was not sent or was of an unsupported type for this API.")
        if not re.fullmatch(r"Bearer [A-Za-z0-9._\-]+", header):
            self.auth_failures.append(f"{rec.path}: malformed Authorization header")
            return _error(401, "401", "Credential was not sent or was of an unsupported type for this API.")
        if header != f"Bearer {self.token}":
            self.auth_failures.append(f"{rec.path}: wrong token")
            return _error(403, "403", "Invalid access token.")
        return None

    @staticmethod
    def _int_param(rec: Recorded, name: str) -> int:
        values = rec.query.get(name)
        assert values and len(values) == 1, f"query parameter {name} is required exactly once"
        assert re.fullmatch(r"\d+", values[0]), f"{name} must be an integer, got {values[0]!r}"
        assert not rec.body, "GET requests carry no body"
        return int(values[0])

    # -- routes -------------------------------------------------------------------------------

    def _host_metadata(self, rec: Recorded, _: re.Match[str]) -> Reply:
        # The SDK probes this unauthenticated at client construction; a workspace without it says 404.
        return _error(404, "ENDPOINT_NOT_FOUND", "No API found for 'GET /.well-known/databricks-config'")

    def _get_run(self, rec: Recorded, _: re.Match[str]) -> Reply:
        denied = self._denied(rec)
        if denied:
            return denied
        run_id = self._int_param(rec, "run_id")
        run = self.runs.get(run_id) or self._task_as_run(run_id)
        if run is None:
            return _error(400, "INVALID_PARAMETER_VALUE", f"Run {run_id} does not exist.")
        return Reply(200, self._page(run, rec.query.get("page_token", ["0"])[0]))

    def _page(self, run: dict[str, Any], token: str) -> dict[str, Any]:
        assert token.isdigit(), f"unknown page_token {token!r}"
        offset, size = int(token), self.tasks_page_size
        tasks = run.get("tasks") or []
        if len(tasks) <= size and offset == 0:
            return run
        page = dict(run, tasks=tasks[offset:offset + size])
        if offset:  # later pages carry only the next slice of the paged arrays
            page.update(job_clusters=[], job_parameters=[], repair_history=[])
        if offset + size < len(tasks):
            page["next_page_token"] = str(offset + size)
        return page

    def _task_as_run(self, run_id: int) -> dict[str, Any] | None:
        """runs/get on a task run id answers that task as a one-task run, as the real API does."""
        output = self.outputs.get(run_id)
        return copy.deepcopy(output["metadata"]) if output and "metadata" in output else None

    def _get_output(self, rec: Recorded, _: re.Match[str]) -> Reply:
        denied = self._denied(rec)
        if denied:
            return denied
        run_id = self._int_param(rec, "run_id")
        parent = self.runs.get(run_id)
        if parent is not None and parent.get("tasks"):
            self.parent_output_requests.append(run_id)
            if len(parent["tasks"]) > 1:
                return Reply(400, load_fixture("runs_get_output_error_multitask_parent.json"))
        if run_id in self.outputs:
            return Reply(200, self.outputs[run_id])
        if parent is not None:
            return Reply(200, {"metadata": parent})
        return _error(400, "INVALID_PARAMETER_VALUE", f"Run {run_id} does not exist.")

    def _get_job(self, rec: Recorded, _: re.Match[str]) -> Reply:
        denied = self._denied(rec)
        if denied:
            return denied
        job_id = self._int_param(rec, "job_id")
        job = self.jobs.get(job_id)
        if job is None:
            return _error(400, "INVALID_PARAMETER_VALUE", f"Job {job_id} does not exist.")
        return Reply(200, job)

    def _get_cluster(self, rec: Recorded, _: re.Match[str]) -> Reply:
        denied = self._denied(rec)
        if denied:
            return denied
        values = rec.query.get("cluster_id")
        assert values and len(values) == 1 and values[0], "query parameter cluster_id is required"
        cluster = self.clusters.get(values[0])
        if cluster is None:
            return _error(400, "INVALID_PARAMETER_VALUE", f"Cluster {values[0]} does not exist")
        return Reply(200, cluster)
