"""Databricks job notification webhooks (job- and task-level) → one normalized Alert."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from shared.alerts import Alert, AlertEvent, SourceKind
from shared.extract.errors import INVALID_ALERT, UNSUPPORTED_EVENT_TYPE, PayloadError, problem
from shared.extract.values import identifier, is_identifier_like, text

__all__ = ["DATABRICKS_EVENTS", "extract_databricks"]

DATABRICKS_EVENTS = {
    "jobs.on_failure": AlertEvent.FAILURE,
    "jobs.on_start": AlertEvent.START,
    "jobs.on_success": AlertEvent.SUCCESS,
    "jobs.on_duration_warning_threshold_exceeded": AlertEvent.DURATION_WARNING,
    "jobs.on_streaming_backlog_exceeded": AlertEvent.STREAMING_BACKLOG,
}


def _object(payload: dict[str, Any], key: str, problems: list[dict[str, str]]) -> dict[str, Any]:
    value = payload.get(key)
    if value is None or isinstance(value, dict):
        return value or {}
    problems.append(problem(key, "expected an object"))
    return {}


def _id(container: dict[str, Any], key: str, path: str, problems: list[dict[str, str]],
        required: bool = False) -> str | None:
    raw = container.get(key)
    value = identifier(raw)
    if value is None and (required or raw not in (None, "")):
        missing = raw is None or (isinstance(raw, str) and not raw.strip())
        problems.append(problem(path, "missing" if missing else
                                "expected a string or integer id" if not is_identifier_like(raw) else
                                "expected a whole number"))
    return value


def _event(payload: dict[str, Any], problems: list[dict[str, str]]) -> AlertEvent | None:
    raw = payload.get("event_type")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        problems.append(problem("event_type", "missing"))
        return None
    if not isinstance(raw, str):
        problems.append(problem("event_type", "expected a string"))
        return None
    return DATABRICKS_EVENTS.get(raw.strip().lower())


def extract_databricks(payload: object) -> list[Alert]:
    """The one run (or task run) a Databricks notification is about, or a PayloadError."""
    if not isinstance(payload, dict):
        raise PayloadError(INVALID_ALERT, "a Databricks notification must be a JSON object",
                           [problem("$", f"expected an object, got {type(payload).__name__}")])
    problems: list[dict[str, str]] = []
    event = _event(payload, problems)
    run, job, task = (_object(payload, key, problems) for key in ("run", "job", "task"))
    own_run_id = _id(run, "run_id", "run.run_id", problems, required=True)
    parent_run_id = _id(run, "parent_run_id", "run.parent_run_id", problems)
    job_id = _id(job, "job_id", "job.job_id", problems)
    workspace_id = _id(payload, "workspace_id", "workspace_id", problems)
    if problems:
        raise PayloadError(INVALID_ALERT, "the Databricks notification is missing what identifies the run",
                           problems)
    if event is None:
        raw = str(payload.get("event_type"))[:80]
        raise PayloadError(UNSUPPORTED_EVENT_TYPE, f"unsupported Databricks event_type '{raw}'",
                           [problem("event_type", f"expected one of {sorted(DATABRICKS_EVENTS)}")])
    try:
        alert = Alert(
            source=SourceKind.DATABRICKS_JOB,
            event=event,
            signal="databricks_webhook",
            workspace_id=workspace_id,
            job=text(job.get("name")),
            job_id=job_id,
            # A task-level notice is about its parent job run; the task run is kept beside it.
            run_id=parent_run_id or own_run_id,
            parent_run_id=parent_run_id,
            task_run_id=own_run_id if parent_run_id else None,
            activity=text(task.get("task_key")),
        )
    except ValidationError as exc:  # cannot happen with the readers above; never let it escape as a 500
        raise PayloadError(INVALID_ALERT, "the Databricks notification has fields of the wrong type",
                           [problem(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]) from None
    return [alert]
