"""50 identical alerts at once through two independent service stacks on Azurite → one ticket, 50 counted."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shared.bootstrap import build_services
from shared.ingest_http import handle_alert_request
from tests.fakes import FakePublisher

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "samples" / "databricks_webhook" / "derived_job_run_failure_realistic.json"


@pytest.mark.parametrize("audit_interval, occurrence_lines", [(0, 49), (60, 1)])
def test_fifty_identical_alerts_from_two_instances_make_one_ticket(storage_settings, unique, audit_interval,
                                                                   occurrence_lines):
    raw = SAMPLE.read_bytes()
    publisher = FakePublisher()
    settings = storage_settings.model_copy(update={"audit_repeat_interval_seconds": audit_interval})
    instances = [build_services(settings, prefix=f"t{unique}", publisher=publisher) for _ in range(2)]

    def post(i: int) -> dict:
        response, _ = handle_alert_request("databricks", raw, instances[i % 2])
        assert response.status == 202, response.body
        return json.loads(response.body)["results"][0]

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(post, range(50)))
    assert [r["status"] for r in results].count("created") == 1
    assert len({r["ticket_id"] for r in results}) == 1
    ticket = instances[0].store.get(results[0]["ticket_id"])
    assert ticket.occurrences == 50
    assert len(publisher.to(storage_settings.enrich_queue)) == 1
    actions = [e.action for e in instances[1].audit.read(ticket.id)]
    # Every repeat audited, or (the default) one line a minute: either way exactly, across instances.
    assert actions.count("created") == 1 and actions.count("occurrence") == occurrence_lines
    assert len(instances[0].archive.list("")) == 50
