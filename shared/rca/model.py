"""The RCA result attached to a ticket, and the fixed vocabularies it is checked against."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Category", "Severity", "RcaSource", "RcaResult", "severity_to_priority", "SEVERITY_RANK"]


class Category(StrEnum):
    SOURCE_NOT_FOUND = "source_not_found"
    AUTH_FAILURE = "auth_failure"
    PERMISSION_DENIED = "permission_denied"
    NETWORK_CONNECTIVITY = "network_connectivity"
    THROTTLING_QUOTA = "throttling_quota"
    SCHEMA_MISMATCH = "schema_mismatch"
    DATA_QUALITY = "data_quality"
    OUT_OF_MEMORY = "out_of_memory"
    CLUSTER_STARTUP_FAILURE = "cluster_startup_failure"
    DEPENDENCY_LIBRARY = "dependency_library"
    CODE_ERROR = "code_error"
    CONFIGURATION_ERROR = "configuration_error"
    RESOURCE_NOT_FOUND_INFRA = "resource_not_found_infra"
    CONCURRENCY_CONFLICT = "concurrency_conflict"
    UPSTREAM_DEPENDENCY_FAILURE = "upstream_dependency_failure"
    TIMEOUT = "timeout"
    PLATFORM_TRANSIENT = "platform_transient"


class Severity(StrEnum):
    CRITICAL = "Critical"
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"


SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3}


class RcaSource(StrEnum):
    CATALOG = "catalog"
    LLM = "llm"
    CACHE = "cache"
    FALLBACK = "fallback"


class RcaResult(BaseModel):
    """What the analyzer concluded. Every enum is closed so untrusted text cannot widen it."""

    model_config = ConfigDict(extra="forbid")

    category: Category
    error_type: str = Field(max_length=120)
    root_cause: str = Field(max_length=4000)
    affected_entity: str | None = Field(default=None, max_length=300)
    severity: Severity = Severity.MEDIUM
    priority: str = Field(default="P3", pattern=r"^P[1-4]$")
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    recommendations: list[str] = Field(default_factory=list, max_length=10)
    auto_heal_possible: bool = False
    evidence: list[str] = Field(default_factory=list, max_length=10)
    documentation_url: str | None = None
    source: RcaSource = RcaSource.CATALOG
    catalog_entry: str | None = None  # id of the catalog entry that matched, if any
    model: str | None = None
    tokens: dict[str, int] = Field(default_factory=dict)  # prompt / output / total
    llm_called: bool = False  # this analysis asked Gemini (its answer used or not): one LLM call
    fingerprint: str | None = None
    note: str | None = None  # e.g. why the LLM result was not used
    cached_at: datetime | None = None  # when this analysis was stored in the RCA cache (TTL check)


def severity_to_priority(severity: Severity | str) -> str:
    return {"Critical": "P1", "High": "P2", "Medium": "P3"}.get(str(severity), "P4")
