"""The generalization bench ablates the right units and keeps its folds stratified."""

from __future__ import annotations

from collections import Counter

from bench.rca_generalization import ablate, stratified_folds, top_level_branches, unit_hits
from shared.rca.catalog import classify
from shared.rca.catalog_load import load_catalog
from shared.rca.evaluate import case_evidence


def test_top_level_branches_split_only_outside_groups_and_classes() -> None:
    assert top_level_branches(r"a|b(?:c|d)|e") == ["a", "b(?:c|d)", "e"]
    assert top_level_branches(r"[|(]x|\|y") == ["[|(]x", r"\|y"]
    assert top_level_branches(r"plain") == ["plain"]


def test_a_disabled_unit_no_longer_decides() -> None:
    case = {"id": "t1", "service": "databricks_job", "error_code": None, "category": "dependency_library",
            "message": "ModuleNotFoundError: No module named 'etl_helpers'"}
    catalog = load_catalog()
    hits = unit_hits(catalog, [case])
    assert classify(case_evidence(case), catalog).category == "dependency_library"
    stripped = ablate(catalog, set(hits))
    assert classify(case_evidence(case), stripped).category != "dependency_library"
    assert load_catalog() is catalog and hits  # the packaged catalog itself is untouched


def test_folds_are_stratified_and_cover_every_case_once() -> None:
    cases = [{"category": c} for c in ["a"] * 10 + ["b"] * 5 + ["c"] * 3]
    folds = stratified_folds(cases, 5, seed=1)
    assert sorted(i for fold in folds for i in fold) == list(range(len(cases)))
    for fold in folds:
        counts = Counter(cases[i]["category"] for i in fold)
        assert counts["a"] == 2 and counts["b"] == 1
