"""Builds the optional integrations (Databricks, ADF, Gemini analyzer, Jira, Slack) from settings."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from shared.config import PUBLIC_ARM, Settings

__all__ = ["build_all", "status", "build_analyzer_for", "LOCAL_ARM_TOKEN"]

log = logging.getLogger(__name__)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# The bearer token sent to an ARM_BASE_URL on this machine (a local fake) when ARM_TOKEN is unset.
LOCAL_ARM_TOKEN = "local-development-token"


def status(settings: Settings) -> dict[str, str]:
    """Configured / not configured per integration, for /api/health (no outbound calls)."""
    adf = settings.adf_enabled or bool(settings.arm_token) or _arm_is_local(settings)
    flags = {"databricks": settings.databricks_enabled, "adf": adf,
             "gemini": settings.gemini_enabled, "jira": settings.jira_enabled,
             "slack": settings.slack_enabled}
    return {name: "configured" if on else "not configured" for name, on in flags.items()}


def _arm_is_local(settings: Settings) -> bool:
    return settings.arm_base_url != PUBLIC_ARM and (urlsplit(settings.arm_base_url).hostname or "") in LOCAL_HOSTS


def _adf(settings: Settings) -> Any:
    from shared.enrich.adf import build_adf
    from shared.enrich.tokens import static_token

    token = settings.arm_token or (LOCAL_ARM_TOKEN if _arm_is_local(settings) else None)
    if token:  # a local fake ARM (tests, devhost) or an explicit token
        return build_adf(settings, token_provider=static_token(token))
    from shared.adapters.storage_clients import azure_credential

    return build_adf(settings, credential=azure_credential(settings.storage_client_id))


def _databricks(settings: Settings) -> Any:
    from shared.enrich.databricks import build_databricks

    if settings.databricks_token:
        return build_databricks(settings)
    from shared.adapters.storage_clients import azure_credential

    return build_databricks(settings, credential=azure_credential(settings.storage_client_id))


def build_analyzer_for(settings: Settings, cache: Any) -> Any:
    from shared.rca.analyzer import build_analyzer

    return build_analyzer(settings, cache)


def build_all(settings: Settings) -> dict[str, Any]:
    """Every adapter is optional: an unconfigured integration stays None and its stage degrades."""
    from shared.notify.factory import build_jira, build_slack

    built: dict[str, Any] = {"jira": build_jira(settings), "slack": build_slack(settings)}
    built["databricks"] = _databricks(settings) if settings.databricks_enabled else None
    # ADF lookups need ARM access; the factory comes from each alert's resource id, ADF_* settings
    # say this deployment should look (and give the default factory), a local ARM_BASE_URL is a fake.
    wanted = settings.adf_enabled or bool(settings.arm_token) or _arm_is_local(settings)
    built["adf"] = _adf(settings) if wanted else None
    return built
