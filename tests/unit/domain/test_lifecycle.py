"""Acknowledge / resolve / reopen: one domain operation, clocks, SLA outcome, follow-up messages."""

import pytest

from shared.api import ApiError
from shared.lifecycle import change_status
from shared.tickets import TicketStatus
from tests.fakes import fake_services
from tests.unit.domain.helpers import stored_ticket


def test_acknowledge_sets_the_response_clock_and_meets_the_sla():
    svc = fake_services()
    ticket = stored_ticket(svc)
    svc.clock.advance(120)
    updated, outcome = change_status(svc, ticket.id, "acknowledge", "alice", "dashboard", "on it")
    assert updated.status == TicketStatus.ACKNOWLEDGED
    assert (updated.acknowledged_at - updated.created_at).total_seconds() == 120
    assert updated.acknowledged_by == "alice" and updated.sla_status == "met"
    assert [c.change for c in outcome.changes] == ["acknowledged"]
    [message] = outcome.messages
    assert message.queue == svc.settings.notify_queue
    assert message.body["kind"] == "status" and message.body["change"] == "acknowledged"
    assert message.body["origin"] == "dashboard" and message.body["note"] == "on it"
    entry = svc.audit.read(ticket.id)[-1]
    assert (entry.actor, entry.action, entry.details["note"]) == ("alice", "acknowledged", "on it")


def test_acknowledging_late_records_a_breach():
    svc = fake_services()
    ticket = stored_ticket(svc, priority="P1")
    svc.clock.advance(svc.settings.sla_seconds_p1 + 1)
    updated, _ = change_status(svc, ticket.id, "acknowledge", "bob", "slack")
    assert updated.sla_status == "breached" and updated.sla_breached_at == ticket.sla_due_at


def test_resolve_and_reopen_keep_distinct_clocks():
    svc = fake_services()
    ticket = stored_ticket(svc)
    svc.clock.advance(60)
    change_status(svc, ticket.id, "acknowledge", "a", "dashboard")
    svc.clock.advance(600)
    resolved, _ = change_status(svc, ticket.id, "resolve", "a", "jira")
    assert (resolved.resolved_at - resolved.created_at).total_seconds() == 660
    assert (resolved.acknowledged_at - resolved.created_at).total_seconds() == 60
    reopened, _ = change_status(svc, ticket.id, "reopen", "b", "dashboard")
    assert reopened.status == TicketStatus.OPEN and reopened.resolved_at is None
    assert reopened.reopened_at is not None


def test_repeating_an_action_changes_nothing_and_sends_nothing():
    svc = fake_services()
    ticket = stored_ticket(svc)
    change_status(svc, ticket.id, "resolve", "a", "dashboard")
    _, outcome = change_status(svc, ticket.id, "resolve", "a", "dashboard")
    assert outcome.messages == [] and outcome.changes == []
    assert svc.audit.actions(ticket.id).count("resolved") == 1


def test_invalid_transitions_and_unknown_tickets_are_4xx():
    svc = fake_services()
    ticket = stored_ticket(svc)
    change_status(svc, ticket.id, "resolve", "a", "dashboard")
    with pytest.raises(ApiError) as conflict:
        change_status(svc, ticket.id, "acknowledge", "a", "dashboard")
    assert conflict.value.status == 409
    with pytest.raises(ApiError) as missing:
        change_status(svc, "T20990101-000000-0000", "resolve", "a", "dashboard")
    assert missing.value.status == 404
    with pytest.raises(ApiError) as unknown:
        change_status(svc, ticket.id, "delete", "a", "dashboard")
    assert unknown.value.status == 400


def test_each_status_message_has_its_own_id():
    svc = fake_services()
    ticket = stored_ticket(svc)
    ids = [change_status(svc, ticket.id, action, "a", "dashboard")[1].messages[0].message_id
           for action in ("acknowledge", "resolve", "reopen", "resolve")]
    assert len(set(ids)) == 4
