"""SLA monitor, redrive of stuck tickets, and dead letters turning into visible pipeline errors."""

from shared.deadletter import handle_dead_letter
from shared.lifecycle import change_status
from shared.tickets import Stage, TicketStatus
from shared.timers import check_sla, redrive_stuck
from tests.fakes import fake_services
from tests.unit.domain.helpers import stored_ticket


def test_a_breach_is_recorded_when_the_deadline_passes_not_at_close():
    svc = fake_services()
    ticket = stored_ticket(svc, priority="P1")
    svc.clock.advance(svc.settings.sla_seconds_p1 - 1)
    assert check_sla(svc).changes == []
    svc.clock.advance(2)
    outcome = check_sla(svc)
    breached = svc.store.get(ticket.id)
    assert breached.sla_status == "breached" and breached.sla_breached_at == breached.sla_due_at  # the deadline, not when the timer looked
    assert [c.change for c in outcome.changes] == ["sla_breached"]
    assert svc.publisher.to(svc.settings.notify_queue) == [
        {"ticket_id": ticket.id, "stage": "notify", "kind": "sla_breached"}]
    assert "sla_breached" in svc.audit.actions(ticket.id)
    assert check_sla(svc).changes == []  # once only


def test_an_escalation_that_cannot_be_queued_is_retried_and_the_breach_marked_then():
    from shared.errors import RetryableError

    svc = fake_services()
    ticket = stored_ticket(svc, priority="P1")
    svc.clock.advance(svc.settings.sla_seconds_p1 + 1)
    svc.publisher.fail_with = RetryableError("servicebus", "down")
    assert check_sla(svc).changes == [] and svc.store.get(ticket.id).sla_status == "pending"
    svc.publisher.fail_with = None
    svc.clock.advance(60)
    assert [c.change for c in check_sla(svc).changes] == ["sla_breached"]
    assert len(svc.publisher.to(svc.settings.notify_queue)) == 1


def test_acknowledged_tickets_never_breach():
    svc = fake_services()
    ticket = stored_ticket(svc, priority="P2")
    change_status(svc, ticket.id, "acknowledge", "a", "dashboard")
    svc.clock.advance(svc.settings.sla_seconds_p2 * 2)
    assert check_sla(svc).changes == []
    assert svc.store.get(ticket.id).sla_status == "met"


def test_a_warning_is_recorded_at_eighty_percent():
    svc = fake_services()
    ticket = stored_ticket(svc, priority="P3")
    svc.clock.advance(svc.settings.sla_seconds_p3 * 0.81)
    check_sla(svc)
    assert svc.store.get(ticket.id).sla_warned_at is not None
    assert svc.audit.actions(ticket.id).count("sla_warning") == 1
    check_sla(svc)
    assert svc.audit.actions(ticket.id).count("sla_warning") == 1


def test_stuck_tickets_are_redriven_to_the_stage_they_wait_for():
    svc = fake_services()
    waiting = {stage: stored_ticket(svc, n, stage=stage, stage_at=svc.clock.now())
               for n, stage in enumerate((Stage.INGESTED, Stage.ENRICHED, Stage.ANALYZED, Stage.NOTIFIED))}
    assert redrive_stuck(svc).messages == []
    svc.clock.advance(svc.settings.redrive_after_seconds + 1)
    messages = redrive_stuck(svc).messages
    by_ticket = {m.body["ticket_id"]: m for m in messages}
    assert set(by_ticket) == {waiting[s].id for s in (Stage.INGESTED, Stage.ENRICHED, Stage.ANALYZED)}
    assert by_ticket[waiting[Stage.INGESTED].id].queue == svc.settings.enrich_queue
    assert by_ticket[waiting[Stage.ANALYZED].id].body["kind"] == "ticket"
    assert all(":redrive:" in m.message_id for m in messages)


def test_a_dead_letter_marks_the_ticket_pipeline_error_once():
    svc = fake_services()
    ticket = stored_ticket(svc, stage=Stage.ANALYZED)
    body = {"ticket_id": ticket.id, "stage": "notify", "kind": "ticket"}
    outcome = handle_dead_letter(body, "notify", "MaxDeliveryCountExceeded", "failed 10 times", svc)
    marked = svc.store.get(ticket.id)
    assert marked.status == TicketStatus.PIPELINE_ERROR
    assert marked.pipeline_error["reason"] == "MaxDeliveryCountExceeded"
    assert marked.pipeline_error["previous_status"] == "open"
    assert [c.change for c in outcome.changes] == ["pipeline_error"]
    assert handle_dead_letter(body, "notify", "MaxDeliveryCountExceeded", "", svc).changes == []
    assert svc.audit.actions(ticket.id).count("pipeline_error") == 1
    assert handle_dead_letter({}, "notify", None, None, svc).changes == []


def test_a_dead_follow_up_is_recorded_without_touching_the_status():
    svc = fake_services()
    ticket = stored_ticket(svc, status=TicketStatus.RESOLVED)
    handle_dead_letter({"ticket_id": ticket.id, "stage": "notify", "kind": "status"}, "notify",
                       "MaxDeliveryCountExceeded", "", svc)
    stored = svc.store.get(ticket.id)
    assert stored.status == TicketStatus.RESOLVED and stored.pipeline_error["blocking"] is False


def test_a_dead_lettered_ticket_is_redriven_with_backoff_and_recovers():
    svc = fake_services()
    ticket = stored_ticket(svc, stage=Stage.ANALYZED, stage_at=svc.clock.now())
    handle_dead_letter({"ticket_id": ticket.id, "stage": "notify", "kind": "ticket"}, "notify", "Max", "", svc)
    assert svc.store.get(ticket.id).status == TicketStatus.PIPELINE_ERROR
    svc.clock.advance(svc.settings.redrive_after_seconds + 1)
    [first] = redrive_stuck(svc).messages
    assert first.body == {"ticket_id": ticket.id, "stage": "notify", "kind": "ticket"}
    svc.clock.advance(svc.settings.redrive_after_seconds + 1)
    assert redrive_stuck(svc).messages == []  # the wait doubled after the first redrive
    svc.clock.advance(svc.settings.redrive_after_seconds + 1)
    [second] = redrive_stuck(svc).messages
    assert second.message_id != first.message_id
    svc.store.mutate(ticket.id, lambda t: t.advance(Stage.NOTIFIED, svc.clock.now()))  # notify got through
    recovered = svc.store.get(ticket.id)
    assert recovered.status == TicketStatus.OPEN and recovered.pipeline_error["reason"] == "Max"
