"""Ticketing through devhost with fake Jira and Slack: one issue and one message per incident, two-way sync."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from tests.e2e.pipeline.helpers import (
    Api,
    api_for,
    assert_error,
    audit_actions,
    databricks_failure,
    jira_signature,
    poll,
    sample,
    slack_form,
    slack_headers,
)
from tests.fakes_http.jira_server import FakeJira, JiraIssue
from tests.fakes_http.slack_server import FakeSlack

JIRA_SECRET = "jira-webhook-secret-e2e"
SLACK_SECRET = "slack-signing-secret-e2e"
_runs = itertools.count(880000000001)


@pytest.fixture(scope="module")
def api(devhost_factory, jira: FakeJira, slack: FakeSlack) -> Api:  # type: ignore[no-untyped-def]
    return api_for(devhost_factory({
        "JIRA_BASE_URL": jira.url, "JIRA_EMAIL": jira.email, "JIRA_API_TOKEN": jira.token,
        "JIRA_PROJECT_KEY": jira.project, "JIRA_WEBHOOK_SECRET": JIRA_SECRET,
        "SLACK_BOT_TOKEN": slack.token, "SLACK_CHANNEL": "#aiops-alerts", "SLACK_SIGNING_SECRET": SLACK_SECRET,
        "SLACK_API_BASE_URL": slack.api_url, "DASHBOARD_URL": "https://aiops.example.com",
    }))


@pytest.fixture(autouse=True)
def _fakes_saw_only_valid_requests(jira: FakeJira, slack: FakeSlack) -> Iterator[None]:
    yield
    assert not jira.errors, f"fake Jira rejected requests: {jira.errors}"
    assert not slack.errors, f"fake Slack rejected requests: {slack.errors}"


def _failure(name: str) -> dict[str, Any]:
    return databricks_failure(next(_runs), job_id=4400, name=name)


def _ticketed(api: Api, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Ingest a failure and wait until it has its Jira issue and Slack message."""
    ticket_id = api.create("databricks", payload)
    ticket = api.wait_ticket(ticket_id, lambda t: t["stage"] == "notified" and t["jira_key"] and t["slack"],
                             what="Jira issue and Slack message")
    return ticket_id, ticket


def _issues_for(jira: FakeJira, ticket_id: str) -> list[JiraIssue]:
    return [i for i in jira.issues.values() if any(ticket_id in label for label in i.fields.get("labels", []))]


def _top_messages_for(slack: FakeSlack, ticket_id: str) -> list[dict[str, Any]]:
    return [m for m in slack.top_level() if ticket_id in json.dumps(m["blocks"])]


def _updates_to(slack: FakeSlack, ts: str) -> list[dict[str, Any]]:
    return [r.json() if r.headers.get("content-type", "").startswith("application/json") else r.body.decode()
            for r in slack.requests_to(r"chat\.update") if ts in r.body.decode()]


def _button_value(slack: FakeSlack, ticket: dict[str, Any], action_id: str) -> str:
    message = slack.messages[(ticket["slack"]["channel"], ticket["slack"]["ts"])]
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in the Slack message")


def test_one_issue_and_one_message_per_incident_even_when_it_repeats(api: Api, jira: FakeJira,
                                                                      slack: FakeSlack) -> None:
    payload = _failure("ticketing-repeat-job")
    ticket_id, ticket = _ticketed(api, payload)
    (issue,) = _issues_for(jira, ticket_id)
    assert issue.key == ticket["jira_key"] and ticket["jira_url"].endswith(f"/browse/{issue.key}")
    assert issue.fields["project"]["key"] == jira.project and "ticketing-repeat-job" in issue.fields["summary"]
    (message,) = _top_messages_for(slack, ticket_id)
    assert (message["channel"], message["ts"]) == (ticket["slack"]["channel"], ticket["slack"]["ts"])
    assert message["text"], "a message needs a notification fallback text"
    for _ in range(5):
        assert api.ingest_ok("databricks", payload)[0]["status"] == "duplicate"
    assert poll(lambda: slack.replies(message["ts"]), timeout=10), "no thread reply for the repeats"
    time.sleep(1.5)  # every repeat has been handled: later ones are throttled into the first reply
    (reply,) = slack.replies(message["ts"])
    assert "Failed again" in reply["text"]
    assert api.ticket(ticket_id)["occurrences"] == 6
    assert len(_issues_for(jira, ticket_id)) == 1 and len(_top_messages_for(slack, ticket_id)) == 1
    assert len(jira.requests_to(r"/rest/api/3/issue$", "POST")) == len(jira.issues)  # never a second create
    audit = audit_actions(api.ticket(ticket_id))
    assert audit.count("jira_issue_created") == 1 and audit.count("slack_posted") == 1
    assert audit.count("slack_thread_reply") == 1 and audit.count("occurrence") == 1  # one line a minute


