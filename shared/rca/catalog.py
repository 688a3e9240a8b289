"""The built-in failure catalog: classify FailureEvidence into an RcaResult without any external call."""

from __future__ import annotations

import re

from shared.rca.catalog_entity import clean_quote, extract_entity, quote_around
from shared.rca.catalog_load import Catalog, CatalogEntry, load_catalog
from shared.rca.catalog_match import Match, match_evidence, prepare_texts
from shared.rca.evidence import FailureEvidence
from shared.rca.fingerprint import fingerprint
from shared.rca.model import SEVERITY_RANK, RcaResult, RcaSource, Severity, severity_to_priority

__all__ = ["classify", "severity_floor", "apply_severity_floor", "evidence_fingerprint"]

FALLBACK_CONFIDENCE = 0.2
MAX_CONFIDENCE = 0.95
# When a different category scores almost as high, the result is less certain.
AMBIGUITY_MARGIN = 0.05
AMBIGUITY_FACTOR = 0.85
MAX_EVIDENCE = 3
TRACE_HEAD_CHARS = 1000

_AZURE_SEVERITY = {"sev0": Severity.CRITICAL, "sev1": Severity.HIGH, "sev2": Severity.MEDIUM,
                   "sev3": Severity.LOW, "sev4": Severity.LOW}


def severity_floor(azure_severity: str | None) -> Severity | None:
    """The least urgent RCA severity the alert's own Azure severity allows (Sev0 -> Critical ...)."""
    if not azure_severity:
        return None
    key = azure_severity.strip().lower().replace(" ", "")
    return _AZURE_SEVERITY.get(key if key.startswith("sev") else f"sev{key}")


def apply_severity_floor(severity: Severity, azure_severity: str | None) -> Severity:
    """Raise severity to the alert's floor; never lowers it."""
    floor = severity_floor(azure_severity)
    if floor is not None and SEVERITY_RANK[floor] < SEVERITY_RANK[severity]:
        return floor
    return severity


def evidence_fingerprint(evidence: FailureEvidence) -> str:
    """Fingerprint of the innermost reported error: the failed step's message plus the head of its trace.

    The trace head is included because a step message is often only a wrapper ("FAILED") while the
    cause sits in the trace; fingerprints feed the RCA cache, so distinct causes must not collide.
    """
    code = next((c for s in evidence.failed_steps for c in (s.error_code, s.termination_code) if c), None)
    code = code or evidence.error_code or evidence.termination_code or evidence.cluster_termination_code
    step = next((s for s in evidence.failed_steps if s.error_message or s.error_trace), None)
    if step is None and not code and not (evidence.message or "").strip():
        # Nothing says what failed: only the same pipeline or job failing silently is "similar",
        # not every silent failure of the service.
        return fingerprint(evidence.service, None, f"no error reported: {evidence.subject or '-'}")
    if step is None:
        return fingerprint(evidence.service, code, evidence.message)
    parts = [step.error_message or "", (step.error_trace or "")[:TRACE_HEAD_CHARS]]
    return fingerprint(evidence.service, code, "\n".join(p for p in parts if p))


def _error_type(best: Match | None, entry: CatalogEntry) -> str:
    # A grouped entry matched by one of its codes: the code itself is the most specific type.
    if best is not None and best.via_code and len(entry.code_names) > 1 and best.span is None:
        named = next((c for c in entry.code_names if c.upper() == best.via_code.upper()), None)
        if named:
            return named[:120]
    return entry.error_type[:120]


def _fallback(catalog: Catalog, service: str) -> CatalogEntry:
    entry = catalog.fallbacks.get(service) or catalog.fallbacks.get("default")
    if entry is None:
        raise RuntimeError("the catalog has no fallback.default entry")
    return entry


def _confidence(best: Match, matches: list[Match]) -> float:
    runner_up = next((m.score for m in matches if m.entry.category != best.entry.category), 0.0)
    confidence = min(MAX_CONFIDENCE, best.score)
    if runner_up >= best.score - AMBIGUITY_MARGIN:
        confidence *= AMBIGUITY_FACTOR
    return round(confidence, 2)


