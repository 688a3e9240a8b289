"""Dedup keys: which alerts describe the same failure. Keys are namespaced per source, never global.

- ADF / Synapse: factory (or workspace) + pipeline run id. Activity-level alerts carry the pipeline
  run id, so every failed activity of one run lands on the run's ticket.
- Databricks job: workspace + job run id; a task-level notification uses its parent run id, so the
  tasks of one run share the run's ticket. Run ids are unique only within a workspace.
- Databricks cluster: workspace + cluster id + the termination event; the same cluster terminating
  again tomorrow is a new failure.
- Service health: subscription + the incident's tracking id; activity-log alerts are stateless, so
  every communication about one incident (updates, then "Resolved") is a new alert with a new alertId.
- No run id (metric alerts, function apps): the Azure alertId, which Fired and Resolved notices of
  one alert share; enrichment later resolves it to the failed runs, which get their own keys.
"""

from __future__ import annotations

import hashlib

from shared.alerts import Alert, AlertEvent, SourceKind

__all__ = ["dedup_key", "job_key"]


def _norm(value: str | None, default: str = "-") -> str:
    return (value or default).strip().lower()


def _fallback(alert: Alert) -> str:
    """No run id and no alert id: the failure's own identity, so equal notices still collapse."""
    parts = [alert.source.value, alert.resource_id, alert.subject, alert.activity, alert.error_code,
             alert.error_message, alert.fired_at.isoformat() if alert.fired_at else None]
    return "anon:" + hashlib.sha256("|".join(p or "" for p in parts).encode()).hexdigest()[:24]


def dedup_key(alert: Alert) -> str:
    # A warning about a run is not that run's failure: it gets a ticket of its own.
    suffix = {AlertEvent.DURATION_WARNING: ":duration", AlertEvent.STREAMING_BACKLOG: ":backlog"}.get(alert.event, "")
    if alert.source in (SourceKind.ADF, SourceKind.SYNAPSE) and alert.run_id:
        return f"{alert.source.value}:{_norm(alert.resource_name)}:{_norm(alert.run_id)}"
    if alert.source == SourceKind.DATABRICKS_JOB and (alert.parent_run_id or alert.run_id):
        run = alert.parent_run_id or alert.run_id
        return f"databricks:{_norm(alert.workspace_id or alert.resource_name)}:{_norm(run)}{suffix}"
    if alert.source == SourceKind.DATABRICKS_CLUSTER and alert.cluster_id:
        event = alert.termination_event or (alert.fired_at.isoformat() if alert.fired_at else None)
        return (f"cluster:{_norm(alert.workspace_id or alert.resource_name)}:{_norm(alert.cluster_id)}"
                f":{_norm(event)}")
    tracking = alert.dimensions.get("trackingId") if alert.signal == "service_health" else None
    if tracking:
        # Activity-log alerts are stateless: each communication about one Azure incident (its updates,
        # then "Resolved") arrives as a new alert. The incident's tracking id is what they share.
        return f"servicehealth:{_norm(alert.subscription_id)}:{_norm(tracking)}"
    if alert.alert_id:
        return f"alert:{_norm(alert.alert_id)}"
    return _fallback(alert)


def job_key(alert: Alert) -> tuple[str | None, str] | None:
    """(workspace, job id) for lifecycle notices of a Databricks job (a later success resolves)."""
    if alert.source == SourceKind.DATABRICKS_JOB and alert.job_id:
        return alert.workspace_id, alert.job_id
    return None
