"""Ingestion: a posted alert payload → dedup → ticket rows → an enrich message, and the 202 reply.

"Never lose, never double": the dedup key is claimed first (exactly one winner however many race),
the ticket row is written, then the enrich message is sent. If the send fails the reply is 503 and
the ticket is flagged; the sender's retry (Azure Monitor retries 503) finds the flag and re-queues
instead of counting a second occurrence. A payload reporting several failures may get its 503 after
some were counted: each of those notes the delivery's body digest, and the retry (the same body)
resumes them instead of counting again. A creator that dies between storing and queueing is
covered by later repeats and by the redrive timer. Repeats are one etag-checked row update (plus
an audit line at most once a minute per ticket).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.alerts import WARNING_EVENTS, Alert, AlertEvent
from shared.api import ApiError
from shared.dedup import dedup_key, job_key
from shared.errors import IntegrationError
from shared.parallel import run_together
from shared.ports import Outcome, TicketChange
from shared.services import Services
from shared.ticket_factory import add_occurrence, new_ticket
from shared.tickets import ResolvedNotice, Stage, Ticket, TicketStatus, new_ticket_id

__all__ = ["ingest_payload", "IngestResult", "enrich_message", "failure", "unavailable"]

log = logging.getLogger(__name__)
STALL_SECONDS = 5.0  # a healthy pipeline moves a new ticket on well within this
Extractor = Callable[[Any], list[Alert]]


@dataclass
class IngestResult:
    results: list[dict[str, Any]] = field(default_factory=list)
    outcome: Outcome = field(default_factory=Outcome)
    # Trailing I/O (audit lines, queue sends) the caller runs together with the archive upload:
    # the reply's content is known before they finish, so they need not wait for each other.
    deferred: list[Callable[[], Any]] = field(default_factory=list)
    # The delivery's identity (a digest of the body): a sender's retry of a delivery answered 503
    # carries the same body, and must not count the failures that delivery already counted.
    delivery: str | None = None
    # Why the payload stopped part-way (storage down at alert k): the earlier alerts still stand.
    stopped: ApiError | None = None

    def take_deferred(self) -> list[Callable[[], Any]]:
        calls, self.deferred = self.deferred, []
        return calls

    def finish(self) -> None:
        run_together(*self.take_deferred())


def unavailable(exc: IntegrationError) -> ApiError:
    """The 503 a sender retries (Azure Monitor does) when a dependency is down."""
    return ApiError(503, "service_unavailable", f"{exc.system} is unavailable; retry the request")


def enrich_message(svc: Services, ticket_id: str) -> tuple[str, dict[str, Any], str]:
    return svc.settings.enrich_queue, {"ticket_id": ticket_id, "stage": "enrich"}, f"{ticket_id}:enrich"


def _result(status: str, ticket: Ticket | None, key: str) -> dict[str, Any]:
    return {"status": status, "ticket_id": ticket.id if ticket else None, "dedup_key": key,
            "occurrences": ticket.occurrences if ticket else 0}


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"request body is not JSON: {exc}") from None
    # Well-formed JSON beyond what any alert needs is JSON that is not a usable alert: a 422.
    except RecursionError:
        raise ApiError(422, "unusable_json", "the JSON is nested too deeply to be an alert",
                       [{"field": "$", "problem": "nested too deeply"}]) from None
    except ValueError as exc:  # an integer literal past Python's 4,300-digit conversion limit
        raise ApiError(422, "unusable_json", "the JSON holds a number too long to be an alert field",
                       [{"field": "$", "problem": str(exc)[:200]}]) from None


def ingest_payload(payload: Any, extract: Extractor, svc: Services, delivery: str | None = None) -> IngestResult:
    """Apply every alert of one payload; 4xx for a payload that is no alert. If storage fails part-way,
    `stopped` says so and the alerts before it keep their results (and their queue sends)."""
    from shared.extract import PayloadError

    try:
        alerts = extract(payload)
    except PayloadError as exc:
        raise ApiError(422, exc.code, exc.message, exc.details) from None
    if not alerts:
        raise ApiError(422, "no_alerts", "the payload reports no failure this service can track")
    result = IngestResult(delivery=delivery)
    first: dict[str, dict[str, Any]] = {}
    for alert in alerts:
        key = dedup_key(alert)
        earlier = first.get(key)
        if earlier is not None:
            # One delivery counts a failure once, however many of its rows or criteria name it (two
            # failed activities of one pipeline run, a metric alert with two criteria). The row still
            # gets its entry: the reply has one per failure row, and this one is already ticketed.
            already = "duplicate" if earlier["status"] in ("created", "duplicate") else earlier["status"]
            result.results.append({**earlier, "status": already})
            continue
        try:
            first[key] = _apply(alert, key, svc, result)
        except IntegrationError as exc:
            result.stopped = unavailable(exc)
            break
        except ApiError as exc:
            if exc.status != 503:
                raise
            result.stopped = exc
            break
        result.results.append(first[key])
    return result


def _apply(alert: Alert, key: str, svc: Services, result: IngestResult) -> dict[str, Any]:
    if alert.event == AlertEvent.START:
        return _result("ignored", None, key)
    if alert.event in (AlertEvent.RESOLVED, AlertEvent.SUCCESS):
        return _resolved_notice(alert, key, svc, result.outcome)
    if alert.event in WARNING_EVENTS and not svc.settings.duration_warnings_enabled:
        return _result("ignored", None, key)
    return failure(alert, key, svc, result)


def failure(alert: Alert, key: str, svc: Services, result: IngestResult) -> dict[str, Any]:
    now = svc.clock.now()
    ticket_id, won = svc.store.claim(key, new_ticket_id(key, now))
    if not won:
        repeated = _repeat(ticket_id, alert, key, svc, result)
        if repeated is not None:
            return repeated
    # We won the claim, or the winner has not stored its row yet (or died before it did).
    ticket = new_ticket(alert, ticket_id, key, now, svc.settings)
    created = run_together(lambda: svc.store.create(ticket), lambda: svc.audit.start(ticket.id))[0]
    if not created:
        repeated = _repeat(ticket_id, alert, key, svc, result)
        if repeated is None:
            raise ApiError(503, "storage_unavailable", "the ticket could not be stored; retry")
        return repeated
    log.info("ticket created", extra={"ticket_id": ticket.id, "alert_id": alert.alert_id, "stage": "ingest"})
    result.outcome.changes.append(TicketChange("created", ticket))
    result.deferred += [lambda: _feed(svc, ticket),
                        lambda: svc.record(ticket.id, "ingest", "created", dedup_key=key, source=ticket.source,
                                           alert_id=alert.alert_id, signal=alert.signal)]
    return _result("created", ticket, key)


def _repeat(ticket_id: str, alert: Alert, key: str, svc: Services, result: IngestResult) -> dict[str, Any] | None:
    """Fold a repeat into a stored ticket (None if no row yet). The retry of a delivery we answered
    503 resumes it instead: it is the same notice, so it is not counted twice."""
    now = svc.clock.now()
    resumed: list[str] = []  # the status to report again for a resumed delivery ("": a new notice)
    audited: list[int] = []  # alerts the audit line about to be written covers (none: no line)

    def change(ticket: Ticket) -> None:
        audited.clear()
        pending, ticket.enqueue_pending = ticket.enqueue_pending, False  # re-fed below when resumed
        retried = ticket.retried_deliveries.pop(result.delivery, None) if result.delivery else None
        if retried is not None:  # the sender's retry of a delivery we answered 503: counted already
            resumed[:] = [retried]
            return
        # Else only a ticket still waiting for its first stage can be the subject of a 503'd delivery.
        resumed[:] = ["created" if pending and ticket.stage == Stage.INGESTED else ""]
        if not resumed[0]:
            if ticket.occurrences_audited is None:
                ticket.occurrences_audited = ticket.occurrences
            add_occurrence(ticket, alert, now, svc.settings)
            # A run that enrichment folded in is news, not noise: it always gets its line.
            if alert.signal == "enrichment" or _audit_due(ticket, now, svc.settings.audit_repeat_interval_seconds):
                audited.append(ticket.occurrences - ticket.occurrences_audited)
                ticket.occurrences_audited, ticket.occurrence_audited_at = ticket.occurrences, now

    ticket = svc.store.mutate(ticket_id, change)
    if ticket is None:
        return None
    if resumed[0]:
        result.outcome.changes.append(TicketChange(resumed[0] if resumed[0] == "created" else "occurrence", ticket))
        result.deferred += [lambda: svc.record(ticket.id, "ingest", "enqueue_retried", alert_id=alert.alert_id)]
        if ticket.stage == Stage.INGESTED:  # its enrich message may be the one that failed to send
            result.deferred.append(lambda: _feed(svc, ticket))
        return _result(resumed[0], ticket, key)
    occurrences = ticket.occurrences
    result.outcome.changes.append(TicketChange("occurrence", ticket))
    if ticket.stage == Stage.NOTIFIED and ticket.slack is not None:  # else there is no thread to reply in
        result.deferred.append(lambda: _announce_repeat(ticket, svc))
    if audited:
        result.deferred.append(lambda: svc.record(ticket.id, "ingest", "occurrence", occurrences=occurrences,
                                                  alerts=audited[0], alert_id=alert.alert_id, signal=alert.signal))
    stalled = ticket.stage == Stage.INGESTED and (now - (ticket.stage_at or now)).total_seconds() > STALL_SECONDS
    if stalled:  # its creator may have died between storing and queueing: queue it again
        result.deferred.append(lambda: _feed(svc, ticket))
    return _result("duplicate", ticket, key)


def _audit_due(ticket: Ticket, now: datetime, interval: int) -> bool:
    """A flapping alert must not flood the trail (an append blob also holds at most 50,000 blocks):
    the first repeat gets its line at once, later ones at most once per interval, each line saying
    how many alerts it covers. Every alert body stays in the raw archive with its ticket id. The
    decision is part of the etag-checked update, so instances never both write the same line."""
    last = ticket.occurrence_audited_at
    return interval <= 0 or last is None or (now - last).total_seconds() >= interval


def _feed(svc: Services, ticket: Ticket) -> None:
    """Queue the ticket for enrichment; on failure remember that, so the sender's retry resumes it."""
    try:
        svc.publisher.send(*enrich_message(svc, ticket.id))
    except IntegrationError as exc:
        log.error("pipeline send failed", extra={"ticket_id": ticket.id, "stage": "ingest"})
        try:
            svc.store.mutate(ticket.id, lambda t: setattr(t, "enqueue_pending", True))
        except Exception:  # storage down as well: the redrive timer still finds the ticket
            log.exception("could not flag the ticket for re-queueing", extra={"ticket_id": ticket.id})
        raise ApiError(503, "queue_unavailable", f"could not queue the ticket for processing ({exc.system}); "
                       "retry the request") from None