def _jira_event(ticket: dict[str, Any], to_status: str = "Done") -> bytes:
    event = sample("jira_webhook/derived_issue_updated_status_done.json")
    event["issue"]["key"] = ticket["jira_key"]
    event["issue"]["fields"]["labels"] = ["aiops", f"aiops-{ticket['id']}"]
    event["issue"]["fields"]["status"]["name"] = to_status
    status_item = next(i for i in event["changelog"]["items"] if i["field"] == "status")
    status_item["toString"] = to_status
    return json.dumps(event).encode()


def _post_jira(api: Api, body: bytes, signature: str | None, delivery: str) -> Any:
    headers = {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": delivery}
    if signature is not None:
        headers["X-Hub-Signature"] = signature
    return api.request("POST", "/api/webhooks/jira", data=body, headers=headers)


def test_jira_done_webhook_resolves_only_when_signed_and_only_once(api: Api, jira: FakeJira,
                                                                   slack: FakeSlack) -> None:
    ticket_id, ticket = _ticketed(api, _failure("ticketing-jira-job"))
    body, delivery = _jira_event(ticket), str(uuid.uuid4())
    assert_error(_post_jira(api, body, jira_signature("not-the-secret", body), delivery), 401)
    assert_error(_post_jira(api, body, None, delivery), 401)
    assert_error(_post_jira(api, body, jira_signature(JIRA_SECRET, body + b" "), delivery), 401)
    unchanged = api.ticket(ticket_id)
    assert unchanged["status"] == "open" and "resolved" not in audit_actions(unchanged)

    transitions_before = len(jira.requests_to(rf"/issue/{ticket['jira_key']}/transitions$", "POST"))
    response = _post_jira(api, body, jira_signature(JIRA_SECRET, body), delivery)
    assert response.status_code == 200, response.text[:300]
    resolved = api.ticket(ticket_id)
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    entry = next(e for e in resolved["audit"] if e["action"] == "resolved")
    assert entry["actor"] == "jira:Dana Engineer" and entry["details"]["origin"] == "jira"
    assert poll(lambda: _updates_to(slack, ticket["slack"]["ts"]), timeout=10), "Slack message not updated"
    time.sleep(0.5)
    assert len(jira.requests_to(rf"/issue/{ticket['jira_key']}/transitions$", "POST")) == transitions_before, \
        "a change that came from Jira was sent back to Jira"

    assert api.act(ticket_id, "reopen", note="not fixed").status_code == 200
    replay = _post_jira(api, body, jira_signature(JIRA_SECRET, body), delivery)
    assert replay.status_code == 200 and replay.json().get("status") == "duplicate", replay.text[:300]
    assert api.ticket(ticket_id)["status"] == "open", "a replayed delivery was applied again"


def _slack_click(ticket: dict[str, Any], value: str, action_id: str) -> bytes:
    payload = sample("slack_interactivity/derived_block_actions_alert_ack.json")
    payload["container"].update({"message_ts": ticket["slack"]["ts"], "channel_id": ticket["slack"]["channel"]})
    payload["channel"]["id"] = ticket["slack"]["channel"]
    payload["message"]["ts"] = ticket["slack"]["ts"]
    payload["actions"] = [{"type": "button", "action_id": action_id, "block_id": "actions", "value": value,
                           "text": {"type": "plain_text", "text": "Acknowledge"}, "action_ts": f"{time.time():.6f}"}]
    return slack_form(payload)


def test_signed_slack_acknowledge_acknowledges_and_a_stale_one_is_refused(api: Api, jira: FakeJira,
                                                                          slack: FakeSlack) -> None:
    ticket_id, ticket = _ticketed(api, _failure("ticketing-slack-job"))
    value = _button_value(slack, ticket, "ack")
    assert value == f"ack|{ticket_id}"
    body = _slack_click(ticket, value, "ack")
    stale = slack_headers(SLACK_SECRET, body, timestamp=int(time.time()) - 6 * 60)
    assert_error(api.request("POST", "/api/webhooks/slack", data=body, headers=stale), 401)
    forged = slack_headers("not-the-secret", body)
    assert_error(api.request("POST", "/api/webhooks/slack", data=body, headers=forged), 401)
    assert api.ticket(ticket_id)["status"] == "open"

    response = api.request("POST", "/api/webhooks/slack", data=body, headers=slack_headers(SLACK_SECRET, body))
    assert response.status_code == 200, response.text[:300]
    acked = api.ticket(ticket_id)
    assert acked["status"] == "acknowledged" and acked["acknowledged_at"] >= acked["created_at"]
    entry = next(e for e in acked["audit"] if e["action"] == "acknowledged")
    assert entry["actor"] == "slack:dana.engineer" and entry["details"]["origin"] == "slack"
    issue = jira.issues[ticket["jira_key"]]
    assert poll(lambda: issue.status == "In Progress", timeout=10), f"Jira issue is {issue.status}"
    assert poll(lambda: _updates_to(slack, ticket["slack"]["ts"]), timeout=10), "Slack message not updated"
    assert api.summary()["mtta"]["n"] >= 1


def test_dashboard_resolve_transitions_jira_and_updates_slack(api: Api, jira: FakeJira, slack: FakeSlack) -> None:
    ticket_id, ticket = _ticketed(api, _failure("ticketing-dashboard-job"))
    response = api.act(ticket_id, "resolve", note="backfilled the partition")
    assert response.status_code == 200, response.text[:300]
    assert response.json()["status"] == "resolved"
    issue = jira.issues[ticket["jira_key"]]
    assert poll(lambda: issue.status == "Done", timeout=10), f"Jira issue is {issue.status}"
    assert poll(lambda: issue.comments, timeout=10), "no Jira comment saying who resolved it"
    assert "backfilled the partition" in json.dumps(issue.comments[-1]["body"])
    updates = poll(lambda: _updates_to(slack, ticket["slack"]["ts"]), timeout=10)
    assert updates and "Resolved" in json.dumps(updates[-1]), updates
    message = slack.messages[(ticket["slack"]["channel"], ticket["slack"]["ts"])]
    assert "Resolved" in json.dumps(message["blocks"])
    # Resolving twice is a no-op: no second transition or comment.
    transitions = len(jira.requests_to(rf"/issue/{issue.key}/transitions$", "POST"))
    assert api.act(ticket_id, "resolve").status_code == 200
    time.sleep(1)
    assert len(jira.requests_to(rf"/issue/{issue.key}/transitions$", "POST")) == transitions
    assert len(issue.comments) == 1


def test_audit_trail_tells_the_whole_story(api: Api, slack: FakeSlack) -> None:
    payload = _failure("ticketing-audit-job")
    ticket_id, ticket = _ticketed(api, payload)
    api.ingest_ok("databricks", payload)
    body = _slack_click(ticket, f"ack|{ticket_id}", "ack")
    assert api.request("POST", "/api/webhooks/slack", data=body,
                       headers=slack_headers(SLACK_SECRET, body)).status_code == 200
    assert api.act(ticket_id, "resolve", note="done").status_code == 200
    final = api.wait_ticket(ticket_id, lambda t: audit_actions(t).count("jira_transitioned") >= 2,
                            what="both Jira transitions")
    actions = audit_actions(final)
    for action in ("created", "occurrence", "enriched", "analyzed", "jira_issue_created", "slack_posted",
                   "acknowledged", "resolved", "jira_transitioned", "slack_updated", "jira_commented"):
        assert action in actions, f"{action} missing from {actions}"
    assert actions.index("created") < actions.index("enriched") < actions.index("analyzed") \
        < actions.index("jira_issue_created") < actions.index("acknowledged") < actions.index("resolved")
    actors = {e["action"]: e["actor"] for e in final["audit"]}
    assert actors["created"] == "ingest" and actors["acknowledged"] == "slack:dana.engineer"
    assert actors["resolved"] == "local-user" and actors["jira_issue_created"] == "notify"


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_summary_reflects_mtta_and_mttr(api: Api) -> None:
    ticket_id, _ = _ticketed(api, _failure("ticketing-summary-job"))
    time.sleep(1.1)
    assert api.act(ticket_id, "acknowledge").status_code == 200
    assert api.act(ticket_id, "resolve").status_code == 200
    summary = api.summary()
    tickets = api.all_tickets()
    acked = [t for t in tickets if t["acknowledged_at"]]
    resolved = [t for t in tickets if t["resolved_at"]]
    assert summary["total"] == len(tickets)
    assert summary["mtta"]["n"] == len(acked) and summary["mttr"]["n"] == len(resolved)
    for kind, rows, end in (("mtta", acked, "acknowledged_at"), ("mttr", resolved, "resolved_at")):
        expected = sum((_time(t[end]) - _time(t["created_at"])).total_seconds() for t in rows) / len(rows)
        assert summary[kind]["mean_seconds"] == pytest.approx(expected, abs=0.11), kind
    assert summary["counts"]["by_status"] == {s: sum(t["status"] == s for t in tickets)
                                              for s in {t["status"] for t in tickets}}
    assert summary["breaches"] == sum(t["sla_status"] == "breached" for t in tickets) == 0


def test_health_reports_the_configured_integrations(api: Api) -> None:
    response = api.request("GET", "/api/health")
    assert response.status_code == 200
    text = json.dumps(response.json())
    for name in ("jira", "slack"):
        assert name in text
    assert "not configured" in text  # Databricks, ADF and Gemini are not set up in this module


def test_legacy_slack_button_with_the_azure_alert_guid_acknowledges_its_ticket(api: Api) -> None:
    ticket_id = api.create("azure-monitor",
                           sample("azure_monitor/derived_adf_pipeline_failed_metric_alert_fired.json"))
    body = slack_form(sample("slack_interactivity/derived_block_actions_alert_ack.json"))  # ack|5c1e4a7b-...
    response = api.request("POST", "/api/webhooks/slack", data=body, headers=slack_headers(SLACK_SECRET, body))
    assert response.status_code == 200, response.text[:300]
    assert api.ticket(ticket_id)["status"] == "acknowledged"
