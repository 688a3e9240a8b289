"""FailureEvidence: everything known about a failure that the analyzer may reason over."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FailureEvidence", "FailedStep"]


class FailedStep(BaseModel):
    """One failed ADF activity or Databricks task, with its real error as the API reported it."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = None  # activity name / task key
    kind: str | None = None  # ActivityType (Copy, DatabricksNotebook, ...) or task type
    run_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    error_trace: str | None = None  # trimmed, ANSI-free
    failure_type: str | None = None  # UserError / SystemError / ...
    termination_code: str | None = None  # Databricks run or cluster termination code
    termination_type: str | None = None  # CLIENT_ERROR / CLOUD_FAILURE / SERVICE_FAULT / ...
    run_page_url: str | None = None


class FailureEvidence(BaseModel):
    """Input of the analyzer: the alert's own fields plus whatever enrichment fetched."""

    model_config = ConfigDict(extra="ignore")

    service: str  # adf | synapse | databricks_job | databricks_cluster | azure_function | other
    error_code: str | None = None
    message: str | None = None
    failure_type: str | None = None
    azure_severity: str | None = None  # Sev0..Sev4 of the alert, if any
    subject: str | None = None  # pipeline / job / cluster name
    activity_type: str | None = None
    termination_code: str | None = None
    termination_type: str | None = None
    cluster_termination_code: str | None = None
    failed_steps: list[FailedStep] = Field(default_factory=list)

    def texts(self) -> list[str]:
        """Every error text, most specific (innermost) first, for matching and for evidence quotes."""
        out: list[str] = []
        for step in self.failed_steps:
            for text in (step.error_trace, step.error_message):
                if text and text not in out:
                    out.append(text)
        if self.message and self.message not in out:
            out.append(self.message)
        return out
