"""Build a new Ticket from the first Alert of a failure, and fold repeat alerts into it."""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.alerts import WARNING_EVENTS, WARNING_KINDS, Alert, AlertEvent, SourceKind
from shared.attribution import attribute
from shared.config import Settings
from shared.tickets import Stage, Ticket

__all__ = ["new_ticket", "add_occurrence", "priority_from_azure", "PRIORITY_SEVERITY",
           "more_urgent", "raise_priority"]

PRIORITY_SEVERITY = {"P1": "Critical", "P2": "High", "P3": "Medium", "P4": "Low"}
AZURE_PRIORITY = {"sev0": "P1", "sev1": "P2", "sev2": "P3", "sev3": "P4", "sev4": "P4"}
MAX_ALERT_IDS = 50


def priority_from_azure(azure_severity: str | None) -> str | None:
    return AZURE_PRIORITY.get((azure_severity or "").strip().lower())


def more_urgent(a: str, b: str | None) -> str:
    return min(a, b) if b else a  # "P1" < "P2" < ...


def _title(alert: Alert) -> str:
    subject = alert.subject or alert.alert_rule or alert.source.value
    if alert.event == AlertEvent.DURATION_WARNING:
        return f"{subject} is running longer than its duration threshold"
    if alert.event == AlertEvent.STREAMING_BACKLOG:
        return f"{subject} has a streaming backlog above its threshold"
    if alert.source == SourceKind.DATABRICKS_CLUSTER:
        return f"Cluster {alert.cluster_name or alert.cluster_id} terminated"
    where = f" at {alert.activity}" if alert.activity else ""
    return f"{subject} failed{where}"[:300]


def new_ticket(alert: Alert, ticket_id: str, key: str, now: datetime, settings: Settings) -> Ticket:
    # Before RCA the alert's own severity is all we know; analysis may only make it more urgent.
    default = "P4" if alert.event in WARNING_EVENTS else "P3"
    priority = priority_from_azure(alert.azure_severity) or default
    # first/last seen are when this service received the notices (one clock, always increasing);
    # the alert's own fired time stays in enrichment["alert"].
    seen = now
    links = {k: v for k, v in alert.links.model_dump().items() if v}
    ticket = Ticket(
        id=ticket_id, dedup_key=key, stage=Stage.INGESTED, stage_at=now, priority=priority,
        kind=WARNING_KINDS.get(alert.event, "failure"),
        severity=PRIORITY_SEVERITY[priority], azure_severity=alert.azure_severity,
        source=alert.source.value, title=_title(alert),
        resource=alert.resource_name or (f"databricks-workspace-{alert.workspace_id}" if alert.workspace_id else None),
        resource_id=alert.resource_id, subscription_id=alert.subscription_id,
        resource_group=alert.resource_group, workspace_id=alert.workspace_id,
        pipeline=alert.pipeline, job=alert.job, job_id=alert.job_id, run_id=alert.run_id,
        activity=alert.activity, cluster_id=alert.cluster_id, error_code=alert.error_code,
        error_message=alert.error_message, failure_type=alert.failure_type, links=links,
        alert_ids=[alert.alert_id] if alert.alert_id else [],
        alert_rules=[alert.alert_rule] if alert.alert_rule else [], tags=dict(alert.tags),
        occurrences=1, first_seen_at=seen, last_seen_at=seen, created_at=now,
        sla_due_at=now + timedelta(seconds=settings.sla_seconds(priority)),
        enrichment={"alert": _alert_context(alert)},
    )
    ticket.team, ticket.cost_center = attribute(ticket, settings)
    return ticket


def _alert_context(alert: Alert) -> dict[str, object]:
    """What the alert itself said, kept for enrichment and the evidence panel."""
    return {k: v for k, v in alert.model_dump(mode="json", exclude={"links"}).items()
            if v not in (None, {}, [])}


def add_occurrence(ticket: Ticket, alert: Alert, now: datetime, settings: Settings) -> None:
    """Fold a repeat alert into the ticket: count it, widen the seen window, fill what was missing."""
    ticket.occurrences += 1
    ticket.last_seen_at = max(ticket.last_seen_at, now)
    if alert.alert_id and alert.alert_id not in ticket.alert_ids and len(ticket.alert_ids) < MAX_ALERT_IDS:
        ticket.alert_ids.append(alert.alert_id)
    if alert.alert_rule and alert.alert_rule not in ticket.alert_rules and len(ticket.alert_rules) < MAX_ALERT_IDS:
        ticket.alert_rules.append(alert.alert_rule)
    # A second alert often knows more (an activity log row has the error; the metric did not).
    for field in ("error_code", "error_message", "failure_type", "activity", "pipeline", "job",
                  "job_id", "cluster_id", "resource", "resource_id"):
        source_field = "resource_name" if field == "resource" else field
        if getattr(ticket, field) is None and getattr(alert, source_field, None):
            setattr(ticket, field, getattr(alert, source_field))
    for name, url in alert.links.model_dump().items():
        if url and name not in ticket.links:
            ticket.links[name] = url
    floor = priority_from_azure(alert.azure_severity)
    if floor and floor < (priority_from_azure(ticket.azure_severity) or "P9"):
        ticket.azure_severity = alert.azure_severity  # the most severe alert sets the floor analysis keeps
    if floor and floor < ticket.priority:  # a more severe alert for the same failure raises urgency
        raise_priority(ticket, floor, settings)


def raise_priority(ticket: Ticket, priority: str, settings: Settings) -> None:
    """Make a ticket more urgent (never less): the SLA deadline can only move earlier."""
    if priority >= ticket.priority:
        return
    ticket.priority, ticket.severity = priority, PRIORITY_SEVERITY[priority]
    due = ticket.created_at + timedelta(seconds=settings.sla_seconds(priority))
    ticket.sla_due_at = min(ticket.sla_due_at, due) if ticket.sla_due_at else due
