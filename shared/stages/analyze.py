"""Analyze stage: root-cause one ticket, recall earlier tickets of the same failure, hand on to notify."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from shared.ports import OutboundMessage, Outcome, SimilarIncidents, TicketChange
from shared.rca.analyzer import build_analyzer
from shared.rca.evidence_builder import evidence_from_ticket
from shared.rca.fingerprint import fingerprint
from shared.rca.guard import apply_floor
from shared.rca.model import Category, RcaResult, RcaSource, Severity
from shared.services import Services
from shared.tickets import Stage, Ticket

__all__ = ["handle_analyze", "similar_incidents", "RECALL_WINDOW_DAYS", "MAX_SIMILAR"]

RECALL_WINDOW_DAYS = 90
MAX_SIMILAR = 5
_DONE = (Stage.ANALYZED, Stage.NOTIFIED)


def _notify(svc: Services, ticket_id: str) -> OutboundMessage:
    return OutboundMessage(svc.settings.notify_queue,
                           {"ticket_id": ticket_id, "stage": "notify", "kind": "ticket"}, f"{ticket_id}:notify")


@dataclass(frozen=True)
class _HeadsUp:
    """A warning about a run that has not failed: a fixed, low-priority answer, not a diagnosis."""

    error_type: str
    catalog_entry: str
    confidence: float
    default_subject: str
    root_cause: str  # "{subject}" is the job or pipeline
    recommendations: tuple[str, ...]


_HEADS_UPS = {
    "duration_warning": _HeadsUp(
        "DurationThresholdExceeded", "duration.warning", 0.9, "the job",
        "The run of {subject} is taking longer than its configured duration warning threshold; it has not failed.",
        ("Check the run's progress in the run page: a stuck task, a skewed stage or a cluster that never scaled "
         "up are the usual causes.",
         "Compare the input volume with recent runs; a larger batch may simply need more time.",
         "If this duration is the new normal, raise the job's duration warning threshold.")),
    "streaming_backlog": _HeadsUp(
        "StreamingBacklogExceeded", "streaming.backlog", 0.85, "the streaming job",
        "{subject} is consuming its stream more slowly than data arrives: the backlog (records, bytes, seconds "
        "or files behind the source) passed the job's threshold; it has not failed.",
        ("Compare the input rate with the processing rate in the streaming query's metrics; a burst from the "
         "producer clears on its own, a steady gap does not.",
         "Give the stream more capacity: a larger or autoscaling job cluster, more source partitions, or a "
         "shorter trigger interval.",
         "Look for a slow sink or skewed partitions in the micro-batch durations.",
         "If this backlog is normal for the source, raise the job's streaming backlog threshold.")),
}


def heads_up_rca(ticket: Ticket) -> RcaResult | None:
    """The answer for a warning ticket (a slow run, a stream behind its source); None for a failure."""
    spec = _HEADS_UPS.get(ticket.kind)
    if spec is None:
        return None
    subject = ticket.job or ticket.pipeline or spec.default_subject
    return RcaResult(
        category=Category.TIMEOUT, error_type=spec.error_type, severity=Severity.LOW, priority="P4",
        root_cause=spec.root_cause.format(subject=subject), recommendations=list(spec.recommendations),
        confidence=spec.confidence, auto_heal_possible=False, source=RcaSource.CATALOG,
        catalog_entry=spec.catalog_entry, fingerprint=fingerprint(ticket.source, spec.error_type, subject),
    )


def similar_incidents(svc: Services, ticket: Ticket, fingerprint: str | None) -> SimilarIncidents:
    """Earlier tickets with the same fingerprint (an index lookup: a count, the newest few, the resolver)."""
    if not fingerprint:
        return SimilarIncidents()
    since = ticket.created_at - timedelta(days=RECALL_WINDOW_DAYS)
    return svc.store.similar_incidents(fingerprint, since, ticket.created_at, ticket.id, MAX_SIMILAR)


def _recall(svc: Services, similar: SimilarIncidents) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    base = svc.settings.dashboard_url.rstrip("/")
    items = [{**item, "url": f"{base}/#/tickets/{item['id']}"} for item in similar.recent]  # dashboard route
    if not similar.recent:
        return items, None
    last, count = similar.recent[0], similar.count
    text = f"Seen {count} time{'s' if count != 1 else ''} before, last on {(last['created_at'] or '')[:10]}"
    if similar.resolved_by:
        text += f", resolved by {similar.resolved_by} ({similar.resolved_ticket})"
    return items, {"seen_before": count, "last_ticket": last["id"], "last_at": last["created_at"],
                   "resolved_by": similar.resolved_by, "resolved_ticket": similar.resolved_ticket, "text": text}


def _apply(svc: Services, ticket: Ticket, rca: RcaResult, items: list[dict[str, Any]],
           recall: dict[str, Any] | None) -> bool:
    if ticket.stage in _DONE:
        return False  # a concurrent delivery got here first; its write stands
    before = ticket.priority
    ticket.rca = rca
    ticket.severity = rca.severity.value
    ticket.priority = rca.priority
    ticket.similar = items
    if recall:
        ticket.enrichment["recall"] = recall
    else:
        ticket.enrichment.pop("recall", None)
    if ticket.sla_status == "pending" and rca.priority != before:
        # The response SLA is the analysed priority's (the floor already kept it as urgent as the alert).
        ticket.sla_due_at = ticket.created_at + timedelta(seconds=svc.settings.sla_seconds(rca.priority))
    ticket.advance(Stage.ANALYZED, svc.clock.now())
    return True


def handle_analyze(body: dict[str, Any], svc: Services) -> Outcome:
    """`{"ticket_id", "stage": "analyze"}` -> the ticket carries its RCA; one notify message."""
    ticket_id = str(body.get("ticket_id") or "")
    # The copy enrich just wrote in this process will do: analysis reads what enrich stored, and the
    # mutate below is etag-checked, so a newer write elsewhere (a repeat, an ack) is re-read and kept.
    ticket = svc.store.get(ticket_id, recent=True) if ticket_id else None
    if ticket is not None and ticket.stage != Stage.ENRICHED:
        ticket = svc.store.get(ticket_id)  # not the copy enrich left here (or already analysed): read
    if ticket is None:
        return Outcome()
    if ticket.stage in _DONE:
        return Outcome(messages=[_notify(svc, ticket_id)])  # redelivery: only hand on again
    evidence = evidence_from_ticket(ticket)
    heads_up = heads_up_rca(ticket)
    if heads_up is not None:
        rca = apply_floor(heads_up, evidence.azure_severity)  # nothing failed (yet)
    else:
        analyzer = svc.analyzer or build_analyzer(svc.settings, svc.rca_cache, use_llm=False,
                                                  clock=svc.clock.now)
        # The floor is applied here too, so an injected analyzer cannot undercut the alert's severity.
        rca = apply_floor(analyzer(evidence), evidence.azure_severity)
    items, recall = _recall(svc, similar_incidents(svc, ticket, rca.fingerprint))
    applied = False

    def change(current: Ticket) -> bool:
        nonlocal applied  # the store may retry the mutation on an etag conflict; the last try counts
        applied = _apply(svc, current, rca, items, recall)
        return applied

    stored = svc.store.mutate(ticket_id, change)
    if stored is None:
        return Outcome()
    if not applied:
        return Outcome(messages=[_notify(svc, ticket_id)])
    svc.record(ticket_id, "analyze", "analyzed", category=rca.category.value, source=rca.source.value,
               model=rca.model, tokens=rca.tokens, severity=rca.severity.value, priority=rca.priority,
               note=rca.note)
    return Outcome(messages=[_notify(svc, ticket_id)], changes=[TicketChange("analyzed", stored)])
