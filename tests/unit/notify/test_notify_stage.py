"""The notify stage with in-memory doubles: idempotent across redeliveries, Jira and Slack independent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.config import load_settings
from shared.errors import PermanentError, RetryableError
from shared.services import Services
from shared.stages.notify import handle_notify
from shared.tickets import Stage, Ticket, TicketStatus
from tests.fakes import FakeTicketStore, fake_services
from tests.unit.notify.notify_samples import FakeJiraClient, FakeSlackClient, build_ticket

TID = "T20261204-030000-3F9A"
TICKET_MSG = {"ticket_id": TID, "stage": "notify", "kind": "ticket"}


def services(ticket: Ticket | None = None, jira: Any = "fake", slack: Any = "fake", **kw: Any) -> Services:
    settings = load_settings(JIRA_BASE_URL="https://acme.atlassian.net", JIRA_API_TOKEN="jira-secret-token",
                             SLACK_BOT_TOKEN="xoxb-secret-token", DASHBOARD_URL="https://aiops.example.com",
                             SLACK_REPEAT_INTERVAL_SECONDS=300)
    svc = fake_services(settings=settings, jira=FakeJiraClient() if jira == "fake" else jira,
                        slack=FakeSlackClient() if slack == "fake" else slack, **kw)
    svc.store.create(ticket or build_ticket())
    return svc


def stored(svc: Services) -> Ticket:
    found = svc.store.get(TID)
    assert found is not None
    return found


def actions(svc: Services) -> list[str]:
    return [e.action for e in svc.audit.read(TID)]


def test_first_notification_creates_issue_and_message_and_completes() -> None:
    svc = services()
    outcome = handle_notify(TICKET_MSG, svc)
    ticket = stored(svc)
    assert ticket.jira_key == "OPS-1" and ticket.jira_url == "https://jira.example.com/browse/OPS-1"
    assert ticket.slack is not None and ticket.slack.channel == "C0AIOPS001"
    assert ticket.stage == Stage.NOTIFIED
    assert [c.change for c in outcome.changes] == ["ticketed"] and outcome.changes[0].ticket.jira_key == "OPS-1"
    assert actions(svc) == ["jira_create_attempted", "jira_issue_created", "slack_posted"]


def test_redelivery_after_success_repeats_nothing() -> None:
    svc = services()
    handle_notify(TICKET_MSG, svc)
    handle_notify(TICKET_MSG, svc)
    assert svc.jira.calls == ["search", "create"]  # no second search: the key is stored
    assert svc.slack.posts == [TID]


def test_jira_outage_does_not_block_slack_and_redelivery_links_the_issue() -> None:
    svc = services()
    svc.jira.fail["search"] = [RetryableError("jira", "503 unavailable", status=503)]
    with pytest.raises(RetryableError):
        handle_notify(TICKET_MSG, svc)
    ticket = stored(svc)
    assert ticket.slack is not None and ticket.jira_key is None and ticket.stage == Stage.ANALYZED
    assert "jira_failed" in actions(svc) and ticket.integration_errors == []  # retryable: not parked

    handle_notify(TICKET_MSG, svc)
    assert stored(svc).jira_key == "OPS-1" and stored(svc).stage == Stage.NOTIFIED
    assert svc.slack.posts == [TID]  # never a second top-level message
    assert svc.slack.updates == [("open", "Jira issue OPS-1 created")]


def test_slack_outage_does_not_block_jira_and_redelivery_does_not_touch_jira_again() -> None:
    svc = services()
    svc.slack.fail["post"] = [RetryableError("slack", "chat_postMessage: ratelimited", status=429)]
    with pytest.raises(RetryableError):
        handle_notify(TICKET_MSG, svc)
    assert stored(svc).jira_key == "OPS-1" and stored(svc).slack is None
    handle_notify(TICKET_MSG, svc)
    assert svc.jira.calls == ["search", "create"]
    assert stored(svc).slack is not None and stored(svc).stage == Stage.NOTIFIED


def test_permanent_errors_are_parked_on_the_ticket_and_the_stage_completes() -> None:
    svc = services()
    svc.jira.fail["create"] = [PermanentError("jira", '400 {"errors":{"project":"valid project is required"}}',
                                              status=400)]
    svc.slack.fail["post"] = [PermanentError("slack", "chat_postMessage: channel_not_found", status=200)]
    outcome = handle_notify(TICKET_MSG, svc)
    ticket = stored(svc)
    assert ticket.stage == Stage.NOTIFIED and outcome.changes[0].change == "ticketed"
    systems = {(e["system"], e["operation"], e["status"]) for e in ticket.integration_errors}
    assert systems == {("jira", "create_issue", 400), ("slack", "post_message", 200)}
    assert all(e["at"].endswith("Z") and e["message"] for e in ticket.integration_errors)
    assert actions(svc).count("jira_failed") == 1 and actions(svc).count("slack_failed") == 1


def test_secrets_never_reach_the_audit_trail_or_the_ticket() -> None:
    svc = services()
    svc.jira.fail["search"] = [PermanentError("jira", "401 echoed jira-secret-token back", status=401)]
    svc.slack.fail["post"] = [PermanentError("slack", "invalid_auth for xoxb-secret-token", status=200)]
    handle_notify(TICKET_MSG, svc)
    dump = json.dumps([e.model_dump(mode="json") for e in svc.audit.read(TID)]) + stored(svc).model_dump_json()
    assert "jira-secret-token" not in dump and "xoxb-secret-token" not in dump and "***" in dump


def test_unconfigured_integrations_are_skipped_with_one_audit_note() -> None:
    svc = services(jira=None, slack=None)
    reads, writes = svc.audit.reads, svc.audit.writes
    handle_notify(TICKET_MSG, svc)
    assert (svc.audit.reads - reads, svc.audit.writes - writes) == (0, 1)  # both notes in one append
    handle_notify(TICKET_MSG, svc)
    assert actions(svc) == ["jira_not_configured", "slack_not_configured"]
    assert stored(svc).stage == Stage.NOTIFIED


class CrashOnKeyStore(FakeTicketStore):
    """The process dies after Jira created the issue but before its key was stored."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = True

    def mutate(self, ticket_id: str, change: Any) -> Ticket | None:
        probe = self.get(ticket_id)
        if self.armed and probe is not None and change(probe) is not False and probe.jira_key:
            self.armed = False
            raise RuntimeError("host crashed")
        return super().mutate(ticket_id, change)


