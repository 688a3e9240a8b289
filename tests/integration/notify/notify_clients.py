"""Real notify clients pointed at the fake servers, with test-sized timeouts and backoffs."""

from __future__ import annotations

from shared.adapters.http import retrying_session
from shared.notify.jira import JiraClient
from shared.notify.slack import SlackClient
from tests.fakes_http.jira_server import FakeJira
from tests.fakes_http.slack_server import FakeSlack

__all__ = ["make_jira", "make_slack"]


def make_jira(server: FakeJira, **kw: object) -> JiraClient:
    """Short backoffs and timeouts: the tests exercise retries without waiting for them."""
    session = retrying_session(total=2, backoff=0.01, timeout=float(kw.pop("timeout", 2.0)), max_retry_after=0.2)
    client = JiraClient(server.url, str(kw.pop("email", server.email)), str(kw.pop("token", server.token)),
                        str(kw.pop("project", server.project)), "Task", session=session)
    client.recheck_wait = 0.01
    return client


def make_slack(server: FakeSlack, **kw: object) -> SlackClient:
    return SlackClient(str(kw.pop("token", server.token)), str(kw.pop("channel", "#aiops-alerts")),
                       server.api_url, timeout=float(kw.pop("timeout", 2)), max_retries=2, retry_backoff=0.01,
                       max_retry_after=float(kw.pop("max_retry_after", 5)))
