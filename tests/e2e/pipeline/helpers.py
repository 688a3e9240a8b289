"""Helpers for the e2e pipeline suite: an HTTP client that never accepts a 5xx, samples, signing, polling."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
API_KEY = "e2e-ingest-key"
RCA_CATEGORIES = {
    "source_not_found", "auth_failure", "permission_denied", "network_connectivity", "throttling_quota",
    "schema_mismatch", "data_quality", "out_of_memory", "cluster_startup_failure", "dependency_library",
    "code_error", "configuration_error", "resource_not_found_infra", "concurrency_conflict",
    "upstream_dependency_failure", "timeout", "platform_transient",
}
STAGES = ("ingested", "enriched", "analyzed", "notified")
KINDS = {"azure_monitor": "azure-monitor", "databricks_webhook": "databricks"}


def sample(relative: str) -> dict[str, Any]:
    """A copy of a sample payload, e.g. `azure_monitor/derived_adf_pipeline_failed_log_alert_v2.json`."""
    return copy.deepcopy(json.loads((SAMPLES / relative).read_text(encoding="utf-8")))


def principal(user: str = "dana@example.com", roles: tuple[str, ...] = ("authenticated", "aiops-responder")) -> str:
    """A Static Web Apps `x-ms-client-principal` header value."""
    data = {"identityProvider": "aad", "userId": user.split("@")[0], "userDetails": user,
            "userRoles": list(roles)}
    return base64.b64encode(json.dumps(data).encode()).decode()


class ServerError(AssertionError):
    """The app answered 5xx: the contract says that is always a bug."""


class Api:
    """Thin requests wrapper for one devhost; every response with a 5xx status fails the test."""

    def __init__(self, base_url: str, key: str = API_KEY) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        response = self.session.request(method, self.url(path), **kwargs)
        if response.status_code >= 500:
            raise ServerError(f"{method} {path} -> {response.status_code}: {response.text[:500]}")
        return response

    def ingest(self, kind: str, payload: Any, *, key: str | None = "", query_key: str | None = None,
               headers: dict[str, str] | None = None) -> requests.Response:
        """POST an alert; `payload` may be a dict (sent as JSON) or raw bytes. key=None sends no key."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        sent = {"Content-Type": "application/json", **(headers or {})}
        if key is not None:
            sent["x-functions-key"] = key or self.key
        path = f"/api/alerts/{kind}" + (f"?code={urllib.parse.quote(query_key)}" if query_key is not None else "")
        return self.request("POST", path, data=body, headers=sent)

    def ingest_ok(self, kind: str, payload: Any) -> list[dict[str, Any]]:
        response = self.ingest(kind, payload)
        assert response.status_code == 202, f"{response.status_code}: {response.text[:500]}"
        return response.json()["results"]

    def create(self, kind: str, payload: Any) -> str:
        """Ingest one failure and return its ticket id."""
        results = self.ingest_ok(kind, payload)
        assert len(results) == 1 and results[0]["ticket_id"], results
        return str(results[0]["ticket_id"])

    def ticket(self, ticket_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.request("GET", f"/api/tickets/{ticket_id}", headers=headers)
        assert response.status_code == 200, f"{response.status_code}: {response.text[:500]}"
        return response.json()

    def tickets(self, **params: Any) -> dict[str, Any]:
        response = self.request("GET", "/api/tickets", params=params)
        assert response.status_code == 200, f"{response.status_code}: {response.text[:500]}"
        return response.json()

    def all_tickets(self, **params: Any) -> list[dict[str, Any]]:
        """Every list item, following next_cursor."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.tickets(**params, limit=200, **({"cursor": cursor} if cursor else {}))
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items

    def act(self, ticket_id: str, action: str, note: str | None = None,
            headers: dict[str, str] | None = None) -> requests.Response:
        body = json.dumps({"note": note}) if note else b""
        return self.request("POST", f"/api/tickets/{ticket_id}/{action}", data=body,
                            headers={"Content-Type": "application/json", **(headers or {})})

    def summary(self) -> dict[str, Any]:
        response = self.request("GET", "/api/summary")
        assert response.status_code == 200, response.text[:500]
        return response.json()

    def wait_ticket(self, ticket_id: str, condition: Callable[[dict[str, Any]], Any], timeout: float = 20.0,
                    what: str = "condition") -> dict[str, Any]:
        """Poll the ticket until `condition(ticket)` holds; fail with the last state otherwise."""
        last: dict[str, Any] = {}

        def check() -> bool:
            nonlocal last
            last = self.ticket(ticket_id)
            return bool(condition(last))

        if not poll(check, timeout):
            brief = {k: last.get(k) for k in ("status", "stage", "occurrences", "sla_status", "jira_key", "slack",
                                              "pipeline_error", "integration_errors")}
            actions = [e["action"] for e in last.get("audit", [])]
            raise AssertionError(f"ticket {ticket_id}: {what} not reached in {timeout}s; last {brief}; "
                                 f"audit {actions}")
        return last


def api_for(handle: Any) -> Api:
    """The client for a running devhost (a `devhost.testing.DevhostHandle`)."""
    return Api(handle.base_url)


def poll(condition: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Call `condition` until truthy (returned) or the deadline passes (returns the last falsy value)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def assert_error(response: requests.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The contract's error shape: {"error": {"code": str, "message": str, "details": list}} with `status`."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text[:300]}"
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body
    assert isinstance(error.get("details"), list), f"error without a details list: {body}"
    if code is not None:
        assert error["code"] == code, body
    return error


def audit_actions(ticket: dict[str, Any]) -> list[str]:
    return [entry["action"] for entry in ticket.get("audit", [])]


# -- signing ---------------------------------------------------------------------------------------

def jira_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def slack_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded"}


def slack_form(payload: dict[str, Any]) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


# -- payload builders (variants of the samples) ---------------------------------------------------

def _set_dimension(dimensions: list[dict[str, Any]], name: str, value: str) -> None:
    for dim in dimensions:
        if dim["name"] == name:
            dim["value"] = value
            return
    dimensions.append({"name": name, "value": value})


def adf_log_alert(run_id: str, pipeline: str = "PL_Ingest_Sales", alert_guid: str | None = None,
                  condition: str = "Fired", severity: str | None = None) -> dict[str, Any]:
    """The V2 log alert over ADFPipelineRun for one run (a fresh alertId per firing, as Azure sends)."""
    payload = sample("azure_monitor/derived_adf_pipeline_failed_log_alert_v2.json")
    essentials = payload["data"]["essentials"]
    guid = alert_guid or hashlib.sha1(f"{run_id}|{condition}|{time.time_ns()}".encode()).hexdigest()[:32]
    essentials["alertId"] = essentials["alertId"].rsplit("/", 1)[0] + "/" + guid
    essentials["monitorCondition"] = condition
    if severity:
        essentials["severity"] = severity
    dims = payload["data"]["alertContext"]["condition"]["allOf"][0]["dimensions"]
    _set_dimension(dims, "RunId", run_id)
    _set_dimension(dims, "PipelineName", pipeline)
    return payload


def adf_activity_rows_alert(run_id: str, pipeline: str = "PL_Ingest_Sales", rows: int = 1) -> dict[str, Any]:
    """The V1 log alert with ADFActivityRun search results, keeping `rows` rows, all for `run_id`."""
    payload = sample("azure_monitor/derived_adf_activity_failed_log_alert_v1_searchresults.json")
    table = payload["data"]["alertContext"]["SearchResults"]["tables"][0]
    names = [c["name"] for c in table["columns"]]
    table["rows"] = table["rows"][:rows]
    for row in table["rows"]:
        row[names.index("PipelineRunId")] = run_id
        row[names.index("PipelineName")] = pipeline
    payload["data"]["alertContext"]["ResultCount"] = len(table["rows"])
    return payload


def databricks_failure(run_id: str | int, job_id: str | int = "123456789012345", name: str = "nightly-sales-etl",
                       workspace_id: str | int = "1234567890123456", task: str | None = None,
                       task_run_id: str | int | None = None, event: str = "jobs.on_failure") -> dict[str, Any]:
    """A Databricks job notification; with `task`, a task-level one whose parent is `run_id`."""
    payload: dict[str, Any] = {"event_type": event, "workspace_id": workspace_id,
                               "run": {"run_id": run_id}, "job": {"job_id": job_id, "name": name}}
    if task:
        payload["task"] = {"task_key": task}
        payload["run"] = {"run_id": task_run_id or f"{run_id}1", "parent_run_id": run_id}
    return payload


def cluster_alert(cluster_id: str) -> dict[str, Any]:
    payload = sample("azure_monitor/derived_databricks_cluster_terminated_log_alert_v2.json")
    dims = payload["data"]["alertContext"]["condition"]["allOf"][0]["dimensions"]
    _set_dimension(dims, "ClusterId", cluster_id)
    _set_dimension(dims, "ClusterName", f"job-cluster-{cluster_id}")
    return payload
