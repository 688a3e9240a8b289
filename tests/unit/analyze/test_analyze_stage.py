"""The analyze stage: RCA on the ticket, priority floor, SLA only earlier, recall, idempotency, outcome."""

from datetime import timedelta

import pytest

import shared.rca.analyzer as analyzer_module
from shared.config import load_settings
from shared.rca.analyzer import Analyzer
from shared.rca.evidence_builder import evidence_from_ticket
from shared.rca.model import RcaSource
from shared.stages.analyze import handle_analyze
from shared.tickets import Stage, TicketStatus
from tests.fakes import FakeRcaCache, fake_services
from tests.unit.analyze.stand_in import T0, ScriptedRefiner, llm_fields, stand_in_classify, ticket

BODY = {"ticket_id": "T20261204-030000-AAAA", "stage": "analyze"}


def services(refiner=None, **kw):
    svc = fake_services(**kw)
    svc.analyzer = Analyzer(stand_in_classify, refiner, svc.rca_cache, 3600, svc.clock.now)
    return svc


def test_unknown_ticket_gives_an_empty_outcome():
    out = handle_analyze({"ticket_id": "T-missing", "stage": "analyze"}, services())
    assert out.messages == [] and out.changes == []
    assert handle_analyze({}, services()).messages == []


def test_ticket_gets_the_rca_and_one_notify_message():
    svc = services(ScriptedRefiner())
    svc.store.create(ticket())
    out = handle_analyze(BODY, svc)
    stored = svc.store.get(BODY["ticket_id"])
    assert stored.stage == Stage.ANALYZED and stored.stage_at == svc.clock.now()
    assert stored.rca.source == RcaSource.LLM and stored.rca.tokens["total"] == 120
    assert (stored.severity, stored.priority) == ("Medium", "P3")
    [msg] = out.messages
    assert (msg.queue, msg.body, msg.message_id) == (
        svc.settings.notify_queue, {"ticket_id": BODY["ticket_id"], "stage": "notify", "kind": "ticket"},
        f"{BODY['ticket_id']}:notify")
    [change] = out.changes
    assert change.change == "analyzed" and change.ticket.rca.category.value == "source_not_found"
    [entry] = svc.audit.read(BODY["ticket_id"])
    assert (entry.actor, entry.action) == ("analyze", "analyzed")
    assert entry.details["source"] == "llm" and entry.details["model"] == "gemini-test"
    assert entry.details["tokens"] == {"prompt": 100, "output": 20, "total": 120}


def test_redelivery_only_re_emits_the_notify_message():
    refiner = ScriptedRefiner()
    svc = services(refiner)
    svc.store.create(ticket())
    handle_analyze(BODY, svc)
    again = handle_analyze(BODY, svc)
    assert refiner.calls == 1 and again.changes == []
    assert [m.message_id for m in again.messages] == [f"{BODY['ticket_id']}:notify"]
    assert len(svc.audit.read(BODY["ticket_id"])) == 1


def test_more_urgent_rca_moves_the_sla_deadline_earlier():
    svc = services(ScriptedRefiner(llm_fields(severity="Critical")))
    svc.store.create(ticket())
    handle_analyze(BODY, svc)
    stored = svc.store.get(BODY["ticket_id"])
    assert stored.priority == "P1"
    assert stored.sla_due_at == T0 + timedelta(seconds=svc.settings.sla_seconds_p1)


def test_less_urgent_rca_never_moves_the_sla_deadline_later_nor_below_the_azure_floor():
    svc = services(ScriptedRefiner(llm_fields(category="throttling_quota", severity="Low")))
    svc.store.create(ticket(azure_severity="Sev1", priority="P2", severity="High",
                            sla_due_at=T0 + timedelta(seconds=1800), error_message="429 Too Many Requests",
                            enrichment={}))
    handle_analyze(BODY, svc)
    stored = svc.store.get(BODY["ticket_id"])
    assert (stored.priority, stored.severity) == ("P2", "High")
    assert stored.sla_due_at == T0 + timedelta(seconds=1800)


