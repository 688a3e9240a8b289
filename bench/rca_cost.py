"""RCA cost: 1,000 failures (50 distinct errors) through the analyze stage with the fake Gemini; one JSON line.

Run: .venv/bin/python -m bench.rca_cost [--failures N] [--distinct K]
In-process fake Gemini (tests/fakes_http), in-memory ticket store and RCA cache (tests/fakes): it
measures how many LLM calls the fingerprint cache saves and the per-message analyze latency.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.config import load_settings  # noqa: E402
from shared.rca.analyzer import Analyzer, build_analyzer  # noqa: E402
from shared.rca.evidence import FailedStep, FailureEvidence  # noqa: E402
from shared.rca.model import RcaResult, RcaSource  # noqa: E402
from shared.stages.analyze import handle_analyze  # noqa: E402
from shared.tickets import Stage, Ticket  # noqa: E402
from tests.fakes import fake_services  # noqa: E402
from tests.fakes_http.gemini_server import GeminiServer  # noqa: E402

# Ten kinds of failure x five datasets = 50 distinct errors; every run adds its own ids and times.
KINDS = [
    ("2200", "ErrorCode=UserErrorFileNotFound: path 'raw/{day}/{ds}.csv' does not exist. Activity ID: {guid}"),
    ("2200", "ErrorCode=SqlOperationFailed: Invalid column name '{ds}_amount'. Run {run} at {ts}"),
    ("2011", "Forbidden: this request is not authorized to read container '{ds}'. RequestId: {guid}"),
    ("3204", "java.lang.OutOfMemoryError: Java heap space while writing {ds} (stage {n}, task {m})"),
    ("2108", "Azure Databricks cluster {cluster} failed to start: library {ds}-utils could not be installed"),
    ("4002", "Timeout: activity copy_{ds} exceeded 7200 seconds in run {run}"),
    ("2200", "ErrorCode=UserErrorInvalidDataValue: Column '{ds}_date' contains value '{ts}' not a date"),
    ("3208", "Throttled: 429 Too Many Requests from the {ds} API after {n} retries, request {guid}"),
    ("2011", "ConcurrentAppendException: files were added to the {ds} table by a concurrent update {guid}"),
    ("1000", "Upstream pipeline pl_ingest_{ds} failed; dependency not satisfied for window {ts}"),
]
DATASETS = ["sales", "orders", "customers", "inventory", "payments", "shipments", "returns", "invoices"]


def error_text(index: int, distinct: int, run: int) -> tuple[str, str]:
    kind, dataset = divmod(index % distinct, len(DATASETS))
    code, template = KINDS[kind % len(KINDS)]
    return code, template.format(
        ds=DATASETS[dataset], guid=uuid.UUID(int=run * 7919 + 17), run=f"{run:08d}", n=run % 97,
        m=run % 13, ts=f"2026-12-{1 + run % 28:02d}T{run % 24:02d}:{run % 60:02d}:00Z",
        day=f"2026/12/{1 + run % 28:02d}", cluster=f"1204-{run:06d}-abcd{run % 10}xyz")


def make_ticket(i: int, code: str, message: str, svc: Any) -> Ticket:
    now = svc.clock.now() + timedelta(seconds=i)
    tid = f"T20261204-{i:06d}-BNCH"
    return Ticket(
        id=tid, dedup_key=f"adf:run:{i}", source="adf", title="bench", pipeline="pl_bench",
        run_id=f"run-{uuid.UUID(int=i)}", error_code=code, error_message="Operation failed",
        azure_severity="Sev2", stage=Stage.ENRICHED, first_seen_at=now, last_seen_at=now, created_at=now,
        sla_due_at=now + timedelta(seconds=7200),
        enrichment={"failed_steps": [FailedStep(name="step", kind="Copy", error_code=code,
                                                error_message=message).model_dump()]},
    )


def pick_classifier() -> tuple[Callable[[FailureEvidence], RcaResult] | None, str]:
    """The real catalog when it loads; otherwise the tests' stand-in (said so in the output)."""
    probe = FailureEvidence(service="adf", error_code="2200", message="path does not exist")
    try:
        from shared.rca.catalog import classify

        classify(probe)
        return None, "catalog"
    except Exception:
        from tests.unit.analyze.stand_in import stand_in_classify

        return stand_in_classify, "stand-in"


def p50(values: list[float]) -> float | None:
    return round(statistics.median(values) * 1000, 3) if values else None


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", type=int, default=1000)
    parser.add_argument("--distinct", type=int, default=50)
    args = parser.parse_args(argv)
    classify, classifier_name = pick_classifier()
    with GeminiServer() as gemini:
        settings = load_settings(GEMINI_API_KEY=gemini.api_key, GEMINI_BASE_URL=gemini.url)
        svc = fake_services(settings=settings)
        analyzer: Analyzer = build_analyzer(settings, svc.rca_cache, classify=classify, clock=svc.clock.now)
        hits: list[float] = []
        misses: list[float] = []
        analyzer_time = {RcaSource.CACHE: [], RcaSource.LLM: []}  # type: dict[RcaSource, list[float]]
        timed = _timed(analyzer, analyzer_time)
        svc.analyzer = timed
        other = 0
        for i in range(args.failures):
            code, message = error_text(i, args.distinct, run=i)
            ticket = make_ticket(i, code, message, svc)
            svc.store.create(ticket)
            start = time.perf_counter()
            handle_analyze({"ticket_id": ticket.id, "stage": "analyze"}, svc)
            elapsed = time.perf_counter() - start
            source = svc.store.tickets[ticket.id].rca.source
            if source == RcaSource.CACHE:
                hits.append(elapsed)
            elif source == RcaSource.LLM:
                misses.append(elapsed)
            else:
                other += 1
        result = {
            "bench": "rca_cost", "failures": args.failures, "distinct_errors": args.distinct,
            "llm_calls": len(gemini.generate_requests()),
            "p50_ms_hit": p50(hits), "p50_ms_miss": p50(misses),
            "cache_hits": len(hits), "cache_misses": len(misses), "other_sources": other,
            "p50_ms_analyzer_hit": p50(analyzer_time[RcaSource.CACHE]),
            "p50_ms_analyzer_miss": p50(analyzer_time[RcaSource.LLM]),
            "tokens_total": sum(t.rca.tokens.get("total", 0) for t in svc.store.tickets.values() if t.rca),
            "classifier": classifier_name, "cache": "in-memory", "store": "in-memory", "gemini": "fake, in-process",
        }
    print(json.dumps(result))
    return result


def _timed(analyzer: Analyzer, into: dict[RcaSource, list[float]]) -> Callable[[FailureEvidence], RcaResult]:
    """The analyzer alone, timed (the stage adds the ticket read/write and the recall scan)."""
    def run(evidence: FailureEvidence) -> RcaResult:
        start = time.perf_counter()
        result = analyzer(evidence)
        into.setdefault(result.source, []).append(time.perf_counter() - start)
        return result
    return run


if __name__ == "__main__":
    main()
