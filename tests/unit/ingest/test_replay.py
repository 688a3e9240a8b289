"""Replay: archived bodies go back through ingestion; selection by status, request id and day."""

from datetime import date
from pathlib import Path

from shared.ingest_http import handle_alert_request
from shared.replay import replay
from tests.fakes import fake_services

SAMPLE = (Path(__file__).resolve().parents[2] / "fixtures" / "samples" / "databricks_webhook"
          / "derived_job_run_failure_realistic.json").read_bytes()
DAY = date(2026, 12, 4)  # the fake clock's day


def test_a_503_answered_alert_replays_into_its_ticket_once():
    from shared.errors import RetryableError

    svc = fake_services()
    svc.publisher.fail_with = RetryableError("servicebus", "down")
    response, _ = handle_alert_request("databricks", SAMPLE, svc)
    assert response.status == 503
    svc.publisher.fail_with = None
    [report] = list(replay(svc, DAY, DAY, http={"503"}))
    assert report["http_status"] == 202 and report["results"][0]["status"] == "created"
    [ticket] = svc.store.tickets.values()
    assert ticket.occurrences == 1 and len(svc.publisher.sent) == 1


def test_selection_and_dry_run():
    svc = fake_services()
    handle_alert_request("databricks", SAMPLE, svc, request_id="good")
    handle_alert_request("databricks", b"{broken", svc, request_id="bad")
    assert [r["blob"] for r in replay(svc, DAY, DAY, http={"400"}, dry_run=True)] == ["2026/12/04/bad.json"]
    assert [r["blob"] for r in replay(svc, DAY, DAY, request_id="good", dry_run=True)] == ["2026/12/04/good.json"]
    assert list(replay(svc, date(2026, 12, 5), date(2026, 12, 6), http={"400"})) == []
    [again] = list(replay(svc, DAY, DAY, request_id="good"))
    assert again["results"][0]["status"] == "duplicate"  # a resend of an accepted alert is a repeat
