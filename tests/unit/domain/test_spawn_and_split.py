"""Run-less alerts resolved to runs: run tickets once per run, the alert ticket hands over."""

from shared.enrich.model import DiscoveredRun, EnrichmentResult
from shared.lifecycle import change_status
from shared.spawn import spawn_run_ticket
from shared.stages.enrich import _apply
from shared.tickets import Stage, TicketStatus
from tests.fakes import fake_services
from tests.unit.domain.helpers import stored_ticket

ALERT_KEY = "alert:/subscriptions/s/providers/microsoft.alertsmanagement/alerts/5c1e4a7b"


def test_a_spawned_run_ticket_counts_once_even_when_the_spawn_is_redelivered():
    svc = fake_services()
    parent = stored_ticket(svc, dedup_key=ALERT_KEY, resource="adf-contoso-prod", stage=Stage.INGESTED)
    body = {"stage": "spawn", "parent_ticket_id": parent.id, "run": {"run_id": "run-1", "pipeline": "PL_A"}}
    spawn_run_ticket(body, svc)
    spawn_run_ticket(body, svc)
    child_id = svc.store.find("adf:adf-contoso-prod:run-1")
    child = svc.store.get(child_id)
    assert child.occurrences == 1 and child.spawned_from == [parent.id]
    assert svc.audit.actions(parent.id).count("run_ticket") == 1


def test_a_log_alert_for_the_same_run_joins_the_spawned_ticket():
    svc = fake_services()
    parent = stored_ticket(svc, dedup_key=ALERT_KEY, resource="adf-contoso-prod", stage=Stage.INGESTED)
    svc.store.claim("adf:adf-contoso-prod:run-2", "T20261204-030000.000-AAAAAAAA")
    body = {"stage": "spawn", "parent_ticket_id": parent.id, "run": {"run_id": "run-2"}}
    spawn_run_ticket(body, svc)
    assert svc.store.get("T20261204-030000.000-AAAAAAAA").spawned_from == [parent.id]


def test_enrichment_that_finds_runs_hands_the_alert_ticket_over():
    svc = fake_services()
    parent = stored_ticket(svc, dedup_key=ALERT_KEY, stage=Stage.INGESTED)
    result = EnrichmentResult(status="ok", discovered_runs=[DiscoveredRun(run_id="r1"), DiscoveredRun(run_id="r2")])
    assert _apply(parent, result, svc.clock.now(), svc.settings)
    assert parent.split_into_runs == ["r1", "r2"] and parent.status == TicketStatus.RESOLVED
    assert parent.resolved_by == "aiops:split" and parent.stage == Stage.ENRICHED


def test_enrichment_tags_attribute_team_and_cost_centre_but_never_overwrite():
    svc = fake_services()
    ticket = stored_ticket(svc, stage=Stage.INGESTED, team="data-eng")
    result = EnrichmentResult(status="ok", tags={"team": "payments", "cost_center": "CC-4711"})
    _apply(ticket, result, svc.clock.now(), svc.settings)
    assert (ticket.team, ticket.cost_center) == ("data-eng", "CC-4711")


def test_reopening_restarts_the_response_sla():
    svc = fake_services()
    ticket = stored_ticket(svc, priority="P2")
    change_status(svc, ticket.id, "resolve", "a", "dashboard")
    svc.clock.advance(3600)
    reopened, _ = change_status(svc, ticket.id, "reopen", "b", "dashboard")
    assert reopened.sla_status == "pending"
    assert (reopened.sla_due_at - reopened.reopened_at).total_seconds() == svc.settings.sla_seconds_p2
