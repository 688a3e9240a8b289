"""Rules that keep an RCA inside its bounds: severity floors, quoted evidence, plain-text advice."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from shared.rca.model import SEVERITY_RANK, Category, RcaResult, Severity, severity_to_priority

__all__ = [
    "azure_floor", "most_urgent", "apply_floor", "plain_text", "clean_recommendations",
    "quoted_evidence", "AUTO_HEAL_CATEGORIES", "PRIORITY_RANK", "more_urgent_priority",
]

_AZURE = {"sev0": Severity.CRITICAL, "sev1": Severity.HIGH, "sev2": Severity.MEDIUM,
          "sev3": Severity.LOW, "sev4": Severity.LOW}
PRIORITY_RANK = {"P1": 0, "P2": 1, "P3": 2, "P4": 3}

# Categories where re-running is the usual fix; anything else needs a human change first, so an
# "auto-heal" claim there (possibly planted by the error text) is not believed.
AUTO_HEAL_CATEGORIES = frozenset({
    Category.PLATFORM_TRANSIENT, Category.THROTTLING_QUOTA, Category.TIMEOUT,
    Category.NETWORK_CONNECTIVITY, Category.CONCURRENCY_CONFLICT, Category.CLUSTER_STARTUP_FAILURE,
    Category.UPSTREAM_DEPENDENCY_FAILURE,
})

# Advice to destroy data is never what an RCA should hand an on-call engineer at 3 a.m.
_DESTRUCTIVE = re.compile(
    r"\b(drop|truncat|delet|purg|wip|eras)\w*\b[^.\n]{0,40}\b(tables?|databases?|schemas?|containers?|"
    r"storage accounts?|data ?lakes?|workspaces?|(all |the )?data|rows|records|delta logs?)\b"
    r"|\brm\s+-[a-z]*r[a-z]*f|\bdrop\s+(table|database|schema)\b",
    re.IGNORECASE,
)
_MAX_RECOMMENDATIONS = 6
_MAX_LINE = 400


def azure_floor(azure_severity: str | None) -> Severity | None:
    """The least urgent RCA severity the alert's own Azure severity allows (Sev0 -> Critical ...)."""
    return _AZURE.get((azure_severity or "").strip().lower().replace(" ", ""))


def most_urgent(*severities: Severity | None) -> Severity:
    present = [s for s in severities if s is not None]
    return min(present, key=lambda s: SEVERITY_RANK[s]) if present else Severity.MEDIUM


def more_urgent_priority(*priorities: str | None) -> str:
    present = [p for p in priorities if p in PRIORITY_RANK]
    return min(present, key=PRIORITY_RANK.__getitem__) if present else "P3"


def apply_floor(result: RcaResult, azure_severity: str | None) -> RcaResult:
    """Raise severity to this alert's Azure floor and derive the priority from the severity."""
    severity = most_urgent(result.severity, azure_floor(azure_severity))
    return result.model_copy(update={"severity": severity, "priority": severity_to_priority(severity)})


def plain_text(value: str, limit: int = _MAX_LINE) -> str:
    """Strip control, format (zero-width, bidi override) characters; collapse whitespace; cap."""
    kept = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in value)
    return re.sub(r"\s+", " ", kept).strip()[:limit]


def clean_recommendations(items: Iterable[str]) -> tuple[list[str], int]:
    """Plain-text, de-duplicated, capped recommendations, and how many destructive ones were dropped."""
    out: list[str] = []
    dropped = 0
    for item in items:
        text = plain_text(str(item))
        if not text or text in out:
            continue
        if _DESTRUCTIVE.search(text):
            dropped += 1
            continue
        out.append(text)
        if len(out) == _MAX_RECOMMENDATIONS:
            break
    return out, dropped


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def quoted_evidence(quotes: Iterable[str], texts: list[str]) -> tuple[list[str], int]:
    """Quotes that really occur in the error texts (whitespace and case aside), and how many did not."""
    haystack = [_squash(t) for t in texts]
    kept: list[str] = []
    dropped = 0
    for quote in quotes:
        line = plain_text(str(quote), 500)
        needle = _squash(line)
        if len(needle) < 4 or not any(needle in h for h in haystack):
            dropped += bool(needle)
            continue
        if line not in kept:
            kept.append(line)
        if len(kept) == 10:
            break
    return kept, dropped
