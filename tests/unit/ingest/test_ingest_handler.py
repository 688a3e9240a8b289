"""Ingestion handler with in-memory fakes: one ticket per failure, repeats counted, nothing lost."""

import json
import threading
from pathlib import Path

import pytest

from shared.errors import RetryableError
from shared.ingest_http import handle_alert_request
from shared.tickets import TicketStatus
from tests.fakes import fake_services

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def post(svc, kind: str, raw: bytes):
    response, outcome = handle_alert_request(kind, raw, svc)
    return response.status, json.loads(response.body), outcome


def test_a_databricks_failure_creates_one_ticket_and_queues_enrichment():
    svc = fake_services()
    status, body, outcome = post(svc, "databricks", sample("databricks_webhook/derived_job_run_failure_realistic.json"))
    assert status == 202
    [result] = body["results"]
    assert result["status"] == "created" and result["occurrences"] == 1
    ticket = svc.store.get(result["ticket_id"])
    assert ticket.source == "databricks_job" and ticket.job == "nightly-sales-etl"
    assert svc.publisher.sent == [(svc.settings.enrich_queue, {"ticket_id": ticket.id, "stage": "enrich"},
                                   f"{ticket.id}:enrich")]
    assert [c.change for c in outcome.changes] == ["created"]
    assert svc.audit.actions(ticket.id) == ["created"]


def test_repeats_raise_occurrences_and_never_open_a_second_ticket():
    svc = fake_services()
    raw = sample("databricks_webhook/derived_job_run_failure_realistic.json")
    results = [post(svc, "databricks", raw)[1]["results"][0] for _ in range(3)]
    assert [r["status"] for r in results] == ["created", "duplicate", "duplicate"]
    assert results[-1]["occurrences"] == 3
    assert len(svc.store.tickets) == 1
    assert len(svc.publisher.to(svc.settings.enrich_queue)) == 1


def _occurrence_lines(svc, ticket_id):
    return [e.details for e in svc.audit.entries[ticket_id] if e.action == "occurrence"]


def test_repeats_write_an_audit_line_at_most_once_per_interval_saying_how_many_alerts_it_covers():
    svc = fake_services()
    raw = sample("databricks_webhook/derived_job_run_failure_realistic.json")
    ticket_id = post(svc, "databricks", raw)[1]["results"][0]["ticket_id"]
    for _ in range(4):  # the first repeat is written at once; the next three fall in the same minute
        svc.clock.advance(5)
        post(svc, "databricks", raw)
    assert [(d["occurrences"], d["alerts"]) for d in _occurrence_lines(svc, ticket_id)] == [(2, 1)]
    svc.clock.advance(60)
    assert post(svc, "databricks", raw)[1]["results"][0]["occurrences"] == 6
    assert [(d["occurrences"], d["alerts"]) for d in _occurrence_lines(svc, ticket_id)] == [(2, 1), (6, 4)]
    assert svc.store.get(ticket_id).occurrences == 6  # the count itself is exact whatever the trail says


def test_a_ticket_from_before_coalescing_counts_only_the_new_repeat(monkeypatch):
    svc = fake_services()
    raw = sample("databricks_webhook/derived_job_run_failure_realistic.json")
    ticket_id = post(svc, "databricks", raw)[1]["results"][0]["ticket_id"]

    def as_stored_before(t):  # four repeats, each with its own line, and no bookkeeping fields
        t.occurrences, t.occurrences_audited = 5, None

    svc.store.mutate(ticket_id, as_stored_before)
    post(svc, "databricks", raw)
    assert [(d["occurrences"], d["alerts"]) for d in _occurrence_lines(svc, ticket_id)] == [(6, 1)]


def test_an_interval_of_zero_audits_every_repeat(monkeypatch):
    monkeypatch.setenv("AUDIT_REPEAT_INTERVAL_SECONDS", "0")
    svc = fake_services()
    raw = sample("databricks_webhook/derived_job_run_failure_realistic.json")
    ticket_id = [post(svc, "databricks", raw) for _ in range(4)][0][1]["results"][0]["ticket_id"]
    assert [(d["occurrences"], d["alerts"]) for d in _occurrence_lines(svc, ticket_id)] == [(2, 1), (3, 1), (4, 1)]


