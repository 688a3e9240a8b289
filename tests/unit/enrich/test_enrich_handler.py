"""handle_enrich with in-memory adapters: retries by delivery count, merging, races, redelivery."""

import pytest
from enrich_stubs import FACTORY_ID, NOW, StubAdf, StubDatabricks, retryable, ticket

from shared.errors import RetryableError
from shared.stages.enrich import handle_enrich
from shared.tickets import Stage
from tests.fakes import FixedClock, fake_services

TID = "T20250603-021741-AB12"


def setup(t=None, **adapters):
    svc = fake_services(clock=FixedClock(NOW), **adapters)
    svc.store.create(t or ticket(job_id="123456789012345", run_id="987654321098765"))
    return svc


def test_alert_fields_and_tags_win_over_enrichment():
    t = ticket(run_id="987654321098765", error_code="ALERT_CODE", tags={"cost_center": "from-alert"},
               links={"run_page": "https://alert.example/run"})
    svc = setup(t, databricks=StubDatabricks.with_samples())
    handle_enrich({"ticket_id": TID}, svc)
    stored = svc.store.get(TID)
    assert stored.error_code == "ALERT_CODE"
    assert stored.error_message.startswith("AnalysisException")  # it had none: filled from the task
    assert stored.tags["cost_center"] == "from-alert" and stored.tags["owner"] == "sales-analytics"
    assert stored.links["run_page"] == "https://alert.example/run"
    assert stored.job_id == "123456789012345"


def test_a_retryable_partial_result_is_retried_while_deliveries_remain():
    dbx = StubDatabricks.with_samples()
    dbx.errors["get_job"] = retryable(status=502)
    svc = setup(databricks=dbx)
    with pytest.raises(RetryableError) as err:
        handle_enrich({"ticket_id": TID, "_delivery_count": 2}, svc)
    assert "job tags unavailable: 502 from Databricks" in str(err.value)
    outcome = handle_enrich({"ticket_id": TID, "_delivery_count": 3}, svc)
    stored = svc.store.get(TID)
    assert stored.enrichment["status"] == "partial" and stored.enrichment["failed_steps"]
    assert stored.enrichment["notes"][-1] == "gave up retrying after 3 deliveries"
    assert outcome.changes[0].change == "enriched"


@pytest.mark.parametrize("count", [None, "x", 0, -4])
def test_an_odd_delivery_count_counts_as_the_first(count):
    dbx = StubDatabricks.with_samples()
    dbx.errors["get_run"] = retryable()
    with pytest.raises(RetryableError):
        handle_enrich({"ticket_id": TID, "_delivery_count": count}, setup(databricks=dbx))


def test_permanent_failures_never_raise():
    dbx = StubDatabricks.with_samples()
    dbx.errors["get_run"] = RuntimeError("not an integration error")  # a bug in an adapter
    svc = setup(databricks=dbx)
    outcome = handle_enrich({"ticket_id": TID, "_delivery_count": 1}, svc)
    assert svc.store.get(TID).enrichment["status"] == "unavailable"
    assert outcome.messages[-1].message_id == f"{TID}:analyze"


def test_a_concurrent_delivery_that_stored_first_wins():
    svc = setup(databricks=StubDatabricks.with_samples())
    original = svc.store.mutate

    def racing_mutate(ticket_id, change):
        original(ticket_id, lambda t: setattr(t, "stage", Stage.ENRICHED))  # the other instance
        return original(ticket_id, change)

    svc.store.mutate = racing_mutate
    outcome = handle_enrich({"ticket_id": TID}, svc)
    assert "status" not in svc.store.get(TID).enrichment  # ours was not written over theirs
    assert outcome.changes == [] and [m.message_id for m in outcome.messages] == [f"{TID}:analyze"]
    assert svc.audit.actions(TID) == []


def test_redelivered_runless_alert_repeats_its_spawn_messages_without_calls():
    adf = StubAdf.with_samples()
    alert = {"window_start": "2025-06-03T02:11:30Z", "window_end": "2025-06-03T02:16:30Z"}
    t = ticket(source="adf", pipeline="PL_Ingest_Sales", resource_id=FACTORY_ID, enrichment={"alert": alert})
    svc = setup(t, adf=adf)
    first = handle_enrich({"ticket_id": TID}, svc)
    calls = len(adf.calls)
    again = handle_enrich({"ticket_id": TID}, svc)
    assert len(adf.calls) == calls
    assert [m.message_id for m in again.messages] == [m.message_id for m in first.messages]
    assert len([m for m in first.messages if m.body["stage"] == "spawn"]) == 2
    assert svc.store.get(TID).enrichment["alert"] == alert  # ingestion's part of enrichment is kept


def test_message_without_ticket_id_is_ignored():
    assert handle_enrich({"stage": "enrich"}, fake_services()).messages == []
