"""The ingestion request: size and JSON checks, the archive of every body, and the 202 reply."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from shared.api import MAX_BODY, ApiError, ApiResponse, json_response
from shared.bootstrap import get_services
from shared.errors import IntegrationError
from shared.ingest import IngestResult, ingest_payload, parse_json, unavailable
from shared.parallel import run_together
from shared.ports import Outcome
from shared.services import Services
from shared.tickets import Ticket

__all__ = ["handle_alert_request", "archive_name", "extractor_for", "KINDS"]

log = logging.getLogger(__name__)
KINDS = ("azure-monitor", "databricks")
MAX_RETRIED_DELIVERIES = 5


def extractor_for(kind: str) -> Callable[[Any], list[Any]]:
    from shared.extract import extract_azure_monitor, extract_databricks

    return {"azure-monitor": extract_azure_monitor, "databricks": extract_databricks}[kind]


def archive_name(now: datetime, request_id: str) -> str:
    return f"{now:%Y/%m/%d}/{request_id}.json"


def handle_alert_request(kind: str, raw: bytes, svc: Services | None = None,
                         request_id: str | None = None) -> tuple[ApiResponse, Outcome]:
    try:
        svc = svc or get_services()
    except IntegrationError as exc:  # cold start while storage is down
        return unavailable(exc).response(), Outcome()
    request_id = request_id or uuid.uuid4().hex
    status, result, error = 202, IngestResult(), None
    try:
        if len(raw) > MAX_BODY:
            raise ApiError(413, "payload_too_large", "request bodies are limited to 1 MiB")
        result = ingest_payload(parse_json(raw), extractor_for(kind), svc, delivery=_delivery(kind, raw))
        if result.stopped is not None:  # the alerts before it stand (and are fed below); the retry resumes
            status, error = 503, result.stopped
    except ApiError as exc:
        status, error = exc.status, exc
    except IntegrationError as exc:  # storage down: the sender retries a 503 (Azure Monitor does)
        status, error = 503, unavailable(exc)
    except Exception:  # a bug: still keep the body, so the alert can be replayed once it is fixed
        log.exception("alert ingestion failed", extra={"stage": "ingest", "request_id": request_id})
        status = 500
        error = ApiError(500, "internal_error", "the alert could not be processed; it was archived as "
                         f"request {request_id} for replay")
    try:
        # One level of concurrency: the archive, the queue send and the audit line all at once.
        run_together(lambda: _archive(svc, kind, raw, request_id, status, result), *result.take_deferred())
    except (ApiError, IntegrationError) as exc:  # the pipeline could not be fed: a 503 the sender retries
        error = exc if isinstance(exc, ApiError) else unavailable(exc)
        status = error.status
        _archive(svc, kind, raw, request_id, status, result)
    # Every reply names the archived body it stands for, so any of them can be replayed by id.
    headers = {"x-request-id": request_id}
    if error is not None:
        if status == 503:
            _await_retry(svc, result)
        log.info("alert rejected: %s", error.code, extra={"stage": "ingest", "request_id": request_id})
        response = error.response()
        response.headers.update(headers)
        return response, result.outcome
    return json_response(202, {"results": result.results}, headers), result.outcome


def _delivery(kind: str, raw: bytes) -> str:
    return hashlib.sha256(kind.encode() + b"\0" + raw).hexdigest()[:32]


def _await_retry(svc: Services, result: IngestResult) -> None:
    """A 503 asks the sender to deliver again. The failures this delivery already counted note its
    digest, so the retry resumes them (same status, no second count) instead of counting again."""
    delivery = result.delivery
    if not delivery:
        return
    for entry in result.results:
        if not entry.get("ticket_id") or entry["status"] not in ("created", "duplicate"):
            continue
        try:
            svc.store.mutate(entry["ticket_id"], _noting(delivery, entry["status"]))
        except Exception:  # storage down as well: the retry may count this one twice
            log.warning("could not note the delivery for its retry", extra={"ticket_id": entry["ticket_id"]})


def _noting(delivery: str, status: str) -> Callable[[Ticket], None]:
    def note(ticket: Ticket) -> None:
        ticket.retried_deliveries[delivery] = status
        while len(ticket.retried_deliveries) > MAX_RETRIED_DELIVERIES:  # oldest first out
            ticket.retried_deliveries.pop(next(iter(ticket.retried_deliveries)))
    return note


def _archive(svc: Services, kind: str, raw: bytes, request_id: str, status: int, result: IngestResult) -> None:
    """Keep every body, accepted or not, so any alert can be inspected or replayed later."""
    if len(raw) > MAX_BODY * 4:  # a runaway body is not worth keeping whole
        raw = raw[:MAX_BODY]
    ids = sorted({r["ticket_id"] for r in result.results if r.get("ticket_id")})
    statuses = sorted({r["status"] for r in result.results}) or ["rejected"]
    metadata = {"kind": kind, "http_status": str(status), "status": ",".join(statuses),
                "ticket_ids": ",".join(ids)[:1500], "request_id": request_id}
    name = archive_name(svc.clock.now(), request_id)
    for attempt in range(2):
        try:
            svc.archive.put(name, raw, metadata)
            return
        except Exception as exc:  # the alert itself is already safe; the archive is best effort
            if attempt:
                log.error("raw alert not archived: %s", type(exc).__name__,
                          extra={"stage": "ingest", "request_id": request_id})
