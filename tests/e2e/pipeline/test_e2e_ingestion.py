"""Ingestion through devhost: every sample shape, the error contract, dedup, resolved notices, a storm, paging."""

from __future__ import annotations

import json
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest

from tests.e2e.pipeline.helpers import (
    API_KEY,
    KINDS,
    SAMPLES,
    Api,
    adf_activity_rows_alert,
    adf_log_alert,
    api_for,
    assert_error,
    audit_actions,
    cluster_alert,
    databricks_failure,
    sample,
)

SAMPLE_FILES = sorted(
    [p for p in (SAMPLES / "azure_monitor").glob("*.json")
     if p.name.startswith(("derived_", "common_schema_"))]
    + list((SAMPLES / "databricks_webhook").glob("*.json")),
    key=lambda p: (p.parent.name, p.name))
LEGACY_FILES = sorted((SAMPLES / "azure_monitor").glob("legacy_*.json"))
START_EVENTS = {"job_run_start.json", "task_run_start.json"}
NOTICES = {"common_schema_metric_alert_resolved.json", "common_schema_service_health_test_action_resolved.json",
           "derived_adf_pipeline_failed_metric_alert_resolved.json", "task_run_success.json"}


@pytest.fixture(scope="module")
def api(devhost_factory) -> Api:  # type: ignore[no-untyped-def]
    return api_for(devhost_factory({}))


def _check_result(result: dict[str, Any]) -> None:
    assert set(result) >= {"status", "ticket_id", "dedup_key", "occurrences"}, result
    assert result["status"] in {"created", "duplicate", "resolved", "ignored"}, result
    assert isinstance(result["dedup_key"], str) and result["dedup_key"], result
    assert isinstance(result["occurrences"], int), result
    if result["status"] in ("created", "duplicate", "resolved"):
        assert isinstance(result["ticket_id"], str) and result["ticket_id"], result
        assert result["occurrences"] >= 1, result
    else:
        assert result["ticket_id"] is None and result["occurrences"] == 0, result


# -- every sample shape --------------------------------------------------------------------------

@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sample_shape_is_accepted_with_contract_results(api: Api, path) -> None:  # type: ignore[no-untyped-def]
    kind = KINDS[path.parent.name]
    response = api.ingest(kind, path.read_bytes())
    assert response.status_code == 202, response.text[:500]
    results = response.json()["results"]
    assert isinstance(results, list) and results
    for result in results:
        _check_result(result)
    statuses = {r["status"] for r in results}
    if path.name in START_EVENTS:
        assert statuses == {"ignored"}
    elif path.name in NOTICES:
        assert statuses <= {"resolved", "ignored"}
    else:
        assert statuses <= {"created", "duplicate"}, results
    if path.name == "derived_adf_activity_failed_log_alert_v1_searchresults.json":
        assert len(results) == 2  # one entry per search-result row
        assert len({r["ticket_id"] for r in results}) == 1  # both rows are activities of one pipeline run
    for result in results:
        if result["status"] in ("created", "duplicate"):
            ticket = api.ticket(result["ticket_id"])
            assert ticket["dedup_key"] == result["dedup_key"]
            assert ticket["occurrences"] >= result["occurrences"]
        elif result["status"] == "resolved":  # the notice is recorded on the ticket(s) it concerns
            assert api.ticket(result["ticket_id"])["resolved_notices"]


def test_dedup_keys_follow_the_failure_not_the_alert(api: Api) -> None:
    log_v2 = api.ingest_ok("azure-monitor", sample("azure_monitor/derived_adf_pipeline_failed_log_alert_v2.json"))
    rows = api.ingest_ok("azure-monitor",
                         sample("azure_monitor/derived_adf_activity_failed_log_alert_v1_searchresults.json"))
    assert log_v2[0]["dedup_key"] == "adf:adf-contoso-prod:7a3c9e21-4b8d-4f6e-9c12-5d0e8f3a6b77"
    assert {r["ticket_id"] for r in rows} == {log_v2[0]["ticket_id"]}
    job = api.ingest_ok("databricks", sample("databricks_webhook/derived_job_run_failure_realistic.json"))
    numeric = api.ingest_ok("databricks", sample("databricks_webhook/derived_job_run_failure_numeric_ids.json"))
    task = api.ingest_ok("databricks", sample("databricks_webhook/derived_task_run_failure_realistic.json"))
    assert job[0]["dedup_key"] == "databricks:1234567890123456:987654321098765"
    assert numeric[0]["ticket_id"] == task[0]["ticket_id"] == job[0]["ticket_id"]
    assert numeric[0]["occurrences"] == job[0]["occurrences"] + 1
    assert task[0]["occurrences"] == job[0]["occurrences"] + 2


# -- the error contract --------------------------------------------------------------------------