def test_a_task_level_notification_joins_its_parent_runs_ticket():
    svc = fake_services()
    job = post(svc, "databricks", sample("databricks_webhook/derived_job_run_failure_realistic.json"))[1]
    task = post(svc, "databricks", sample("databricks_webhook/derived_task_run_failure_realistic.json"))[1]
    assert task["results"][0]["ticket_id"] == job["results"][0]["ticket_id"]
    assert task["results"][0]["status"] == "duplicate"


def test_keys_are_not_global_across_sources():
    svc = fake_services()
    adf = post(svc, "azure-monitor", sample("azure_monitor/derived_adf_pipeline_failed_log_alert_v2.json"))[1]
    dbx = post(svc, "databricks", sample("databricks_webhook/derived_job_run_failure_realistic.json"))[1]
    assert adf["results"][0]["dedup_key"].startswith("adf:")
    assert dbx["results"][0]["dedup_key"].startswith("databricks:")
    assert len(svc.store.tickets) == 2


def test_failed_activities_of_one_run_are_one_failure_counted_once():
    svc = fake_services()
    status, body, _ = post(svc, "azure-monitor", sample("azure_monitor/derived_adf_activity_failed_log_alert_v1_searchresults.json"))
    assert status == 202
    assert [(r["status"], r["occurrences"]) for r in body["results"]] == [("created", 1), ("duplicate", 1)]
    assert len({r["ticket_id"] for r in body["results"]}) == 1 and len(svc.store.tickets) == 1


def test_a_metric_alert_with_two_criteria_counts_once():
    svc = fake_services()
    payload = json.loads(sample("azure_monitor/derived_adf_activity_failed_metric_alert.json"))
    criteria = payload["data"]["alertContext"]["condition"]["allOf"]
    criteria.append({**criteria[0], "metricName": "PipelineFailedRuns"})
    for _ in range(2):
        status, body, _ = post(svc, "azure-monitor", json.dumps(payload).encode())
        assert status == 202 and len({r["ticket_id"] for r in body["results"]}) == 1
    assert [r["occurrences"] for r in body["results"]] == [2, 2]  # two deliveries, not four criteria
    assert svc.store.get(body["results"][0]["ticket_id"]).occurrences == 2


def test_a_v1_log_alert_with_rows_of_two_runs_opens_two_tickets():
    svc = fake_services()
    payload = json.loads(sample("azure_monitor/derived_adf_activity_failed_log_alert_v1_searchresults.json"))
    table = payload["data"]["alertContext"]["SearchResults"]["tables"][0]
    run_col = [c["name"] for c in table["columns"]].index("PipelineRunId")
    table["rows"][1][run_col] = "0b1c2d3e-0000-4000-8000-000000000002"
    status, body, _ = post(svc, "azure-monitor", json.dumps(payload).encode())
    assert status == 202
    assert [r["status"] for r in body["results"]] == ["created", "created"]
    assert len(svc.store.tickets) == 2


def test_resolved_notice_is_recorded_but_does_not_close_by_default():
    svc = fake_services()
    fired = post(svc, "azure-monitor", sample("azure_monitor/derived_adf_pipeline_failed_metric_alert_fired.json"))[1]
    resolved = post(svc, "azure-monitor", sample("azure_monitor/derived_adf_pipeline_failed_metric_alert_resolved.json"))[1]
    ticket_id = fired["results"][0]["ticket_id"]
    assert resolved["results"][0] == {"status": "resolved", "ticket_id": ticket_id,
                                      "dedup_key": fired["results"][0]["dedup_key"], "occurrences": 1}
    ticket = svc.store.get(ticket_id)
    assert len(ticket.resolved_notices) == 1 and ticket.status == TicketStatus.OPEN


