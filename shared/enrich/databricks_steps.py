"""Reading Jobs API shapes: which tasks failed, the run's termination, cluster causes and tags."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from shared.enrich.model import ClusterInfo, RunInfo
from shared.enrich.traces import clean_message, clean_trace
from shared.rca.evidence import FailedStep

__all__ = ["is_failed", "failed_tasks", "run_info", "task_step", "cluster_caused", "cluster_id_for", "cluster_info",
           "spec_tags", "job_tags", "parse_run_page_url", "CLUSTER_CODES"]

FAILED_RESULTS = {"FAILED", "TIMEDOUT", "MAXIMUM_CONCURRENT_RUNS_REACHED"}
NOT_FAILED_RESULTS = {"SUCCESS", "SKIPPED", "UPSTREAM_FAILED", "UPSTREAM_CANCELED", "EXCLUDED", "DISABLED",
                      "SUCCESS_WITH_FAILURES"}
NOT_FAILED_CODES = {"SUCCESS", "SKIPPED", "USER_CANCELED", "DISABLED", "SUCCESS_WITH_FAILURES"}
# Termination codes that mean the compute, not the code, failed: look at the cluster.
CLUSTER_CODES = {"CLUSTER_ERROR", "DRIVER_ERROR", "CLOUD_FAILURE", "INVALID_CLUSTER_REQUEST",
                 "CLUSTER_REQUEST_LIMIT_EXCEEDED"}
_CLUSTER_MESSAGE_KEYS = ("databricks_error_message", "azure_error_message", "azure_error_code", "reason")

_RUN_URL = re.compile(r"(?:#job/\d+/run/|/jobs/\d+/runs/|#run/|/runs/)(\d+)")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _termination(item: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    details = _dict(_dict(item.get("status")).get("termination_details"))
    return details.get("code") or None, details.get("type") or None, details.get("message") or None


def _millis(value: Any) -> datetime | None:
    if not isinstance(value, (int, float)) or value <= 0:
        return None  # the API sends 0 for "never started"
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def is_failed(task: dict[str, Any]) -> bool:
    state = _dict(task.get("state"))
    result, life = state.get("result_state"), state.get("life_cycle_state")
    code, _, _ = _termination(task)
    if result in NOT_FAILED_RESULTS or code in NOT_FAILED_CODES:
        return False
    if result in FAILED_RESULTS or life == "INTERNAL_ERROR":
        return True
    return bool(code)  # any other termination code (RUN_EXECUTION_ERROR, CANCELED by a timeout, ...)


def failed_tasks(run: dict[str, Any]) -> list[dict[str, Any]]:
    """Failed task runs, the latest attempt of each task only (retries list every attempt)."""
    latest: dict[str, dict[str, Any]] = {}
    for task in run.get("tasks") or []:
        key = str(task.get("task_key") or task.get("run_id"))
        if key not in latest or (task.get("attempt_number") or 0) >= (latest[key].get("attempt_number") or 0):
            latest[key] = task
    return [task for task in latest.values() if is_failed(task)]


def run_info(run: dict[str, Any]) -> RunInfo:
    state = _dict(run.get("state"))
    code, kind, message = _termination(run)
    return RunInfo(
        run_id=str(run["run_id"]) if run.get("run_id") is not None else None,
        job_id=str(run["job_id"]) if run.get("job_id") is not None else None,
        name=run.get("run_name"),
        state=_dict(run.get("status")).get("state") or state.get("life_cycle_state"),
        result_state=state.get("result_state"),
        termination_code=code, termination_type=kind,
        termination_message=clean_message(message or state.get("state_message")),
        start=_millis(run.get("start_time")), end=_millis(run.get("end_time")),
        run_page_url=run.get("run_page_url"),
    )


def _kind(task: dict[str, Any]) -> str | None:
    for key, value in task.items():
        if key.endswith("_task") and isinstance(value, dict):
            return key[: -len("_task")]
    return None


def task_step(task: dict[str, Any], output: dict[str, Any] | None) -> FailedStep:
    """One failed task with its real error: `error`/`error_trace` of get-output when fetched,
    else the termination message (often only "Workload failed, see run output for details")."""
    output = output or {}
    code, kind, message = _termination(task)
    state = _dict(task.get("state"))
    trace = clean_trace(output.get("error_trace"))
    if not trace and output.get("logs") and output.get("error"):
        trace = clean_trace(output.get("logs"))  # Python script/wheel tasks print their traceback
    return FailedStep(
        name=task.get("task_key"), kind=_kind(task),
        run_id=str(task["run_id"]) if task.get("run_id") is not None else None,
        error_code=code or state.get("result_state"),
        error_message=clean_message(output.get("error")) or clean_message(message or state.get("state_message")),
        error_trace=trace, termination_code=code, termination_type=kind,
        run_page_url=task.get("run_page_url"),
    )


def cluster_caused(run: dict[str, Any], tasks: list[dict[str, Any]]) -> bool:
    codes = {_termination(item)[0] for item in [run, *tasks]}
    internal = any(_dict(t.get("state")).get("life_cycle_state") == "INTERNAL_ERROR" for t in tasks)
    return bool(codes & CLUSTER_CODES) or internal


def cluster_id_for(run: dict[str, Any], tasks: list[dict[str, Any]]) -> str | None:
    for item in [*tasks, run]:
        cluster_id = _dict(item.get("cluster_instance")).get("cluster_id")
        if cluster_id:
            return str(cluster_id)
    return None


def cluster_info(cluster: dict[str, Any]) -> ClusterInfo:
    reason = _dict(cluster.get("termination_reason"))
    params = {str(k): str(v) for k, v in _dict(reason.get("parameters")).items()}
    message = next((params[k] for k in _CLUSTER_MESSAGE_KEYS if params.get(k)), None)
    return ClusterInfo(
        cluster_id=str(cluster.get("cluster_id") or ""), cluster_name=cluster.get("cluster_name"),
        state=cluster.get("state"), state_message=clean_message(cluster.get("state_message")),
        termination_code=reason.get("code"), termination_type=reason.get("type"),
        termination_parameters=params, termination_message=clean_message(message),
    )


def _tags(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in _dict(value).items()}


def spec_tags(run: dict[str, Any]) -> dict[str, str]:
    """custom_tags of the clusters the run's own spec creates (job clusters, per-task clusters)."""
    tags: dict[str, str] = {}
    specs = [_dict(jc.get("new_cluster")) for jc in run.get("job_clusters") or []]
    specs.append(_dict(_dict(run.get("cluster_spec")).get("new_cluster")))
    specs += [_dict(t.get("new_cluster")) for t in run.get("tasks") or []]
    for spec in specs:
        tags.update(_tags(spec.get("custom_tags")))
    return tags


def job_tags(job: dict[str, Any]) -> dict[str, str]:
    return _tags(_dict(job.get("settings")).get("tags"))


def parse_run_page_url(url: str | None) -> str | None:
    """The run id in a run page link: `.../#job/<job>/run/<run>` or `.../jobs/<job>/runs/<run>`."""
    match = _RUN_URL.search(url or "")
    return match.group(1) if match else None
