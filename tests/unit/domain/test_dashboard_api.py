"""Dashboard API: principal checks, query validation, detail with audit, actions and the CSV export."""

import base64
import csv
import io
import json

import pytest

from shared.api import ApiError
from shared.dashboard_api import act, authorize, export_csv, list_tickets, ticket_detail
from shared.tickets import TicketStatus
from tests.fakes import fake_services
from tests.unit.domain.helpers import stored_ticket


def principal(*roles: str) -> str:
    data = {"identityProvider": "aad", "userId": "u1", "userDetails": "dana@contoso.com", "userRoles": list(roles)}
    return base64.b64encode(json.dumps(data).encode()).decode()


def test_no_principal_is_401_and_a_missing_role_is_403():
    with pytest.raises(ApiError) as anon:
        authorize(None, "aiops-reader")
    assert anon.value.status == 401
    with pytest.raises(ApiError) as garbage:
        authorize("%%%not-base64", "aiops-reader")
    assert garbage.value.status == 401
    with pytest.raises(ApiError) as reader_acting:
        authorize(principal("authenticated", "aiops-reader"), "aiops-responder")
    assert reader_acting.value.status == 403
    assert authorize(principal("aiops-responder"), "aiops-reader").actor == "dana@contoso.com"


def test_list_validates_filters_and_pages():
    svc = fake_services()
    for n in range(5):
        stored_ticket(svc, n)
        svc.clock.advance(1)
    first = json.loads(list_tickets({"limit": "2"}, svc).body)
    assert len(first["items"]) == 2 and first["next_cursor"]
    assert first["items"][0]["pipeline"] == "PL_4"  # newest first
    for bad in ({"status": "closed"}, {"priority": "P9"}, {"limit": "0"}, {"limit": "abc"},
                {"category": "not_a_category"}, {"source": "databricks"}, {"source": "adf,nope"}):
        with pytest.raises(ApiError) as invalid:
            list_tickets(bad, svc)
        assert invalid.value.status == 400 and invalid.value.details


def test_detail_carries_the_audit_trail_and_404s_for_unknown_ids():
    svc = fake_services()
    ticket = stored_ticket(svc)
    svc.record(ticket.id, "ingest", "created")
    body = json.loads(ticket_detail(ticket.id, svc).body)
    assert body["audit"][0]["action"] == "created" and body["id"] == ticket.id
    for field in ("status", "priority", "severity", "source", "title", "resource", "pipeline", "job", "run_id",
                  "dedup_key", "occurrences", "first_seen_at", "last_seen_at", "created_at", "acknowledged_at",
                  "resolved_at", "sla_due_at", "sla_status", "rca", "enrichment", "jira_key", "slack", "team",
                  "cost_center", "audit"):
        assert field in body
    with pytest.raises(ApiError) as missing:
        ticket_detail("T20990101-000000-0000", svc)
    assert missing.value.status == 404


def test_actions_take_an_optional_note_and_validate_the_body():
    svc = fake_services()
    ticket = stored_ticket(svc)
    who = authorize(principal("aiops-responder"), "aiops-responder")
    response, outcome = act(ticket.id, "acknowledge", b'{"note": "looking"}', who, svc)
    assert json.loads(response.body)["status"] == "acknowledged"
    assert outcome.messages[0].body["note"] == "looking"
    act(ticket.id, "resolve", b"", who, svc)
    assert svc.store.get(ticket.id).status == TicketStatus.RESOLVED
    for bad, status in ((b"{oops", 400), (b'{"note": 5}', 422)):
        with pytest.raises(ApiError) as invalid:
            act(ticket.id, "reopen", bad, who, svc)
        assert invalid.value.status == status


def test_csv_export_is_filtered_rfc4180_and_formula_safe():
    svc = fake_services()
    stored_ticket(svc, 1, team="=HYPERLINK(\"http://evil\")", title='quote " and, comma')
    stored_ticket(svc, 2, source="databricks_job")
    response = export_csv({"source": "adf"}, svc)
    assert response.mimetype == "text/csv" and b"\r\n" in response.body
    rows = list(csv.DictReader(io.StringIO(response.body.decode())))
    assert len(rows) == 1
    assert rows[0]["team"].startswith("'=")
    assert rows[0]["title"] == 'quote " and, comma'


def test_fixed_vocabulary_filters_accept_every_documented_value_in_any_case():
    svc = fake_services()
    for params in ({"category": "TIMEOUT,source_not_found"}, {"source": "ADF,databricks_job,azure_function,other"}):
        assert json.loads(list_tickets(params, svc).body)["items"] == []
