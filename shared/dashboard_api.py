"""Dashboard API handlers: principal checks, ticket list/detail/actions and the CSV export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from shared.alerts import SourceKind
from shared.api import ApiError, ApiResponse, Principal, json_response, parse_principal
from shared.lifecycle import change_status
from shared.ports import Outcome, TicketQuery
from shared.rca.model import Category
from shared.services import Services
from shared.tickets import TicketStatus

__all__ = ["authorize", "list_tickets", "ticket_detail", "act", "export_csv", "READER", "RESPONDER",
           "parse_query"]

READER, RESPONDER = "aiops-reader", "aiops-responder"
ALLOWED = {
    "status": {s.value for s in TicketStatus},
    "priority": {"P1", "P2", "P3", "P4"},
    "severity": {"Critical", "High", "Medium", "Low"},
    # Fixed vocabularies too: a misspelt filter is a 400 that names the choices, not an empty page.
    "source": {s.value for s in SourceKind},
    "category": {c.value for c in Category},
}
MAX_LIMIT, EXPORT_MAX_ROWS = 200, 20_000
CSV_COLUMNS = ("id", "status", "priority", "severity", "source", "title", "resource", "pipeline", "job",
               "run_id", "category", "error_type", "team", "cost_center", "occurrences", "first_seen_at",
               "last_seen_at", "created_at", "acknowledged_at", "resolved_at", "sla_due_at", "sla_status",
               "jira_key")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def authorize(header: str | None, role: str) -> Principal:
    """401 without a principal; 403 without the role. Responders may read too."""
    principal = parse_principal(header)
    if principal is None:
        raise ApiError(401, "unauthenticated", "sign in: no x-ms-client-principal was presented")
    accepted = {role} | ({RESPONDER} if role == READER else set())
    if not principal.roles & accepted:
        raise ApiError(403, "forbidden", f"this action needs the '{role}' role")
    return principal


def parse_query(params: Mapping[str, str]) -> TicketQuery:
    problems = []
    for name, allowed in ALLOWED.items():
        for value in filter(None, (v.strip() for v in (params.get(name) or "").split(","))):
            if value.lower() not in {a.lower() for a in allowed}:
                problems.append({"field": name, "problem": f"'{value[:40]}' is not one of {sorted(allowed)}"})
    raw_limit = params.get("limit") or "50"
    try:
        limit = int(raw_limit)
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError
    except ValueError:
        problems.append({"field": "limit", "problem": f"must be an integer from 1 to {MAX_LIMIT}"})
        limit = 50
    if problems:
        raise ApiError(400, "invalid_query", "invalid filter values", problems)
    fields = {k: (params.get(k) or None) for k in ("status", "severity", "priority", "source", "category", "team", "q")}
    # Stored values have one spelling each (open, P1, High, adf, timeout): match what people type.
    for name, norm in (("status", str.lower), ("source", str.lower), ("category", str.lower),
                       ("priority", str.upper), ("severity", str.capitalize)):
        if fields[name]:
            fields[name] = ",".join(norm(v.strip()) for v in fields[name].split(","))
    return TicketQuery(**fields, limit=limit, cursor=params.get("cursor") or None)


def _page(query: TicketQuery, svc: Services) -> Any:
    try:
        return svc.store.list(query)
    except ValueError as exc:  # a cursor we did not issue
        raise ApiError(400, "invalid_cursor", str(exc)) from None


def list_tickets(params: Mapping[str, str], svc: Services) -> ApiResponse:
    page = _page(parse_query(params), svc)
    return json_response(200, {"items": [t.summary() for t in page.items], "next_cursor": page.next_cursor})


def ticket_detail(ticket_id: str, svc: Services) -> ApiResponse:
    ticket = svc.store.get(ticket_id)
    if ticket is None:
        raise ApiError(404, "not_found", f"ticket {ticket_id[:60]} does not exist")
    ticket.audit = svc.audit.read(ticket.id)
    return json_response(200, ticket.to_json())


def _note(body: bytes) -> str | None:
    if not body.strip():
        return None
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ApiError(400, "invalid_json", "body must be JSON like {\"note\": \"...\"}") from None
    if not isinstance(data, dict) or not isinstance(data.get("note", ""), (str, type(None))):
        raise ApiError(422, "invalid_body", "body must be an object with an optional string 'note'",
                       [{"field": "note", "problem": "must be a string"}])
    note = data.get("note")
    return note.strip()[:2000] if note else None


def act(ticket_id: str, action: str, body: bytes, principal: Principal, svc: Services) -> tuple[ApiResponse, Outcome]:
    ticket, outcome = change_status(svc, ticket_id, action, principal.actor, "dashboard", _note(body))
    ticket.audit = svc.audit.read(ticket.id)
    return json_response(200, ticket.to_json()), outcome


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run =cmd(...) as a formula: prefix a quote so it stays text.
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def export_csv(params: Mapping[str, str], svc: Services) -> ApiResponse:
    query = parse_query({**params, "limit": str(MAX_LIMIT)})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    rows = 0
    while rows < EXPORT_MAX_ROWS:
        page = _page(query, svc)
        for ticket in page.items:
            summary = ticket.summary()
            writer.writerow([_cell(summary.get(c)) for c in CSV_COLUMNS])
            rows += 1
        if not page.next_cursor:
            break
        query.cursor = page.next_cursor
    headers = {"Content-Disposition": 'attachment; filename="tickets.csv"', "x-row-count": str(rows)}
    return ApiResponse(200, buffer.getvalue().encode("utf-8"), headers, mimetype="text/csv")
