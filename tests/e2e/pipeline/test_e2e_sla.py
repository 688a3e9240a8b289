"""SLA through devhost: a short deadline breaches on time while unacknowledged, escalates, and shows in the summary."""

from __future__ import annotations

import itertools
import json
import time
from datetime import datetime, timedelta

import pytest

from tests.e2e.pipeline.helpers import Api, api_for, audit_actions, databricks_failure, poll
from tests.fakes_http.jira_server import FakeJira
from tests.fakes_http.slack_server import FakeSlack

SLA_SECONDS = 5
_runs = itertools.count(660000000001)


@pytest.fixture(scope="module")
def api(devhost_factory, jira: FakeJira, slack: FakeSlack) -> Api:  # type: ignore[no-untyped-def]
    env = {f"SLA_SECONDS_P{p}": str(SLA_SECONDS) for p in range(1, 5)}
    env.update({
        "DEVHOST_TIMER_SECONDS": "1",
        "JIRA_BASE_URL": jira.url, "JIRA_EMAIL": jira.email, "JIRA_API_TOKEN": jira.token,
        "JIRA_PROJECT_KEY": jira.project, "JIRA_WEBHOOK_SECRET": "unused-secret",
        "SLACK_BOT_TOKEN": slack.token, "SLACK_CHANNEL": "#aiops-alerts", "SLACK_SIGNING_SECRET": "unused",
        "SLACK_API_BASE_URL": slack.api_url,
    })
    return api_for(devhost_factory(env))


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_unacknowledged_ticket_breaches_on_time_and_escalates(api: Api, jira: FakeJira, slack: FakeSlack) -> None:
    ticket_id = api.create("databricks", databricks_failure(next(_runs), name="sla-breach-job"))
    created = api.wait_ticket(ticket_id, lambda t: t["slack"] and t["jira_key"], timeout=SLA_SECONDS - 1,
                              what="ticketed before the deadline")
    assert created["sla_status"] == "pending"
    due = _time(created["sla_due_at"])
    assert due - _time(created["created_at"]) == timedelta(seconds=SLA_SECONDS)
    ticket = api.wait_ticket(ticket_id, lambda t: t["sla_status"] == "breached" and "sla_breached" in audit_actions(t),
                             timeout=SLA_SECONDS + 8,
                             what="SLA breach")
    breached_at = _time(ticket["sla_breached_at"])
    assert due <= breached_at <= due + timedelta(seconds=3), (due, breached_at)
    assert ticket["status"] == "open"
    entry = next(e for e in ticket["audit"] if e["action"] == "sla_breached")
    assert entry["actor"] == "sla-monitor"
    ts = created["slack"]["ts"]
    escalation = poll(lambda: [m for m in slack.replies(ts) if "SLA breached" in (m["text"] or "")], timeout=10)
    assert escalation and len(escalation) == 1, slack.replies(ts)
    issue = jira.issues[created["jira_key"]]
    assert poll(lambda: any("SLA breached" in json.dumps(c["body"]) for c in issue.comments), timeout=10)
    time.sleep(2)  # later timer runs do not breach (or escalate) it again
    again = api.ticket(ticket_id)
    assert audit_actions(again).count("sla_breached") == 1
    assert len([m for m in slack.replies(ts) if "SLA breached" in (m["text"] or "")]) == 1
    # Acknowledging late does not turn a breach into a met SLA.
    assert api.act(ticket_id, "acknowledge").status_code == 200
    late = api.ticket(ticket_id)
    assert late["sla_status"] == "breached" and late["sla_breached_at"] == ticket["sla_breached_at"]


def test_ticket_acknowledged_in_time_meets_its_sla(api: Api, jira: FakeJira, slack: FakeSlack) -> None:
    ticket_id = api.create("databricks", databricks_failure(next(_runs), name="sla-met-job"))
    response = api.act(ticket_id, "acknowledge", note="on it")
    assert response.status_code == 200
    acked = response.json()
    assert acked["sla_status"] == "met" and acked["acknowledged_at"] <= acked["sla_due_at"]
    ticket = api.wait_ticket(ticket_id, lambda t: t["jira_key"] and t["slack"], what="ticketed")
    time.sleep(max(0.0, (_time(ticket["sla_due_at"]) - datetime.now(_time(ticket["sla_due_at"]).tzinfo))
                   .total_seconds()) + 2)
    final = api.ticket(ticket_id)
    assert final["sla_status"] == "met" and final["sla_breached_at"] is None
    assert "sla_breached" not in audit_actions(final)
    assert not [m for m in slack.replies(ticket["slack"]["ts"]) if "SLA" in (m["text"] or "")]
    # Acknowledged before its Jira issue existed: the issue is brought up to date when created.
    issue = jira.issues[ticket["jira_key"]]
    assert poll(lambda: issue.status == "In Progress", timeout=10), issue.status


def test_summary_counts_breaches_and_compliance(api: Api) -> None:
    summary = api.summary()
    tickets = api.all_tickets()
    met = sum(t["sla_status"] == "met" for t in tickets)
    breached = sum(t["sla_status"] == "breached" for t in tickets)
    assert met >= 1 and breached >= 1
    assert summary["breaches"] == breached == summary["sla"]["breached"]
    assert summary["sla"]["met"] == met
    assert summary["sla"]["compliance"] == pytest.approx(met / (met + breached), abs=1e-4)
    assert summary["mtta"]["n"] == sum(1 for t in tickets if t["acknowledged_at"])