def test_crash_after_create_finds_the_issue_on_redelivery() -> None:
    svc = services(store=CrashOnKeyStore())
    with pytest.raises(RuntimeError):
        handle_notify(TICKET_MSG, svc)
    assert len(svc.jira.issues) == 1 and stored(svc).jira_key is None
    handle_notify(TICKET_MSG, svc)
    assert len(svc.jira.issues) == 1 and stored(svc).jira_key == "OPS-1"
    assert actions(svc)[-2:] == ["jira_issue_found", "slack_posted"]


def test_issue_created_late_catches_up_with_the_ticket_status() -> None:
    svc = services(ticket=build_ticket(status=TicketStatus.ACKNOWLEDGED, acknowledged_by="ana"))
    handle_notify(TICKET_MSG, svc)
    assert svc.jira.issues["OPS-1"]["status"] == "In Progress"


# -- occurrences ---------------------------------------------------------------------------------

def occurrence(svc: Services, total: int, advance: float) -> None:
    svc.clock.advance(advance)
    svc.store.mutate(TID, lambda t: setattr(t, "occurrences", total))
    handle_notify({"ticket_id": TID, "stage": "notify", "kind": "occurrence"}, svc)


def test_repeats_go_to_the_thread_at_most_once_per_interval_with_a_count() -> None:
    svc = services()
    handle_notify(TICKET_MSG, svc)
    occurrence(svc, 2, 10)     # first repeat: reported at once
    occurrence(svc, 3, 10)     # within 300 s: silent
    occurrence(svc, 4, 100)    # still within: silent
    occurrence(svc, 6, 200)    # 310 s after the last reply: reports 4 new
    assert len(svc.slack.replies) == 2
    assert "*1* more occurrence since this alert was posted" in svc.slack.replies[0]
    assert "*4* more occurrences since the last update (6 in total" in svc.slack.replies[1]
    ref = stored(svc).slack
    assert ref is not None and ref.repeats_reported == 6 and ref.last_repeat_at == svc.clock.now()
    assert svc.slack.posts == [TID]


