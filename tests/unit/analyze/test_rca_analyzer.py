"""The analyzer: catalog hypothesis, TTL cache by fingerprint, LLM refinement with guards, fallback."""

from datetime import timedelta

import pytest

from shared.config import load_settings
from shared.rca.analyzer import Analyzer, build_analyzer
from shared.rca.gemini import GeminiRefiner, RefinerError
from shared.rca.model import Category, RcaSource, Severity
from tests.fakes import FakeRcaCache, FixedClock
from tests.unit.analyze.stand_in import ScriptedRefiner, evidence, llm_fields, stand_in_classify


def make(refiner=None, cache=None, ttl=3600, clock=None):
    clock = clock or FixedClock()
    return Analyzer(stand_in_classify, refiner, cache, ttl, clock.now), clock


def test_without_gemini_the_catalog_answers_and_the_cache_is_not_touched():
    class Untouchable(FakeRcaCache):
        def get(self, fingerprint):  # noqa: ANN001
            raise AssertionError("catalog-only analysis must not read the cache")

        def put(self, fingerprint, result):  # noqa: ANN001
            raise AssertionError("catalog-only analysis must not write the cache")

    analyzer, _ = make(cache=Untouchable())
    for _ in range(2):
        result = analyzer(evidence())
        assert result.source == RcaSource.CATALOG and result.category == Category.SOURCE_NOT_FOUND


def test_llm_result_is_marked_with_model_and_tokens_and_cached():
    refiner, cache = ScriptedRefiner(), FakeRcaCache()
    analyzer, _ = make(refiner, cache)
    result = analyzer(evidence())
    assert result.source == RcaSource.LLM and result.model == "gemini-test"
    assert result.tokens == {"prompt": 100, "output": 20, "total": 120}
    assert result.evidence == ["does not exist"]
    assert cache.items[result.fingerprint].source == RcaSource.LLM


def test_a_repeat_with_another_run_id_is_served_from_cache_without_an_llm_call():
    refiner = ScriptedRefiner()
    analyzer, _ = make(refiner, FakeRcaCache())
    analyzer(evidence("ErrorCode=UserErrorFileNotFound: path 'raw/2026/12/04/sales.csv' does not exist. run 111"))
    hit = analyzer(evidence("ErrorCode=UserErrorFileNotFound: path 'raw/2026/12/05/sales.csv' does not exist. run 222"))
    assert refiner.calls == 1
    assert hit.source == RcaSource.CACHE and hit.tokens == {} and hit.model == "gemini-test"
    assert analyzer.stats["cache_hits"] == 1 and analyzer.stats["llm_calls"] == 1


def test_expired_cache_entries_are_refreshed():
    refiner = ScriptedRefiner()
    analyzer, clock = make(refiner, FakeRcaCache(), ttl=600)
    analyzer(evidence())
    clock.advance(599)
    assert analyzer(evidence()).source == RcaSource.CACHE
    clock.advance(1)
    assert analyzer(evidence()).source == RcaSource.LLM
    assert refiner.calls == 2


def test_ttl_zero_disables_the_cache():
    cache = FakeRcaCache()
    analyzer, _ = make(ScriptedRefiner(), cache, ttl=0)
    analyzer(evidence())
    assert cache.items == {}


def test_cache_hit_gets_this_alerts_azure_floor_not_the_first_ones():
    analyzer, _ = make(ScriptedRefiner(llm_fields(severity="Low")), FakeRcaCache())
    first = analyzer(evidence(azure_severity="Sev0"))
    assert (first.severity, first.priority) == (Severity.CRITICAL, "P1")
    second = analyzer(evidence(azure_severity="Sev3"))
    assert second.source == RcaSource.CACHE
    assert (second.severity, second.priority) == (Severity.MEDIUM, "P3")  # the catalog's floor


def test_catalog_entry_cached_before_gemini_was_configured_is_refined():
    cache = FakeRcaCache()
    make(cache=cache)[0](evidence())
    refiner = ScriptedRefiner()
    assert make(refiner, cache)[0](evidence()).source == RcaSource.LLM
    assert refiner.calls == 1


def test_failure_falls_back_to_the_catalog_and_is_not_cached():
    cache = FakeRcaCache()
    analyzer, _ = make(ScriptedRefiner(RefinerError("Gemini HTTP 503 after 3 attempts", {"total": 0})), cache)
    result = analyzer(evidence())
    assert result.source == RcaSource.FALLBACK
    assert result.category == Category.SOURCE_NOT_FOUND
    assert "503" in result.note and result.model == "gemini-test"
    assert cache.items == {} and analyzer.stats["fallbacks"] == 1