@pytest.mark.parametrize("path", LEGACY_FILES, ids=lambda p: p.name)
def test_legacy_schema_gets_422_asking_for_the_common_schema(api: Api, path) -> None:  # type: ignore[no-untyped-def]
    error = assert_error(api.ingest("azure-monitor", path.read_bytes()), 422)
    assert "common alert schema" in error["message"].lower(), error


def test_json_that_is_not_an_alert_gets_422_with_details(api: Api) -> None:
    error = assert_error(api.ingest("azure-monitor", {"hello": "world"}), 422)
    assert error["details"], error
    error = assert_error(api.ingest("databricks", {"event_type": "jobs.on_failure", "job": {"job_id": 1}}), 422)
    assert any("run" in json.dumps(d) for d in error["details"]), error


@pytest.mark.parametrize("kind", ["azure-monitor", "databricks"])
def test_malformed_json_gets_400(api: Api, kind: str) -> None:
    assert_error(api.ingest(kind, b'{"schemaId": "azureMonitorCommonAlertSchema", '), 400)
    assert_error(api.ingest(kind, b"\xff\xfe not even text"), 400)


def _big_body() -> bytes:
    payload = sample("azure_monitor/derived_adf_pipeline_failed_log_alert_v2.json")
    payload["data"]["essentials"]["description"] = "x" * (1024 * 1024)
    return json.dumps(payload).encode()


def test_body_over_one_mib_gets_413(api: Api) -> None:
    assert_error(api.ingest("azure-monitor", _big_body()), 413)


def test_chunked_body_over_one_mib_gets_413(api: Api) -> None:
    body = _big_body()
    chunks = (body[i:i + 65536] for i in range(0, len(body), 65536))  # no Content-Length: chunked
    response = api.request("POST", "/api/alerts/databricks", data=chunks,
                           headers={"x-functions-key": API_KEY, "Content-Type": "application/json"})
    assert_error(response, 413)


def test_exactly_one_mib_is_not_rejected_for_size(api: Api) -> None:
    payload = databricks_failure("424242000001")
    raw = json.dumps(payload).encode()
    padded = raw[:-1] + b" " * (1024 * 1024 - len(raw)) + raw[-1:]
    assert len(padded) == 1024 * 1024
    assert api.ingest("databricks", padded).status_code == 202


@pytest.mark.parametrize("kind", ["azure-monitor", "databricks"])
def test_missing_or_wrong_key_gets_401(api: Api, kind: str) -> None:
    payload = databricks_failure("424242000002") if kind == "databricks" else adf_log_alert("run-auth-0001")
    for response in (api.ingest(kind, payload, key=None), api.ingest(kind, payload, key="wrong-key"),
                     api.ingest(kind, payload, key=None, query_key="wrong-key")):
        assert_error(response, 401)
    assert api.ingest(kind, payload, key=None, query_key=API_KEY).status_code == 202
    assert api.ingest(kind, payload).status_code == 202  # x-functions-key header


def test_unknown_ticket_and_bad_queries_are_4xx_with_the_error_shape(api: Api) -> None:
    assert_error(api.request("GET", "/api/tickets/T20990101-000000-FFFF"), 404)
    assert_error(api.request("GET", "/api/tickets/not-a-ticket-id"), 404)
    assert_error(api.request("GET", "/api/tickets", params={"limit": "0"}), 400)
    assert_error(api.request("GET", "/api/tickets", params={"status": "exploded"}), 400)
    assert_error(api.request("GET", "/api/tickets", params={"cursor": "bm90LW91cnM="}), 400)
    assert_error(api.request("POST", "/api/tickets/T20990101-000000-FFFF/acknowledge"), 404)
    assert_error(api.request("GET", "/api/summary", params={"days": "0"}), 400)
    assert_error(api.request("GET", "/api/no-such-route"), 404)
    assert_error(api.request("DELETE", "/api/tickets"), 405)


# -- repeats and resolved notices ----------------------------------------------------------------

def test_repeats_raise_occurrences_on_one_ticket(api: Api) -> None:
    first = api.ingest_ok("azure-monitor", adf_log_alert("run-repeat-0001"))[0]
    assert first["status"] == "created" and first["occurrences"] == 1
    again = [api.ingest_ok("azure-monitor", adf_log_alert("run-repeat-0001"))[0] for _ in range(3)]
    assert [r["status"] for r in again] == ["duplicate"] * 3
    assert [r["occurrences"] for r in again] == [2, 3, 4]
    assert {r["ticket_id"] for r in again} == {first["ticket_id"]}
    ticket = api.ticket(first["ticket_id"])
    assert ticket["occurrences"] == 4
    assert ticket["last_seen_at"] >= ticket["first_seen_at"]
    # Repeats within a minute share one audit line (AUDIT_REPEAT_INTERVAL_SECONDS): the first one's.
    lines = [e for e in ticket["audit"] if e["action"] == "occurrence"]
    assert [(e["details"]["occurrences"], e["details"]["alerts"]) for e in lines] == [(2, 1)]


