"""Build the Jira and Slack clients from Settings (None when the integration is not configured)."""

from __future__ import annotations

from shared.config import Settings
from shared.notify.jira import JiraClient
from shared.notify.slack import SlackClient

__all__ = ["build_jira", "build_slack"]


def build_jira(settings: Settings) -> JiraClient | None:
    if not settings.jira_enabled:
        return None
    return JiraClient(settings.jira_base_url or "", settings.jira_email, settings.jira_api_token,
                      settings.jira_project_key, settings.jira_issue_type)


def build_slack(settings: Settings) -> SlackClient | None:
    if not settings.slack_enabled:
        return None
    return SlackClient(settings.slack_bot_token or "", settings.slack_channel, settings.slack_api_base_url)
