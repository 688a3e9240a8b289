"""Scores catalog entries against failure evidence: error codes first-class, message patterns decide."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.rca.catalog_load import Catalog, CatalogEntry
from shared.rca.evidence import FailureEvidence

__all__ = ["Match", "match_evidence", "evidence_codes", "prepare_texts", "MAX_TEXT_CHARS"]

# Long traces keep their head (Java: the exception) and their tail (Python: the exception).
MAX_TEXT_CHARS = 12_000
HEAD_CHARS = 8_000
# A text further from the innermost error is slightly less trustworthy.
DEPTH_PENALTY = 0.02
# Codes found inside the text are a little weaker than codes the API reported.
TEXT_CODE_FACTOR = 0.97
BOTH_BONUS = 0.04

_TEXT_CODE_PATTERNS = [
    re.compile(r"error_?code['\"]?\s*[=:]\s*['\"]?([A-Za-z][\w.\-]{2,80}|\d{2,6})", re.I),
    re.compile(r"\[([A-Z][A-Z0-9_]{3,}(?:\.[A-Z0-9_]+)?)\]"),
    re.compile(r"\b(DF-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+)\b"),
    re.compile(r"azure error code:?\s*([A-Za-z]\w+)", re.I),
    re.compile(r"\bcode['\"]?\s*[=:]\s*['\"]?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b"),
    re.compile(r"(?<![\w.])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?![\w])"),
    re.compile(r"\b(\w+(?:Exception|Error))\b"),
]


# "Cluster terminated. Reason: Spark Startup Failure" names the code SPARK_STARTUP_FAILURE.
_REASON_WORDS = re.compile(r"\breason:\s*([A-Za-z][A-Za-z ]{3,60}?)\s*(?:[.,;:\n]|$)", re.I)

# Stack frames name classes and methods (RpcTimeout, RetryingHandler, ...), not causes.
_STACK_FRAMES = re.compile(
    r"[ \t]*\bat [\w$.<>/]+\([\w .:$<>\-]*\)[ \t]*\n?"
    r"|^[ \t]*\.\.\. \d+ more[ \t]*\n?"
    r"|^[ \t]*File \"[^\"\n]+\", line \d+, in [^\n]+\n(?:[ \t]+[^\n]*\n)?",
    re.MULTILINE,
)


def prepare_text(text: str) -> str:
    """The text the catalog reasons over: stack frames dropped, long texts cut to head and tail."""
    stripped = _STACK_FRAMES.sub(" ", text)
    if len(stripped) <= MAX_TEXT_CHARS:
        return stripped
    tail = MAX_TEXT_CHARS - HEAD_CHARS
    return stripped[:HEAD_CHARS] + "\n...\n" + stripped[-tail:]


def prepare_texts(evidence: FailureEvidence) -> list[str]:
    return [prepare_text(t) for t in evidence.texts()]


@dataclass(frozen=True)
class Match:
    """An entry that matched, how strongly, and where (text index and span) when a pattern hit."""

    entry: CatalogEntry
    score: float
    text_index: int | None = None
    span: tuple[int, int] | None = None
    via_code: str | None = None


def _reported_codes(evidence: FailureEvidence) -> list[str]:
    codes: list[str] = []
    for step in evidence.failed_steps:
        codes += [c for c in (step.error_code, step.termination_code) if c]
    codes += [c for c in (evidence.error_code, evidence.termination_code,
                          evidence.cluster_termination_code) if c]
    return codes


def _text_codes(text: str) -> list[str]:
    found: list[str] = []
    for pattern in _TEXT_CODE_PATTERNS:
        for match in pattern.finditer(text):
            code = match.group(1).strip(".-")
            found.append(code)
            if "." in code:  # UNRESOLVED_COLUMN.WITH_SUGGESTION -> also UNRESOLVED_COLUMN
                found.append(code.split(".", 1)[0])
    found += ["_".join(m.group(1).split()).upper() for m in _REASON_WORDS.finditer(text)]
    return found


def evidence_codes(evidence: FailureEvidence, texts: list[str]) -> list[tuple[str, float, str]]:
    """Every error code known for the failure: (upper-cased, trust factor, as written), deduplicated."""
    weighted: dict[str, tuple[float, str]] = {}
    for code in _reported_codes(evidence):
        written = str(code).strip()
        weighted[written.upper()] = (1.0, written)
    for text in texts:
        for code in _text_codes(text):
            weighted.setdefault(code.upper(), (TEXT_CODE_FACTOR, code))
    return [(code, factor, written) for code, (factor, written) in weighted.items() if code]


def _code_scores(catalog: Catalog, codes: list[tuple[str, float, str]]) -> dict[str, tuple[float, str]]:
    best: dict[str, tuple[float, str]] = {}
    for code, factor, written in codes:
        candidates = list(catalog.by_code.get(code, ()))
        candidates += [e for e in catalog.with_code_patterns
                       if e not in candidates and any(p.search(code) for p in e.code_patterns)]
        for entry in candidates:
            weight = entry.code_weight if code in entry.codes else min(entry.code_weight, 0.6)
            score = weight * factor
            if score > best.get(entry.id, (0.0, ""))[0]:
                best[entry.id] = (score, written)
    return best


def _pattern_hit(entry: CatalogEntry, texts: list[str], lowered: list[str]
                 ) -> tuple[float, int, tuple[int, int]] | None:
    for index, text in enumerate(texts):
        for pattern, literals in zip(entry.patterns, entry.prefilters, strict=True):
            if literals is not None and not any(lit in lowered[index] for lit in literals):
                continue
            found = pattern.search(text)
            if found:
                return entry.weight * (1 - DEPTH_PENALTY * index), index, found.span()
    return None


def match_evidence(catalog: Catalog, evidence: FailureEvidence) -> list[Match]:
    """All matching entries, best first; ties go to the entry listed first in the catalog."""
    texts = prepare_texts(evidence)
    lowered = [t.lower() for t in texts]
    code_best = _code_scores(catalog, evidence_codes(evidence, texts))
    matches: list[Match] = []
    by_id = {e.id: e for e in catalog.entries}
    pattern_entries = {e.id: e for e in catalog.with_patterns}
    for entry_id in set(code_best) | set(pattern_entries):
        entry = by_id[entry_id]
        if not entry.applies_to(evidence.service):
            continue
        hit = _pattern_hit(entry, texts, lowered) if entry_id in pattern_entries else None
        code_score, code = code_best.get(entry_id, (0.0, None))
        if hit is None and not code_score:
            continue
        pattern_score = hit[0] if hit else 0.0
        score = max(code_score, pattern_score)
        if hit and code_score:
            score = min(0.99, score + BOTH_BONUS)
        matches.append(Match(entry=entry, score=round(score, 4),
                             text_index=hit[1] if hit else None, span=hit[2] if hit else None,
                             via_code=code if code_score else None))
    matches.sort(key=lambda m: (-m.score, m.entry.order))
    return matches
