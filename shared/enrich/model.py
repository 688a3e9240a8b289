"""EnrichmentResult: what the enrich stage learned about a failure, stored as `ticket.enrichment`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.rca.evidence import FailedStep

__all__ = ["EnrichStatus", "RunInfo", "ClusterInfo", "DiscoveredRun", "EnrichmentResult"]


class EnrichStatus(StrEnum):
    OK = "ok"  # everything asked for was fetched
    PARTIAL = "partial"  # the run was fetched, some detail (task output, cluster, tags) was not
    UNAVAILABLE = "unavailable"  # the API failed; the ticket goes on with what the alert said
    SKIPPED = "skipped"  # nothing to look up, or the integration is not configured


class RunInfo(BaseModel):
    """The pipeline run or job run the ticket is about, as its API reported it."""

    model_config = ConfigDict(extra="ignore")

    run_id: str | None = None
    job_id: str | None = None
    name: str | None = None  # pipeline name / Databricks run name
    state: str | None = None  # ADF status, or Databricks status.state / life_cycle_state
    result_state: str | None = None  # Databricks (deprecated but still sent) state.result_state
    termination_code: str | None = None
    termination_type: str | None = None
    termination_message: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    run_page_url: str | None = None


class ClusterInfo(BaseModel):
    """A Databricks cluster and why it terminated (`termination_reason` of clusters/get)."""

    model_config = ConfigDict(extra="ignore")

    cluster_id: str
    cluster_name: str | None = None
    state: str | None = None
    state_message: str | None = None
    termination_code: str | None = None
    termination_type: str | None = None  # CLIENT_ERROR / CLOUD_FAILURE / SERVICE_FAULT / SUCCESS
    termination_parameters: dict[str, str] = Field(default_factory=dict)
    termination_message: str | None = None  # the most telling parameter, e.g. azure_error_message


class DiscoveredRun(BaseModel):
    """A failed pipeline run found for a run-less (metric) alert; it becomes a ticket of its own."""

    model_config = ConfigDict(extra="ignore")

    run_id: str
    pipeline: str | None = None
    status: str | None = None
    run_start: datetime | None = None
    run_end: datetime | None = None
    message: str | None = None
    source: str | None = None  # adf | synapse
    resource_id: str | None = None  # the factory / Synapse workspace the run belongs to


class EnrichmentResult(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: EnrichStatus = EnrichStatus.SKIPPED
    notes: list[str] = Field(default_factory=list)  # human-readable; never secrets or traces
    system: str | None = None  # databricks | adf | synapse
    run: RunInfo | None = None
    failed_steps: list[FailedStep] = Field(default_factory=list)  # most specific first
    cluster: ClusterInfo | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    discovered_runs: list[DiscoveredRun] = Field(default_factory=list)
    retryable: bool = False  # some call failed in a way a later delivery may get past
    fetched_at: datetime | None = None

    @property
    def primary_step(self) -> FailedStep | None:
        return self.failed_steps[0] if self.failed_steps else None
