"""Notify test material: a realistic ticket and in-memory Jira/Slack client doubles with scripted faults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.errors import IntegrationError
from shared.rca.model import Category, RcaResult, Severity
from shared.tickets import SlackRef, Stage, Ticket

NOW = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
DASHBOARD = "https://aiops.example.com"


def build_ticket(**overrides: Any) -> Ticket:
    """An ADF copy failure as the analyze stage leaves it (values from the derived ADF samples)."""
    rca = RcaResult(
        category=Category.SOURCE_NOT_FOUND, error_type="UserErrorSourceBlobNotExists",
        root_cause="The Copy activity read raw/sales/2026-12-03.csv, which the upstream export did not write.",
        severity=Severity.HIGH, priority="P2", confidence=0.92,
        recommendations=["Check that the upstream export job finished and wrote the file.",
                         "Re-run PL_Ingest_Sales once the file exists."],
        documentation_url="https://learn.microsoft.com/azure/data-factory/connector-troubleshoot-guide",
    )
    fields: dict[str, Any] = dict(
        id="T20261204-030000-3F9A", dedup_key="adf|adf-contoso-prod|PL_Ingest_Sales|7a3c9e21",
        source="adf", title="Pipeline PL_Ingest_Sales failed in adf-contoso-prod", resource="adf-contoso-prod",
        pipeline="PL_Ingest_Sales", run_id="7a3c9e21-4b5d-4e8f-9a0b-1c2d3e4f5a6b", activity="Copy_Sales_From_Blob",
        priority="P2", severity="High", error_code="2200",
        error_message="ErrorCode=UserErrorSourceBlobNotExists,'Type=Microsoft.DataTransfer.Common.Shared."
                      "HybridDeliveryException,Message=The required Blob is missing. ContainerName: raw, path: "
                      "sales/2026-12-03.csv.'",
        links={"run_page": "https://adf.azure.com/en/monitoring/pipelineruns/7a3c9e21",
               "search_results_api": "https://api.loganalytics.io/v1/workspaces/x/query"},
        first_seen_at=NOW, last_seen_at=NOW, created_at=NOW, sla_due_at=NOW + timedelta(minutes=30),
        rca=rca, stage=Stage.ANALYZED, team="data-platform",
    )
    fields.update(overrides)
    return Ticket(**fields)


class FakeJiraClient:
    """Stands in for JiraClient: issues by label, transitions, comments; `fail` scripts errors per operation."""

    def __init__(self) -> None:
        self.issues: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []
        self.fail: dict[str, list[IntegrationError]] = {}
        self.statuses = {"To Do", "In Progress", "Done"}

    def _maybe_fail(self, op: str) -> None:
        self.calls.append(op)
        queue = self.fail.get(op) or []
        if queue:
            raise queue.pop(0)

    def issue_url(self, key: str) -> str:
        return f"https://jira.example.com/browse/{key}"

    def ensure_issue(self, ticket: Ticket, dashboard_url: str, *, recheck: bool = False,
                     before_create: Any = None) -> tuple[str, bool]:
        self._maybe_fail("search")
        label = f"aiops-{ticket.id}"
        for key, issue in self.issues.items():
            if label in issue["labels"]:
                return key, False
        if before_create:
            before_create()
        self._maybe_fail("create")
        key = f"OPS-{len(self.issues) + 1}"
        self.issues[key] = {"labels": ["aiops", label], "status": "To Do", "comments": []}
        return key, True

    def transition(self, key: str, status_name: str) -> bool:
        self._maybe_fail("transition")
        if status_name not in self.statuses:
            from shared.errors import PermanentError
            raise PermanentError("jira", f"no transition to '{status_name}'")
        moved = self.issues[key]["status"] != status_name
        self.issues[key]["status"] = status_name
        return moved

    def add_comment(self, key: str, body: str) -> str:
        self._maybe_fail("comment")
        self.issues[key]["comments"].append(body)
        return str(len(self.issues[key]["comments"]))


class FakeSlackClient:
    """Stands in for SlackClient: records top-level posts, updates and thread replies."""

    def __init__(self) -> None:
        self.posts: list[str] = []
        self.updates: list[tuple[str, str | None]] = []
        self.replies: list[str] = []
        self.fail: dict[str, list[IntegrationError]] = {}

    def _maybe_fail(self, op: str) -> None:
        queue = self.fail.get(op) or []
        if queue:
            raise queue.pop(0)

    def post_ticket(self, ticket: Ticket, dashboard_url: str) -> SlackRef:
        self._maybe_fail("post")
        self.posts.append(ticket.id)
        return SlackRef(channel="C0AIOPS001", ts=f"1733281200.{len(self.posts):06d}",
                        repeats_reported=ticket.occurrences)

    def update_ticket(self, ticket: Ticket, dashboard_url: str, note: str | None = None) -> None:
        self._maybe_fail("update")
        self.updates.append((ticket.status.value, note))

    def thread_reply(self, ticket: Ticket, text: str) -> str:
        self._maybe_fail("reply")
        self.replies.append(text)
        return "1733281300.000001"
