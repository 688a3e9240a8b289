"""`python -m devhost --demo` (what `make run` starts): the demo tickets show fetched errors and analyses."""

from __future__ import annotations

import time

import requests

from devhost.testing import run_devhost
from tests.e2e.pipeline.conftest import _ISOLATED
from tests.e2e.running import RUNNING


def test_the_demo_estate_lets_every_demo_ticket_show_what_failed_and_why(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env: dict[str, str | None] = {name: None for name in _ISOLATED}
    env.update({"INGEST_API_KEY": None, "DEVHOST_LOG_LEVEL": "INFO"})
    handle = run_devhost(env=env, args=["--demo", "--local-settings", str(tmp_path / "absent.json")], timeout=90)
    RUNNING.append(handle)
    try:
        assert "demo databricks: http://127.0.0.1:" in handle.output()
        deadline, items = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            items = requests.get(f"{handle.base_url}/api/tickets", params={"limit": "50"}, timeout=10).json()["items"]
            if len(items) >= 6 and all(t["stage"] == "notified" for t in items):
                break
            time.sleep(0.5)
        assert items and all(t["stage"] == "notified" for t in items), [(t["id"], t["stage"]) for t in items]
        details = [requests.get(f"{handle.base_url}/api/tickets/{t['id']}", timeout=10).json() for t in items]
        assert all(d["rca"] and d["rca"]["category"] for d in details)
        dbx = next(d for d in details if d["source"] == "databricks_job")
        assert dbx["error_message"].startswith("AnalysisException")  # fetched from the stand-in workspace
        assert dbx["enrichment"]["failed_steps"] and dbx["rca"]["category"] == "source_not_found"
        adf = [d for d in details if d["source"] == "adf"]
        assert adf and any(d["enrichment"].get("failed_steps") for d in adf)  # activity runs from the stand-in ARM
    finally:
        handle.stop()
        RUNNING.remove(handle)
