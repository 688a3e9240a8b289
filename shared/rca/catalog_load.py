"""Loads the failure catalog (JSON files in catalog_data/) into compiled, validated entries."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.rca.catalog_prefilter import required_literals
from shared.rca.model import Category, Severity

__all__ = ["CatalogEntry", "Catalog", "load_catalog", "build_catalog", "index_entries", "CatalogError", "DATA_DIR"]

DATA_DIR = Path(__file__).with_name("catalog_data")
PLAYBOOK_FILE = "playbooks.json"
DEFAULT_PATTERN_WEIGHT = 0.8
DEFAULT_CODE_WEIGHT = 0.9
CODE_PATTERN_WEIGHT = 0.6


class CatalogError(ValueError):
    """A catalog file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class CatalogEntry:
    """One known failure: how to recognise it and what to tell the on-call engineer."""

    id: str
    family: str
    category: Category
    error_type: str
    root_cause: str
    recommendations: tuple[str, ...]
    severity: Severity
    auto_heal_possible: bool
    documentation_url: str | None
    codes: frozenset[str] = frozenset()
    code_patterns: tuple[re.Pattern[str], ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    # Per pattern: literals of which one must be in the lower-cased text, or None (always try).
    prefilters: tuple[tuple[str, ...] | None, ...] = ()
    code_names: tuple[str, ...] = ()  # codes as written in the catalog, for display
    weight: float = DEFAULT_PATTERN_WEIGHT
    code_weight: float = DEFAULT_CODE_WEIGHT
    services: frozenset[str] = frozenset()
    # A code that only says "something inside failed" (RUN_EXECUTION_ERROR): its entry names no cause.
    wrapper: bool = False
    order: int = 0

    def applies_to(self, service: str) -> bool:
        return not self.services or service in self.services


@dataclass
class Catalog:
    """All entries plus an index from upper-cased error code to the entries that name it."""

    entries: list[CatalogEntry]
    by_code: dict[str, list[CatalogEntry]] = field(default_factory=dict)
    with_code_patterns: list[CatalogEntry] = field(default_factory=list)
    with_patterns: list[CatalogEntry] = field(default_factory=list)
    fallbacks: dict[str, CatalogEntry] = field(default_factory=dict)

    def get(self, entry_id: str) -> CatalogEntry | None:
        return next((e for e in self.entries if e.id == entry_id), None)


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        # Case-insensitive by default: error texts are inconsistent about case.
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise CatalogError(f"{where}: bad regular expression {pattern!r}: {exc}") from None


def _playbook_fields(raw: dict[str, Any], playbooks: dict[str, dict[str, Any]], where: str) -> dict[str, Any]:
    name = raw.get("playbook") or f"category:{raw.get('category')}"
    if name not in playbooks:
        raise CatalogError(f"{where}: unknown playbook {name!r}")
    merged = dict(playbooks[name])
    merged.update({k: v for k, v in raw.items() if v is not None})
    return merged


def _build_entry(raw: dict[str, Any], family: str, order: int,
                 playbooks: dict[str, dict[str, Any]], where: str) -> CatalogEntry:
    if "id" not in raw or "category" not in raw:
        raise CatalogError(f"{where}: every entry needs 'id' and 'category'")
    merged = _playbook_fields(raw, playbooks, where)
    try:
        category = Category(merged["category"])
        severity = Severity(merged.get("severity", "Medium"))
    except ValueError as exc:
        raise CatalogError(f"{where}: {exc}") from None
    recommendations = tuple(merged.get("recommendations") or ())
    if not 3 <= len(recommendations) <= 5:
        raise CatalogError(f"{where}: needs 3 to 5 recommendations, has {len(recommendations)}")
    return CatalogEntry(
        id=raw["id"],
        family=family,
        category=category,
        error_type=merged.get("error_type") or raw["id"],
        root_cause=merged["root_cause"],
        recommendations=recommendations,
        severity=severity,
        auto_heal_possible=bool(merged.get("auto_heal", False)),
        documentation_url=merged.get("doc"),
        codes=frozenset(str(c).upper() for c in raw.get("codes", ())),
        code_patterns=tuple(_compile(p, where) for p in raw.get("code_patterns", ())),
        patterns=tuple(_compile(p, where) for p in raw.get("patterns", ())),
        prefilters=tuple(required_literals(p) for p in raw.get("patterns", ())),
        code_names=tuple(str(c) for c in raw.get("codes", ())),
        weight=float(raw.get("weight", DEFAULT_PATTERN_WEIGHT)),
        code_weight=float(raw.get("code_weight", CODE_PATTERN_WEIGHT if raw.get("code_patterns")
                                  else DEFAULT_CODE_WEIGHT)),
        services=frozenset(raw.get("services", ())),
        wrapper=bool(raw.get("wrapper", False)),
        order=order,
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path.name}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CatalogError(f"{path.name}: top level must be an object")
    return data


def build_catalog(data_dir: Path = DATA_DIR) -> Catalog:
    """Read every family file; entry order (file name, then position) breaks score ties."""
    playbooks = _read(data_dir / PLAYBOOK_FILE).get("playbooks", {})
    entries: list[CatalogEntry] = []
    seen: set[str] = set()
    for path in sorted(data_dir.glob("*.json")):
        if path.name == PLAYBOOK_FILE:
            continue
        data = _read(path)
        family = data.get("family", path.stem)
        for position, raw in enumerate(data.get("entries", [])):
            where = f"{path.name} entry {raw.get('id', position)}"
            entry = _build_entry(raw, family, len(entries), playbooks, where)
            if entry.id in seen:
                raise CatalogError(f"{where}: duplicate id")
            seen.add(entry.id)
            entries.append(entry)
    return index_entries(entries)


def index_entries(entries: list[CatalogEntry]) -> Catalog:
    """A catalog over `entries`, with its code index and the lists the matcher walks."""
    catalog = Catalog(entries=entries)
    for entry in entries:
        for code in entry.codes:
            catalog.by_code.setdefault(code, []).append(entry)
        if entry.code_patterns:
            catalog.with_code_patterns.append(entry)
        if entry.patterns:
            catalog.with_patterns.append(entry)
        if entry.id.startswith("fallback."):
            catalog.fallbacks[entry.id.removeprefix("fallback.")] = entry
    return catalog


@functools.cache
def load_catalog() -> Catalog:
    """The packaged catalog, read and compiled once per process on first use."""
    return build_catalog()