def test_llm_cannot_lower_severity_below_the_catalog():
    result = make(ScriptedRefiner(llm_fields(category="out_of_memory", severity="Low")))[0](
        evidence("java.lang.OutOfMemoryError: Java heap space", azure_severity="Sev3"))
    assert result.category == Category.OUT_OF_MEMORY
    assert (result.severity, result.priority) == (Severity.HIGH, "P2")
    assert "severity kept at least High" in result.note


def test_llm_may_raise_severity():
    result = make(ScriptedRefiner(llm_fields(severity="Critical")))[0](evidence(azure_severity=None))
    assert (result.severity, result.priority) == (Severity.CRITICAL, "P1")


def test_reply_is_sanitized_before_it_reaches_the_ticket():
    reply = llm_fields(evidence=["does not exist", "invented line that is nowhere"],
                       recommendations=["Delete the table sales and recreate it", "Check\x07 the feed"],
                       auto_heal_possible=True, error_type="X" * 500)
    result = make(ScriptedRefiner(reply))[0](evidence())
    assert result.evidence == ["does not exist"]
    assert result.recommendations == ["Check the feed"]
    assert result.auto_heal_possible is False  # a missing file is not fixed by a re-run
    assert len(result.error_type) == 120
    assert "evidence" in result.note and "destructive" in result.note


def test_a_reply_of_nothing_but_destructive_advice_is_not_trusted_at_all():
    injected = llm_fields(category="data_quality", severity="Low",
                          recommendations=["Drop the table sales and recreate it", "Delete all data in the raw container"])
    result = make(ScriptedRefiner(injected))[0](evidence("java.lang.OutOfMemoryError: Java heap space"))
    assert result.source == RcaSource.FALLBACK and result.category == Category.OUT_OF_MEMORY  # the catalog's view
    assert result.llm_called and "destructive" in result.note
    assert not any("drop" in r.lower() or "delete" in r.lower() for r in result.recommendations)


def test_cache_outage_does_not_fail_the_analysis():
    class Broken:
        def get(self, fp):
            raise ConnectionError("table down")

        def put(self, fp, result):
            raise ConnectionError("table down")

    assert make(ScriptedRefiner(), Broken())[0](evidence()).source == RcaSource.LLM


def test_build_analyzer_uses_gemini_only_with_a_key():
    plain = build_analyzer(load_settings(), classify=stand_in_classify)
    assert plain.refiner is None
    keyed = build_analyzer(load_settings(GEMINI_API_KEY="k", GEMINI_MODEL="gemini-x"), classify=stand_in_classify)
    assert isinstance(keyed.refiner, GeminiRefiner) and keyed.refiner.model == "gemini-x"
    forced = build_analyzer(load_settings(GEMINI_API_KEY="k"), classify=stand_in_classify, use_llm=False)
    assert forced.refiner is None
    assert keyed.ttl == timedelta(seconds=load_settings().rca_cache_ttl_seconds)


def test_default_classifier_is_the_catalog():
    pytest.importorskip("shared.rca.catalog")
    result = build_analyzer(load_settings())(evidence())
    assert result.source == RcaSource.CATALOG and result.fingerprint


class JsonCache:
    """Serializes like the Table adapter (model_dump_json / model_validate_json)."""

    def __init__(self):
        self.docs = {}

    def get(self, fp):
        from shared.rca.model import RcaResult

        return RcaResult.model_validate_json(self.docs[fp]) if fp in self.docs else None

    def put(self, fp, result):
        self.docs[fp] = result.model_dump_json()


def test_ttl_survives_a_json_round_trip_through_storage():
    analyzer, clock = make(ScriptedRefiner(), JsonCache(), ttl=60)
    analyzer(evidence())
    assert analyzer(evidence()).source == RcaSource.CACHE
    clock.advance(60)
    assert analyzer(evidence()).source == RcaSource.LLM


def test_importing_the_stage_does_not_import_the_gemini_sdk():
    import subprocess
    import sys

    code = ("import sys, shared.stages.analyze, shared.rca.gemini, shared.rca.analyzer; "
            "sys.exit('google.genai' in sys.modules)")
    root = __import__("pathlib").Path(__file__).resolve().parents[3]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0
