"""Property tests: any JSON, and real samples with fields deleted, nulled or retyped, give Alerts or a PayloadError."""

import copy
import json
from datetime import UTC
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.alerts import Alert
from shared.extract import PayloadError, extract_azure_monitor, extract_databricks

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
DOCS = [json.loads(path.read_text()) for folder in ("azure_monitor", "databricks_webhook")
        for path in sorted((SAMPLES / folder).glob("*.json"))]
EXTRACTORS = (extract_azure_monitor, extract_databricks)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
# Keys and values the extractors look for, so random objects reach deep code paths too.
known_keys = st.sampled_from(["schemaId", "data", "essentials", "alertContext", "alertId", "monitorCondition",
                              "monitoringService", "condition", "allOf", "dimensions", "SearchResults", "tables",
                              "columns", "rows", "event_type", "run", "run_id", "parent_run_id", "job", "task"])
known_values = st.sampled_from(["azureMonitorCommonAlertSchema", "Fired", "Resolved", "Platform", "Log Alerts V2",
                                "Log Analytics", "Activity Log - Administrative", "ServiceHealth", "jobs.on_failure",
                                "3/22/2019 1:36:31 PM", "/subscriptions/s/resourceGroups/r/providers/a/b/c"])
shaped_values = st.recursive(scalars | known_values, lambda inner: st.lists(inner, max_size=4)
                             | st.dictionaries(known_keys | st.text(max_size=6), inner, max_size=5), max_leaves=30)


def check_outcome(extract, payload: Any) -> None:
    try:
        alerts = extract(payload)
    except PayloadError as error:
        assert error.code and error.message and isinstance(error.details, list)
        json.dumps(error.to_response())
        return
    assert alerts and all(isinstance(alert, Alert) for alert in alerts)
    for alert in alerts:
        alert.model_dump_json()  # storable: no lone surrogates, nothing unserializable
        for moment in (alert.fired_at, alert.resolved_at, alert.window_start, alert.window_end):
            assert moment is None or moment.utcoffset() == UTC.utcoffset(None)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in {**alert.dimensions, **alert.tags}.items())
        for value in (alert.alert_id, alert.run_id, alert.job_id, alert.task_run_id, alert.workspace_id):
            assert value is None or (value == value.strip() and value)


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def swapped(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        # isdecimal, not isdigit: "²" is a digit that int() refuses
        return int(value) if value.strip().isascii() and value.strip().isdecimal() else len(value)
    if isinstance(value, list):
        return {str(i): item for i, item in enumerate(value)}
    if isinstance(value, dict):
        return list(value.values())
    return 0


@st.composite
def mutated_samples(draw) -> Any:
    doc = copy.deepcopy(draw(st.sampled_from(DOCS)))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths(doc)))
        action = draw(st.sampled_from(["delete", "null", "swap", "random"]))
        if not path:
            doc = None if action == "null" else swapped(doc) if action == "swap" else draw(json_values)
            continue
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        key = path[-1]
        if action == "delete":
            del parent[key]
        else:
            parent[key] = {"null": None, "swap": swapped(parent[key])}.get(action) if action != "random" \
                else draw(json_values)
        if not isinstance(doc, (dict, list)):
            break
    return doc


@FAST
@given(payload=json_values)
def test_any_json_value_gives_alerts_or_a_payload_error(payload):
    for extract in EXTRACTORS:
        check_outcome(extract, payload)


@FAST
@given(payload=shaped_values)
def test_alert_shaped_json_gives_alerts_or_a_payload_error(payload):
    for extract in EXTRACTORS:
        check_outcome(extract, payload)
        check_outcome(extract, {"schemaId": "azureMonitorCommonAlertSchema", "data": payload})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=mutated_samples())
def test_mutated_real_samples_give_alerts_or_a_payload_error(payload):
    for extract in EXTRACTORS:
        check_outcome(extract, payload)


@FAST
@given(run_id=st.integers(min_value=0, max_value=2**63) | st.text(max_size=20), job_id=st.integers(0, 2**63))
def test_databricks_ids_are_always_strings(run_id, job_id):
    payload = {"event_type": "jobs.on_failure", "run": {"run_id": run_id}, "job": {"job_id": job_id}}
    try:
        [alert] = extract_databricks(payload)
    except PayloadError as error:
        assert error.details == [{"field": "run.run_id", "problem": "missing"}]
        assert isinstance(run_id, str) and not run_id.strip()
        return
    assert alert.run_id == str(run_id).strip() and alert.job_id == str(job_id)
