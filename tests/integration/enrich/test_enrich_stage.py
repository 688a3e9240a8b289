"""handle_enrich end to end: real adapters against the fake Databricks workspace and ARM."""

import json
from datetime import UTC, datetime

import pytest

from shared.enrich.databricks import DatabricksRuns
from shared.errors import RetryableError
from shared.stages.enrich import handle_enrich
from shared.tickets import Stage, Ticket
from tests.fakes import FixedClock, fake_services

NOW = datetime(2025, 6, 3, 2, 18, tzinfo=UTC)
SUB, RG = "11111111-2222-3333-4444-555555555555", "rg-dataplatform-prod"
FACTORY_ID = f"/subscriptions/{SUB}/resourcegroups/{RG}/providers/microsoft.datafactory/factories/adf-contoso-prod"
SYNAPSE_ID = f"/subscriptions/{SUB}/resourcegroups/{RG}/providers/microsoft.synapse/workspaces/syn-contoso-prod"
ADF_RUN = "7a3c9e21-4b8d-4f6e-9c12-5d0e8f3a6b77"


def make_ticket(**kw) -> Ticket:
    base = dict(id="T20250603-021741-AB12", dedup_key="run:x", source="databricks_job", title="nightly-sales-etl failed",
                job="nightly-sales-etl", job_id="123456789012345", run_id="987654321098765",
                first_seen_at=NOW, last_seen_at=NOW, created_at=NOW, tags={"team": "alert-rule-team"},
                enrichment={"alert": {"signal": "databricks_webhook"}})
    base.update(kw)
    return Ticket(**base)


def services(ticket: Ticket, **adapters):
    svc = fake_services(clock=FixedClock(NOW), **adapters)
    svc.store.create(ticket)
    return svc


def body(ticket_id: str = "T20250603-021741-AB12", delivery: int | None = None) -> dict:
    msg = {"ticket_id": ticket_id, "stage": "enrich"}
    if delivery is not None:
        msg["_delivery_count"] = delivery
    return msg


def test_the_fetched_error_replaces_the_alerts_generic_message(databricks, dbx_server):
    svc = services(make_ticket(error_message="Job execution failed."), databricks=databricks)
    handle_enrich(body(), svc)
    stored = svc.store.get("T20250603-021741-AB12")
    assert stored.error_message.startswith("AnalysisException: [TABLE_OR_VIEW_NOT_FOUND]")  # Jira and Slack show it


def test_multitask_databricks_failure_is_enriched_and_handed_to_analyze(databricks, dbx_server):
    svc = services(make_ticket(), databricks=databricks)
    outcome = handle_enrich(body(), svc)

    stored = svc.store.get("T20250603-021741-AB12")
    assert stored.stage == Stage.ENRICHED and stored.stage_at == NOW
    enrichment = stored.enrichment
    assert enrichment["status"] == "ok" and enrichment["alert"] == {"signal": "databricks_webhook"}
    (step,) = enrichment["failed_steps"]
    assert step["name"] == "transform_sales" and step["run_id"] == "556677889900112"
    assert step["error_message"].startswith("AnalysisException: [TABLE_OR_VIEW_NOT_FOUND]")
    assert "\x1b" not in step["error_trace"]
    assert stored.error_code == "RUN_EXECUTION_ERROR" and stored.error_message == step["error_message"]
    assert stored.links["run_page"].endswith("#job/123456789012345/run/987654321098765")
    assert stored.tags == {"team": "alert-rule-team", "cost_center": "CC-4711", "owner": "sales-analytics",
                           "env": "prod"}
    # get-output only on the failed task run, never on the multi-task parent
    assert dbx_server.parent_output_requests == []
    assert [r.query["run_id"] for r in dbx_server.requests_to(r"/runs/get-output$")] == [["556677889900112"]]
    assert dbx_server.errors == []

    assert [(m.queue, m.body, m.message_id) for m in outcome.messages] == [
        ("alerts-analyze", {"ticket_id": stored.id, "stage": "analyze"}, f"{stored.id}:analyze")]
    assert [c.change for c in outcome.changes] == ["enriched"]
    (entry,) = svc.audit.read(stored.id)
    assert (entry.actor, entry.action) == ("enrich", "enriched")
    assert entry.details["status"] == "ok" and entry.details["failed_steps"] == 1
    assert "error_trace" not in json.dumps(entry.details) and dbx_server.token not in json.dumps(entry.details)


