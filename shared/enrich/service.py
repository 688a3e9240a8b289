"""enrich(): fetch what actually broke from Databricks / ADF / Synapse; a failing API degrades, never blocks."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from shared.enrich import adf_steps as af
from shared.enrich import databricks_steps as dx
from shared.enrich.model import ClusterInfo, EnrichmentResult, EnrichStatus
from shared.errors import IntegrationError
from shared.rca.evidence import FailedStep
from shared.tickets import Ticket

__all__ = ["enrich", "describe_error", "MAX_TASK_OUTPUTS", "MAX_DISCOVERED_RUNS"]

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_TASK_OUTPUTS = 10  # get-output calls per run (a for-each job can fail hundreds of tasks)
MAX_FOLLOWED_RUNS = 5  # Databricks runs followed from one ADF pipeline run
MAX_DISCOVERED_RUNS = 20  # failed runs one metric alert may fan out into
PIPELINE_SOURCES = {"adf", "synapse"}


def describe_error(exc: IntegrationError) -> str:
    """'403 from Databricks (PERMISSION_DENIED)', 'Databricks timed out': status and an error code only,
    never a response body (bodies can echo identities, URLs or query text)."""
    detail = exc.detail.split(" (")[0].strip()
    if exc.status:
        words = detail.split()
        code = words[1] if len(words) == 2 and words[0].isdigit() and re.fullmatch(r"[A-Za-z][\w.]{0,59}", words[1]) else ""
        return f"{exc.status} from {exc.system}" + (f" ({code})" if code else "")
    return f"{exc.system} {detail[:80]}".strip()


class _Calls:
    """Runs adapter calls; a failure becomes a note (and marks the result degraded), not an exception."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.degraded = False
        self.retryable = False

    def call(self, label: str, fn: Callable[..., T], *args: Any) -> T | None:
        try:
            return fn(*args)
        except IntegrationError as exc:
            self.notes.append(f"{label}: {describe_error(exc)}")
            self.degraded = True
            self.retryable = self.retryable or exc.retryable
            return None

    def note(self, text: str, degraded: bool = True) -> None:
        self.notes.append(text)
        self.degraded = self.degraded or degraded


def _finish(result: EnrichmentResult, calls: _Calls, status: EnrichStatus | None = None) -> EnrichmentResult:
    result.notes = [*result.notes, *calls.notes]
    result.retryable = calls.retryable
    result.status = status or (EnrichStatus.PARTIAL if calls.degraded else EnrichStatus.OK)
    return result


def _skipped(note: str, system: str | None = None) -> EnrichmentResult:
    return EnrichmentResult(status=EnrichStatus.SKIPPED, notes=[note], system=system)


# -- Databricks ------------------------------------------------------------------------------

def _explain_run(run: dict[str, Any], dbx: Any, calls: _Calls,
                 fallback_cluster: str | None) -> tuple[list[FailedStep], ClusterInfo | None, dict[str, str]]:
    """A fetched run's failed tasks with their outputs, its cluster when the cluster caused it, tags."""
    tasks = dx.failed_tasks(run)
    steps: list[FailedStep] = []
    for task in tasks[:MAX_TASK_OUTPUTS]:
        # get-output on a task run only: on a multi-task parent the API answers 400.
        output = calls.call(f"output of task {task.get('task_key')} unavailable", dbx.get_run_output,
                            task["run_id"]) if task.get("run_id") is not None else None
        steps.append(dx.task_step(task, output))
    if len(tasks) > MAX_TASK_OUTPUTS:
        calls.note(f"{len(tasks) - MAX_TASK_OUTPUTS} more failed tasks not fetched", degraded=False)
    if not tasks and not run.get("tasks") and dx.is_failed(run):  # a legacy single-task run
        output = calls.call("run output unavailable", dbx.get_run_output, run["run_id"])
        steps.append(dx.task_step({**run, "task_key": run.get("run_name")}, output))
    elif not steps and dx.is_failed(run):  # failed before any task ran (queue limits, bad config)
        steps.append(dx.task_step({**run, "task_key": run.get("run_name"), "run_id": run.get("run_id")}, None))

    tags = dx.spec_tags(run)
    if run.get("job_id") is not None and run.get("run_type", "JOB_RUN") == "JOB_RUN":
        job = calls.call("job tags unavailable", dbx.get_job, run["job_id"])
        tags.update(dx.job_tags(job or {}))
    cluster = None
    if dx.cluster_caused(run, tasks):
        cluster_id = dx.cluster_id_for(run, tasks) or fallback_cluster
        raw = calls.call("cluster details unavailable", dbx.get_cluster, cluster_id) if cluster_id else None
        if raw:
            cluster = dx.cluster_info(raw)
            tags.update({str(k): str(v) for k, v in (raw.get("custom_tags") or {}).items()})
        elif not cluster_id:
            calls.note("cluster id unknown: cluster termination reason not fetched")
    return steps, cluster, tags


def _job(ticket: Ticket, dbx: Any) -> EnrichmentResult:
    if dbx is None:
        return _skipped("Databricks not configured", "databricks")
    if not ticket.run_id or not (str(ticket.run_id).isascii() and str(ticket.run_id).isdigit()):  # not "²"
        return _skipped("no Databricks run id to look up", "databricks")
    calls, result = _Calls(), EnrichmentResult(system="databricks")
    run = calls.call("enrichment unavailable", dbx.get_run, ticket.run_id)
    if run is None:
        return _finish(result, calls, EnrichStatus.UNAVAILABLE)
    result.run = dx.run_info(run)
    result.failed_steps, result.cluster, result.tags = _explain_run(run, dbx, calls, ticket.cluster_id)
    return _finish(result, calls)


