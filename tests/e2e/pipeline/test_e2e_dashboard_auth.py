"""Dashboard API authorization through devhost with no injected local user: 401 without, 403 without the role."""

from __future__ import annotations

import pytest

from tests.e2e.pipeline.helpers import Api, api_for, assert_error, audit_actions, databricks_failure, principal

PRINCIPAL = "x-ms-client-principal"
READER = {PRINCIPAL: principal("rita@example.com", ("authenticated", "aiops-reader"))}
RESPONDER = {PRINCIPAL: principal("dana@example.com", ("authenticated", "aiops-responder"))}
NO_ROLE = {PRINCIPAL: principal("eve@example.com", ("anonymous", "authenticated"))}
READS = ["/api/tickets", "/api/tickets/{id}", "/api/summary", "/api/tickets/export.csv"]


@pytest.fixture(scope="module")
def api(devhost_factory) -> Api:  # type: ignore[no-untyped-def]
    return api_for(devhost_factory({"DEVHOST_LOCAL_USER": "none"}))


@pytest.fixture(scope="module")
def ticket_id(api: Api) -> str:
    return api.create("databricks", databricks_failure("31337000001", name="auth-job"))


@pytest.mark.parametrize("path", READS)
def test_reads_need_a_principal_and_a_role(api: Api, ticket_id: str, path: str) -> None:
    path = path.format(id=ticket_id)
    assert_error(api.request("GET", path), 401)
    assert_error(api.request("GET", path, headers={PRINCIPAL: "not base64 json"}), 401)
    assert_error(api.request("GET", path, headers=NO_ROLE), 403)
    assert api.request("GET", path, headers=READER).status_code == 200
    assert api.request("GET", path, headers=RESPONDER).status_code == 200


@pytest.mark.parametrize("action", ["acknowledge", "resolve", "reopen"])
def test_actions_need_the_responder_role(api: Api, ticket_id: str, action: str) -> None:
    before = api.ticket(ticket_id, headers=READER)
    assert_error(api.act(ticket_id, action), 401)
    assert_error(api.act(ticket_id, action, headers=NO_ROLE), 403)
    assert_error(api.act(ticket_id, action, headers=READER), 403)
    after = api.ticket(ticket_id, headers=READER)
    assert after["status"] == before["status"]
    done = {"acknowledge": "acknowledged", "resolve": "resolved", "reopen": "reopened"}[action]
    assert audit_actions(after).count(done) == audit_actions(before).count(done)


def test_responder_acts_and_is_the_recorded_actor(api: Api, ticket_id: str) -> None:
    response = api.act(ticket_id, "acknowledge", note="looking", headers=RESPONDER)
    assert response.status_code == 200, response.text[:300]
    ticket = response.json()
    assert ticket["status"] == "acknowledged" and ticket["acknowledged_at"]
    entry = next(e for e in ticket["audit"] if e["action"] == "acknowledged")
    assert entry["actor"] == "dana@example.com"
    assert entry["details"]["origin"] == "dashboard" and entry["details"]["note"] == "looking"


def test_ingestion_needs_no_principal(api: Api) -> None:
    assert api.ingest("databricks", databricks_failure("31337000002")).status_code == 202
    assert api.request("GET", "/api/health").status_code == 200
