"""At-least-once notify: a message that keeps failing ends as pipeline_error; a slow one is never doubled."""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterator

import pytest

from tests.e2e.pipeline.helpers import Api, api_for, audit_actions, databricks_failure
from tests.fakes_http.base import Recorded, Reply
from tests.fakes_http.jira_server import FakeJira
from tests.fakes_http.slack_server import FakeSlack

FOREVER = 10**9
LOCK_SECONDS = 1
_runs = itertools.count(550000000001)


class SlowSlack(FakeSlack):
    """Slack that answers chat.postMessage correctly, but only after `delay` seconds."""

    delay = 0.0

    def _post(self, rec: Recorded, m: re.Match[str]) -> Reply:
        time.sleep(self.delay)
        return super()._post(rec, m)


@pytest.fixture(scope="module")
def slack() -> Iterator[SlowSlack]:
    with SlowSlack() as server:
        yield server


@pytest.fixture(scope="module")
def api(devhost_factory, jira: FakeJira, slack: FakeSlack) -> Api:  # type: ignore[no-untyped-def]
    return api_for(devhost_factory({
        "DEVHOST_MAX_DELIVERY_COUNT": "2", "DEVHOST_LOCK_SECONDS": str(LOCK_SECONDS),
        "JIRA_BASE_URL": jira.url, "JIRA_EMAIL": jira.email, "JIRA_API_TOKEN": jira.token,
        "JIRA_PROJECT_KEY": jira.project, "JIRA_WEBHOOK_SECRET": "unused-secret",
        "SLACK_BOT_TOKEN": slack.token, "SLACK_CHANNEL": "#aiops-alerts", "SLACK_SIGNING_SECRET": "unused",
        "SLACK_API_BASE_URL": slack.api_url,
    }))


@pytest.fixture(autouse=True)
def _healthy_fakes_afterwards(jira: FakeJira, slack: SlowSlack) -> Iterator[None]:
    yield
    jira.faults.clear()
    slack.faults.clear()
    slack.delay = 0.0


def _issues_for(jira: FakeJira, ticket_id: str) -> list[object]:
    return [i for i in jira.issues.values() if f"aiops-{ticket_id}" in i.fields.get("labels", [])]


def _messages_for(slack: FakeSlack, ticket_id: str) -> list[dict]:  # type: ignore[type-arg]
    return [m for m in slack.top_level() if ticket_id in json.dumps(m["blocks"])]


def _assert_pipeline_error(api: Api, ticket_id: str, failed: str) -> dict:  # type: ignore[type-arg]
    ticket = api.wait_ticket(ticket_id, lambda t: t["status"] == "pipeline_error" and "pipeline_error" in audit_actions(t),
                              timeout=40,
                             what="pipeline_error after the dead letter")
    error = ticket["pipeline_error"]
    assert error["stage"] == "notify" and "deliver" in (error["reason"] + error["description"]).lower(), error
    assert error["previous_status"] == "open"
    actions = audit_actions(ticket)
    assert actions.count(f"{failed}_failed") >= 2, actions  # tried on each of the 2 deliveries
    entry = next(e for e in ticket["audit"] if e["action"] == "pipeline_error")
    assert entry["actor"] == "deadletter" and entry["details"]["stage"] == "notify"
    listed = api.all_tickets(status="pipeline_error")
    assert ticket_id in {t["id"] for t in listed}
    assert api.summary()["counts"]["by_status"].get("pipeline_error", 0) == len(listed)
    return ticket


def test_slack_down_for_good_dead_letters_notify_and_flags_the_ticket(api: Api, jira: FakeJira,
                                                                      slack: FakeSlack) -> None:
    slack.fail_next(r"chat\.postMessage", 503, times=FOREVER)
    ticket_id = api.create("databricks", databricks_failure(next(_runs), name="dlq-slack-job"))
    ticket = _assert_pipeline_error(api, ticket_id, "slack")
    assert len(_issues_for(jira, ticket_id)) == 1, "the redelivery created a second Jira issue"
    assert ticket["jira_key"] and ticket["slack"] is None


def test_jira_down_for_good_dead_letters_notify_without_a_second_slack_message(api: Api, jira: FakeJira,
                                                                               slack: FakeSlack) -> None:
    jira.fail_next(r"/rest/api/3/", 503, times=FOREVER)
    ticket_id = api.create("databricks", databricks_failure(next(_runs), name="dlq-jira-job"))
    ticket = _assert_pipeline_error(api, ticket_id, "jira")
    assert len(_messages_for(slack, ticket_id)) == 1, "the redelivery posted a second Slack message"
    assert ticket["slack"] and ticket["jira_key"] is None and not _issues_for(jira, ticket_id)


def test_after_the_outage_new_tickets_flow_again(api: Api, jira: FakeJira, slack: FakeSlack) -> None:
    ticket_id = api.create("databricks", databricks_failure(next(_runs), name="dlq-healthy-job"))
    ticket = api.wait_ticket(ticket_id, lambda t: t["stage"] == "notified" and t["jira_key"] and t["slack"],
                             what="notified")
    assert ticket["status"] == "open" and ticket["pipeline_error"] is None
    assert len(_issues_for(jira, ticket_id)) == 1 and len(_messages_for(slack, ticket_id)) == 1


def test_a_slow_slack_outliving_the_lock_still_gets_one_message(api: Api, jira: FakeJira, slack: SlowSlack) -> None:
    slack.delay = LOCK_SECONDS * 3.0
    ticket_id = api.create("databricks", databricks_failure(next(_runs), name="dlq-slow-job"))
    ticket = api.wait_ticket(ticket_id, lambda t: t["stage"] == "notified" and t["slack"], timeout=30,
                             what="notified through a slow Slack")
    time.sleep(LOCK_SECONDS * 3.0 + 1)  # room for a redelivery, had the lock lapsed
    assert len(_messages_for(slack, ticket_id)) == 1
    assert len(_issues_for(jira, ticket_id)) == 1
    final = api.ticket(ticket_id)
    assert final["status"] == "open" and audit_actions(final).count("slack_posted") == 1
    assert ticket["slack"] == final["slack"]