def _cluster(ticket: Ticket, dbx: Any) -> EnrichmentResult:
    if dbx is None:
        return _skipped("Databricks not configured", "databricks")
    if not ticket.cluster_id:
        return _skipped("no cluster id to look up", "databricks")
    calls, result = _Calls(), EnrichmentResult(system="databricks")
    raw = calls.call("enrichment unavailable", dbx.get_cluster, ticket.cluster_id)
    if raw is None:
        return _finish(result, calls, EnrichStatus.UNAVAILABLE)
    result.cluster = dx.cluster_info(raw)
    result.tags = {str(k): str(v) for k, v in (raw.get("custom_tags") or {}).items()}
    return _finish(result, calls)


# -- ADF / Synapse ----------------------------------------------------------------------------

def _follow_notebook(step: FailedStep, dbx: Any, calls: _Calls, result: EnrichmentResult) -> None:
    """Attach the Databricks run's real exception to the ADF activity that launched it."""
    run_id = dx.parse_run_page_url(step.run_page_url)
    if not run_id:
        calls.note(f"{step.name}: Databricks run page {step.run_page_url!r} not understood")
        return
    if dbx is None:
        calls.note(f"Databricks not configured: run {run_id} of {step.name} not followed")
        return
    run = calls.call(f"Databricks run {run_id} of {step.name} unavailable", dbx.get_run, run_id)
    if run is None:
        return
    inner, cluster, tags = _explain_run(run, dbx, calls, None)
    best = next((s for s in inner if s.error_trace), inner[0] if inner else None)
    if best:
        step.error_message = best.error_message or step.error_message
        step.error_trace = best.error_trace
        step.termination_code, step.termination_type = best.termination_code, best.termination_type
        step.run_page_url = best.run_page_url or step.run_page_url
    result.cluster = result.cluster or cluster
    for key, value in tags.items():
        result.tags.setdefault(key, value)


def _pipeline(ticket: Ticket, adf: Any, dbx: Any, now: datetime) -> EnrichmentResult:
    system = "synapse" if ticket.source == "synapse" else "adf"
    label = "Synapse" if system == "synapse" else "ADF"
    if adf is None:
        return _skipped(f"{label} not configured", system)
    scope = adf.scope_for(ticket.resource_id)
    if scope is None:
        return _skipped("no factory or workspace to look up (no resource id, ADF_* settings empty)", system)
    calls, result = _Calls(), EnrichmentResult(system=scope.kind)
    if ticket.run_id:
        run = calls.call("enrichment unavailable", adf.get_pipeline_run, scope, ticket.run_id)
        if run is None:
            return _finish(result, calls, EnrichStatus.UNAVAILABLE)
    elif ticket.pipeline or af.has_alert_window(ticket):  # a metric alert not split by pipeline: all of them
        start, end = af.alert_window(ticket, now)
        runs = calls.call("enrichment unavailable", adf.query_pipeline_runs, scope, ticket.pipeline, start, end)
        if runs is None:
            return _finish(result, calls, EnrichStatus.UNAVAILABLE)
        runs = sorted((r for r in runs if r.get("runId")), key=lambda r: str(r.get("runStart") or ""))
        result.discovered_runs = [af.discovered_run(r, scope) for r in runs[:MAX_DISCOVERED_RUNS]]
        what = ticket.pipeline or "any pipeline"
        if not runs:
            calls.note(f"no failed run of {what} found between {start:%H:%M} and {end:%H:%M} UTC")
            return _finish(result, calls)
        calls.note(f"found {len(runs)} failed run(s) of {what} in the alert window", degraded=False)
        run = runs[0]  # the alert ticket carries the first run's evidence
    else:
        return _skipped("no run id or pipeline name to look up", scope.kind)

    result.run = af.pipeline_run_info(run, scope)
    start, end = af.activity_window(run, now)
    activities = calls.call("activity runs unavailable", adf.query_activity_runs, scope, str(run["runId"]),
                            start, end, run.get("pipelineName") or ticket.pipeline)
    steps = [af.activity_step(a) for a in af.failed_activities(activities or [])]
    followed = [s for s in steps if (s.kind or "").lower() in af.DATABRICKS_ACTIVITIES and s.run_page_url]
    for step in followed[:MAX_FOLLOWED_RUNS]:
        _follow_notebook(step, dbx, calls, result)
    result.failed_steps = af.rank_steps(steps, ticket.activity or af.failed_target(run.get("message")))
    tags = calls.call("resource tags unavailable", adf.get_resource_tags, scope) or {}
    result.tags = {**result.tags, **tags}
    return _finish(result, calls)


def enrich(ticket: Ticket, databricks: Any, adf: Any, now: datetime) -> EnrichmentResult:
    """Everything the APIs say about the ticket's failure. Adapters may be None (not configured).
    Never raises: API failures are notes; `retryable` says whether a later attempt could do better."""
    try:
        if ticket.source in PIPELINE_SOURCES:
            result = _pipeline(ticket, adf, databricks, now)
        elif ticket.source == "databricks_job":
            result = _job(ticket, databricks)
        elif ticket.source == "databricks_cluster":
            result = _cluster(ticket, databricks)
        else:
            result = _skipped(f"nothing to look up for {ticket.source} alerts")
    except Exception as exc:  # noqa: BLE001 - an unexpected API shape must not block ticketing
        log.exception("enrichment of %s failed unexpectedly", ticket.id)
        result = EnrichmentResult(status=EnrichStatus.UNAVAILABLE,
                                  notes=[f"enrichment failed: internal error ({type(exc).__name__})"])
    result.fetched_at = now
    return result
