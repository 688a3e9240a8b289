"""RCA catalog generalization: k-fold pattern ablation over the labeled dev cases.

Run: .venv/bin/python -m bench.rca_generalization [CASES.jsonl] [--folds 5] [--seeds 0,1,2] [--json] [--misses]

The catalog was written while looking at the dev cases, so its dev score says little about unseen
messages. This estimate simulates "the catalog written without the held-out fold": for each fold
(stratified by category, several seeds), every catalog unit (one message pattern, one error code,
one code pattern of one entry) that fires on at least one dev case but only on cases of the
held-out fold is disabled, then the held-out fold is scored with the ablated catalog. Units that
fire on no dev case at all (written from the public docs) stay on; units a training-fold case also
triggers stay on.

Two estimates: `--ablate patterns` disables message patterns only (error codes stay: 631 of the
catalog's 867 codes fire on no dev case, i.e. they were transcribed from the documentation's code
tables and would be there for unseen documented codes too); `--ablate all` also disables codes, the
pessimistic bound for failures whose code the catalog does not know. The default prints both.

Printed: per-fold and mean accuracy / macro-F1, pooled out-of-fold scores per seed (every dev case
predicted once per seed, the closest analogue of one held-out set), mean per-category recall, and
accuracy by source type (documentation vs GitHub issue / PR threads, from each record's `source`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from statistics import mean
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.rca.catalog import classify  # noqa: E402
from shared.rca.catalog_load import Catalog, CatalogEntry, index_entries, load_catalog  # noqa: E402
from shared.rca.catalog_match import evidence_codes, prepare_texts  # noqa: E402
from shared.rca.catalog_prefilter import required_literals  # noqa: E402
from shared.rca.evaluate import case_evidence, evaluate_cases, load_cases  # noqa: E402

DEFAULT_CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "rca" / "dev.jsonl"
_GITHUB_THREAD = re.compile(r"github\.com/[^/]+/[^/]+/(?:issues|pull|discussions)/\d+", re.I)

Unit = tuple[str, str, Any]  # (kind, entry id, (pattern index, branch index) | upper-cased code)


def top_level_branches(pattern: str) -> list[str]:
    """`a|b(?:c|d)|e` -> ['a', 'b(?:c|d)', 'e']: the alternatives a regex offers at its top level.

    Each one is ablated on its own, so joining unrelated phrasings into one regex cannot hide a
    phrasing that only the held-out fold needs behind one that a training case matches.
    """
    branches, depth, start, index, in_class = [], 0, 0, 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[index + 1:index + 2] == "]":
                index += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(pattern[start:index])
            start = index + 1
        index += 1
    branches.append(pattern[start:])
    return branches


def source_type(case: dict[str, Any]) -> str:
    return "github_issue" if _GITHUB_THREAD.search(case.get("source") or "") else "docs"


def unit_hits(catalog: Catalog, cases: list[dict[str, Any]]) -> dict[Unit, set[int]]:
    """For each catalog unit, the indices of the cases it fires on (same texts and codes the matcher sees)."""
    hits: dict[Unit, set[int]] = defaultdict(set)
    for index, case in enumerate(cases):
        evidence = case_evidence(case)
        texts = prepare_texts(evidence)
        codes = [code for code, _, _ in evidence_codes(evidence, texts)]
        for entry in catalog.entries:
            if not entry.applies_to(evidence.service):
                continue
            for p_index, branches in enumerate(_compiled_branches(entry)):
                for b_index, branch in enumerate(branches):
                    if any(branch.search(t) for t in texts):
                        hits[("pattern", entry.id, (p_index, b_index))].add(index)
            for code in codes:
                if code in entry.codes:
                    hits[("code", entry.id, code)].add(index)
            for p_index, pattern in enumerate(entry.code_patterns):
                if any(pattern.search(code) for code in codes):
                    hits[("code_pattern", entry.id, p_index)].add(index)
    return hits


_BRANCHES: dict[str, list[list[re.Pattern[str]]]] = {}


def _compiled_branches(entry: CatalogEntry) -> list[list[re.Pattern[str]]]:
    if entry.id not in _BRANCHES:
        _BRANCHES[entry.id] = [[re.compile(b, p.flags) for b in top_level_branches(p.pattern)]
                               for p in entry.patterns]
    return _BRANCHES[entry.id]


def _without_branches(entry: CatalogEntry, gone: set[Unit]) -> tuple[tuple[re.Pattern[str], ...], tuple[Any, ...]]:
    patterns, prefilters = [], []
    for p_index, (pattern, literals) in enumerate(zip(entry.patterns, entry.prefilters, strict=True)):
        branches = top_level_branches(pattern.pattern)
        kept = [b for b_index, b in enumerate(branches) if ("pattern", entry.id, (p_index, b_index)) not in gone]
        if len(kept) == len(branches):
            patterns.append(pattern)
            prefilters.append(literals)
        elif kept:
            source = "|".join(kept)
            patterns.append(re.compile(source, pattern.flags))
            prefilters.append(required_literals(source))
    return tuple(patterns), tuple(prefilters)


def ablate(catalog: Catalog, disabled: set[Unit]) -> Catalog:
    """A copy of `catalog` without the disabled units (entries are kept, possibly with nothing left to match)."""
    by_entry: dict[str, set[Unit]] = defaultdict(set)
    for unit in disabled:
        by_entry[unit[1]].add(unit)
    entries: list[CatalogEntry] = []
    for entry in catalog.entries:
        gone = by_entry.get(entry.id)
        if not gone:
            entries.append(entry)
            continue
        patterns, prefilters = _without_branches(entry, gone)
        keep_cp = [i for i in range(len(entry.code_patterns)) if ("code_pattern", entry.id, i) not in gone]
        codes = frozenset(c for c in entry.codes if ("code", entry.id, c) not in gone)
        entries.append(dataclasses.replace(
            entry,
            patterns=patterns,
            prefilters=prefilters,
            code_patterns=tuple(entry.code_patterns[i] for i in keep_cp),
            codes=codes,
            code_names=tuple(c for c in entry.code_names if c.upper() in codes),
        ))
    return index_entries(entries)


def _unit_count(catalog: Catalog, kinds: set[str]) -> int:
    count = 0
    for entry in catalog.entries:
        if "pattern" in kinds:
            count += sum(len(top_level_branches(p.pattern)) for p in entry.patterns)
        if "code" in kinds:
            count += len(entry.codes)
        if "code_pattern" in kinds:
            count += len(entry.code_patterns)
    return count


def stratified_folds(cases: list[dict[str, Any]], folds: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    by_category: dict[str, list[int]] = defaultdict(list)
    for index, case in enumerate(cases):
        by_category[case["category"]].append(index)
    out: list[list[int]] = [[] for _ in range(folds)]
    offset = 0
    for category in sorted(by_category):
        members = by_category[category]
        rng.shuffle(members)
        for position, index in enumerate(members):
            out[(position + offset) % folds].append(index)
        offset += len(members)  # rotate so small categories do not all start in fold 0
    return out


def _by_source(cases: list[dict[str, Any]], predicted: dict[int, str], indices: list[int]) -> dict[str, dict[str, Any]]:
    totals: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for index in indices:
        kind = source_type(cases[index])
        totals[kind] += 1
        right[kind] += predicted[index] == cases[index]["category"]
    return {kind: {"n": totals[kind], "accuracy": round(right[kind] / totals[kind], 4)} for kind in sorted(totals)}


MODE_NOTES = {
    "patterns": "message patterns the training folds never need are off; error codes stay (most were transcribed "
                "from the documentation's code tables, not from dev cases)",
    "all": "patterns AND codes the training folds never need are off: the pessimistic bound, as if no held-out "
           "error code were in the catalog",
    "codes": "only error codes the training folds never need are off",
}
ABLATE_KINDS = {"all": {"pattern", "code", "code_pattern"}, "patterns": {"pattern"}, "codes": {"code", "code_pattern"}}


def run(cases: list[dict[str, Any]], folds: int, seeds: list[int], ablate_kind: str = "all") -> dict[str, Any]:
    catalog = load_catalog()
    kinds = ABLATE_KINDS[ablate_kind]
    hits = {unit: where for unit, where in unit_hits(catalog, cases).items() if unit[0] in kinds}
    fold_rows: list[dict[str, Any]] = []
    pooled_rows: list[dict[str, Any]] = []
    recalls: dict[str, list[float]] = defaultdict(list)
    misses: Counter[tuple[str, str, str]] = Counter()
    started = time.perf_counter()
    scored = 0
    for seed in seeds:
        predicted: dict[int, str] = {}
        for fold_no, held in enumerate(stratified_folds(cases, folds, seed)):
            held_set = set(held)
            disabled = {unit for unit, where in hits.items() if where and where <= held_set}
            ablated = ablate(catalog, disabled)
            for index in held:
                predicted[index] = str(classify(case_evidence(cases[index]), ablated).category)
                scored += 1
            report = _score([cases[i] for i in held], [predicted[i] for i in held])
            fold_rows.append({"seed": seed, "fold": fold_no, "n": len(held), "disabled_units": len(disabled),
                              "accuracy": report["accuracy"], "macro_f1": report["macro_f1"],
                              "by_source": _by_source(cases, predicted, held)})
        pooled = _score(cases, [predicted[i] for i in range(len(cases))])
        for category, stats in pooled["per_category"].items():
            if stats["n"]:
                recalls[category].append(stats["recall"])
        for i, case in enumerate(cases):
            if predicted[i] != case["category"]:
                misses[(case.get("id", str(i)), case["category"], predicted[i])] += 1
        pooled_rows.append({"seed": seed, "accuracy": pooled["accuracy"], "macro_f1": pooled["macro_f1"],
                            "by_source": _by_source(cases, predicted, list(range(len(cases))))})
    elapsed = time.perf_counter() - started
    by_source: dict[str, float] = {}
    for kind in sorted({source_type(c) for c in cases}):
        by_source[kind] = round(mean(r["by_source"][kind]["accuracy"] for r in pooled_rows), 4)
    return {
        "cases": len(cases), "folds": folds, "seeds": seeds, "ablate": ablate_kind,
        "catalog_units": _unit_count(catalog, kinds), "catalog_units_firing": len(hits),
        "mean_fold_accuracy": round(mean(r["accuracy"] for r in fold_rows), 4),
        "mean_fold_macro_f1": round(mean(r["macro_f1"] for r in fold_rows), 4),
        "pooled_accuracy": round(mean(r["accuracy"] for r in pooled_rows), 4),
        "pooled_macro_f1": round(mean(r["macro_f1"] for r in pooled_rows), 4),
        "pooled_accuracy_by_source": by_source,
        "mean_recall": {c: round(mean(v), 4) for c, v in sorted(recalls.items())},
        "min_recall": {c: round(min(v), 4) for c, v in sorted(recalls.items())},
        "folds_detail": fold_rows,
        "pooled_detail": pooled_rows,
        "misses": [{"id": i, "gold": g, "predicted": p, "seeds": n} for (i, g, p), n in sorted(misses.items())],
        "ms_per_classification": round(1000 * elapsed / max(1, scored), 3),  # includes ablation set-up
    }


class _Label:
    """A stand-in RcaResult: evaluate_cases re-scores predictions already made, with its own metric math."""

    def __init__(self, category: str) -> None:
        self.category = category


def _score(cases: list[dict[str, Any]], labels: list[str]) -> dict[str, Any]:
    answers = iter(labels)  # evaluate_cases asks for the cases in order, once each
    return evaluate_cases(cases, lambda _evidence: _Label(next(answers)))  # type: ignore[arg-type,return-value]


def _print_text(result: dict[str, Any], show_misses: bool) -> None:
    print(f"cases={result['cases']} folds={result['folds']} seeds={result['seeds']} ablate={result['ablate']} "
          f"units={result['catalog_units']} (firing on dev: {result['catalog_units_firing']})")
    print("seed fold    n  disabled  accuracy  macro_f1  docs   github")
    for row in result["folds_detail"]:
        src = row["by_source"]
        print(f"{row['seed']:>4} {row['fold']:>4} {row['n']:>4} {row['disabled_units']:>9} "
              f"{row['accuracy']:>9.3f} {row['macro_f1']:>9.3f} "
              f"{src.get('docs', {}).get('accuracy', float('nan')):>5.3f} "
              f"{src.get('github_issue', {}).get('accuracy', float('nan')):>6.3f}")
    print(f"mean of folds: accuracy {result['mean_fold_accuracy']:.4f}  macro-F1 {result['mean_fold_macro_f1']:.4f}"
          "  (small folds: macro-F1 is biased low)")
    for row in result["pooled_detail"]:
        src = row["by_source"]
        print(f"pooled seed {row['seed']}: accuracy {row['accuracy']:.4f}  macro-F1 {row['macro_f1']:.4f}  "
              + "  ".join(f"{k} {v['accuracy']:.3f} (n={v['n']})" for k, v in src.items()))
    print(f"POOLED (mean over seeds): accuracy {result['pooled_accuracy']:.4f}  macro-F1 {result['pooled_macro_f1']:.4f}  "
          + "  ".join(f"{k} {v:.3f}" for k, v in result["pooled_accuracy_by_source"].items()))
    print("per-category recall (mean / min over seeds):")
    for category, value in result["mean_recall"].items():
        flag = "  <-- below 0.7" if value < 0.7 else ""
        print(f"  {category:<30} {value:.3f} / {result['min_recall'][category]:.3f}{flag}")
    print(f"ms per classification: {result['ms_per_classification']}")
    if show_misses:
        for miss in result["misses"]:
            print(f"  miss {miss['id']}: {miss['gold']} -> {miss['predicted']} ({miss['seeds']} seed(s))")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rca_generalization", description=__doc__.split("\n")[0])
    parser.add_argument("cases", nargs="?", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated fold-assignment seeds")
    parser.add_argument("--ablate", choices=[*sorted(ABLATE_KINDS), "both"], default="both",
                        help="which units may be disabled: message patterns only, patterns and codes ('all'), "
                             "or report both estimates (default)")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    parser.add_argument("--misses", action="store_true", help="list out-of-fold misses")
    args = parser.parse_args(argv)
    with args.cases.open(encoding="utf-8") as handle:
        cases = load_cases(handle)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    modes = ["patterns", "all"] if args.ablate == "both" else [args.ablate]
    results = [run(cases, args.folds, seeds, mode) for mode in modes]
    if args.json:
        print(json.dumps(results[0] if len(results) == 1 else results, indent=2))
        return 0
    for result in results:
        print(f"### ablate={result['ablate']}: " + MODE_NOTES[result["ablate"]])
        _print_text(result, args.misses)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
