"""The evaluation: its arithmetic on a hand-computed set, and the CLI on the development cases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.rca import evaluate
from shared.rca.evidence import FailureEvidence
from shared.rca.model import Category, RcaResult

REPO = Path(__file__).resolve().parents[3]
DEV_CASES = REPO / "tests" / "data" / "rca" / "dev.jsonl"


def _fixed(answers: dict[str, str]):
    def analyzer(evidence: FailureEvidence) -> RcaResult:
        label = answers[evidence.message or ""]
        if label == "boom":
            raise RuntimeError("analyzer crashed")
        return RcaResult(category=Category(label), error_type="t", root_cause="r")
    return analyzer


def test_metrics_match_a_hand_computed_example() -> None:
    # gold:      timeout, timeout, timeout, auth_failure, auth_failure, code_error
    # predicted: timeout, timeout, auth_failure, auth_failure, timeout, (crash)
    cases = [{"service": "adf", "message": m, "category": g} for m, g in [
        ("a", "timeout"), ("b", "timeout"), ("c", "timeout"), ("d", "auth_failure"), ("e", "auth_failure"), ("f", "code_error")]]
    answers = {"a": "timeout", "b": "timeout", "c": "auth_failure", "d": "auth_failure", "e": "timeout", "f": "boom"}
    report = evaluate.evaluate_cases(cases, _fixed(answers), include_misses=True)
    assert report["cases"] == 6
    assert report["accuracy"] == pytest.approx(3 / 6, abs=1e-4)
    per = report["per_category"]
    # timeout: TP 2, predicted 3, gold 3 -> P 2/3, R 2/3, F1 2/3
    assert per["timeout"]["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert per["timeout"]["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert per["timeout"]["n"] == 3
    # auth_failure: TP 1, predicted 2, gold 2 -> P 0.5, R 0.5
    assert per["auth_failure"]["precision"] == 0.5 and per["auth_failure"]["recall"] == 0.5
    # code_error never predicted (the analyzer crashed) -> 0; the crash label counts as a predicted label.
    assert per["code_error"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "n": 1}
    assert per[evaluate.ERROR_LABEL]["n"] == 0
    expected_macro = (2 / 3 + 0.5 + 0.0 + 0.0) / 4
    assert report["macro_f1"] == pytest.approx(expected_macro, abs=1e-3)
    assert {"gold": "timeout", "predicted": "auth_failure", "count": 1} in report["top_confusions"]
    assert [m["gold"] for m in report["misses"]] == ["timeout", "auth_failure", "code_error"]


def test_a_perfect_analyzer_scores_one() -> None:
    cases = [{"service": "adf", "message": "x", "category": "timeout"}, {"service": "adf", "message": "y", "category": "code_error"}]
    report = evaluate.evaluate_cases(cases, _fixed({"x": "timeout", "y": "code_error"}))
    assert report["accuracy"] == 1.0 and report["macro_f1"] == 1.0 and report["top_confusions"] == []


def test_no_cases_is_not_an_error() -> None:
    report = evaluate.evaluate_cases([], _fixed({}))
    assert report["cases"] == 0 and report["accuracy"] == 0.0


def test_the_catalog_is_used_without_a_gemini_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    analyzer, name = evaluate.choose_analyzer()
    assert name == "catalog"


def test_with_a_key_but_no_analyzer_module_the_catalog_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "test-key")
    monkeypatch.setitem(sys.modules, "shared.rca.analyzer", None)  # makes the import fail
    analyzer, name = evaluate.choose_analyzer()
    assert name.startswith("catalog")


def test_the_cli_on_the_development_cases_meets_the_targets() -> None:
    env = {k: v for k, v in os.environ.items() if k != "GEMINI_API_KEY"}
    out = subprocess.run([sys.executable, "-m", "shared.rca.evaluate", str(DEV_CASES)], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(out.stdout)
    assert report["cases"] == 290
    assert report["accuracy"] >= 0.85
    assert report["macro_f1"] >= 0.80
    for category, stats in report["per_category"].items():
        if stats["n"] >= 5:
            assert stats["recall"] >= 0.6, category


def test_the_cli_rejects_a_line_that_is_not_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"service": "adf", "message": "x", "category": "timeout"}\nnot json\n', encoding="utf-8")
    with pytest.raises(SystemExit, match="line 2"):
        evaluate.main([str(bad)])
