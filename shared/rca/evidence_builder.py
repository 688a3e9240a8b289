"""Ticket -> FailureEvidence: the alert's own fields plus what the enrich stage stored on the ticket."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from shared.rca.evidence import FailedStep, FailureEvidence
from shared.tickets import Ticket

__all__ = ["evidence_from_ticket"]

log = logging.getLogger(__name__)


def _dig(data: Any, *paths: str) -> str | None:
    """First non-empty value among dotted paths (enrichment keeps the API's own nesting)."""
    for path in paths:
        value: Any = data
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value not in (None, ""):
            return str(value)
    return None


def _steps(raw: Any) -> list[FailedStep]:
    steps: list[FailedStep] = []
    for item in raw if isinstance(raw, list) else []:
        try:
            steps.append(item if isinstance(item, FailedStep) else FailedStep.model_validate(item))
        except ValidationError:  # one odd entry must not cost the whole analysis
            log.warning("skipping a failed step the analyzer cannot read: %r", str(item)[:200])
    return steps


def evidence_from_ticket(ticket: Ticket) -> FailureEvidence:
    """Everything known about the failure. Enrichment keys read (all optional): `failed_steps`
    (FailedStep dicts), `azure_severity`, `activity_type`, `run` (termination_code/_type, or the
    Jobs API `status.termination_details`) and `cluster` (termination_code, or `termination_reason`)."""
    enrichment = ticket.enrichment or {}
    run, cluster = enrichment.get("run"), enrichment.get("cluster")
    steps = _steps(enrichment.get("failed_steps"))
    cluster_code = _dig(cluster, "termination_code", "termination_reason.code")
    cluster_message = _dig(cluster, "termination_message", "termination_reason.parameters.databricks_error_message",
                           "state_message")
    if cluster_message and not any(cluster_message in (s.error_message or "") for s in steps):
        # A cluster termination explains itself only here; give it a step so its text is evidence.
        steps.append(FailedStep(name=_dig(cluster, "cluster_name", "cluster_id") or ticket.cluster_id,
                                kind="cluster", error_message=cluster_message, termination_code=cluster_code,
                                termination_type=_dig(cluster, "termination_type", "termination_reason.type")))
    return FailureEvidence(
        service=ticket.source,
        error_code=ticket.error_code,
        message=ticket.error_message,
        failure_type=ticket.failure_type,
        azure_severity=ticket.azure_severity or _dig(enrichment, "azure_severity"),
        subject=ticket.subject,
        activity_type=_dig(enrichment, "activity_type")
        or next((s.kind for s in steps if s.kind and s.kind != "cluster"), None),
        termination_code=_dig(run, "termination_code", "status.termination_details.code",
                              "state.termination_code"),
        termination_type=_dig(run, "termination_type", "status.termination_details.type"),
        cluster_termination_code=cluster_code,
        failed_steps=steps,
    )
