"""Application settings: exactly the setting names of ARCHITECTURE.md, validated with clear errors."""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "SettingsError", "get_settings", "reset_settings", "parse_connection_string"]

PUBLIC_ARM = "https://management.azure.com"
DEFAULT_JIRA_STATUS_MAP = {
    "done": "resolved",
    "resolved": "resolved",
    "closed": "resolved",
    "in progress": "acknowledged",
    "in review": "acknowledged",
    "to do": "reopened",
    "reopened": "reopened",
}
DEFAULT_JIRA_TRANSITIONS = {"acknowledged": "In Progress", "resolved": "Done", "reopened": "To Do"}


class SettingsError(ValueError):
    """A setting is present but malformed; the message names the setting and what is wrong."""


def parse_connection_string(value: str) -> dict[str, str]:
    """Split `Key=Value;Key=Value` into a dict, keeping '=' inside values (SAS keys end in '=')."""
    parts: dict[str, str] = {}
    for chunk in value.split(";"):
        if not chunk.strip():
            continue
        key, sep, val = chunk.partition("=")
        if not sep:
            raise ValueError("every part must be Key=Value (value not shown: it may be a secret)")
        parts[key.strip()] = val.strip()
    return parts


def _alias(*names: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(*names))


class Settings(BaseSettings):
    """Every setting the app reads. Field aliases are the contract names from ARCHITECTURE.md."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", populate_by_name=True)

    # Storage: a connection string, or the identity-based form.
    storage_connection: str | None = _alias("AzureWebJobsStorage")
    storage_account_name: str | None = _alias("AzureWebJobsStorage__accountName")
    storage_blob_uri: str | None = _alias("AzureWebJobsStorage__blobServiceUri")
    storage_table_uri: str | None = _alias("AzureWebJobsStorage__tableServiceUri")
    storage_client_id: str | None = _alias("AzureWebJobsStorage__clientId")

    # Service Bus: a connection string, or the namespace for managed identity.
    servicebus_connection: str | None = _alias("ServiceBusConnection")
    servicebus_namespace: str | None = _alias("ServiceBusConnection__fullyQualifiedNamespace")
    servicebus_client_id: str | None = _alias("ServiceBusConnection__clientId")

    signalr_connection: str | None = _alias("AzureSignalRConnectionString")
    signalr_service_uri: str | None = _alias("AzureSignalRConnectionString__serviceUri")

    enrich_queue: str = Field(default="alerts-enrich", validation_alias="ENRICH_QUEUE")
    analyze_queue: str = Field(default="alerts-analyze", validation_alias="ANALYZE_QUEUE")
    notify_queue: str = Field(default="alerts-notify", validation_alias="NOTIFY_QUEUE")

    ingest_api_key: str | None = _alias("INGEST_API_KEY")

    databricks_host: str | None = _alias("DATABRICKS_HOST")
    databricks_token: str | None = _alias("DATABRICKS_TOKEN")

    adf_subscription_id: str | None = _alias("ADF_SUBSCRIPTION_ID")
    adf_resource_group: str | None = _alias("ADF_RESOURCE_GROUP")
    adf_factory_name: str | None = _alias("ADF_FACTORY_NAME")
    arm_base_url: str = Field(default=PUBLIC_ARM, validation_alias="ARM_BASE_URL")
    # A static ARM bearer token, for local fakes and break-glass use; Azure uses managed identity.
    arm_token: str | None = _alias("ARM_TOKEN")
    synapse_endpoint: str | None = _alias("SYNAPSE_ENDPOINT")

    gemini_api_key: str | None = _alias("GEMINI_API_KEY")
    gemini_model: str = Field(default="gemini-2.5-flash", validation_alias="GEMINI_MODEL")
    gemini_base_url: str | None = _alias("GEMINI_BASE_URL")

    jira_base_url: str | None = _alias("JIRA_BASE_URL")
    jira_email: str | None = _alias("JIRA_EMAIL")
    jira_api_token: str | None = _alias("JIRA_API_TOKEN")
    jira_project_key: str | None = _alias("JIRA_PROJECT_KEY")
    jira_webhook_secret: str | None = _alias("JIRA_WEBHOOK_SECRET")
    jira_issue_type: str = Field(default="Task", validation_alias="JIRA_ISSUE_TYPE")
    jira_status_map: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_JIRA_STATUS_MAP), validation_alias="JIRA_STATUS_MAP"
    )
    jira_transitions: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_JIRA_TRANSITIONS), validation_alias="JIRA_TRANSITIONS"
    )

    slack_bot_token: str | None = _alias("SLACK_BOT_TOKEN")
    slack_channel: str | None = _alias("SLACK_CHANNEL")
    slack_signing_secret: str | None = _alias("SLACK_SIGNING_SECRET")
    slack_api_base_url: str | None = _alias("SLACK_API_BASE_URL")
    slack_repeat_interval_seconds: int = Field(default=300, ge=0, validation_alias="SLACK_REPEAT_INTERVAL_SECONDS")
    # Repeats write an audit line at most this often per ticket (0: every repeat); see ingest._repeat.
    audit_repeat_interval_seconds: int = Field(default=60, ge=0, validation_alias="AUDIT_REPEAT_INTERVAL_SECONDS")

    sla_seconds_p1: int = Field(default=900, gt=0, validation_alias="SLA_SECONDS_P1")
    sla_seconds_p2: int = Field(default=1800, gt=0, validation_alias="SLA_SECONDS_P2")
    sla_seconds_p3: int = Field(default=7200, gt=0, validation_alias="SLA_SECONDS_P3")
    sla_seconds_p4: int = Field(default=86400, gt=0, validation_alias="SLA_SECONDS_P4")
    sla_warning_fraction: float = Field(default=0.8, gt=0, le=1, validation_alias="SLA_WARNING_FRACTION")

    dashboard_url: str = Field(default="http://127.0.0.1:7071", validation_alias="DASHBOARD_URL")

    # Product behaviour switches (not in the contract table; documented in README).
    resolve_closes_ticket: bool = Field(default=False, validation_alias="RESOLVE_CLOSES_TICKET")
    duration_warnings_enabled: bool = Field(default=True, validation_alias="DURATION_WARNINGS_ENABLED")
    redrive_after_seconds: int = Field(default=900, gt=0, validation_alias="REDRIVE_AFTER_SECONDS")
    rca_cache_ttl_seconds: int = Field(default=7 * 86400, ge=0, validation_alias="RCA_CACHE_TTL_SECONDS")
    team_rules: list[dict[str, str]] = Field(default_factory=list, validation_alias="TEAM_RULES")
    # HTTP stack under the storage SDKs: `pooled` (http.client, ~6x less CPU per call) or `requests`.
    storage_transport: Literal["pooled", "requests"] = Field(default="pooled", validation_alias="STORAGE_TRANSPORT")

    @model_validator(mode="before")
    @classmethod
    def _unresolved_key_vault_references(cls, data: Any) -> Any:
        """App Service passes `@Microsoft.KeyVault(...)` through verbatim when it cannot resolve the
        secret; treating that text as a token would switch an integration on with a bogus credential."""
        if isinstance(data, dict):
            return {k: (None if isinstance(v, str) and v.strip().startswith("@Microsoft.KeyVault(") else v)
                    for k, v in data.items()}
        return data

    @field_validator("jira_status_map", "jira_transitions", "team_rules", mode="before")
    @classmethod
    def _json_value(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"must be JSON ({exc.msg})") from exc
        return value

    @field_validator("jira_status_map")
    @classmethod
    def _lower_status_keys(cls, value: dict[str, str]) -> dict[str, str]:
        allowed = {"resolved", "acknowledged", "reopened"}
        bad = sorted(v for v in value.values() if v not in allowed)
        if bad:
            raise ValueError(f"values must be one of {sorted(allowed)}, got {bad}")
        return {k.strip().lower(): v for k, v in value.items()}

    @field_validator("team_rules")
    @classmethod
    def _valid_rules(cls, value: list[dict[str, str]]) -> list[dict[str, str]]:
        for rule in value:
            if "pattern" not in rule:
                raise ValueError("each rule needs a 'pattern' (a regular expression with named groups)")
            try:
                re.compile(rule["pattern"])
            except re.error as exc:
                raise ValueError(f"pattern {rule['pattern']!r} is not a regular expression: {exc}") from exc
        return value

    @field_validator("arm_base_url", "jira_base_url", "dashboard_url", "databricks_host",
                     "gemini_base_url", "slack_api_base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"must be an http(s) URL, got {value[:60]!r}")
        return value.rstrip("/")

    @field_validator("storage_connection")
    @classmethod
    def _storage(cls, value: str | None) -> str | None:
        if not value or value.strip() == "UseDevelopmentStorage=true":
            return value or None
        parts = parse_connection_string(value)
        if "AccountName" not in parts and not any(k.endswith("Endpoint") for k in parts):
            raise ValueError("needs AccountName=... or a *Endpoint=... (or UseDevelopmentStorage=true)")
        return value

    @field_validator("servicebus_connection")
    @classmethod
    def _servicebus(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = parse_connection_string(value)
        if not parts.get("Endpoint", "").startswith("sb://"):
            raise ValueError("needs Endpoint=sb://<namespace>/;SharedAccessKeyName=...;SharedAccessKey=...")
        return value

    @model_validator(mode="after")
    def _defaults_for_blanks(self) -> Settings:
        # An empty setting means "use the default", as in Azure app settings left blank.
        self.arm_base_url = self.arm_base_url or PUBLIC_ARM
        self.dashboard_url = self.dashboard_url or "http://127.0.0.1:7071"
        return self

    # Derived views the adapters use.
    def sla_seconds(self, priority: str) -> int:
        return {"P1": self.sla_seconds_p1, "P2": self.sla_seconds_p2,
                "P3": self.sla_seconds_p3}.get(priority, self.sla_seconds_p4)

    @property
    def jira_enabled(self) -> bool:
        return bool(self.jira_base_url)

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token)

    @property
    def gemini_enabled(self) -> bool:
        return bool(self.gemini_api_key)

    @property
    def databricks_enabled(self) -> bool:
        return bool(self.databricks_host)

    @property
    def adf_enabled(self) -> bool:
        return bool(self.adf_subscription_id)

    @property
    def storage_uses_identity(self) -> bool:
        return not self.storage_connection and bool(
            self.storage_account_name or self.storage_blob_uri or self.storage_table_uri)

    @property
    def servicebus_uses_identity(self) -> bool:
        return not self.servicebus_connection and bool(self.servicebus_namespace)


def _friendly(exc: ValidationError) -> SettingsError:
    lines = []
    for err in exc.errors():
        loc = err.get("loc") or ("?",)
        field = Settings.model_fields.get(str(loc[0]))
        name = str(loc[0])
        if field is not None and field.validation_alias is not None:
            alias = field.validation_alias
            name = alias.choices[0] if isinstance(alias, AliasChoices) else str(alias)
        lines.append(f"{name}: {err['msg']}")
    return SettingsError("invalid settings: " + "; ".join(lines))


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment (plus overrides by contract name), with readable errors."""
    from pydantic_settings import SettingsError as SourceError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise _friendly(exc) from None
    except SourceError as exc:  # a JSON-valued setting that is not JSON, caught while reading it
        field = next((f for f in Settings.model_fields if f'"{f}"' in str(exc)), None)
        alias = Settings.model_fields[field].validation_alias if field else None
        raise SettingsError(f"invalid settings: {alias or field or '?'}: must be JSON") from None


@functools.cache
def get_settings() -> Settings:
    return load_settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and devhost change the environment)."""
    get_settings.cache_clear()
