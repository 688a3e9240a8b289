"""The normalized Alert: what every extractor produces from a vendor payload, whatever its shape."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Alert", "AlertEvent", "AlertLinks", "SourceKind"]


class SourceKind(StrEnum):
    ADF = "adf"
    SYNAPSE = "synapse"
    DATABRICKS_JOB = "databricks_job"
    DATABRICKS_CLUSTER = "databricks_cluster"
    AZURE_FUNCTION = "azure_function"
    OTHER = "other"


class AlertEvent(StrEnum):
    """What the notice says happened. Only failures open tickets; the rest update or are ignored."""

    FAILURE = "failure"
    RESOLVED = "resolved"  # Azure Monitor monitorCondition=Resolved
    START = "start"  # jobs.on_start
    SUCCESS = "success"  # jobs.on_success
    DURATION_WARNING = "duration_warning"  # jobs.on_duration_warning_threshold_exceeded
    STREAMING_BACKLOG = "streaming_backlog"  # jobs.on_streaming_backlog_exceeded


# Heads-ups about a run that has not failed: low-priority tickets of their own (DURATION_WARNINGS_ENABLED).
WARNING_EVENTS = frozenset({AlertEvent.DURATION_WARNING, AlertEvent.STREAMING_BACKLOG})
WARNING_KINDS = {AlertEvent.DURATION_WARNING: "duration_warning", AlertEvent.STREAMING_BACKLOG: "streaming_backlog"}


class AlertLinks(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_page: str | None = None
    search_results_api: str | None = None
    search_results_ui: str | None = None
    portal: str | None = None


class Alert(BaseModel):
    """One failure (or lifecycle notice) as reported by one alert; several alerts may share a failure."""

    model_config = ConfigDict(extra="forbid")

    source: SourceKind
    event: AlertEvent = AlertEvent.FAILURE
    signal: str = Field(description="payload family, e.g. 'metric', 'log_v2', 'log_v1', 'activity_log', 'databricks_webhook'")

    resource_id: str | None = None
    resource_name: str | None = None  # factory, Synapse/Databricks workspace, function app
    subscription_id: str | None = None
    resource_group: str | None = None
    workspace_id: str | None = None  # Databricks workspace id (webhooks)

    pipeline: str | None = None  # ADF / Synapse pipeline name
    job: str | None = None  # Databricks job name
    job_id: str | None = None
    run_id: str | None = None  # the run the ticket is about: pipeline run id or *parent* job run id
    parent_run_id: str | None = None
    task_run_id: str | None = None
    activity: str | None = None  # ADF activity name or Databricks task key
    activity_type: str | None = None
    activity_run_id: str | None = None
    cluster_id: str | None = None
    cluster_name: str | None = None
    termination_event: str | None = None  # e.g. the ActionName + time that identifies a termination

    error_code: str | None = None
    error_message: str | None = None
    failure_type: str | None = None

    azure_severity: str | None = None  # Sev0..Sev4
    monitor_condition: str | None = None  # Fired / Resolved
    fired_at: datetime | None = None
    resolved_at: datetime | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None

    alert_id: str | None = None
    alert_rule: str | None = None
    alert_rule_id: str | None = None
    description: str | None = None
    metric: str | None = None  # e.g. PipelineFailedRuns

    links: AlertLinks = Field(default_factory=AlertLinks)
    dimensions: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)

    @property
    def subject(self) -> str | None:
        """The pipeline or job the alert is about, whichever this source has."""
        return self.pipeline or self.job or self.cluster_name or self.resource_name
