"""Enrich stage: fetch the real error behind a ticket, store it, hand on to analyze (never blocks ticketing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.attribution import UNASSIGNED, attribute
from shared.config import Settings
from shared.enrich.model import DiscoveredRun, EnrichmentResult
from shared.errors import RetryableError
from shared.lifecycle import apply_resolve
from shared.ports import OutboundMessage, Outcome, TicketChange, mutate_tracked
from shared.services import Services
from shared.tickets import Stage, Ticket

__all__ = ["handle_enrich", "MAX_RETRIED_DELIVERIES"]

# Deliveries that may raise for a redelivery; from this one on, enrichment degrades instead.
MAX_RETRIED_DELIVERIES = 3


def _delivery_count(body: dict[str, Any]) -> int:
    try:
        return max(1, int(body.get("_delivery_count") or 1))
    except (TypeError, ValueError):
        return 1


def _messages(svc: Services, ticket_id: str, runs: list[DiscoveredRun]) -> list[OutboundMessage]:
    """Analyze for this ticket; a 'spawn' (routed by ingestion to ticket creation) per discovered run."""
    spawns = [OutboundMessage(svc.settings.enrich_queue,
                              {"stage": "spawn", "parent_ticket_id": ticket_id, "run": run.model_dump(mode="json")},
                              f"{ticket_id}:spawn:{run.run_id}") for run in runs]
    analyze = OutboundMessage(svc.settings.analyze_queue, {"ticket_id": ticket_id, "stage": "analyze"},
                              f"{ticket_id}:analyze")
    return [*spawns, analyze]


def _stored_runs(ticket: Ticket) -> list[DiscoveredRun]:
    raw = ticket.enrichment.get("discovered_runs") if isinstance(ticket.enrichment, dict) else None
    return [DiscoveredRun.model_validate(r) for r in raw or [] if isinstance(r, dict) and r.get("run_id")]


def _apply(ticket: Ticket, result: EnrichmentResult, now: datetime, settings: Settings) -> bool:
    if ticket.stage != Stage.INGESTED:
        return False  # a concurrent delivery stored its result first; keep it
    # Merge: ingestion keeps the alert itself under enrichment["alert"].
    ticket.enrichment = {**ticket.enrichment, **result.model_dump(mode="json")}
    if result.run and result.run.run_page_url:
        ticket.links.setdefault("run_page", result.run.run_page_url)
    for key, value in result.tags.items():
        ticket.tags.setdefault(key, value)  # an alert rule's own custom properties win
    step = result.primary_step
    if step:
        ticket.error_code = ticket.error_code or step.error_code
        # What the API says failed beats the alert's summary of it ("Job execution failed." for a
        # notebook's AnalysisException): Jira and Slack show this. The alert's own words stay in
        # enrichment["alert"].
        ticket.error_message = step.error_message or ticket.error_message
        ticket.failure_type = ticket.failure_type or step.failure_type
    if result.run:
        ticket.error_message = ticket.error_message or result.run.termination_message
        ticket.job_id = ticket.job_id or result.run.job_id
    if result.cluster and result.cluster.cluster_id:
        ticket.cluster_id = ticket.cluster_id or result.cluster.cluster_id
    team, cost = attribute(ticket, settings)  # job/cluster/resource tags are the real metadata
    ticket.team = team if ticket.team == UNASSIGNED else ticket.team
    ticket.cost_center = cost if ticket.cost_center == UNASSIGNED else ticket.cost_center
    if result.discovered_runs and not ticket.run_id:
        # The failures are the runs, each with its own ticket (one Jira issue per run, not per alert).
        ticket.split_into_runs = [run.run_id for run in result.discovered_runs]
        apply_resolve(ticket, "aiops:split", now, note=f"split into {len(ticket.split_into_runs)} run ticket(s)")
    ticket.advance(Stage.ENRICHED, now)
    ticket.enqueue_pending = False  # it was queued after all (by a retry or the redrive timer)
    return True


def handle_enrich(body: dict[str, Any], svc: Services) -> Outcome:
    """Body `{"ticket_id", "stage": "enrich", "_delivery_count"?}`. Raises RetryableError only while
    deliveries remain and a retry could fetch more; otherwise stores what it has and goes on."""
    ticket_id = body.get("ticket_id")
    ticket = svc.store.get(ticket_id) if ticket_id else None
    if ticket is None:
        return Outcome()
    if ticket.stage != Stage.INGESTED:  # redelivered after success: no API calls, same next messages
        return Outcome(messages=_messages(svc, ticket.id, _stored_runs(ticket)))

    from shared.enrich.service import enrich  # pulls in requests and the API adapters: not at cold start

    now = svc.clock.now()
    result = enrich(ticket, svc.databricks, svc.adf, now)
    delivery = _delivery_count(body)
    if result.retryable and delivery < MAX_RETRIED_DELIVERIES:
        svc.record(ticket.id, "enrich", "enrich_deferred", delivery=delivery, notes=result.notes)
        raise RetryableError("enrich", "; ".join(result.notes) or "retryable API failure")
    if result.retryable:
        result.notes.append(f"gave up retrying after {delivery} deliveries")

    stored, applied = mutate_tracked(svc.store, ticket.id, lambda t: _apply(t, result, svc.clock.now(), svc.settings))
    if stored is None:
        return Outcome()
    if not applied:
        return Outcome(messages=_messages(svc, stored.id, _stored_runs(stored)))
    svc.record(stored.id, "enrich", "enriched", status=result.status.value, notes=result.notes,
               failed_steps=len(result.failed_steps), discovered_runs=len(result.discovered_runs))
    return Outcome(messages=_messages(svc, stored.id, result.discovered_runs),
                   changes=[TicketChange("enriched", stored)])
