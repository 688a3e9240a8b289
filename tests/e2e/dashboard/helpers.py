"""Alert payloads, API calls and waits shared by the dashboard browser tests."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from devhost.testing import PROJECT_ROOT, DevhostHandle

__all__ = ["INGEST_KEY", "SAMPLES", "unique", "databricks_failure", "adf_failure_sev1", "post_alert", "api", "wait_for",
           "wait_processed", "principal_header", "read_web_config", "screenshot", "queue_ids", "wait_queue_loaded",
           "row", "cell_text"]

INGEST_KEY = "e2e-dashboard-ingest-key"
SAMPLES = PROJECT_ROOT / "tests" / "fixtures" / "samples"
T = TypeVar("T")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _sample(relative: str) -> dict[str, Any]:
    return json.loads((SAMPLES / relative).read_text(encoding="utf-8"))


def databricks_failure(job_name: str, run_id: str | None = None) -> tuple[str, dict[str, Any]]:
    """A Databricks `jobs.on_failure` webhook for a distinct run (P3: the webhook carries no severity)."""
    payload = _sample("databricks_webhook/derived_job_run_failure_realistic.json")
    payload["job"]["name"] = job_name
    payload["run"]["run_id"] = run_id or str(uuid.uuid4().int % 10**15)
    return "alerts/databricks", payload


def adf_failure_sev1(pipeline: str) -> tuple[str, dict[str, Any]]:
    """An Azure Monitor Log Alerts V2 for a failed ADF pipeline run at Sev1, so the ticket is at least P2."""
    payload = _sample("azure_monitor/derived_adf_pipeline_failed_log_alert_v2.json")
    essentials = payload["data"]["essentials"]
    essentials["alertId"] = essentials["alertId"].rsplit("/", 1)[0] + "/" + str(uuid.uuid4())
    for dimension in payload["data"]["alertContext"]["condition"]["allOf"][0]["dimensions"]:
        if dimension["name"] == "PipelineName":
            dimension["value"] = pipeline
        elif dimension["name"] == "RunId":
            dimension["value"] = str(uuid.uuid4())
    return "alerts/azure-monitor", payload


def api(host: DevhostHandle, path: str, method: str = "GET", body: Any = None,
        headers: dict[str, str] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(host.url("/api/" + path.lstrip("/")), data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=20) as response:
        raw = response.read()
    return json.loads(raw) if raw and response.headers.get_content_type() == "application/json" else raw


def post_alert(host: DevhostHandle, alert: tuple[str, dict[str, Any]]) -> str:
    """POST an alert to ingestion and return the id of the ticket it created."""
    route, payload = alert
    reply = api(host, route, "POST", payload, headers={"x-functions-key": INGEST_KEY})
    result = reply["results"][0]
    assert result["status"] == "created", reply
    return str(result["ticket_id"])


def wait_for(check: Callable[[], T | None], timeout: float = 15.0, interval: float = 0.1, what: str = "") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what or check}")
        time.sleep(interval)


def wait_processed(host: DevhostHandle, ticket_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """Wait until enrich, analyze and notify have all run for a ticket; returns its detail JSON."""
    def done() -> dict[str, Any] | None:
        try:
            ticket = api(host, f"tickets/{ticket_id}")
        except urllib.error.HTTPError:
            return None
        return ticket if ticket.get("stage") == "notified" else None
    return wait_for(done, timeout, 0.2, f"ticket {ticket_id} to be processed")


def principal_header(*roles: str, user: str = "e2e-user") -> str:
    """A Static Web Apps `x-ms-client-principal` value with the given roles."""
    principal = {"identityProvider": "aad", "userId": user, "userDetails": f"{user}@example.com",
                 "userRoles": ["anonymous", "authenticated", *roles]}
    return base64.b64encode(json.dumps(principal).encode()).decode()


def read_web_config() -> dict[str, Any]:
    return json.loads((Path(PROJECT_ROOT) / "web" / "staticwebapp.config.json").read_text(encoding="utf-8"))


# --- page helpers ---------------------------------------------------------------------------------------

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "dashboard"


def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot in test-artifacts/dashboard/ (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def queue_ids(page: Any) -> list[str]:
    return list(page.eval_on_selector_all("table.queue tbody tr[data-id]", "rows => rows.map(r => r.dataset.id)"))


def wait_queue_loaded(page: Any) -> None:
    page.wait_for_selector("table.queue:not([aria-busy])", timeout=10_000)


def row(page: Any, ticket_id: str) -> Any:
    return page.locator(f'table.queue tr[data-id="{ticket_id}"]')


def cell_text(page: Any, ticket_id: str, column: str) -> str:
    return str(row(page, ticket_id).locator(f'td[data-col="{column}"]').inner_text()).strip()
