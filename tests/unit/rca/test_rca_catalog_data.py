"""The catalog data files are well formed, cover every category, and speak plain text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from shared.rca.catalog_load import DATA_DIR, CatalogError, build_catalog, load_catalog
from shared.rca.catalog_prefilter import required_literals
from shared.rca.model import Category

DEV_CASES = Path(__file__).resolve().parents[2] / "data" / "rca" / "dev.jsonl"
MARKUP = re.compile(r"[`*<>_#|\[\]{}]|\]\(|https?://")


def test_every_family_file_loads_and_ids_are_unique() -> None:
    catalog = load_catalog()
    ids = [e.id for e in catalog.entries]
    assert len(ids) == len(set(ids)) and len(ids) > 200
    families = {e.family for e in catalog.entries}
    assert {"adf", "dataflow", "databricks", "delta_spark", "exceptions", "text"} <= families


def test_every_category_has_entries_and_a_code_or_pattern_route() -> None:
    catalog = load_catalog()
    for category in Category:
        routed = [e for e in catalog.entries if e.category == category and (e.codes or e.patterns or e.code_patterns)]
        assert routed, category


def test_the_catalog_knows_many_documented_codes() -> None:
    codes = load_catalog().by_code
    for code in ("2200", "3204", "2011", "UserErrorSourceBlobNotExist", "SqlDeniedPublicAccess", "DF-Executor-OutOfMemoryError",
                 "INIT_SCRIPT_FAILURE", "DELTA_CONCURRENT_APPEND", "AZURE_QUOTA_EXCEEDED_EXCEPTION", "LIVY_JOB_STATE_DEAD",
                 "RUN_EXECUTION_ERROR", "MAXIMUM_CONCURRENT_RUNS_REACHED", "ModuleNotFoundError", "OutOfMemoryError"):
        assert code.upper() in codes, code
    assert len(codes) > 400


def test_recommendations_and_root_causes_are_plain_text() -> None:
    for entry in load_catalog().entries:
        assert 3 <= len(entry.recommendations) <= 5, entry.id
        for text in (entry.root_cause, *entry.recommendations):
            assert text.strip() == text and text, entry.id
            assert not MARKUP.search(text), (entry.id, text)
            assert "\n" not in text
        assert entry.documentation_url is None or entry.documentation_url.startswith("https://"), entry.id


def test_weights_are_probabilities() -> None:
    for entry in load_catalog().entries:
        assert 0 < entry.weight < 1 and 0 < entry.code_weight < 1, entry.id


def test_every_file_is_json_with_a_source_note() -> None:
    for path in DATA_DIR.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data.get("source") or data.get("note"), path.name


def test_a_broken_catalog_is_reported_with_its_file_and_entry(tmp_path: Path) -> None:
    (tmp_path / "playbooks.json").write_text((DATA_DIR / "playbooks.json").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "bad.json").write_text(json.dumps({"entries": [{"id": "x.bad", "category": "timeout", "patterns": ["(unclosed"]}]}))
    with pytest.raises(CatalogError, match=r"bad\.json entry x\.bad"):
        build_catalog(tmp_path)


def test_an_unknown_category_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "playbooks.json").write_text((DATA_DIR / "playbooks.json").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "bad.json").write_text(json.dumps({"entries": [{"id": "x.bad", "category": "gremlins", "playbook": "rate_limit"}]}))
    with pytest.raises(CatalogError, match="gremlins"):
        build_catalog(tmp_path)


def test_the_prefilter_never_hides_a_match() -> None:
    # Soundness: whenever a pattern matches a real message, one of its literals is in the message.
    messages = [json.loads(line)["message"] for line in DEV_CASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    for entry in load_catalog().entries:
        for pattern, literals in zip(entry.patterns, entry.prefilters, strict=True):
            if literals is None:
                continue
            for message in messages:
                if pattern.search(message):
                    assert any(lit in message.lower() for lit in literals), (entry.id, pattern.pattern)


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"\blogin failed\b", ("login failed",)),
    (r"\(401\)|\bhttp error 401\b", ("(401)", "http error 401")),
    (r"connect(?:ion)? ?time(?:d)? ?out", ("connect",)),
    (r"\b50[0234]\b", None),
    (r"(?:a|b)c", None),
])
def test_required_literals(pattern: str, expected: tuple[str, ...] | None) -> None:
    assert required_literals(pattern) == expected
