"""Distinct failure payloads of mixed sources for the ingestion benchmarks (from the test fixtures)."""

from __future__ import annotations

import copy
import json
import random
import uuid
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "samples"


def _load(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


def _databricks(rng: random.Random) -> tuple[str, bytes]:
    payload = _load("databricks_webhook/derived_job_run_failure_realistic.json")
    payload["run"]["run_id"] = str(rng.randrange(10**14, 10**15))
    return "databricks", json.dumps(payload).encode()


def _adf_log_v2(rng: random.Random) -> tuple[str, bytes]:
    payload = _load("azure_monitor/derived_adf_pipeline_failed_log_alert_v2.json")
    run_id = str(uuid.UUID(int=rng.getrandbits(128)))
    payload["data"]["essentials"]["alertId"] = payload["data"]["essentials"]["alertId"].rsplit("/", 1)[0] + "/" + str(
        uuid.UUID(int=rng.getrandbits(128)))
    for condition in payload["data"]["alertContext"]["condition"]["allOf"]:
        for dim in condition.get("dimensions") or []:
            if dim["name"] == "RunId":
                dim["value"] = run_id
    return "azure-monitor", json.dumps(payload).encode()


def _adf_log_v1(rng: random.Random) -> tuple[str, bytes]:
    payload = _load("azure_monitor/derived_adf_activity_failed_log_alert_v1_searchresults.json")
    table = payload["data"]["alertContext"]["SearchResults"]["tables"][0]
    column = [c["name"] for c in table["columns"]].index("PipelineRunId")
    run_id = str(uuid.UUID(int=rng.getrandbits(128)))
    table["rows"] = [copy.deepcopy(table["rows"][0])]
    table["rows"][0][column] = run_id
    return "azure-monitor", json.dumps(payload).encode()


def _cluster(rng: random.Random) -> tuple[str, bytes]:
    payload = _load("azure_monitor/derived_databricks_cluster_terminated_log_alert_v2.json")
    cluster = f"{rng.randrange(1000, 9999)}-{rng.randrange(100000, 999999)}-bench{rng.randrange(1000, 9999)}"
    for condition in payload["data"]["alertContext"]["condition"]["allOf"]:
        for dim in condition.get("dimensions") or []:
            if dim["name"] == "ClusterId":
                dim["value"] = cluster
    return "azure-monitor", json.dumps(payload).encode()


BUILDERS = (_databricks, _adf_log_v2, _adf_log_v1, _cluster)


def distinct_failures(n: int, rng: random.Random) -> list[tuple[str, bytes]]:
    """n payloads, each a different failure (so a different ticket), cycling through the sources."""
    return [BUILDERS[i % len(BUILDERS)](rng) for i in range(n)]
