"""Reading ADF/Synapse run shapes: failed activities, run summaries, query windows, step ranking."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.enrich.adf import Scope
from shared.enrich.model import DiscoveredRun, RunInfo
from shared.enrich.traces import clean_message
from shared.rca.evidence import FailedStep
from shared.tickets import Ticket

__all__ = ["parse_time", "failed_activities", "activity_step", "pipeline_run_info", "discovered_run",
           "alert_window", "has_alert_window", "activity_window", "rank_steps", "failed_target", "DATABRICKS_ACTIVITIES"]

# Activities whose error only says "an inner activity failed": rank them after the leaves.
CONTAINER_ACTIVITIES = {"foreach", "ifcondition", "until", "switch", "executepipeline", "executedataflow"}
# Activities that run in Databricks and report a run page to follow.
DATABRICKS_ACTIVITIES = {"databricksnotebook", "databrickssparkpython", "databrickssparkjar", "databricksjob"}
ALERT_MARGIN = timedelta(minutes=5)  # metric windows lag the runs they count
DEFAULT_LOOKBACK = timedelta(hours=1)
_TARGET = re.compile(r"Operation on target (.+?) failed")


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    match = re.match(r"^(.*?\.\d{6})\d+(.*)$", text)  # .NET writes 7 fractional digits
    if match:
        text = match.group(1) + match.group(2)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def failed_activities(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Only status Failed: `error` is present with empty strings on every activity."""
    return [a for a in activities if str(a.get("status") or "").lower() == "failed"]


def activity_step(activity: dict[str, Any]) -> FailedStep:
    error = activity.get("error") if isinstance(activity.get("error"), dict) else {}
    output = activity.get("output") if isinstance(activity.get("output"), dict) else {}
    return FailedStep(
        name=activity.get("activityName"), kind=activity.get("activityType"),
        run_id=activity.get("activityRunId"), error_code=str(error.get("errorCode") or "") or None,
        error_message=clean_message(error.get("message")), failure_type=error.get("failureType") or None,
        run_page_url=output.get("runPageUrl") or None,
    )


def failed_target(message: str | None) -> str | None:
    """The activity ADF blames in the run message ("Operation on target X failed: ...")."""
    match = _TARGET.search(message or "")
    return match.group(1).strip() if match else None


def rank_steps(steps: list[FailedStep], target: str | None) -> list[FailedStep]:
    """Most specific first: the activity the run message names, leaves before containers,
    steps with a real trace before those without; otherwise the API's (start time) order."""
    def key(item: tuple[int, FailedStep]) -> tuple[bool, bool, bool, int]:
        index, step = item
        return ((step.kind or "").lower() in CONTAINER_ACTIVITIES, step.name != target,
                not step.error_trace, index)
    return [step for _, step in sorted(enumerate(steps), key=key)]


def pipeline_run_info(run: dict[str, Any], scope: Scope) -> RunInfo:
    run_id = str(run.get("runId") or "")
    return RunInfo(
        run_id=run_id or None, name=run.get("pipelineName"), state=run.get("status"),
        termination_message=clean_message(run.get("message")),
        start=parse_time(run.get("runStart")), end=parse_time(run.get("runEnd")),
        run_page_url=scope.monitor_url(run_id) if run_id else None,
    )


def discovered_run(run: dict[str, Any], scope: Scope) -> DiscoveredRun:
    return DiscoveredRun(
        run_id=str(run.get("runId")), pipeline=run.get("pipelineName"), status=run.get("status"),
        run_start=parse_time(run.get("runStart")), run_end=parse_time(run.get("runEnd")),
        message=clean_message(run.get("message")), source=scope.kind, resource_id=scope.resource_id,
    )


def _alert(ticket: Ticket) -> dict[str, Any]:
    alert = ticket.enrichment.get("alert") if isinstance(ticket.enrichment, dict) else None
    return alert if isinstance(alert, dict) else {}


def has_alert_window(ticket: Ticket) -> bool:
    """A metric alert says when it counted failures; only then may a run-less alert name no pipeline."""
    alert = _alert(ticket)
    return bool(parse_time(alert.get("window_start")) and parse_time(alert.get("window_end")))


def alert_window(ticket: Ticket, now: datetime) -> tuple[datetime, datetime]:
    """The alert's evaluation window (ingestion keeps the alert in `enrichment["alert"]`),
    widened by a margin; without one, the hour before the ticket was last seen."""
    alert = _alert(ticket)
    start = parse_time(alert.get("window_start"))
    end = parse_time(alert.get("window_end")) or parse_time(alert.get("fired_at"))
    if start is None or end is None:
        end = end or ticket.last_seen_at or now
        start = start or min(end, ticket.first_seen_at or end) - DEFAULT_LOOKBACK
    return start - ALERT_MARGIN, min(end + ALERT_MARGIN, max(now, end))


def activity_window(run: dict[str, Any], now: datetime) -> tuple[datetime, datetime]:
    """lastUpdatedAfter/Before for one run's activities: its own start and end, padded."""
    start = parse_time(run.get("runStart")) or now - timedelta(days=1)
    end = parse_time(run.get("runEnd"))
    return start - timedelta(minutes=5), (end + timedelta(hours=1)) if end else now + timedelta(minutes=5)
