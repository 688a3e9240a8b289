"""A small stand-in for the catalog's `classify` and helpers shared by the analyze tests."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.rca.evidence import FailedStep, FailureEvidence
from shared.rca.guard import azure_floor, most_urgent
from shared.rca.model import Category, RcaResult, Severity, severity_to_priority
from shared.tickets import Stage, Ticket

T0 = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)

# (pattern, category, severity): enough variety for the analyzer's decisions.
_RULES = [
    (r"not found|does not exist", Category.SOURCE_NOT_FOUND, Severity.MEDIUM),
    (r"outofmemory|out of memory", Category.OUT_OF_MEMORY, Severity.HIGH),
    (r"throttl|429|too many requests", Category.THROTTLING_QUOTA, Severity.LOW),
    (r"permission|forbidden|authorization", Category.PERMISSION_DENIED, Severity.HIGH),
]


def stand_in_classify(evidence: FailureEvidence) -> RcaResult:
    """Like the catalog: always a result, source catalog, fingerprint filled (run ids removed)."""
    text = "\n".join(evidence.texts())
    category, severity = Category.CODE_ERROR, Severity.MEDIUM
    for pattern, cat, sev in _RULES:
        if re.search(pattern, text, re.I):
            category, severity = cat, sev
            break
    floor = azure_floor(evidence.azure_severity)  # the real catalog floors by Azure severity too
    severity = most_urgent(severity, floor)
    normalized = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<guid>", text.lower())
    normalized = re.sub(r"\d+", "<n>", normalized)
    digest = hashlib.sha256(f"{evidence.service}|{evidence.error_code}|{normalized}".encode()).hexdigest()
    first = text.splitlines()[0][:200] if text else None
    return RcaResult(
        category=category, error_type=evidence.error_code or "UnknownError",
        root_cause=f"Catalog: {category.value}", severity=severity, priority=severity_to_priority(severity),
        confidence=0.6, recommendations=[f"Follow the {category.value} runbook."],
        evidence=[first] if first else [], catalog_entry=f"stub.{category.value}", fingerprint=digest[:32],
    )


def evidence(message: str = "ErrorCode=UserErrorFileNotFound: path 'raw/2026/12/04/sales.csv' does not exist.",
             azure_severity: str | None = "Sev2", **kw: Any) -> FailureEvidence:
    return FailureEvidence(service=kw.pop("service", "adf"), error_code=kw.pop("error_code", "2200"),
                           message=message, azure_severity=azure_severity, subject="pl_daily_sales", **kw)


def ticket(ticket_id: str = "T20261204-030000-AAAA", *, created_at: datetime = T0, **kw: Any) -> Ticket:
    fields: dict[str, Any] = dict(
        id=ticket_id, dedup_key=f"adf:run:{ticket_id}", source="adf", title="pl_daily_sales failed",
        pipeline="pl_daily_sales", run_id=f"run-{ticket_id}", error_code="2200",
        error_message="Operation on target Copy sales failed",
        azure_severity="Sev2", priority="P3", severity="Medium", stage=Stage.ENRICHED,
        first_seen_at=created_at, last_seen_at=created_at, created_at=created_at,
        sla_due_at=created_at + timedelta(seconds=7200),
        enrichment={"failed_steps": [FailedStep(
            name="Copy sales", kind="Copy", error_code="2200",
            error_message="ErrorCode=UserErrorFileNotFound: path 'raw/2026/12/04/sales.csv' does not exist.",
            failure_type="UserError").model_dump()]},
    )
    fields.update(kw)
    return Ticket(**fields)


def llm_fields(**fields: Any) -> dict[str, Any]:
    reply = {"category": "source_not_found", "error_type": "PathNotFound",
             "root_cause": "The daily sales file was not delivered to raw/.", "affected_entity": "raw/sales.csv",
             "severity": "Medium", "confidence": 0.9,
             "recommendations": ["Ask the upstream team whether the file was delivered."],
             "auto_heal_possible": False, "evidence": ["does not exist"]}
    reply.update(fields)
    return reply


class ScriptedRefiner:
    """Stands in for GeminiRefiner: each call takes the next scripted reply (a dict of LLM fields)
    or raises the next scripted RefinerError; afterwards it answers `llm_fields()`."""

    model = "gemini-test"

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def refine(self, evidence: FailureEvidence, hypothesis: RcaResult) -> Any:
        from shared.rca.gemini import LlmRca, Refinement

        self.calls += 1
        out = self.outcomes.pop(0) if self.outcomes else llm_fields()
        if isinstance(out, Exception):
            raise out
        return Refinement(LlmRca.model_validate(out), self.model, {"prompt": 100, "output": 20, "total": 120})