def test_resolved_notice_closes_when_the_setting_says_so(monkeypatch):
    monkeypatch.setenv("RESOLVE_CLOSES_TICKET", "true")
    svc = fake_services()
    fired = post(svc, "azure-monitor", sample("azure_monitor/derived_adf_pipeline_failed_metric_alert_fired.json"))[1]
    post(svc, "azure-monitor", sample("azure_monitor/derived_adf_pipeline_failed_metric_alert_resolved.json"))
    assert svc.store.get(fired["results"][0]["ticket_id"]).status == TicketStatus.RESOLVED


def test_start_and_unmatched_success_are_ignored():
    svc = fake_services()
    for name in ("databricks_webhook/job_run_start.json", "databricks_webhook/task_run_success.json"):
        body = post(svc, "databricks", sample(name))[1]
        assert [r["status"] for r in body["results"]] == ["ignored"]
        assert body["results"][0]["ticket_id"] is None
    assert svc.store.tickets == {}


def test_a_later_success_of_the_same_job_records_a_resolved_notice():
    svc = fake_services()
    failed = json.loads(sample("databricks_webhook/derived_job_run_failure_realistic.json"))
    created = post(svc, "databricks", json.dumps(failed).encode())[1]["results"][0]
    success = {**failed, "event_type": "jobs.on_success", "run": {"run_id": "111"}}
    result = post(svc, "databricks", json.dumps(success).encode())[1]["results"][0]
    assert result["status"] == "resolved" and result["ticket_id"] == created["ticket_id"]


def test_bad_input_is_a_clear_4xx_and_still_archived():
    svc = fake_services()
    assert post(svc, "databricks", b"{not json")[0] == 400
    status, body, _ = post(svc, "azure-monitor", sample("azure_monitor/legacy_metric_alert_AzureMonitorMetricAlert.json"))
    assert status == 422 and body["error"]["code"] == "non_common_schema"
    assert "common alert schema" in body["error"]["message"].lower()
    assert post(svc, "databricks", b'{"event_type": "jobs.on_failure"}')[0] == 422
    assert post(svc, "databricks", b"x" * (1024 * 1024 + 1))[0] == 413
    metas = [m for _, m in svc.archive.blobs.values()]
    assert sorted(m["http_status"] for m in metas) == ["400", "413", "422", "422"]


def test_a_failed_send_is_a_503_and_the_retry_finishes_the_job():
    svc = fake_services()
    raw = sample("databricks_webhook/derived_job_run_failure_realistic.json")
    svc.publisher.fail_with = RetryableError("servicebus", "down")
    status, body, _ = post(svc, "databricks", raw)
    assert status == 503 and body["error"]["code"] == "queue_unavailable"
    [pending] = svc.store.tickets.values()
    assert pending.enqueue_pending
    svc.publisher.fail_with = None
    status, body, _ = post(svc, "databricks", raw)
    assert status == 202 and body["results"][0]["status"] == "created"
    assert body["results"][0]["occurrences"] == 1  # the retry is the same notice, not a repeat
    assert len(svc.publisher.to(svc.settings.enrich_queue)) == 1
    assert not svc.store.get(pending.id).enqueue_pending
    status, body, _ = post(svc, "databricks", raw)  # a genuine repeat afterwards is counted
    assert body["results"][0] == {**body["results"][0], "status": "duplicate", "occurrences": 2}


def test_a_ticket_whose_creator_died_before_queueing_is_requeued_by_a_later_repeat():
    svc = fake_services()
    raw = sample("databricks_webhook/derived_job_run_failure_realistic.json")
    post(svc, "databricks", raw)
    svc.publisher.sent.clear()
    svc.publisher._seen.clear()  # as if the first send never reached the broker
    svc.clock.advance(60)
    post(svc, "databricks", raw)
    assert len(svc.publisher.to(svc.settings.enrich_queue)) == 1


