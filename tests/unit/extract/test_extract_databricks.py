"""Databricks job notification webhooks: every sample, numeric ids, task-level runs, refusals."""

import json
from pathlib import Path

import pytest

from shared.alerts import AlertEvent, SourceKind
from shared.extract import PayloadError, extract_databricks

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples" / "databricks_webhook"


def load(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


def only(payload: dict):
    alerts = extract_databricks(payload)
    assert len(alerts) == 1
    return alerts[0]


def refusal(payload: object) -> PayloadError:
    with pytest.raises(PayloadError) as caught:
        extract_databricks(payload)
    return caught.value


def test_job_level_failure():
    alert = only(load("derived_job_run_failure_realistic.json"))
    assert (alert.source, alert.event, alert.signal) == (SourceKind.DATABRICKS_JOB, AlertEvent.FAILURE,
                                                         "databricks_webhook")
    assert (alert.job, alert.job_id, alert.run_id) == ("nightly-sales-etl", "123456789012345", "987654321098765")
    assert alert.workspace_id == "1234567890123456"
    assert alert.task_run_id is None and alert.parent_run_id is None and alert.activity is None


def test_numeric_ids_are_stored_as_the_same_strings():
    assert only(load("derived_job_run_failure_numeric_ids.json")) == only(load("derived_job_run_failure_realistic.json"))


def test_task_level_failure_is_about_the_parent_run():
    alert = only(load("derived_task_run_failure_realistic.json"))
    assert (alert.run_id, alert.parent_run_id, alert.task_run_id) == ("987654321098765", "987654321098765",
                                                                      "556677889900112")
    assert alert.activity == "transform_sales" and alert.event is AlertEvent.FAILURE


def test_duration_warning():
    alert = only(load("derived_job_duration_warning.json"))
    assert alert.event is AlertEvent.DURATION_WARNING and alert.run_id == "987654321098765"


def test_streaming_backlog_warning():
    alert = only(load("derived_job_streaming_backlog.json"))
    assert alert.event is AlertEvent.STREAMING_BACKLOG
    assert (alert.job, alert.job_id, alert.run_id) == ("orders-stream-ingest", "123456789019999", "987654321099001")


@pytest.mark.parametrize("name, event", [
    ("job_run_failure.json", AlertEvent.FAILURE),
    ("job_run_start.json", AlertEvent.START),
])
def test_doc_job_level_samples(name, event):
    alert = only(load(name))
    assert (alert.event, alert.run_id, alert.job_id, alert.job) == (event, "run_id", "job_id", "job_name")
    assert alert.workspace_id == "your_workspace_id" and alert.task_run_id is None


@pytest.mark.parametrize("name, event", [
    ("task_run_start.json", AlertEvent.START),
    ("task_run_success.json", AlertEvent.SUCCESS),
])
def test_doc_task_level_samples(name, event):
    alert = only(load(name))
    assert alert.event is event
    assert (alert.run_id, alert.task_run_id, alert.activity) == ("run_id_of_parent_job_run", "run_id_of_task",
                                                                 "task_name")


def test_numeric_task_ids_and_integral_floats_and_padding():
    payload = {"event_type": " jobs.on_failure ", "workspace_id": 1.0e15, "task": {"task_key": " t1 "},
               "run": {"run_id": 556677889900112, "parent_run_id": " 987654321098765 "},
               "job": {"job_id": 42, "name": "etl"}}
    alert = only(payload)
    assert (alert.workspace_id, alert.run_id, alert.task_run_id) == ("1000000000000000", "987654321098765",
                                                                     "556677889900112")
    assert (alert.job_id, alert.activity) == ("42", "t1")


def test_job_without_name_or_job_block_still_identifies_the_run():
    alert = only({"event_type": "jobs.on_failure", "run": {"run_id": "5"}})
    assert alert.run_id == "5" and alert.job is None and alert.job_id is None


@pytest.mark.parametrize("payload, field, problem", [
    ({"event_type": "jobs.on_failure", "job": {"job_id": "1"}}, "run.run_id", "missing"),
    ({"event_type": "jobs.on_failure", "run": {"run_id": "  "}}, "run.run_id", "missing"),
    ({"event_type": "jobs.on_failure", "run": {"run_id": {"id": 1}}}, "run.run_id", "expected a string or integer id"),
    ({"event_type": "jobs.on_failure", "run": {"run_id": True}}, "run.run_id", "expected a string or integer id"),
    ({"event_type": "jobs.on_failure", "run": {"run_id": 1.5}}, "run.run_id", "expected a whole number"),
    ({"event_type": "jobs.on_failure", "run": "123"}, "run", "expected an object"),
    ({"event_type": "jobs.on_failure", "run": {"run_id": 1, "parent_run_id": []}}, "run.parent_run_id",
     "expected a string or integer id"),
    ({"run": {"run_id": 1}}, "event_type", "missing"),
    ({"event_type": 7, "run": {"run_id": 1}}, "event_type", "expected a string"),
])
def test_unusable_notifications_say_which_field(payload, field, problem):
    error = refusal(payload)
    assert error.code == "invalid_alert"
    assert {"field": field, "problem": problem} in error.details


def test_unknown_event_type_is_refused_by_name():
    error = refusal({"event_type": "jobs.on_cosmic_ray", "run": {"run_id": 1}})
    assert error.code == "unsupported_event_type" and "jobs.on_cosmic_ray" in error.message
    assert error.details[0]["field"] == "event_type"
    assert error.to_response()["error"]["code"] == "unsupported_event_type"


@pytest.mark.parametrize("payload", [None, [], "jobs.on_failure", 3, True])
def test_non_objects_are_refused(payload):
    error = refusal(payload)
    assert error.code == "invalid_alert" and error.details[0]["field"] == "$"


def test_every_databricks_sample_is_covered_by_a_test():
    source = Path(__file__).read_text()
    missing = [path.name for path in SAMPLES.glob("*.json") if f'"{path.name}"' not in source]
    assert SAMPLES.is_dir() and not missing
