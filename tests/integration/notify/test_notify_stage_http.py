"""The notify stage end to end with the real clients against fake Jira and Slack servers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.config import load_settings
from shared.errors import RetryableError
from shared.services import Services
from shared.stages.notify import handle_notify
from shared.tickets import Stage, Ticket, TicketStatus
from tests.fakes import FakeTicketStore, fake_services
from tests.fakes_http.jira_server import FakeJira
from tests.fakes_http.slack_server import FakeSlack
from tests.integration.notify.notify_clients import make_jira, make_slack
from tests.unit.notify.notify_samples import DASHBOARD, build_ticket

TID = "T20261204-030000-3F9A"
LABEL = f"aiops-{TID}"
TICKET_MSG = {"ticket_id": TID, "stage": "notify", "kind": "ticket"}


def services(jira_server: FakeJira, slack_server: FakeSlack, ticket: Ticket | None = None, **kw: Any) -> Services:
    settings = load_settings(JIRA_BASE_URL=jira_server.url, JIRA_EMAIL=jira_server.email,
                             JIRA_API_TOKEN=jira_server.token, JIRA_PROJECT_KEY=jira_server.project,
                             SLACK_BOT_TOKEN=slack_server.token, SLACK_CHANNEL="#aiops-alerts",
                             SLACK_API_BASE_URL=slack_server.api_url, DASHBOARD_URL=DASHBOARD,
                             SLACK_REPEAT_INTERVAL_SECONDS=300)
    svc = fake_services(settings=settings, jira=make_jira(jira_server), slack=make_slack(slack_server), **kw)
    svc.store.create(ticket or build_ticket())
    return svc


def stored(svc: Services) -> Ticket:
    found = svc.store.get(TID)
    assert found is not None
    return found


def actions(svc: Services) -> list[str]:
    return [e.action for e in svc.audit.read(TID)]


def test_one_issue_and_one_message_however_often_delivered(jira_server: FakeJira, slack_server: FakeSlack) -> None:
    svc = services(jira_server, slack_server)
    for _ in range(3):
        handle_notify(TICKET_MSG, svc)
    ticket = stored(svc)
    assert len(jira_server.issues) == 1 and len(slack_server.top_level()) == 1
    assert ticket.jira_key == "OPS-1" and ticket.jira_url == f"{jira_server.url}/browse/OPS-1"
    assert ticket.slack is not None and ticket.slack.channel == "C0AIOPS001" and ticket.stage == Stage.NOTIFIED
    assert len(jira_server.requests_to(r"/search/jql$")) == 1  # later deliveries trust the stored key
    message = slack_server.top_level()[0]
    jira_button = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                   if e["action_id"] == "open_jira"]
    assert jira_button[0]["url"] == f"{jira_server.url}/browse/OPS-1"
    assert jira_server.errors == [] and slack_server.errors == []


class CrashAfterCreateStore(FakeTicketStore):
    """Fault injection: the write that would store the new Jira key dies once (host crash, lost lock)."""

    def __init__(self) -> None:
        super().__init__()
        self.crashes = 0

    def mutate(self, ticket_id: str, change: Any) -> Ticket | None:
        probe = self.get(ticket_id)
        if not self.crashes and probe is not None and not probe.jira_key and change(probe) is not False \
                and probe.jira_key:
            self.crashes += 1
            raise RuntimeError("process crashed before the Jira key was stored")
        return super().mutate(ticket_id, change)


def test_crash_after_jira_created_the_issue_does_not_create_a_second(jira_server: FakeJira,
                                                                     slack_server: FakeSlack) -> None:
    svc = services(jira_server, slack_server, store=CrashAfterCreateStore())
    with pytest.raises(RuntimeError):
        handle_notify(TICKET_MSG, svc)  # Service Bus abandons the message ...
    assert len(jira_server.issues) == 1 and stored(svc).jira_key is None
    handle_notify(TICKET_MSG, svc)  # ... and delivers it again
    assert svc.store.crashes == 1
    assert len(jira_server.issues) == 1 and len(jira_server.issues_with_label(LABEL)) == 1
    assert stored(svc).jira_key == "OPS-1" and stored(svc).stage == Stage.NOTIFIED
    assert len(jira_server.requests_to(r"/rest/api/3/issue$", method="POST")) == 1
    assert "jira_issue_found" in actions(svc) and len(slack_server.top_level()) == 1


def test_jira_outage_never_blocks_slack(jira_server: FakeJira, slack_server: FakeSlack) -> None:
    svc = services(jira_server, slack_server)
    jira_server.fail_next(r"/rest/api/3/", status=503, times=3)
    with pytest.raises(RetryableError):
        handle_notify(TICKET_MSG, svc)
    assert len(slack_server.top_level()) == 1 and stored(svc).jira_key is None
    failed = [e for e in svc.audit.read(TID) if e.action == "jira_failed"][0]
    assert failed.details["status"] == 503 and failed.details["retryable"] is True

    handle_notify(TICKET_MSG, svc)
    assert stored(svc).jira_key == "OPS-1" and len(slack_server.top_level()) == 1
    message = slack_server.top_level()[0]
    assert len(message["updates"]) == 1 and "open_jira" in json.dumps(message["blocks"])


def test_slack_rate_limit_never_blocks_jira(jira_server: FakeJira, slack_server: FakeSlack) -> None:
    svc = services(jira_server, slack_server)
    slack_server.fail_next(r"chat\.postMessage", status=429, times=3, headers={"Retry-After": "0"},
                           body={"ok": False, "error": "ratelimited"})
    with pytest.raises(RetryableError):
        handle_notify(TICKET_MSG, svc)
    assert len(jira_server.issues) == 1 and stored(svc).slack is None
    handle_notify(TICKET_MSG, svc)
    assert len(slack_server.top_level()) == 1 and len(jira_server.issues) == 1
    assert len(jira_server.requests_to(r"/rest/api/3/issue$", method="POST")) == 1


def test_permanent_errors_are_recorded_and_the_stage_completes(jira_server: FakeJira, slack_server: FakeSlack) -> None:
    svc = services(jira_server, slack_server)
    svc.jira.project_key = "NOPE"
    svc.slack.channel = "#nowhere"
    outcome = handle_notify(TICKET_MSG, svc)
    ticket = stored(svc)
    assert ticket.stage == Stage.NOTIFIED and outcome.changes[0].change == "ticketed"
    errors = {e["system"]: e for e in ticket.integration_errors}
    assert errors["jira"]["status"] == 400 and "valid project is required" in errors["jira"]["message"]
    assert "channel_not_found" in errors["slack"]["message"]
    dump = json.dumps([e.model_dump(mode="json") for e in svc.audit.read(TID)]) + ticket.model_dump_json()
    assert jira_server.token not in dump and slack_server.token not in dump


def test_acknowledge_from_the_dashboard_reaches_slack_and_jira(jira_server: FakeJira, slack_server: FakeSlack) -> None:
    svc = services(jira_server, slack_server)
    handle_notify(TICKET_MSG, svc)

    def ack(t: Ticket) -> None:
        t.status, t.acknowledged_by, t.acknowledged_at = TicketStatus.ACKNOWLEDGED, "ana@contoso.com", svc.clock.now()

    svc.store.mutate(TID, ack)
    msg = {"ticket_id": TID, "stage": "notify", "kind": "status", "change": "acknowledged",
           "actor": "ana@contoso.com", "origin": "dashboard", "note": "on it"}
    handle_notify(msg, svc)
    handle_notify(msg, svc)  # redelivered: no second comment, no failed transition
    issue = jira_server.issues["OPS-1"]
    assert issue.status == "In Progress" and len(issue.comments) == 1
    message = slack_server.top_level()[0]
    context = [b for b in message["blocks"] if b["type"] == "context"][0]["elements"][0]["text"]
    assert "acknowledged by ana@contoso.com" in context and "via dashboard: on it" in context
    action_ids = [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert "ack" not in action_ids and "resolve" in action_ids
    assert stored(svc).integration_errors == [] and jira_server.errors == [] and slack_server.errors == []


def test_resolve_from_jira_updates_slack_only(jira_server: FakeJira, slack_server: FakeSlack) -> None:
    svc = services(jira_server, slack_server)
    handle_notify(TICKET_MSG, svc)
    before = len(jira_server.requests)
    svc.store.mutate(TID, lambda t: setattr(t, "status", TicketStatus.RESOLVED))
    handle_notify({"ticket_id": TID, "stage": "notify", "kind": "status", "change": "resolved",
                   "actor": "jira:bo", "origin": "jira"}, svc)
    assert len(jira_server.requests) == before
    assert len(slack_server.top_level()[0]["updates"]) == 1


def test_repeats_are_throttled_thread_replies(jira_server: FakeJira, slack_server: FakeSlack) -> None:
    svc = services(jira_server, slack_server)
    handle_notify(TICKET_MSG, svc)
    occurrence = {"ticket_id": TID, "stage": "notify", "kind": "occurrence"}
    for total, wait in ((2, 5), (3, 5), (4, 5), (9, 300)):
        svc.clock.advance(wait)
        svc.store.mutate(TID, lambda t, n=total: setattr(t, "occurrences", n))
        handle_notify(occurrence, svc)
    ts = stored(svc).slack.ts
    replies = [m["text"] for m in slack_server.replies(ts)]
    assert len(replies) == 2 and len(slack_server.top_level()) == 1
    assert "*7* more occurrences since the last update (9 in total" in replies[1]


def test_sla_breach_escalates_in_the_thread(jira_server: FakeJira, slack_server: FakeSlack) -> None:
    svc = services(jira_server, slack_server, ticket=build_ticket(priority="P1"))
    handle_notify(TICKET_MSG, svc)
    svc.store.mutate(TID, lambda t: setattr(t, "sla_status", "breached"))
    msg = {"ticket_id": TID, "stage": "notify", "kind": "sla_breached"}
    handle_notify(msg, svc)
    handle_notify(msg, svc)
    replies = slack_server.replies(stored(svc).slack.ts)
    assert len(replies) == 1 and replies[0]["text"].startswith("<!here> :alarm_clock: *SLA breached*")
    assert "SLA breached" in json.dumps(slack_server.top_level()[0]["blocks"])
    assert len(jira_server.issues["OPS-1"].comments) == 1
