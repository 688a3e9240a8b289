"""GET /api/summary: MTTA/MTTR on the transitions, SLA compliance, breakdowns; split alerts not counted."""

from datetime import timedelta

import pytest

from shared.api import ApiError
from shared.lifecycle import change_status
from shared.rca.model import Category, RcaResult, RcaSource
from shared.summary import summary_for
from shared.timers import check_sla
from tests.fakes import fake_services
from tests.unit.domain.helpers import stored_ticket


def test_mtta_mttr_sla_and_breakdowns():
    svc = fake_services()
    fast = stored_ticket(svc, 1, priority="P1", team="payments",
                         rca=RcaResult(category=Category.TIMEOUT, error_type="T", root_cause="r", fingerprint="fp",
                                       source=RcaSource.LLM, tokens={"total": 100}))
    stored_ticket(svc, 2, priority="P1", team="payments")  # never acknowledged: it breaches
    stored_ticket(svc, 3, priority="P4", split_into_runs=["r1"])  # handed over: not an incident
    svc.clock.advance(60)
    change_status(svc, fast.id, "acknowledge", "a", "dashboard")
    svc.clock.advance(240)
    change_status(svc, fast.id, "resolve", "a", "dashboard")
    svc.clock.advance(svc.settings.sla_seconds_p1)
    check_sla(svc)  # `slow` breaches unacknowledged
    summary = summary_for({}, svc)
    assert summary["total"] == 2
    assert summary["mtta"]["mean_seconds"] == 60 and summary["mtta"]["n"] == 1
    assert summary["mttr"]["p50_seconds"] == 300 and summary["mttr"]["by_priority"]["P1"]["n"] == 1
    assert summary["sla"] == {"met": 1, "breached": 1, "pending": 0, "compliance": 0.5}
    assert summary["breaches"] == 1
    assert summary["open_by_priority"] == {"P1": 1}
    assert summary["counts"]["by_category"] == {"timeout": 1, "unclassified": 1}
    assert summary["llm"] == {"calls": 1, "tokens": 100}
    assert summary["by_team"][0] == {"team": "payments", "tickets": 2, "llm_tokens": 100, "mttr_seconds": 300.0}
    assert summary["top_recurring"][0]["fingerprint"] == "fp"


def test_the_window_is_validated():
    with pytest.raises(ApiError) as bad:
        summary_for({"days": "0"}, fake_services())
    assert bad.value.status == 400
    svc = fake_services()
    stored_ticket(svc)
    svc.clock.advance(timedelta(days=8).total_seconds())
    assert summary_for({"days": "7"}, svc)["total"] == 0


def test_a_breach_stays_counted_after_the_ticket_is_resolved_and_reopened():
    svc = fake_services()
    late = stored_ticket(svc, 1, priority="P2")
    svc.clock.advance(svc.settings.sla_seconds_p2 + 60)
    check_sla(svc)  # breached unacknowledged
    change_status(svc, late.id, "resolve", "a", "dashboard")
    change_status(svc, late.id, "reopen", "a", "dashboard")
    change_status(svc, late.id, "acknowledge", "a", "dashboard")  # the new deadline is met
    ticket = svc.store.get(late.id)
    assert ticket.sla_status == "met"
    assert [h["status"] for h in ticket.sla_history] == ["breached"] and ticket.sla_history[0]["breached_at"]
    assert ticket.to_json()["sla_history"][0]["status"] == "breached"
    summary = summary_for({}, svc)
    assert summary["sla"] == {"met": 1, "breached": 1, "pending": 0, "compliance": 0.5}
    assert summary["breaches"] == 1


def test_llm_calls_count_every_analysis_that_asked_gemini_so_calls_and_tokens_agree():
    svc = fake_services()
    answered = RcaResult(category=Category.TIMEOUT, error_type="T", root_cause="r", source=RcaSource.LLM,
                         tokens={"total": 100}, llm_called=True)
    unusable = RcaResult(category=Category.TIMEOUT, error_type="T", root_cause="r", source=RcaSource.FALLBACK,
                         tokens={"total": 40}, llm_called=True)  # Gemini answered, the reply was not usable
    circuit_open = RcaResult(category=Category.TIMEOUT, error_type="T", root_cause="r", source=RcaSource.FALLBACK)
    for n, rca in enumerate((answered, unusable, circuit_open)):
        stored_ticket(svc, n, rca=rca)
    assert summary_for({}, svc)["llm"] == {"calls": 2, "tokens": 140}
