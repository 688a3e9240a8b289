"""The production analyzer: catalog hypothesis, RCA cache by fingerprint, Gemini refinement, fallback."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.config import Settings
from shared.ports import RcaCache
from shared.rca.evidence import FailureEvidence
from shared.rca.guard import (
    AUTO_HEAL_CATEGORIES,
    apply_floor,
    clean_recommendations,
    most_urgent,
    plain_text,
    quoted_evidence,
)
from shared.rca.model import RcaResult, RcaSource
from shared.rca.prompt import neutralize

__all__ = ["Analyzer", "build_analyzer", "merge_reply", "Classifier"]

log = logging.getLogger(__name__)

Classifier = Callable[[FailureEvidence], RcaResult]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    # A row read back from storage may have lost its zone; times here are always UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _catalog_classify() -> Classifier:
    from shared.rca.catalog import classify  # the catalog is large; load it with the first analysis

    return classify


def merge_reply(hypothesis: RcaResult, refinement: Any, texts: list[str]) -> RcaResult:
    """The LLM answer checked against the hypothesis: severity never below the catalog's, evidence
    only as real quotes, recommendations as plain text, auto-heal only where a re-run can work."""
    reply = refinement.reply
    haystack = texts + [neutralize(t) for t in texts]
    evidence, bad_quotes = quoted_evidence(reply.evidence, haystack)
    recommendations, destructive = clean_recommendations(reply.recommendations)
    notes = []
    if bad_quotes:
        notes.append(f"dropped {bad_quotes} evidence line(s) not found in the error text")
    if destructive:
        notes.append(f"dropped {destructive} destructive recommendation(s)")
    if reply.severity != most_urgent(reply.severity, hypothesis.severity):
        # "at least": the alert's own Azure severity may raise it further on the way out.
        notes.append(f"severity kept at least {hypothesis.severity.value} (model said {reply.severity.value})")
    if destructive and not recommendations:
        # Nothing but harmful advice (a prompt injection, or a model gone wrong): trust none of the
        # reply, or the ticket would pair the model's category with the catalog's advice.
        return hypothesis.model_copy(update={
            "source": RcaSource.FALLBACK, "model": refinement.model, "tokens": dict(refinement.tokens),
            "llm_called": True,
            "note": "; ".join(filter(None, ["catalog result used: every recommendation in Gemini's reply was "
                                             "destructive, so none of the reply was kept", hypothesis.note]))})
    return hypothesis.model_copy(update={
        "category": reply.category,
        "error_type": plain_text(reply.error_type, 120) or hypothesis.error_type,
        "root_cause": plain_text(reply.root_cause, 4000) or hypothesis.root_cause,
        "affected_entity": plain_text(reply.affected_entity, 300) if reply.affected_entity
        else hypothesis.affected_entity,
        "severity": most_urgent(reply.severity, hypothesis.severity),
        "confidence": reply.confidence,
        "recommendations": recommendations or hypothesis.recommendations,
        "auto_heal_possible": reply.auto_heal_possible and reply.category in AUTO_HEAL_CATEGORIES,
        "evidence": evidence or hypothesis.evidence,
        "source": RcaSource.LLM,
        "model": refinement.model,
        "tokens": dict(refinement.tokens),
        "llm_called": True,
        "note": "; ".join(notes) or None,
    })


class Analyzer:
    """`analyzer(evidence) -> RcaResult`. Cache entries are stored before this alert's Azure floor is
    applied, so a repeat from a less severe alert is not held at an earlier alert's priority."""

    def __init__(self, classify: Classifier | None = None, refiner: Any = None,
                 cache: RcaCache | None = None, ttl_seconds: int = 7 * 86400,
                 clock: Callable[[], datetime] = _utcnow) -> None:
        self._classify = classify
        self.refiner = refiner
        self.cache = cache
        self.ttl = timedelta(seconds=ttl_seconds)
        self._clock = clock
        self._lock = threading.Lock()
        self.stats = {"analyses": 0, "cache_hits": 0, "llm_calls": 0, "fallbacks": 0,
                      "circuit_open": 0}

    def _count(self, key: str) -> None:
        with self._lock:
            self.stats[key] += 1

    def __call__(self, evidence: FailureEvidence) -> RcaResult:
        self._count("analyses")
        if self._classify is None:
            self._classify = _catalog_classify()
        # The catalog's own severity, without this alert's Azure floor: what gets cached must not
        # carry one alert's floor to the next. The floor is applied to every result on the way out.
        # The same goes for the LLM's view, so it is not told the Azure severity either.
        alert_free = evidence.model_copy(update={"azure_severity": None})
        intrinsic = self._classify(alert_free)
        hypothesis = intrinsic.model_copy(update={"source": RcaSource.CATALOG})
        if self.refiner is None:
            # Catalog only: recomputing (~1 ms) is cheaper than the two storage calls of a cache.
            return apply_floor(hypothesis, evidence.azure_severity)
        fingerprint = hypothesis.fingerprint
        cached = self._lookup(fingerprint)
        if cached is not None:
            self._count("cache_hits")
            return apply_floor(cached, evidence.azure_severity)
        from shared.rca.gemini import RefinerError

        try:
            refinement = self.refiner.refine(alert_free, hypothesis)
        except RefinerError as exc:
            self._count("llm_calls" if exc.called else "circuit_open")
            self._count("fallbacks")
            fallback = hypothesis.model_copy(update={
                "source": RcaSource.FALLBACK,
                "note": "; ".join(filter(None, [f"catalog result used: {exc.reason}", hypothesis.note])),
                "tokens": dict(exc.tokens), "model": getattr(self.refiner, "model", None),
                "llm_called": exc.called})
            return apply_floor(fallback, evidence.azure_severity)
        self._count("llm_calls")
        result = merge_reply(hypothesis, refinement, evidence.texts())
        self._store(fingerprint, result)
        return apply_floor(result, evidence.azure_severity)

    def _lookup(self, fingerprint: str | None) -> RcaResult | None:
        if self.cache is None or not fingerprint or not self.ttl:
            return None
        try:
            found = self.cache.get(fingerprint)
        except Exception:  # a cache outage costs an LLM call, never the analysis
            log.warning("RCA cache read failed for %s", fingerprint, exc_info=True)
            return None
        if found is None or found.cached_at is None:
            return None
        cached_at = _aware(found.cached_at)
        if _aware(self._clock()) - cached_at >= self.ttl:
            return None
        if found.source == RcaSource.CATALOG and self.refiner is not None:
            return None  # cached before Gemini was configured: worth refining now
        return found.model_copy(update={
            "source": RcaSource.CACHE, "tokens": {}, "llm_called": False,
            "note": f"reused the {found.source.value} analysis cached at {cached_at:%Y-%m-%dT%H:%M:%SZ}"})

    def _store(self, fingerprint: str | None, result: RcaResult) -> None:
        if self.cache is None or not fingerprint or not self.ttl:
            return
        try:
            self.cache.put(fingerprint, result.model_copy(update={"cached_at": self._clock()}))
        except Exception:
            log.warning("RCA cache write failed for %s", fingerprint, exc_info=True)


def build_analyzer(settings: Settings, cache: RcaCache | None = None, *,
                   classify: Classifier | None = None, refiner: Any = None,
                   use_llm: bool | None = None,
                   clock: Callable[[], datetime] = _utcnow) -> Analyzer:
    """Catalog, then cache, then Gemini when GEMINI_API_KEY is set (`use_llm=False` forces the
    catalog only). `refiner` replaces the Gemini refiner (tests); `classify` the catalog."""
    if refiner is None and use_llm is not False and settings.gemini_enabled:
        from shared.rca.gemini import GeminiRefiner

        refiner = GeminiRefiner(settings)
    if use_llm is False:
        refiner = None
    return Analyzer(classify, refiner, cache, settings.rca_cache_ttl_seconds, clock)