def test_cluster_caused_failure_records_the_cluster_termination_reason(databricks, dbx_server):
    svc = services(make_ticket(run_id="987654321098999"), databricks=databricks)
    handle_enrich(body(), svc)
    stored = svc.store.get("T20250603-021741-AB12")
    cluster = stored.enrichment["cluster"]
    assert cluster["termination_code"] == "CLOUD_PROVIDER_LAUNCH_FAILURE"
    assert cluster["termination_type"] == "CLOUD_FAILURE"
    assert cluster["termination_parameters"]["azure_error_code"] == "OperationNotAllowed"
    assert stored.cluster_id == "0604-021503-xyz98765"
    assert dbx_server.requests_to(r"/clusters/get$")[0].query["cluster_id"] == ["0604-021503-xyz98765"]


def test_adf_failed_run_lists_failed_activities_and_follows_the_notebook(adf, databricks, arm_server, dbx_server):
    ticket = make_ticket(source="adf", pipeline="PL_Ingest_Sales", job=None, job_id=None, run_id=ADF_RUN,
                         resource_id=FACTORY_ID, tags={})
    svc = services(ticket, adf=adf, databricks=databricks)
    handle_enrich(body(), svc)
    stored = svc.store.get(ticket.id)
    steps = {s["name"]: s for s in stored.enrichment["failed_steps"]}
    assert set(steps) == {"Copy_Sales_From_Blob", "NB_Transform_Sales", "AF_Notify_Start"}
    assert stored.enrichment["failed_steps"][0]["name"] == "Copy_Sales_From_Blob"
    assert steps["Copy_Sales_From_Blob"]["error_code"] == "2200"
    assert steps["Copy_Sales_From_Blob"]["failure_type"] == "UserError"
    notebook = steps["NB_Transform_Sales"]
    assert notebook["error_message"].startswith("AnalysisException: [TABLE_OR_VIEW_NOT_FOUND]")
    assert "spark.table" in notebook["error_trace"]
    assert stored.enrichment["status"] == "ok", stored.enrichment["notes"]
    assert stored.error_code == "2200" and stored.links["run_page"].startswith("https://adf.azure.com/monitoring/")
    assert stored.tags["cost_center"] == "CC-1200"
    # the Databricks run behind the notebook activity was followed to its failed task
    assert dbx_server.requests_to(r"/runs/get$")[0].query["run_id"] == ["987654321098765"]
    assert dbx_server.parent_output_requests == []
    activity_query = arm_server.requests_to(r"/queryActivityruns$")[0].json()
    assert activity_query["lastUpdatedAfter"] == "2025-06-03T01:55:04.118002Z"
    assert arm_server.errors == [] and dbx_server.errors == []


def test_runless_metric_alert_discovers_runs_and_spawns_one_ticket_each(adf, arm_server):
    alert = {"metric": "PipelineFailedRuns", "window_start": "2025-06-03T02:11:30Z",
             "window_end": "2025-06-03T02:16:30Z"}
    ticket = make_ticket(source="adf", dedup_key="alert:5c1e4a7b", pipeline="PL_Ingest_Sales", job=None,
                         job_id=None, run_id=None, resource_id=FACTORY_ID, enrichment={"alert": alert})
    svc = services(ticket, adf=adf)
    outcome = handle_enrich(body(), svc)

    query = arm_server.requests_to(r"/queryPipelineRuns$")[0].json()
    assert (query["lastUpdatedAfter"], query["lastUpdatedBefore"]) == ("2025-06-03T02:06:30.000000Z",
                                                                       "2025-06-03T02:18:00.000000Z")
    spawns = [m for m in outcome.messages if m.body.get("stage") == "spawn"]
    assert [m.message_id for m in spawns] == [f"{ticket.id}:spawn:{ADF_RUN}",
                                              f"{ticket.id}:spawn:b4d2f6a8-1c3e-4f5a-8b7c-9d0e1f2a3b4c"]
    assert all(m.queue == "alerts-enrich" and m.body["parent_ticket_id"] == ticket.id for m in spawns)
    assert spawns[0].body["run"]["pipeline"] == "PL_Ingest_Sales"
    assert spawns[0].body["run"]["resource_id"].endswith("/factories/adf-contoso-prod")
    assert outcome.messages[-1].message_id == f"{ticket.id}:analyze"
    stored = svc.store.get(ticket.id)
    assert stored.run_id is None and stored.enrichment["run"]["run_id"] == ADF_RUN  # first run's evidence
    assert stored.enrichment["failed_steps"] and stored.error_message
    assert stored.enrichment["status"] == "partial"  # Databricks is not configured: notebook not followed


