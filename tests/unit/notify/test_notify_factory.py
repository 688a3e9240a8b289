"""Clients are built from the contract settings, and only when the integration is configured."""

from __future__ import annotations

from shared.config import load_settings
from shared.notify.factory import build_jira, build_slack
from shared.notify.jira import JiraClient
from shared.notify.slack import SlackClient


def test_unconfigured_integrations_build_nothing() -> None:
    settings = load_settings(JIRA_BASE_URL="", SLACK_BOT_TOKEN="")
    assert build_jira(settings) is None and build_slack(settings) is None


def test_configured_integrations_use_the_settings() -> None:
    settings = load_settings(JIRA_BASE_URL="https://acme.atlassian.net/", JIRA_EMAIL="bot@acme.com",
                             JIRA_API_TOKEN="t", JIRA_PROJECT_KEY="OPS", JIRA_ISSUE_TYPE="Bug",
                             SLACK_BOT_TOKEN="xoxb-1", SLACK_CHANNEL="C0AIOPS001",
                             SLACK_API_BASE_URL="http://127.0.0.1:9/api")
    jira, slack = build_jira(settings), build_slack(settings)
    assert isinstance(jira, JiraClient) and jira.issue_url("OPS-1") == "https://acme.atlassian.net/browse/OPS-1"
    assert jira.issue_type == "Bug" and jira.project_key == "OPS"
    assert isinstance(slack, SlackClient) and slack.channel == "C0AIOPS001"
    assert slack._client.base_url == "http://127.0.0.1:9/api/"
