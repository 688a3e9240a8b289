"""Ticket -> FailureEvidence: the alert fields plus what enrichment stored."""

from shared.rca.evidence_builder import evidence_from_ticket
from tests.unit.analyze.stand_in import ticket


def test_alert_fields_and_failed_steps_become_evidence():
    ev = evidence_from_ticket(ticket())
    assert (ev.service, ev.error_code, ev.azure_severity, ev.subject) == ("adf", "2200", "Sev2", "pl_daily_sales")
    assert ev.activity_type == "Copy"
    assert ev.texts()[0].startswith("ErrorCode=UserErrorFileNotFound")
    assert ev.texts()[-1] == "Operation on target Copy sales failed"


def test_databricks_run_and_cluster_termination_details_are_read():
    t = ticket(source="databricks_job", azure_severity=None, pipeline=None, job="nightly_etl", enrichment={
        "azure_severity": "Sev1",
        "run": {"status": {"termination_details": {"code": "RUN_EXECUTION_ERROR", "type": "CLIENT_ERROR"}}},
        "cluster": {"cluster_name": "etl", "termination_reason": {
            "code": "DRIVER_UNREACHABLE", "type": "CLOUD_FAILURE",
            "parameters": {"databricks_error_message": "Driver is unreachable"}}},
        "failed_steps": [{"name": "ingest", "kind": "notebook_task", "error_message": "boom"}, "not a step"],
    })
    ev = evidence_from_ticket(t)
    assert (ev.termination_code, ev.termination_type) == ("RUN_EXECUTION_ERROR", "CLIENT_ERROR")
    assert ev.cluster_termination_code == "DRIVER_UNREACHABLE"
    assert ev.azure_severity == "Sev1" and ev.subject == "nightly_etl" and ev.activity_type == "notebook_task"
    assert [s.name for s in ev.failed_steps] == ["ingest", "etl"]
    assert "Driver is unreachable" in ev.texts()


def test_flat_termination_codes_and_empty_enrichment():
    ev = evidence_from_ticket(ticket(enrichment={"run": {"termination_code": "SKIPPED"},
                                                 "cluster": {"termination_code": "INACTIVITY"}}))
    assert (ev.termination_code, ev.cluster_termination_code, ev.failed_steps) == ("SKIPPED", "INACTIVITY", [])
    assert evidence_from_ticket(ticket(enrichment={})).message == "Operation on target Copy sales failed"