def test_fired_then_resolved_records_the_notice_and_keeps_the_status(api: Api) -> None:
    fired = api.ingest_ok("azure-monitor", sample("azure_monitor/derived_adf_pipeline_failed_metric_alert_fired.json"))
    resolved = api.ingest_ok("azure-monitor",
                             sample("azure_monitor/derived_adf_pipeline_failed_metric_alert_resolved.json"))
    assert fired[0]["status"] in ("created", "duplicate")
    assert resolved[0]["status"] == "resolved"
    assert resolved[0]["ticket_id"] == fired[0]["ticket_id"]
    assert resolved[0]["dedup_key"] == fired[0]["dedup_key"]
    ticket = api.ticket(fired[0]["ticket_id"])
    assert ticket["resolved_notices"], ticket["resolved_notices"]
    assert ticket["resolved_notices"][-1]["source"] == "azure_monitor"
    assert ticket["status"] != "resolved" and ticket["resolved_at"] is None  # RESOLVE_CLOSES_TICKET defaults off
    assert "resolved_notice" in audit_actions(ticket)


def test_resolved_notice_without_a_ticket_is_ignored(api: Api) -> None:
    payload = adf_log_alert("run-never-failed-0001", condition="Resolved")
    payload["data"]["essentials"]["resolvedDateTime"] = "2025-06-03T03:00:00Z"
    result = api.ingest_ok("azure-monitor", payload)[0]
    assert result["status"] == "ignored" and result["ticket_id"] is None


# -- a storm ----------------------------------------------------------------------------------------

def _storm_failures() -> list[list[tuple[str, dict[str, Any]]]]:
    """30 distinct failures, each reported 10 times by a mix of alert shapes."""
    failures: list[list[tuple[str, dict[str, Any]]]] = []
    for i in range(10):  # ADF runs: V2 log alerts and V1 activity rows for the same run
        run = f"5707a000-0000-4000-8000-{i:012d}"
        failures.append([("azure-monitor", adf_log_alert(run) if n % 2 else adf_activity_rows_alert(run))
                         for n in range(10)])
    for i in range(15):  # Databricks runs: job-level and task-level notices, string and numeric ids
        run = 770000000000 + i * 7919
        copies = []
        for n in range(10):
            if n % 3 == 0:
                copies.append(("databricks", databricks_failure(run, job_id=8800 + i, name=f"storm-job-{i}",
                                                                workspace_id=1234567890123456)))
            elif n % 3 == 1:
                copies.append(("databricks", databricks_failure(str(run), job_id=str(8800 + i),
                                                                name=f"storm-job-{i}")))
            else:
                copies.append(("databricks", databricks_failure(run, job_id=8800 + i, name=f"storm-job-{i}",
                                                                task=f"task_{n}", task_run_id=run + n)))
        failures.append(copies)
    for i in range(5):  # cluster terminations
        failures.append([("azure-monitor", cluster_alert(f"0603-0415{i:02d}-storm{i:03d}")) for _ in range(10)])
    return failures


def test_storm_collapses_into_one_ticket_per_failure(api: Api) -> None:
    failures = _storm_failures()
    deliveries = [(index, kind, payload) for index, copies in enumerate(failures) for kind, payload in copies]
    random.Random(20250603).shuffle(deliveries)
    assert len(deliveries) == 300

    def send(item: tuple[int, str, dict[str, Any]]) -> tuple[int, int, dict[str, Any]]:
        index, kind, payload = item
        response = api.ingest(kind, payload)  # raises on any 5xx
        return index, response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(send, deliveries))

    assert Counter(status for _, status, _ in answers) == {202: 300}
    tickets_by_failure: dict[int, set[str]] = {}
    created = Counter()
    for index, _, body in answers:
        (result,) = body["results"]
        assert result["status"] in ("created", "duplicate"), result
        tickets_by_failure.setdefault(index, set()).add(result["ticket_id"])
        created[index] += result["status"] == "created"
    assert all(len(ids) == 1 for ids in tickets_by_failure.values()), tickets_by_failure
    ticket_ids = {next(iter(ids)) for ids in tickets_by_failure.values()}
    assert len(ticket_ids) == 30
    assert all(created[i] == 1 for i in range(30)), created  # exactly one delivery per failure created it
    occurrences = {tid: api.ticket(tid)["occurrences"] for tid in ticket_ids}
    assert sorted(occurrences.values()) == [10] * 30
    assert sum(occurrences.values()) == 300
    listed = [t for t in api.all_tickets() if "storm" in (t.get("job") or "") + (t.get("title") or "")
              or (t.get("run_id") or "").startswith("5707a000")]
    assert {t["id"] for t in listed} == ticket_ids


