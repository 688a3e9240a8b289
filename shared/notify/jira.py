"""Jira Cloud REST v3 client: idempotent issue creation by label, transitions by name, ADF comments."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import requests

from shared.adapters.http import raise_for_status, retrying_session
from shared.errors import PermanentError, RetryableError
from shared.notify.common import JIRA_PRIORITY, clip, headline
from shared.notify.jira_document import build_description, comment_document
from shared.tickets import Ticket

__all__ = ["JiraClient", "ticket_label", "sanitize_label"]

SYSTEM = "jira"


def sanitize_label(value: str) -> str:
    """Jira labels cannot contain spaces and are at most 255 characters."""
    return re.sub(r"\s+", "_", value.strip())[:255]


def ticket_label(ticket_id: str) -> str:
    """The idempotency label: one ticket id, one label, one issue."""
    return sanitize_label(f"aiops-{ticket_id}")


def _jql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class JiraClient:
    """Basic auth with an Atlassian account email and API token. Errors arrive as
    RetryableError (429/5xx/timeouts, after the session's own retries) or PermanentError."""

    def __init__(self, base_url: str, email: str | None, api_token: str | None, project_key: str | None,
                 issue_type: str = "Task", session: requests.Session | None = None,
                 priority_map: dict[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.project_key = project_key or ""
        self.issue_type = issue_type
        self.priority_map = priority_map or JIRA_PRIORITY
        self._session = session or retrying_session(retry_post=False)  # a retried create could duplicate
        self.recheck_attempts = 3
        self.recheck_wait = 2.0
        self._auth = (email or "", api_token or "")
        missing = [name for name, v in (("JIRA_EMAIL", email), ("JIRA_API_TOKEN", api_token),
                                        ("JIRA_PROJECT_KEY", project_key)) if not v]
        # Bad configuration is permanent: every call says what is missing instead of crashing the host.
        self._config_problem = f"{', '.join(missing)} not set" if missing else None

    def issue_url(self, key: str) -> str:
        return f"{self.base_url}/browse/{key}"

    # -- HTTP -------------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        if self._config_problem:
            raise PermanentError(SYSTEM, self._config_problem)
        headers = {"Accept": "application/json"}
        if "json" in kwargs:
            headers["Content-Type"] = "application/json"
        try:
            response = self._session.request(method, self.base_url + path, auth=self._auth,
                                             headers=headers, **kwargs)
        except requests.RequestException as exc:
            # Connection refused/reset and timeouts: worth a redelivery. Name the type, not the URL.
            raise RetryableError(SYSTEM, f"{type(exc).__name__} calling {method} {path}") from None
        return raise_for_status(SYSTEM, response)

    @staticmethod
    def _json(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise PermanentError(SYSTEM, f"unexpected non-JSON reply ({response.status_code})",
                                 status=response.status_code) from None

    # -- operations -------------------------------------------------------------------------

    def find_by_label(self, label: str) -> str | None:
        """The key of the oldest issue carrying `label`, if any (enhanced search; /search is retired)."""
        jql = f"labels = {_jql_string(label)} ORDER BY created ASC"
        reply = self._json(self._call("GET", "/rest/api/3/search/jql",
                                      params={"jql": jql, "fields": "key,labels,status", "maxResults": 5}))
        issues = reply.get("issues") or []
        return issues[0].get("key") if issues else None

    def _fields(self, ticket: Ticket, dashboard_url: str) -> dict[str, Any]:
        labels = ["aiops", ticket_label(ticket.id)]
        if ticket.rca:
            labels.append(sanitize_label(ticket.rca.category.value))
        fields: dict[str, Any] = {
            "project": {"key": self.project_key},
            "summary": clip(headline(ticket), 255),
            "issuetype": {"name": self.issue_type},
            "description": build_description(ticket, dashboard_url),
            "labels": labels,
        }
        priority = self.priority_map.get(ticket.priority)
        if priority:
            fields["priority"] = {"name": priority}
        return fields

    def create_issue(self, ticket: Ticket, dashboard_url: str) -> str:
        """Create the issue and return its key. Not idempotent by itself: use `ensure_issue`."""
        fields = self._fields(ticket, dashboard_url)
        try:
            response = self._call("POST", "/rest/api/3/issue", json={"fields": fields})
        except PermanentError as exc:
            # Projects whose create screen lacks Priority answer 400 naming the field; the issue
            # matters more than its priority, so try once more without it.
            if exc.status == 400 and "priority" in fields and '"priority"' in exc.detail:
                fields.pop("priority")
                response = self._call("POST", "/rest/api/3/issue", json={"fields": fields})
            else:
                raise
        key = self._json(response).get("key")
        if not key:
            raise PermanentError(SYSTEM, "create answered without an issue key", status=response.status_code)
        return str(key)

    def ensure_issue(self, ticket: Ticket, dashboard_url: str, *, recheck: bool = False,
                     before_create: Callable[[], None] | None = None) -> tuple[str, bool]:
        """Search by the ticket's label, create only when absent. Returns (key, created).

        Jira search is eventually consistent: an issue created a moment ago may not be found yet.
        `recheck=True` (a create was attempted before) searches a few times before creating again."""
        label = ticket_label(ticket.id)
        attempts = self.recheck_attempts if recheck else 1
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.recheck_wait)
            found = self.find_by_label(label)
            if found:
                return found, False
        if before_create:
            before_create()
        try:
            return self.create_issue(ticket, dashboard_url), True
        except RetryableError:
            # The reply may be lost after Jira created the issue: one look before giving up.
            found = self.find_by_label(label)
            if found:
                return found, False
            raise

    def current_status(self, key: str) -> str:
        reply = self._json(self._call("GET", f"/rest/api/3/issue/{key}", params={"fields": "status"}))
        return str(((reply.get("fields") or {}).get("status") or {}).get("name") or "")

    def transition(self, key: str, status_name: str) -> bool:
        """Move the issue to `status_name` (matched against the target status or the transition name,
        case-insensitively). False when it is already there; PermanentError when no transition fits."""
        wanted = status_name.strip().lower()
        reply = self._json(self._call("GET", f"/rest/api/3/issue/{key}/transitions"))
        transitions = reply.get("transitions") or []
        pick = next((t for t in transitions if str((t.get("to") or {}).get("name", "")).lower() == wanted), None)
        pick = pick or next((t for t in transitions if str(t.get("name", "")).lower() == wanted), None)
        if pick is None:
            # Jira lists no transition into the current status: a redelivery lands here harmlessly.
            if self.current_status(key).lower() == wanted:
                return False
            names = ", ".join(sorted({str(t.get("name")) for t in transitions})) or "none"
            raise PermanentError(SYSTEM, f"no transition to '{status_name}' for {key} (available: {names})")
        self._call("POST", f"/rest/api/3/issue/{key}/transitions", json={"transition": {"id": str(pick["id"])}})
        return True

    def add_comment(self, key: str, body: str) -> str:
        reply = self._json(self._call("POST", f"/rest/api/3/issue/{key}/comment",
                                      json={"body": comment_document(body)}))
        return str(reply.get("id") or "")