def _evidence_lines(best: Match | None, matches: list[Match], texts: list[str]) -> list[str]:
    lines: list[str] = []
    # Only quotes that support the chosen category; the runner-up goes in the note instead.
    supporting = [m for m in matches[:6] if best and m.entry.category == best.entry.category]
    for match in supporting:
        if match.span is not None and match.text_index is not None:
            quote = quote_around(texts[match.text_index], match.span)
        elif match.via_code:
            quote = f"error code {clean_quote(match.via_code)}"
        else:
            continue
        if quote and quote not in lines:
            lines.append(quote)
        if len(lines) >= MAX_EVIDENCE:
            break
    if not lines and texts:
        lines.append(clean_quote(texts[0]))
    return lines


def _note(best: Match, matches: list[Match]) -> str | None:
    other = next((m for m in matches if m.entry.category != best.entry.category), None)
    if other is None:
        return None
    return f"alternative hypothesis: {other.entry.category.value} ({other.entry.id}, score {other.score:.2f})"


_NAMED_EXCEPTION = re.compile(r"\b[A-Z][\w.$]*(?:Exception|Error)\b\s*:")


def _only_a_wrapper(best: Match, texts: list[str]) -> bool:
    """The winner is a wrapper code ("a task failed") while the text names its own, unknown exception."""
    return best.entry.wrapper and best.text_index is None and any(_NAMED_EXCEPTION.search(t) for t in texts)


def _affected(best: Match | None, texts: list[str]) -> str | None:
    """The object named where the cause was recognised; another failed step's objects are its own."""
    if best is not None and best.text_index is not None:
        named = extract_entity([texts[best.text_index]])
        if named:
            return named
    return extract_entity(texts)


SAME_CAUSE_MARGIN = 0.03


def _most_specific(matches: list[Match], texts: list[str]) -> Match:
    """The winner, unless an entry of the same category scored within a hair of it by naming the
    error code (`[TABLE_OR_VIEW_NOT_FOUND]`) written in the very text the winner's general phrase
    matched: the category stands either way, and the code's entry has that platform's advice and
    docs. A code from another failed step is another failure's, and changes nothing."""
    best = matches[0]
    if best.via_code or best.text_index is None:
        return best
    text = texts[best.text_index].lower()
    return next((m for m in matches if m.via_code and m.entry.category == best.entry.category
                 and m.score >= best.score - SAME_CAUSE_MARGIN and m.via_code.lower() in text), best)


def classify(evidence: FailureEvidence, catalog: Catalog | None = None) -> RcaResult:
    """Always returns a result: the best catalog match, or a low-confidence best guess."""
    catalog = catalog or load_catalog()
    texts = prepare_texts(evidence)
    # A bare wrapper code says nothing when the text names its own, unknown, inner cause.
    matches = [m for m in match_evidence(catalog, evidence) if not _only_a_wrapper(m, texts)]
    best = _most_specific(matches, texts) if matches else None
    entry = best.entry if best else _fallback(catalog, evidence.service)
    severity = apply_severity_floor(entry.severity, evidence.azure_severity)
    return RcaResult(
        category=entry.category,
        error_type=_error_type(best, entry),
        root_cause=entry.root_cause,
        affected_entity=_affected(best, texts),
        severity=severity,
        priority=severity_to_priority(severity),
        confidence=_confidence(best, matches) if best else FALLBACK_CONFIDENCE,
        recommendations=list(entry.recommendations),
        auto_heal_possible=entry.auto_heal_possible,
        evidence=_evidence_lines(best, matches, texts),
        documentation_url=entry.documentation_url,
        source=RcaSource.CATALOG,
        catalog_entry=entry.id,
        fingerprint=evidence_fingerprint(evidence),
        note=_note(best, matches) if best else "no catalog entry matched; category is a best guess",
    )
