"""Outbound notification adapters: Jira Cloud (REST v3) and Slack (Web API), plus their message builders."""
