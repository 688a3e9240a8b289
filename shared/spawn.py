"""Run tickets for a run-less alert: each failed run enrichment found becomes (or joins) its own ticket."""

from __future__ import annotations

from typing import Any

from shared.alerts import Alert, AlertEvent
from shared.api import ApiError
from shared.dedup import dedup_key
from shared.errors import RetryableError
from shared.ingest import IngestResult, failure
from shared.ports import Outcome
from shared.services import Services
from shared.tickets import Ticket

__all__ = ["spawn_run_ticket"]


def _run_alert(parent: Ticket, run: dict[str, Any]) -> Alert:
    return Alert(
        source=run.get("source") or parent.source, signal="enrichment", event=AlertEvent.FAILURE,
        resource_id=run.get("resource_id") or parent.resource_id, resource_name=parent.resource,
        subscription_id=parent.subscription_id, resource_group=parent.resource_group,
        pipeline=run.get("pipeline") or parent.pipeline, run_id=str(run["run_id"]),
        error_message=run.get("message") or None, azure_severity=parent.azure_severity,
        alert_id=parent.alert_ids[0] if parent.alert_ids else None,
        alert_rule=parent.alert_rules[0] if parent.alert_rules else None, tags=dict(parent.tags),
    )


def _already_spawned(svc: Services, key: str, parent_id: str) -> bool:
    bound = svc.store.find(key)
    child = svc.store.get(bound) if bound else None
    return child is not None and parent_id in child.spawned_from


def spawn_run_ticket(body: dict[str, Any], svc: Services) -> Outcome:
    """Body `{"stage": "spawn", "parent_ticket_id", "run": {...}}` from the enrich stage. The run
    ticket remembers which alert ticket found it, so a redelivered spawn does not count twice."""
    outcome = Outcome()
    parent = svc.store.get(str(body.get("parent_ticket_id") or ""))
    run = body.get("run") or {}
    if parent is None or not run.get("run_id"):
        return outcome
    alert = _run_alert(parent, run)
    key = dedup_key(alert)
    if _already_spawned(svc, key, parent.id):
        return outcome
    ingested = IngestResult(outcome=outcome)
    try:
        result = failure(alert, key, svc, ingested)
        ingested.finish()
    except ApiError as exc:  # the queue retries what an HTTP caller would have retried
        raise RetryableError("servicebus", exc.message) from None
    child_id = result["ticket_id"]
    svc.store.mutate(child_id, lambda t: False if parent.id in t.spawned_from else t.spawned_from.append(parent.id))
    svc.record(parent.id, "enrich", "run_ticket", run_id=alert.run_id, run_ticket_id=child_id,
               status=result["status"])
    return outcome