def test_injected_analyzer_cannot_undercut_the_azure_severity():
    svc = fake_services()
    svc.analyzer = lambda ev: stand_in_classify(ev).model_copy(update={"severity": "Low", "priority": "P4"})
    svc.store.create(ticket(azure_severity="Sev0", priority="P1"))
    handle_analyze(BODY, svc)
    assert svc.store.get(BODY["ticket_id"]).priority == "P1"


def test_earlier_tickets_of_the_same_failure_are_recalled_newest_first():
    svc = services(ScriptedRefiner())
    for day in range(1, 8):
        old = ticket(f"T202611{day:02d}-030000-BBBB", created_at=T0 - timedelta(days=30 - day))
        old.rca = stand_in_classify(evidence_from_ticket(old))
        if day == 6:
            old.status, old.resolved_by, old.jira_key = TicketStatus.RESOLVED, "alice@example.com", "OPS-6"
        svc.store.create(old)
    other = ticket("T20261120-030000-CCCC", created_at=T0 - timedelta(days=2), error_message="another error")
    other.rca = stand_in_classify(evidence_from_ticket(other))
    svc.store.create(other)
    svc.store.create(ticket())
    handle_analyze(BODY, svc)
    stored = svc.store.get(BODY["ticket_id"])
    assert [s["id"] for s in stored.similar] == [f"T202611{d:02d}-030000-BBBB" for d in (7, 6, 5, 4, 3)]
    assert stored.similar[1]["resolved_by"] == "alice@example.com" and stored.similar[1]["jira_key"] == "OPS-6"
    assert stored.similar[0]["url"].endswith("/#/tickets/T20261107-030000-BBBB")
    recall = stored.enrichment["recall"]
    assert recall["seen_before"] == 7
    assert recall["text"] == ("Seen 7 times before, last on 2026-11-11, "
                              "resolved by alice@example.com (T20261106-030000-BBBB)")


def test_first_time_failure_has_no_recall():
    svc = services()
    svc.store.create(ticket())
    handle_analyze(BODY, svc)
    stored = svc.store.get(BODY["ticket_id"])
    assert stored.similar == [] and "recall" not in stored.enrichment


def test_without_an_analyzer_the_catalog_only_analyzer_is_built(monkeypatch):
    monkeypatch.setattr(analyzer_module, "_catalog_classify", lambda: stand_in_classify)
    svc = fake_services(settings=load_settings(GEMINI_API_KEY="unused"), rca_cache=FakeRcaCache())
    svc.store.create(ticket())
    handle_analyze(BODY, svc)
    stored = svc.store.get(BODY["ticket_id"])
    assert stored.rca.source == RcaSource.CATALOG and stored.rca.fingerprint
    assert svc.rca_cache.items == {}  # the catalog is cheaper to rerun than a cache round trip


@pytest.mark.parametrize("stage", [Stage.ANALYZED, Stage.NOTIFIED])
def test_tickets_past_analysis_are_not_reanalysed(stage):
    refiner = ScriptedRefiner()
    svc = services(refiner)
    svc.store.create(ticket(stage=stage))
    out = handle_analyze(BODY, svc)
    assert refiner.calls == 0 and len(out.messages) == 1 and out.changes == []


def test_recall_asks_the_fingerprint_index_and_never_scans():
    svc = services()
    earlier = ticket("T20261101-030000-DDDD", created_at=T0 - timedelta(days=3))
    earlier.rca = stand_in_classify(evidence_from_ticket(earlier))
    svc.store.create(earlier)
    asked = []
    indexed = svc.store.similar_incidents

    def similar_incidents(fingerprint, since, before, exclude, limit):
        asked.append((fingerprint, since, exclude, limit))
        return indexed(fingerprint, since, before, exclude, limit)

    def no_scan(since=None):
        raise AssertionError("scanned all tickets although an index exists")

    svc.store.similar_incidents = similar_incidents
    svc.store.all_tickets = no_scan
    svc.store.create(ticket())
    handle_analyze(BODY, svc)
    assert [s["id"] for s in svc.store.get(BODY["ticket_id"]).similar] == [earlier.id]
    assert asked == [(earlier.rca.fingerprint, T0 - timedelta(days=90), BODY["ticket_id"], 5)]
