"""The Ticket: one per distinct failure, its lifecycle, and the JSON views the API and SignalR show."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.rca.model import RcaResult

__all__ = [
    "Ticket", "TicketStatus", "Stage", "AuditEntry", "SlackRef", "NotifyLease", "ResolvedNotice",
    "new_ticket_id", "ticket_created_at", "SUMMARY_FIELDS", "iso",
]


class TicketStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    PIPELINE_ERROR = "pipeline_error"  # a stage dead-lettered: visible, not silently lost


class Stage(StrEnum):
    """How far the processing pipeline got; the redrive timer restarts tickets stuck before a stage."""

    INGESTED = "ingested"  # waiting for enrich
    ENRICHED = "enriched"  # waiting for analyze
    ANALYZED = "analyzed"  # waiting for notify
    NOTIFIED = "notified"  # done


class AuditEntry(BaseModel):
    at: datetime
    actor: str
    action: str
    details: dict[str, Any] = Field(default_factory=dict)


class NotifyLease(BaseModel):
    """Which notify delivery is creating the ticket's Jira issue and Slack message, and until when."""

    holder: str
    until: datetime


class SlackRef(BaseModel):
    channel: str
    ts: str
    last_repeat_at: datetime | None = None
    repeats_reported: int = 0  # occurrences already announced in the thread


class ResolvedNotice(BaseModel):
    at: datetime
    source: str  # azure_monitor / databricks
    detail: str | None = None


def new_ticket_id(dedup_key: str, created_at: datetime) -> str:
    """Readable and time-ordered to the millisecond (T20261204-031522.123-3F9A1C2B). The 32-bit hash
    part keeps failures of the same millisecond apart; storage derives the row keys from the id,
    so a lookup by id needs no index."""
    digest = hashlib.sha256(dedup_key.encode()).hexdigest()[:8].upper()
    return f"T{created_at:%Y%m%d-%H%M%S}.{created_at.microsecond // 1000:03d}-{digest}"


def ticket_created_at(ticket_id: str) -> datetime | None:
    """The creation time (millisecond) encoded in a ticket id, or None if the id is not one of ours."""
    try:
        return datetime.strptime(ticket_id[1:20], "%Y%m%d-%H%M%S.%f").replace(tzinfo=UTC)
    except ValueError:
        return None


def iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" if value else None


SUMMARY_FIELDS = (
    "id", "status", "priority", "severity", "source", "title", "resource", "pipeline", "job",
    "run_id", "dedup_key", "occurrences", "first_seen_at", "last_seen_at", "created_at",
    "acknowledged_at", "resolved_at", "sla_due_at", "sla_status", "category", "error_type",
    "team", "cost_center", "jira_key", "stage",
)


class Ticket(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    dedup_key: str
    status: TicketStatus = TicketStatus.OPEN
    stage: Stage = Stage.INGESTED
    stage_at: datetime | None = None
    enqueue_pending: bool = False  # the enrich message could not be sent yet (see shared.ingest)
    # Deliveries answered 503 after counting this ticket (body digest → status reported): their
    # retry resumes instead of counting again. Consumed by the retry; at most a few kept.
    retried_deliveries: dict[str, str] = Field(default_factory=dict)
    # failure | duration_warning (a run still going, slower than its threshold) | streaming_backlog
    kind: str = "failure"
    priority: str = "P3"
    severity: str = "Medium"
    azure_severity: str | None = None
    source: str
    title: str
    resource: str | None = None
    resource_id: str | None = None
    subscription_id: str | None = None
    resource_group: str | None = None
    workspace_id: str | None = None
    pipeline: str | None = None
    job: str | None = None
    job_id: str | None = None
    run_id: str | None = None
    activity: str | None = None
    cluster_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    failure_type: str | None = None
    links: dict[str, str] = Field(default_factory=dict)
    alert_ids: list[str] = Field(default_factory=list)
    alert_rules: list[str] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)

    occurrences: int = 1
    first_seen_at: datetime
    last_seen_at: datetime
    created_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    first_acknowledged_at: datetime | None = None  # MTTA: the first response, kept across reopens
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    reopened_at: datetime | None = None
    sla_due_at: datetime | None = None
    sla_status: str = "pending"  # pending | met | breached
    sla_breached_at: datetime | None = None
    sla_warned_at: datetime | None = None
    # The settled response SLAs of earlier cycles ({due_at, status, breached_at}): a reopen starts a
    # new deadline, and a breach before it must still count.
    sla_history: list[dict[str, Any]] = Field(default_factory=list)
    resolved_notices: list[ResolvedNotice] = Field(default_factory=list)
    # The repeats the audit trail has accounted for (None: a ticket from before coalescing, whose
    # every repeat has its own line), and when it last wrote an occurrence line.
    occurrences_audited: int | None = None
    occurrence_audited_at: datetime | None = None

    rca: RcaResult | None = None
    enrichment: dict[str, Any] = Field(default_factory=dict)
    similar: list[dict[str, Any]] = Field(default_factory=list)
    jira_key: str | None = None
    jira_url: str | None = None
    slack: SlackRef | None = None
    notify_lease: NotifyLease | None = None  # internal: never in the API's JSON
    team: str = "unassigned"
    cost_center: str = "unassigned"
    integration_errors: list[dict[str, Any]] = Field(default_factory=list)
    pipeline_error: dict[str, Any] | None = None
    # A run-less alert that enrichment resolved to failed runs hands over to those runs' tickets.
    split_into_runs: list[str] = Field(default_factory=list)
    spawned_from: list[str] = Field(default_factory=list)  # the alert tickets that found this run
    audit: list[AuditEntry] = Field(default_factory=list)  # filled from the audit log on read

    @property
    def subject(self) -> str:
        return self.pipeline or self.job or self.resource or self.source

    @property
    def is_open(self) -> bool:
        return self.status in (TicketStatus.OPEN, TicketStatus.PIPELINE_ERROR)

    def advance(self, stage: Stage, at: datetime) -> None:
        """The pipeline moved on: a ticket marked pipeline_error (its message dead-lettered, then
        redriven) gets its lifecycle status back; the error stays on record in pipeline_error."""
        self.stage, self.stage_at = stage, at
        if self.status == TicketStatus.PIPELINE_ERROR:
            previous = (self.pipeline_error or {}).get("previous_status", TicketStatus.OPEN.value)
            self.status = TicketStatus(previous) if previous != TicketStatus.PIPELINE_ERROR.value else TicketStatus.OPEN

    def summary(self) -> dict[str, Any]:
        """The list-item / SignalR subset of the detail JSON."""
        full = self.to_json(include_audit=False)
        return {k: full.get(k) for k in SUMMARY_FIELDS}

    def to_json(self, include_audit: bool = True) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude={"audit", "notify_lease", "retried_deliveries"})
        for key in list(data):
            if isinstance(getattr(self, key, None), datetime):
                data[key] = iso(getattr(self, key))
        data["category"] = self.rca.category.value if self.rca else None
        data["error_type"] = self.rca.error_type if self.rca else None
        data["slack"] = {"channel": self.slack.channel, "ts": self.slack.ts} if self.slack else None
        data["resolved_notices"] = [{**n.model_dump(mode="json"), "at": iso(n.at)} for n in self.resolved_notices]
        if include_audit:
            data["audit"] = [
                {"at": iso(e.at), "actor": e.actor, "action": e.action, "details": e.details}
                for e in self.audit
            ]
        return data
