"""The stage pipeline through devhost with fake Databricks and ARM: stages, real errors, catalog RCA, run discovery."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from tests.e2e.pipeline.helpers import (
    RCA_CATEGORIES,
    STAGES,
    Api,
    adf_log_alert,
    api_for,
    audit_actions,
    databricks_failure,
    poll,
    sample,
)
from tests.fakes_http.arm_server import ArmServer
from tests.fakes_http.databricks_server import DatabricksServer

FACTORY = "adf-contoso-prod"
LOGGED_RUN = "7a3c9e21-4b8d-4f6e-9c12-5d0e8f3a6b77"  # a log alert reports it; the metric alert's window holds it
OTHER_RUN = "b4d2f6a8-1c3e-4f5a-8b7c-9d0e1f2a3b4c"  # only the metric alert's window holds it
SYNAPSE_RUN = "3c5e7a9b-1d2f-4a6c-8e0b-2d4f6a8c0e1a"
DEV_TOKEN = "local-development-token"  # what the app sends to an ARM_BASE_URL on 127.0.0.1


@pytest.fixture(scope="module")
def databricks() -> Iterator[DatabricksServer]:
    with DatabricksServer().with_samples() as server:
        yield server


@pytest.fixture(scope="module")
def arm() -> Iterator[ArmServer]:
    with ArmServer(arm_token=DEV_TOKEN, synapse_token=DEV_TOKEN).with_samples() as server:
        yield server


@pytest.fixture(scope="module")
def api(devhost_factory, databricks: DatabricksServer, arm: ArmServer) -> Api:  # type: ignore[no-untyped-def]
    return api_for(devhost_factory({
        "DATABRICKS_HOST": databricks.url, "DATABRICKS_TOKEN": databricks.token,
        "ARM_BASE_URL": arm.url, "SYNAPSE_ENDPOINT": arm.synapse_endpoint(),
    }))


def _at(entry: dict) -> datetime:  # type: ignore[type-arg]
    return datetime.fromisoformat(entry["at"].replace("Z", "+00:00"))


def test_a_new_ticket_walks_every_stage_within_seconds(api: Api, databricks: DatabricksServer) -> None:
    started = time.monotonic()
    ticket_id = api.create("databricks", sample("databricks_webhook/derived_job_run_failure_realistic.json"))
    seen: list[str] = []

    def notified() -> bool:
        stage = api.ticket(ticket_id)["stage"]
        if not seen or seen[-1] != stage:
            seen.append(stage)
        return stage == "notified"

    assert poll(notified, timeout=15, interval=0.03), f"stages seen: {seen}"
    assert time.monotonic() - started < 10, "the pipeline took more than a few seconds"
    assert [STAGES.index(s) for s in seen] == sorted(STAGES.index(s) for s in seen), f"out of order: {seen}"
    ticket = api.ticket(ticket_id)
    entries = {e["action"]: e for e in ticket["audit"]}
    order = [entries[a] for a in ("created", "enriched", "analyzed")]
    assert [e["actor"] for e in order] == ["ingest", "enrich", "analyze"]
    assert _at(order[0]) <= _at(order[1]) <= _at(order[2])
    assert ticket["rca"]["category"] in RCA_CATEGORIES
    assert not databricks.errors and not databricks.auth_failures


def test_databricks_failure_shows_the_failed_task_error_and_a_catalog_rca(api: Api) -> None:
    ticket_id = api.create("databricks", sample("databricks_webhook/derived_job_run_failure_numeric_ids.json"))
    ticket = api.wait_ticket(ticket_id, lambda t: t["stage"] == "notified", what="notified")
    enrichment = ticket["enrichment"]
    assert enrichment["system"] == "databricks" and enrichment["status"] == "ok", enrichment.get("notes")
    (step,) = enrichment["failed_steps"]  # the failed task, not the succeeded or skipped ones
    assert step["name"] == "transform_sales" and step["run_id"] == "556677889900112"
    assert "TABLE_OR_VIEW_NOT_FOUND" in step["error_message"]
    assert "\x1b[" not in (step["error_trace"] or ""), "ANSI colour codes left in the trace"
    assert "raw.sales_2025_06_02" in (step["error_trace"] or "")
    assert "TABLE_OR_VIEW_NOT_FOUND" in ticket["error_message"]
    assert ticket["links"].get("run_page", "").startswith("https://adb-")
    rca = ticket["rca"]
    assert rca["source"] in ("catalog", "cache") and not rca["catalog_entry"].startswith("fallback")
    assert rca["category"] == "source_not_found"
    assert rca["recommendations"] and 0 < rca["confidence"] <= 1


def test_job_tags_fetched_by_enrichment_attribute_the_cost_center(api: Api) -> None:
    ticket_id = api.create("databricks", databricks_failure("987654321098765", job_id=123456789012345))
    ticket = api.wait_ticket(ticket_id, lambda t: t["stage"] == "notified", what="notified")
    assert ticket["enrichment"]["tags"].get("cost_center") == "CC-4711"
    assert ticket["cost_center"] == "CC-4711"


def test_adf_log_alert_gets_the_failed_activities_from_arm(api: Api, arm: ArmServer) -> None:
    ticket_id = api.create("azure-monitor", adf_log_alert(LOGGED_RUN))
    ticket = api.wait_ticket(ticket_id, lambda t: t["stage"] == "notified", what="notified")
    assert ticket["dedup_key"] == f"adf:{FACTORY}:{LOGGED_RUN}"
    steps = {s["name"]: s for s in ticket["enrichment"]["failed_steps"]}
    assert steps["Copy_Sales_From_Blob"]["error_code"] == "2200"
    assert "UserErrorSourceBlobNotExists" in steps["Copy_Sales_From_Blob"]["error_message"]
    assert ticket["rca"]["category"] in RCA_CATEGORIES and ticket["rca"]["source"] in ("catalog", "cache")
    assert not arm.errors, arm.errors


def _ticket_by_key(api: Api, key: str) -> dict | None:  # type: ignore[type-arg]
    return next((t for t in api.all_tickets() if t["dedup_key"] == key), None)


def test_run_less_metric_alert_opens_the_discovered_runs_tickets(api: Api) -> None:
    logged = api.create("azure-monitor", adf_log_alert(LOGGED_RUN))  # the ticket of the previous test
    metric = api.create("azure-monitor", sample("azure_monitor/derived_adf_pipeline_failed_metric_alert_fired.json"))
    assert api.ticket(metric)["dedup_key"].startswith("alert:")
    other = poll(lambda: _ticket_by_key(api, f"adf:{FACTORY}:{OTHER_RUN}"), timeout=20)
    assert other, "no ticket for the run the metric alert's window holds"
    assert other["run_id"] == OTHER_RUN and other["pipeline"] == "PL_Ingest_Sales"
    merged = api.wait_ticket(logged, lambda t: "enrichment" in {e["details"].get("signal") for e in t["audit"]},
                             what="the discovered run folded into the log alert's ticket")
    assert merged["dedup_key"] == f"adf:{FACTORY}:{LOGGED_RUN}"
    assert [t["id"] for t in api.all_tickets() if t["dedup_key"] == f"adf:{FACTORY}:{LOGGED_RUN}"] == [logged]
    runs = {r["run_id"] for r in api.ticket(metric)["enrichment"]["discovered_runs"]}
    assert runs == {LOGGED_RUN, OTHER_RUN}
    # A log alert arriving after discovery joins the discovered run's ticket too.
    later = api.ingest_ok("azure-monitor", adf_log_alert(OTHER_RUN))[0]
    assert later["status"] == "duplicate" and later["ticket_id"] == other["id"]
    assert api.wait_ticket(other["id"], lambda t: t["stage"] == "notified")["enrichment"]["failed_steps"]


def test_run_discovery_counts_once_and_leaves_the_alert_ticket_healthy(api: Api) -> None:
    payload = sample("azure_monitor/derived_synapse_pipeline_failed_metric_alert.json")
    metric = api.create("azure-monitor", payload)
    run_ticket = poll(lambda: _ticket_by_key(api, f"synapse:syn-contoso-prod:{SYNAPSE_RUN}"), timeout=20)
    assert run_ticket, "no ticket for the discovered Synapse run"
    time.sleep(3)  # room for redeliveries, if the spawn keeps failing
    ticket = api.wait_ticket(metric, lambda t: t["stage"] == "notified")
    # The alert hands over to its run ticket (one incident, one Jira issue), without a pipeline error.
    assert ticket["status"] == "resolved" and ticket["split_into_runs"] == [SYNAPSE_RUN], ticket.get("pipeline_error")
    assert "run_ticket" in audit_actions(ticket) and "notify_skipped" in audit_actions(ticket)
    assert api.ticket(run_ticket["id"])["occurrences"] == 1