def _announce_repeat(ticket: Ticket, svc: Services) -> None:
    """Ask notify for a thread reply, at most one message per interval (message ids collapse)."""
    interval = max(svc.settings.slack_repeat_interval_seconds, 1)
    bucket = int(svc.clock.now().timestamp() // interval)
    body = {"ticket_id": ticket.id, "stage": "notify", "kind": "occurrence"}
    try:
        svc.publisher.send(svc.settings.notify_queue, body, f"{ticket.id}:occurrence:{bucket}")
    except IntegrationError:  # a lost repeat notice costs a thread reply, never the alert
        log.warning("repeat notice not sent", extra={"ticket_id": ticket.id, "stage": "ingest"})


def _resolved_notice(alert: Alert, key: str, svc: Services, outcome: Outcome) -> dict[str, Any]:
    """Record a source's own "it is fine now" on the tickets it concerns; optionally close them."""
    now = svc.clock.now()
    if alert.event == AlertEvent.SUCCESS:
        # Only the job's own success says the job works again; one task succeeding does not.
        job = job_key(alert) if not alert.task_run_id and not alert.activity else None
        # Any open ticket of the job: an earlier run's failure, or this very run (repaired, or its
        # duration warning) finishing well.
        targets = [t.id for t in svc.store.tickets_for_job(*job) if t.status != TicketStatus.RESOLVED] if job else []
    else:
        found = svc.store.find(key)
        targets = [found] if found else []
    notice = ResolvedNotice(at=alert.resolved_at or now, source="databricks" if alert.job_id else "azure_monitor",
                            detail=f"{alert.event.value} notice" + (f" for run {alert.run_id}" if alert.run_id else ""))
    noted: list[Ticket] = []
    for ticket_id in targets:
        ticket = svc.store.mutate(ticket_id, lambda t: _note_resolved(t, notice, svc))
        if ticket is None:
            continue
        noted.append(ticket)
        svc.record(ticket_id, "ingest", "resolved_notice", source=notice.source, detail=notice.detail)
        outcome.changes.append(TicketChange("resolved" if ticket.status == TicketStatus.RESOLVED
                                            else "occurrence", ticket))
    if not noted:
        return _result("ignored", None, key)
    # The reply names the failure the notice resolved (the newest, if a job success closed several).
    latest = max(noted, key=lambda t: t.created_at)
    return _result("resolved", latest, latest.dedup_key)


def _note_resolved(ticket: Ticket, notice: ResolvedNotice, svc: Services) -> None:
    ticket.resolved_notices.append(notice)
    if svc.settings.resolve_closes_ticket and ticket.status != TicketStatus.RESOLVED:
        from shared.lifecycle import apply_resolve

        apply_resolve(ticket, f"{notice.source} (auto)", notice.at, note=notice.detail)