def test_repeat_reply_failure_is_retried_and_counted_later() -> None:
    svc = services()
    handle_notify(TICKET_MSG, svc)
    svc.slack.fail["reply"] = [RetryableError("slack", "chat_postMessage: HTTP 503", status=503)]
    with pytest.raises(RetryableError):
        occurrence(svc, 3, 10)
    assert stored(svc).slack.repeats_reported == 1
    handle_notify({"ticket_id": TID, "stage": "notify", "kind": "occurrence"}, svc)
    assert "*2* more occurrences" in svc.slack.replies[0]


# -- status changes ------------------------------------------------------------------------------

def status_msg(change: str, origin: str, actor: str = "ana@contoso.com", note: str | None = None) -> dict[str, Any]:
    body = {"ticket_id": TID, "stage": "notify", "kind": "status", "change": change, "actor": actor,
            "origin": origin}
    return body | ({"note": note} if note else {})


def test_status_change_updates_slack_transitions_and_comments_in_jira_once() -> None:
    svc = services()
    handle_notify(TICKET_MSG, svc)
    svc.store.mutate(TID, lambda t: setattr(t, "status", TicketStatus.ACKNOWLEDGED))
    msg = status_msg("acknowledged", "dashboard", note="looking into it")
    handle_notify(msg, svc)
    handle_notify(msg, svc)  # redelivery
    assert svc.slack.updates[0] == ("acknowledged", "Acknowledged by ana@contoso.com via dashboard: looking into it")
    issue = svc.jira.issues["OPS-1"]
    assert issue["status"] == "In Progress"
    assert issue["comments"] == ["Acknowledged by ana@contoso.com via dashboard: looking into it"]
    assert actions(svc).count("jira_commented") == 1 and "jira_already_in_status" in actions(svc)


def test_changes_from_jira_are_not_echoed_back_to_jira() -> None:
    svc = services()
    handle_notify(TICKET_MSG, svc)
    calls = list(svc.jira.calls)
    handle_notify(status_msg("resolved", "jira", actor="jira:bo"), svc)
    assert svc.jira.calls == calls
    assert svc.slack.updates == [("open", "Resolved by jira:bo via jira")]


def test_missing_transition_is_recorded_and_slack_still_updates() -> None:
    svc = services()
    handle_notify(TICKET_MSG, svc)
    svc.settings.jira_transitions["resolved"] = "Closed"
    handle_notify(status_msg("resolved", "slack"), svc)
    assert [e["operation"] for e in stored(svc).integration_errors] == ["transition"]
    assert len(svc.slack.updates) == 1 and len(svc.jira.issues["OPS-1"]["comments"]) == 1


def test_slack_failure_on_status_still_transitions_jira_then_retries() -> None:
    svc = services()
    handle_notify(TICKET_MSG, svc)
    svc.slack.fail["update"] = [RetryableError("slack", "chat_update: HTTP 500", status=500)]
    msg = status_msg("resolved", "dashboard")
    with pytest.raises(RetryableError):
        handle_notify(msg, svc)
    assert svc.jira.issues["OPS-1"]["status"] == "Done"
    handle_notify(msg, svc)
    assert len(svc.slack.updates) == 1 and len(svc.jira.issues["OPS-1"]["comments"]) == 1


# -- SLA breach ----------------------------------------------------------------------------------

@pytest.mark.parametrize("priority, mention", [("P1", True), ("P2", True), ("P4", False)])
def test_sla_breach_escalates_once_in_the_thread(priority: str, mention: bool) -> None:
    svc = services(ticket=build_ticket(priority=priority, sla_status="breached"))
    handle_notify(TICKET_MSG, svc)
    msg = {"ticket_id": TID, "stage": "notify", "kind": "sla_breached"}
    handle_notify(msg, svc)
    handle_notify(msg, svc)
    assert len(svc.slack.replies) == 1
    assert svc.slack.replies[0].startswith("<!here>") is mention
    assert "SLA breached" in svc.slack.replies[0]
    assert len(svc.slack.updates) == 2 and len(svc.jira.issues["OPS-1"]["comments"]) == 1


def test_unknown_ticket_and_unknown_kind_complete_quietly() -> None:
    svc = services()
    assert handle_notify({"ticket_id": "T-nope", "kind": "ticket"}, svc).changes == []
    assert handle_notify({"ticket_id": TID, "kind": "mystery"}, svc).changes == []
    assert actions(svc) == ["notify_ignored"]
