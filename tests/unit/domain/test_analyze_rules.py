"""Analyze-stage rules: duration warnings stay low priority; the SLA follows the analysed priority."""

import json
from pathlib import Path

from shared.ingest_http import handle_alert_request
from shared.rca.model import Category, RcaResult, Severity
from shared.stages.analyze import handle_analyze
from shared.stages.enrich import handle_enrich
from tests.fakes import fake_services

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"


def ingest(svc, name: str) -> str:
    response, _ = handle_alert_request("databricks", (SAMPLES / name).read_bytes(), svc)
    ticket_id = json.loads(response.body)["results"][0]["ticket_id"]
    handle_enrich({"ticket_id": ticket_id, "stage": "enrich"}, svc)
    handle_analyze({"ticket_id": ticket_id, "stage": "analyze"}, svc)
    return ticket_id


def test_a_duration_warning_is_a_low_priority_timeout_heads_up():
    svc = fake_services()
    ticket = svc.store.get(ingest(svc, "databricks_webhook/derived_job_duration_warning.json"))
    assert ticket.kind == "duration_warning" and ticket.priority == "P4" and ticket.severity == "Low"
    assert ticket.rca.category == Category.TIMEOUT and ticket.rca.error_type == "DurationThresholdExceeded"
    assert (ticket.sla_due_at - ticket.created_at).total_seconds() == svc.settings.sla_seconds_p4


def test_a_streaming_backlog_is_a_low_priority_heads_up_of_its_own():
    svc = fake_services()
    ticket = svc.store.get(ingest(svc, "databricks_webhook/derived_job_streaming_backlog.json"))
    assert ticket.kind == "streaming_backlog" and ticket.priority == "P4" and ticket.severity == "Low"
    assert ticket.title == "orders-stream-ingest has a streaming backlog above its threshold"
    assert ticket.rca.error_type == "StreamingBacklogExceeded" and ticket.rca.recommendations
    assert ticket.dedup_key.endswith(":backlog")  # never folded into a failure ticket of the same run


def test_the_sla_deadline_follows_the_analysed_priority_both_ways():
    for severity, priority in ((Severity.LOW, "P4"), (Severity.CRITICAL, "P1")):
        analyzer = lambda evidence, s=severity, p=priority: RcaResult(  # noqa: E731
            category=Category.CODE_ERROR, error_type="E", root_cause="r", severity=s, priority=p)
        svc = fake_services(analyzer=analyzer)
        ticket = svc.store.get(ingest(svc, "databricks_webhook/derived_job_run_failure_realistic.json"))
        assert ticket.priority == priority
        assert (ticket.sla_due_at - ticket.created_at).total_seconds() == svc.settings.sla_seconds(priority)