def test_synapse_runless_alert_uses_the_workspace_endpoint(adf, arm_server):
    alert = {"window_start": "2025-06-03T03:56:00Z", "window_end": "2025-06-03T04:01:00Z"}
    ticket = make_ticket(source="synapse", pipeline="PL_Load_DW", job=None, job_id=None, run_id=None,
                         resource_id=SYNAPSE_ID, enrichment={"alert": alert})
    svc = fake_services(clock=FixedClock(datetime(2025, 6, 3, 4, 3, tzinfo=UTC)), adf=adf)
    svc.store.create(ticket)
    outcome = handle_enrich(body(), svc)
    stored = svc.store.get(ticket.id)
    assert stored.enrichment["status"] == "ok", stored.enrichment["notes"]
    assert stored.enrichment["failed_steps"][0]["name"] == "SP_Merge_Sales"
    assert stored.enrichment["discovered_runs"][0]["source"] == "synapse"
    assert len([m for m in outcome.messages if m.body.get("stage") == "spawn"]) == 1
    assert arm_server.errors == []


def test_429_with_retry_after_is_honoured_then_the_ticket_is_enriched(databricks, dbx_server, sdk_clock):
    dbx_server.throttle(r"/jobs/runs/get$", times=1, retry_after=3)
    svc = services(make_ticket(), databricks=databricks)
    handle_enrich(body(), svc)
    assert svc.store.get("T20250603-021741-AB12").enrichment["status"] == "ok"
    assert sdk_clock.sleeps and sdk_clock.sleeps[0] >= 3


def test_5xx_raises_for_redelivery_then_degrades_on_the_third_delivery(dbx_server, sdk_clock):
    dbx_server.fail_next(r"/jobs/runs/get$", 503, times=10_000)
    client = DatabricksRuns(dbx_server.url, token=dbx_server.token, http_timeout=0.5, retry_timeout=4,
                            clock=sdk_clock)
    svc = services(make_ticket(), databricks=client)
    with pytest.raises(RetryableError):
        handle_enrich(body(delivery=1), svc)
    assert svc.store.get("T20250603-021741-AB12").stage == Stage.INGESTED
    with pytest.raises(RetryableError):
        handle_enrich(body(delivery=2), svc)
    outcome = handle_enrich(body(delivery=3), svc)
    stored = svc.store.get("T20250603-021741-AB12")
    assert stored.stage == Stage.ENRICHED
    assert stored.enrichment["status"] == "unavailable"
    assert stored.enrichment["notes"][0] == "enrichment unavailable: 503 from Databricks"
    assert outcome.messages[-1].message_id.endswith(":analyze")
    assert svc.audit.actions(stored.id) == ["enrich_deferred", "enrich_deferred", "enriched"]


def test_403_degrades_immediately(dbx_server, sdk_clock):
    client = DatabricksRuns(dbx_server.url, token="dapi-revoked-token", http_timeout=0.5, retry_timeout=5,
                            clock=sdk_clock)
    svc = services(make_ticket(), databricks=client)
    outcome = handle_enrich(body(delivery=1), svc)
    stored = svc.store.get("T20250603-021741-AB12")
    assert stored.enrichment["status"] == "unavailable"
    assert "403 from Databricks" in stored.enrichment["notes"][0]
    assert "dapi-revoked-token" not in json.dumps(stored.to_json()) + json.dumps(
        [e.details for e in svc.audit.read(stored.id)])
    assert outcome.messages[-1].body == {"ticket_id": stored.id, "stage": "analyze"}


def test_unconfigured_integrations_skip_but_still_hand_on():
    svc = services(make_ticket())
    outcome = handle_enrich(body(), svc)
    stored = svc.store.get("T20250603-021741-AB12")
    assert stored.enrichment["status"] == "skipped"
    assert stored.enrichment["notes"] == ["Databricks not configured"]
    assert stored.stage == Stage.ENRICHED
    assert [m.message_id for m in outcome.messages] == [f"{stored.id}:analyze"]


def test_redelivery_after_success_makes_no_api_call_and_repeats_the_next_messages(adf, arm_server):
    alert = {"window_start": "2025-06-03T02:11:30Z", "window_end": "2025-06-03T02:16:30Z"}
    ticket = make_ticket(source="adf", pipeline="PL_Ingest_Sales", job=None, job_id=None, run_id=None,
                         resource_id=FACTORY_ID, enrichment={"alert": alert})
    svc = services(ticket, adf=adf)
    first = handle_enrich(body(), svc)
    calls = len(arm_server.requests)
    again = handle_enrich(body(delivery=2), svc)
    assert len(arm_server.requests) == calls
    assert [(m.queue, m.body, m.message_id) for m in again.messages] == \
           [(m.queue, m.body, m.message_id) for m in first.messages]
    assert again.changes == [] and svc.audit.actions(ticket.id) == ["enriched"]


def test_missing_ticket_is_an_empty_outcome(databricks, dbx_server):
    svc = fake_services(databricks=databricks)
    outcome = handle_enrich(body("T-unknown"), svc)
    assert outcome.messages == [] and outcome.changes == [] and dbx_server.requests == []
