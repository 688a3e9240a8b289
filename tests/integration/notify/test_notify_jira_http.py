"""JiraClient against the fake Jira: request shapes, idempotent create, transitions and error classes."""

from __future__ import annotations

import time

import pytest

from shared.errors import PermanentError, RetryableError
from shared.notify.jira import JiraClient, sanitize_label, ticket_label
from tests.fakes_http.jira_server import FakeJira
from tests.integration.notify.notify_clients import make_jira
from tests.unit.notify.notify_samples import DASHBOARD, build_ticket


def test_create_sends_the_documented_fields(jira: JiraClient, jira_server: FakeJira) -> None:
    key, created = jira.ensure_issue(build_ticket(), DASHBOARD)
    assert (key, created) == ("OPS-1", True) and jira_server.errors == []
    fields = jira_server.issues["OPS-1"].fields
    assert fields["summary"] == "PL_Ingest_Sales failed: UserErrorSourceBlobNotExists"
    assert fields["labels"] == ["aiops", "aiops-T20261204-030000-3F9A", "source_not_found"]
    assert fields["priority"] == {"name": "High"} and fields["issuetype"] == {"name": "Task"}
    assert fields["project"] == {"key": "OPS"} and fields["description"]["type"] == "doc"
    assert jira.issue_url(key) == f"{jira_server.url}/browse/OPS-1"


def test_second_ensure_finds_by_label_through_the_enhanced_search(jira: JiraClient, jira_server: FakeJira) -> None:
    ticket = build_ticket()
    jira.ensure_issue(ticket, DASHBOARD)
    assert jira.ensure_issue(ticket, DASHBOARD) == ("OPS-1", False)
    assert len(jira_server.issues) == 1
    search = jira_server.requests_to(r"/rest/api/3/search/jql$")[-1]
    assert search.query["jql"] == ['labels = "aiops-T20261204-030000-3F9A" ORDER BY created ASC']
    assert search.query["fields"] == ["key,labels,status"]
    assert not jira_server.requests_to(r"/rest/api/3/search$")  # the retired endpoint


def test_the_fake_rejects_the_retired_search_endpoint(jira_server: FakeJira) -> None:
    import requests
    reply = requests.get(f"{jira_server.url}/rest/api/3/search", params={"jql": "labels = x"}, timeout=2)
    assert reply.status_code == 410


@pytest.mark.parametrize("priority, name", [("P1", "Highest"), ("P2", "High"), ("P3", "Medium"), ("P4", "Low")])
def test_priority_names_follow_the_ticket_priority(jira: JiraClient, jira_server: FakeJira, priority: str,
                                                   name: str) -> None:
    key = jira.create_issue(build_ticket(priority=priority), DASHBOARD)
    assert jira_server.issues[key].fields["priority"] == {"name": name}


def test_project_without_priority_on_screen_still_gets_its_issue(jira_server: FakeJira) -> None:
    jira_server.priority_on_screen = False
    key = make_jira(jira_server).create_issue(build_ticket(), DASHBOARD)
    assert "priority" not in jira_server.issues[key].fields


def test_long_multiline_summary_is_one_line_within_255(jira: JiraClient, jira_server: FakeJira) -> None:
    key = jira.create_issue(build_ticket(pipeline="PL\nSales " + "x" * 400), DASHBOARD)
    summary = jira_server.issues[key].fields["summary"]
    assert len(summary) <= 255 and "\n" not in summary


def test_labels_never_contain_spaces() -> None:
    assert sanitize_label("  data quality  ") == "data_quality"
    assert ticket_label("T 1") == "aiops-T_1"


def test_wrong_credentials_are_permanent_and_not_echoed(jira_server: FakeJira) -> None:
    client = make_jira(jira_server, token="wrong-token-456")
    with pytest.raises(PermanentError) as err:
        client.find_by_label("aiops-x")
    assert err.value.status == 401 and "wrong-token-456" not in str(err.value)


def test_bad_request_is_permanent_with_jira_message(jira_server: FakeJira) -> None:
    with pytest.raises(PermanentError) as err:
        make_jira(jira_server, project="NOPE").create_issue(build_ticket(), DASHBOARD)
    assert err.value.status == 400 and "valid project is required" in str(err.value)


def test_missing_settings_fail_permanently_without_a_call(jira_server: FakeJira) -> None:
    client = JiraClient(jira_server.url, None, None, "OPS")
    with pytest.raises(PermanentError, match="JIRA_EMAIL, JIRA_API_TOKEN not set"):
        client.find_by_label("x")
    assert jira_server.requests == []