# -- reading tickets ---------------------------------------------------------------------------------

DETAIL_FIELDS = {
    "id", "status", "priority", "severity", "source", "title", "resource", "run_id", "dedup_key",
    "occurrences", "first_seen_at", "last_seen_at", "created_at", "acknowledged_at", "resolved_at", "sla_due_at",
    "sla_status", "rca", "enrichment", "jira_key", "slack", "team", "cost_center", "audit",
}


def _iso(value: str) -> datetime:
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_ticket_detail_has_the_contract_fields(api: Api) -> None:
    ticket_id = api.create("databricks", databricks_failure("424242000010", name="detail-job"))
    ticket = api.wait_ticket(ticket_id, lambda t: t["stage"] == "notified", what="notified")
    assert DETAIL_FIELDS <= set(ticket), DETAIL_FIELDS - set(ticket)
    assert "pipeline" in ticket or "job" in ticket
    assert ticket["id"] == ticket_id and ticket["job"] == "detail-job" and ticket["run_id"] == "424242000010"
    assert ticket["status"] == "open" and ticket["priority"] in ("P1", "P2", "P3", "P4")
    assert ticket["sla_status"] == "pending" and isinstance(ticket["occurrences"], int)
    for name in ("first_seen_at", "last_seen_at", "created_at", "sla_due_at"):
        _iso(ticket[name])
    assert _iso(ticket["sla_due_at"]) > _iso(ticket["created_at"])
    assert {"category", "error_type", "root_cause", "recommendations", "confidence", "source"} <= set(ticket["rca"])
    assert isinstance(ticket["enrichment"], dict)
    assert ticket["audit"] and all(set(e) == {"at", "actor", "action", "details"} for e in ticket["audit"])
    assert audit_actions(ticket)[0] == "created"


def test_list_is_newest_first_and_paged(api: Api) -> None:
    everything = api.all_tickets()
    assert len(everything) >= 40
    # Newest first by creation second (tickets of one second come in id order: see the report).
    created = [t["created_at"][:19] for t in everything]
    assert created == sorted(created, reverse=True), "list is not newest first"
    assert len({t["id"] for t in everything}) == len(everything), "a ticket was listed twice"
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        page = api.tickets(limit=7, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= 7
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
        assert len(page["items"]) == 7
    assert seen == [t["id"] for t in everything]
    summary_fields = {"id", "status", "priority", "source", "title", "dedup_key", "occurrences", "created_at",
                      "sla_status", "category", "jira_key"}
    assert summary_fields <= set(everything[0])


def test_list_filters(api: Api) -> None:
    dbx = api.all_tickets(source="databricks_job")
    assert dbx and all(t["source"] == "databricks_job" for t in dbx)
    both = api.all_tickets(source="databricks_job,adf")
    assert {t["source"] for t in both} == {"databricks_job", "adf"}
    found = api.all_tickets(q="detail-job")
    assert [t["job"] for t in found] == ["detail-job"]


# -- distinct failures in the same second -------------------------------------------------------------

def _colliding_runs(workspace: str, start: int) -> tuple[str, str]:
    """Two Databricks runs whose dedup keys share their first 4 hex digest digits, found by brute
    force: ticket ids once carried only those 4 digits and the second, and such failures collided."""
    import hashlib

    seen: dict[str, str] = {}
    n = start
    while True:
        run = str(n)
        digest = hashlib.sha256(f"databricks:{workspace}:{run}".encode()).hexdigest()[:4]
        if digest in seen:
            return seen[digest], run
        seen[digest] = run
        n += 1


def test_two_distinct_failures_in_one_second_get_two_tickets(api: Api) -> None:
    import threading
    import time

    workspace = "5550001"
    for attempt in range(5):
        first, second = _colliding_runs(workspace, 10_000_000 + attempt * 100_000)
        while time.time() % 1 > 0.2:  # start right after a second boundary
            time.sleep(0.01)
        results: dict[str, dict[str, Any]] = {}

        def post(run: str, results: dict[str, dict[str, Any]] = results) -> None:
            results[run] = api.ingest_ok("databricks", databricks_failure(run, workspace_id=workspace))[0]

        threads = [threading.Thread(target=post, args=(run,)) for run in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        a, b = results[first], results[second]
        assert a["ticket_id"] != b["ticket_id"], f"two failures, one ticket: {a} / {b}"
        assert a["status"] == b["status"] == "created"
        if a["ticket_id"][:16] == b["ticket_id"][:16]:
            return  # same second, still two tickets
    pytest.fail("could not create both tickets within one second")
