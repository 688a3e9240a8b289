"""Builds the optional integrations (Databricks, ADF, Gemini analyzer, Jira, Slack) from settings."""

from __future__ import annotations

import logging
from typing import Any

from shared.config import Settings

__all__ = ["build_all", "status"]

log = logging.getLogger(__name__)


def status(settings: Settings) -> dict[str, str]:
    """Configured / not configured per integration, for /api/health (no outbound calls)."""
    flags = {"databricks": settings.databricks_enabled, "adf": settings.adf_enabled,
             "gemini": settings.gemini_enabled, "jira": settings.jira_enabled,
             "slack": settings.slack_enabled}
    return {name: "configured" if on else "not configured" for name, on in flags.items()}


def build_all(settings: Settings) -> dict[str, Any]:
    # Filled in as each adapter lands; every adapter is optional.
    return {}