def test_concurrent_identical_alerts_make_one_ticket_with_exact_count():
    svc = fake_services()
    raw = sample("databricks_webhook/derived_job_run_failure_realistic.json")
    threads = [threading.Thread(target=post, args=(svc, "databricks", raw)) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    [ticket] = svc.store.tickets.values()
    assert ticket.occurrences == 20


@pytest.mark.parametrize("sev,priority", [("Sev0", "P1"), ("Sev1", "P2"), ("Sev2", "P3"), ("Sev3", "P4"), ("Sev4", "P4")])
def test_priority_starts_at_least_as_urgent_as_the_azure_severity(sev, priority):
    svc = fake_services()
    payload = json.loads(sample("azure_monitor/derived_adf_pipeline_failed_log_alert_v2.json"))
    payload["data"]["essentials"]["severity"] = sev
    result = post(svc, "azure-monitor", json.dumps(payload).encode())[1]["results"][0]
    ticket = svc.store.get(result["ticket_id"])
    assert ticket.priority == priority
    assert (ticket.sla_due_at - ticket.created_at).total_seconds() == svc.settings.sla_seconds(priority)


def test_json_past_the_parsers_limits_is_a_422_and_the_body_is_archived():
    svc = fake_services()
    for kind, body in (("azure-monitor", b'{"schemaId": "azureMonitorCommonAlertSchema", "x": ' + b"9" * 5000 + b"}"),
                       ("databricks", b'{"event_type": "jobs.on_failure", "run": {"run_id": ' + b"7" * 4400 + b"}}"),
                       ("databricks", b"[" * 5000 + b"]" * 5000)):  # well-formed, but no alert is that deep
        status, body_json, _ = post(svc, kind, body)
        assert status == 422 and body_json["error"]["code"] == "unusable_json" and body_json["error"]["details"]
    assert len(svc.archive.blobs) == 3


def test_an_unexpected_error_is_archived_for_replay_before_the_500(monkeypatch):
    import shared.ingest_http as ingest_http

    def broken(payload):
        raise KeyError("a bug")

    monkeypatch.setattr(ingest_http, "extractor_for", lambda kind: broken)
    svc = fake_services()
    status, body_json, _ = post(svc, "databricks", sample("databricks_webhook/derived_job_run_failure_realistic.json"))
    assert status == 500 and body_json["error"]["code"] == "internal_error"
    [(name, stored)] = svc.archive.blobs.items()
    assert body_json["error"]["message"].endswith("for replay") and stored[1]["http_status"] == "500"


def test_a_log_alert_without_resource_id_rows_is_keyed_by_the_factory_its_configuration_items_name():
    svc = fake_services()
    with_id = json.loads(sample("azure_monitor/derived_adf_pipeline_failed_log_alert_v2.json"))
    without = json.loads(sample("azure_monitor/derived_adf_pipeline_failed_log_alert_v2.json"))
    criterion = without["data"]["alertContext"]["condition"]["allOf"][0]
    criterion["dimensions"] = [d for d in criterion["dimensions"] if d["name"] != "_ResourceId"]
    without["data"]["essentials"]["alertId"] += "-2"
    first = post(svc, "azure-monitor", json.dumps(without).encode())[1]["results"][0]
    second = post(svc, "azure-monitor", json.dumps(with_id).encode())[1]["results"][0]
    assert first["dedup_key"] == second["dedup_key"] == "adf:adf-contoso-prod:7a3c9e21-4b8d-4f6e-9c12-5d0e8f3a6b77"
    assert (first["status"], second["status"], second["occurrences"]) == ("created", "duplicate", 2)
    ticket = svc.store.get(first["ticket_id"])
    assert ticket.resource == "adf-contoso-prod" and ticket.resource_id is not None  # the second alert knew it


def test_the_resolved_communication_of_a_service_health_incident_finds_the_incidents_ticket():
    svc = fake_services()
    resolved = json.loads(sample("azure_monitor/common_schema_service_health_test_action_resolved.json"))
    active = json.loads(json.dumps(resolved))
    active["data"]["essentials"]["alertId"] += "-active"  # an earlier communication: its own alert
    active["data"]["alertContext"]["properties"].update(stage="Active")
    active["data"]["alertContext"]["status"] = "Active"
    opened = post(svc, "azure-monitor", json.dumps(active).encode())[1]["results"][0]
    assert opened["status"] == "created" and opened["dedup_key"].startswith("servicehealth:")
    closed = post(svc, "azure-monitor", json.dumps(resolved).encode())[1]["results"][0]
    assert (closed["status"], closed["ticket_id"]) == ("resolved", opened["ticket_id"])
    assert len(svc.store.get(opened["ticket_id"]).resolved_notices) == 1


def _two_run_v1_payload() -> bytes:
    payload = json.loads(sample("azure_monitor/derived_adf_activity_failed_log_alert_v1_searchresults.json"))
    table = payload["data"]["alertContext"]["SearchResults"]["tables"][0]
    run_col = [c["name"] for c in table["columns"]].index("PipelineRunId")
    table["rows"][1][run_col] = "0b1c2d3e-0000-4000-8000-000000000002"
    return json.dumps(payload).encode()


def test_the_retry_of_a_multi_failure_delivery_answered_503_counts_nothing_twice(monkeypatch):
    svc = fake_services()
    raw = _two_run_v1_payload()
    real_send, sends = svc.publisher.send, []

    def second_send_fails(queue, body, message_id):  # noqa: ANN001
        sends.append(message_id)
        if len(sends) == 2:
            raise RetryableError("servicebus", "down")
        real_send(queue, body, message_id)

    monkeypatch.setattr(svc.publisher, "send", second_send_fails)
    status, _, _ = post(svc, "azure-monitor", raw)
    assert status == 503
    monkeypatch.setattr(svc.publisher, "send", real_send)
    status, body, _ = post(svc, "azure-monitor", raw)  # Azure Monitor's retry: the same body
    assert status == 202
    assert [(r["status"], r["occurrences"]) for r in body["results"]] == [("created", 1), ("created", 1)]
    assert len(svc.publisher.to(svc.settings.enrich_queue)) == 2 and len(svc.store.tickets) == 2
    status, body, _ = post(svc, "azure-monitor", raw)  # later, the same notice again: a real repeat
    assert [(r["status"], r["occurrences"]) for r in body["results"]] == [("duplicate", 2), ("duplicate", 2)]


def test_storage_failing_part_way_keeps_the_earlier_failures_and_the_retry_resumes(monkeypatch):
    from shared.errors import RetryableError as Retryable

    svc = fake_services()
    raw = _two_run_v1_payload()
    real_create, creates = svc.store.create, []

    def second_create_fails(ticket):  # noqa: ANN001
        creates.append(ticket.id)
        if len(creates) == 2:
            raise Retryable("tables", "down")
        return real_create(ticket)

    monkeypatch.setattr(svc.store, "create", second_create_fails)
    status, body, _ = post(svc, "azure-monitor", raw)
    assert status == 503 and body["error"]["code"] == "service_unavailable"
    assert len(svc.publisher.to(svc.settings.enrich_queue)) == 1  # the first failure is queued all the same
    monkeypatch.setattr(svc.store, "create", real_create)
    status, body, _ = post(svc, "azure-monitor", raw)
    assert [(r["status"], r["occurrences"]) for r in body["results"]] == [("created", 1), ("created", 1)]
    assert len(svc.publisher.to(svc.settings.enrich_queue)) == 2


def test_every_reply_names_the_archived_request_so_a_rejected_body_can_be_replayed_by_id():
    svc = fake_services()
    for raw in (b"not json", b"{}", sample("databricks_webhook/derived_job_run_failure_realistic.json")):
        response, _ = handle_alert_request("databricks", raw, svc)
        request_id = response.headers["x-request-id"]
        assert [n for n in svc.archive.blobs if n.endswith(f"/{request_id}.json")], (response.status, request_id)