def test_429_with_retry_after_is_retried_within_the_call(jira: JiraClient, jira_server: FakeJira) -> None:
    jira_server.fail_next(r"/rest/api/3/issue$", status=429, headers={"Retry-After": "1"})
    key = jira.create_issue(build_ticket(), DASHBOARD)
    assert key == "OPS-1" and len(jira_server.requests_to(r"/rest/api/3/issue$")) == 2


def test_persistent_5xx_is_retryable(jira: JiraClient, jira_server: FakeJira) -> None:
    jira_server.fail_next(r"/rest/api/3/search/jql", status=503, times=10)
    with pytest.raises(RetryableError) as err:
        jira.find_by_label("aiops-x")
    assert err.value.status == 503 and len(jira_server.requests) == 3  # first try + 2 retries


def test_timeout_is_retryable(jira_server: FakeJira) -> None:
    jira_server.fail_next(r"/rest/api/3/search/jql", status=200, times=2, delay=0.6)
    client = make_jira(jira_server, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(RetryableError, match="Timeout|ConnectionError"):
        client.find_by_label("aiops-x")
    assert time.monotonic() - started < 3


def test_create_whose_reply_is_lost_is_found_before_giving_up(jira: JiraClient, jira_server: FakeJira) -> None:
    ticket = build_ticket()
    jira.create_issue(ticket, DASHBOARD)  # Jira has it, but pretend this process never heard back
    jira_server.fail_next(r"/rest/api/3/search/jql", status=200, body={"issues": [], "isLast": True})
    jira_server.fail_next(r"/rest/api/3/issue$", status=503, times=5)
    assert jira.ensure_issue(ticket, DASHBOARD) == ("OPS-1", False)
    assert len(jira_server.issues) == 1


def test_recheck_waits_for_eventually_consistent_search(jira: JiraClient, jira_server: FakeJira) -> None:
    ticket = build_ticket()
    jira.create_issue(ticket, DASHBOARD)
    jira_server.fail_next(r"/rest/api/3/search/jql", status=200, times=2, body={"issues": [], "isLast": True})
    assert jira.ensure_issue(ticket, DASHBOARD, recheck=True) == ("OPS-1", False)
    assert len(jira_server.issues) == 1


def test_transition_by_status_or_transition_name(jira: JiraClient, jira_server: FakeJira) -> None:
    key = jira.create_issue(build_ticket(), DASHBOARD)
    assert jira.transition(key, "Start Progress") is True  # a transition name
    assert jira_server.issues[key].status == "In Progress"
    assert jira.transition(key, "In Progress") is False  # already there: a harmless redelivery
    assert jira.transition(key, "done") is True and jira_server.issues[key].status == "Done"  # any case
    post = jira_server.requests_to(r"/transitions$", method="POST")[-1]
    assert post.json() == {"transition": {"id": "31"}}


def test_missing_transition_is_permanent_and_names_the_options(jira: JiraClient) -> None:
    key = jira.create_issue(build_ticket(), DASHBOARD)
    with pytest.raises(PermanentError, match="no transition to 'Closed'.*Done"):
        jira.transition(key, "Closed")


def test_comment_is_an_adf_body(jira: JiraClient, jira_server: FakeJira) -> None:
    key = jira.create_issue(build_ticket(), DASHBOARD)
    jira.add_comment(key, "Resolved by bo via slack: rerun worked")
    body = jira_server.issues[key].comments[0]["body"]
    assert body["type"] == "doc" and jira_server.errors == []


def test_unknown_issue_is_permanent(jira: JiraClient) -> None:
    with pytest.raises(PermanentError) as err:
        jira.add_comment("OPS-99", "hello")
    assert err.value.status == 404


@pytest.mark.parametrize("change, field", [
    ({"summary": "x" * 256}, "summary"),
    ({"summary": "two\nlines"}, "summary"),
    ({"summary": ""}, "summary"),
    ({"issuetype": {"name": "Epicish"}}, "issuetype"),
    ({"project": {"key": "ZZZ"}}, "project"),
    ({"labels": ["has space"]}, "labels"),
    ({"priority": {"name": "Urgent!"}}, "priority"),
    ({"description": "plain string"}, "description"),
    ({"assignee": {"id": "x"}}, "assignee"),
])
def test_the_fake_rejects_bad_create_fields_like_jira(jira_server: FakeJira, change: dict, field: str) -> None:
    import requests
    fields = {"project": {"key": "OPS"}, "summary": "ok", "issuetype": {"name": "Task"}, "labels": ["aiops"],
              "description": {"type": "doc", "version": 1, "content": []}} | change
    reply = requests.post(f"{jira_server.url}/rest/api/3/issue", json={"fields": fields}, timeout=2,
                          auth=(jira_server.email, jira_server.token))
    assert reply.status_code == 400 and field in reply.json()["errors"]
    assert jira_server.issues == {}
