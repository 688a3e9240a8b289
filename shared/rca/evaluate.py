"""Measures an RCA analyzer on labeled cases (python -m shared.rca.evaluate CASES.jsonl [--misses])."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from shared.rca.evidence import FailureEvidence
from shared.rca.model import RcaResult

__all__ = ["evaluate_cases", "load_cases", "case_evidence", "choose_analyzer", "main"]

Analyzer = Callable[[FailureEvidence], RcaResult]
ERROR_LABEL = "<analyzer error>"
TOP_CONFUSIONS = 10


def case_evidence(case: dict[str, Any]) -> FailureEvidence:
    """The evidence a case stands for: what an alert plus enrichment would have carried."""
    return FailureEvidence(service=case.get("service") or "other", error_code=case.get("error_code"),
                           message=case.get("message"), azure_severity=case.get("azure_severity"))


def _ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


def _f1(precision: float, recall: float) -> float:
    return round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0


def _predict(analyzer: Analyzer, case: dict[str, Any]) -> str:
    try:
        return str(analyzer(case_evidence(case)).category)
    except Exception:  # noqa: BLE001 - a crashing analyzer is a wrong answer, not a crashed evaluation
        return ERROR_LABEL


def evaluate_cases(cases: list[dict[str, Any]], analyzer: Analyzer, *, include_misses: bool = False) -> dict[str, Any]:
    """Scores `analyzer` on `cases` (each with service, error_code, message and the gold category).

    Macro-F1 averages over every label that is either a gold label or was predicted, so predicting
    a category that never occurs costs as much as missing one.
    """
    started = time.perf_counter()
    pairs = [(str(case["category"]), _predict(analyzer, case)) for case in cases]
    elapsed = time.perf_counter() - started
    gold_counts = Counter(gold for gold, _ in pairs)
    predicted_counts = Counter(predicted for _, predicted in pairs)
    correct = Counter(gold for gold, predicted in pairs if gold == predicted)
    per_category: dict[str, dict[str, float | int]] = {}
    for label in sorted(set(gold_counts) | set(predicted_counts)):
        precision = _ratio(correct[label], predicted_counts[label])
        recall = _ratio(correct[label], gold_counts[label])
        per_category[label] = {"precision": precision, "recall": recall,
                               "f1": _f1(precision, recall), "n": gold_counts[label]}
    confusions = Counter((gold, predicted) for gold, predicted in pairs if gold != predicted)
    report: dict[str, Any] = {
        "cases": len(pairs),
        "accuracy": _ratio(sum(correct.values()), len(pairs)),
        "macro_f1": round(sum(c["f1"] for c in per_category.values()) / len(per_category), 4)
        if per_category else 0.0,
        "per_category": per_category,
        "top_confusions": [{"gold": g, "predicted": p, "count": n}
                           for (g, p), n in confusions.most_common(TOP_CONFUSIONS)],
        "ms_per_case": round(1000 * elapsed / len(pairs), 3) if pairs else 0.0,
    }
    if include_misses:
        report["misses"] = [{"id": case.get("id"), "gold": gold, "predicted": predicted}
                            for case, (gold, predicted) in zip(cases, pairs, strict=True) if gold != predicted]
    return report


def load_cases(lines: Iterable[str]) -> list[dict[str, Any]]:
    cases = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                cases.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"line {number}: not JSON ({exc.msg})") from None
    return cases


def choose_analyzer() -> tuple[Analyzer, str]:
    """The analyzer production uses: catalog only, or the full analyzer when a Gemini key is set."""
    from shared.rca.catalog import classify

    if not os.environ.get("GEMINI_API_KEY"):
        return classify, "catalog"
    try:
        # Imported lazily: the production analyzer (Gemini refiner on top of the catalog) is
        # another module's job and pulls in heavier dependencies.
        from shared.config import load_settings
        from shared.rca.analyzer import build_analyzer
    except ImportError:
        print("shared.rca.analyzer is not available; evaluating the catalog alone", file=sys.stderr)
        return classify, "catalog (analyzer module missing)"
    return build_analyzer(load_settings()), "analyzer"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.rca.evaluate", description=__doc__)
    parser.add_argument("cases", type=Path, help="JSON lines with service, error_code, message, category")
    parser.add_argument("--misses", action="store_true", help="also list the misclassified case ids")
    args = parser.parse_args(argv)
    with args.cases.open(encoding="utf-8") as handle:
        cases = load_cases(handle)
    analyzer, name = choose_analyzer()
    report = evaluate_cases(cases, analyzer, include_misses=args.misses)
    report["analyzer"] = name
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
