"""Pulls the affected entity (table, path, cluster, linked service) and short evidence quotes from error text."""

from __future__ import annotations

import re

__all__ = ["extract_entity", "quote_around", "clean_quote"]

MAX_QUOTE_CHARS = 240
MAX_ENTITY_CHARS = 200

# Ordered most to least specific; the first that yields a usable value wins.
_ENTITY_PATTERNS = [
    re.compile(r"table or view [`'\"]?([\w.`\-]+)[`'\"]? (?:cannot|could not) be found", re.I),
    re.compile(r"table or view not found:\s*([\w.`\-]+)", re.I),
    re.compile(r"delta table [`'\"<]?([\w.`\-/:@]+)[`'\">]? (?:doesn't|does not) exist", re.I),
    re.compile(r"(?:cannot find the object|could not find object|invalid object name)\s*"
               r"[\"'`]([^\"'`]{1,200})[\"'`]", re.I),
    re.compile(r"into column '([^']+)', table '([^']+)'", re.I),
    re.compile(r"\b((?:abfss?|wasbs?|adl|dbfs|s3a?|gs)://?[^\s'\"<>,;()]+)", re.I),
    re.compile(r"\b(dbfs:/[^\s'\"<>,;()]+)", re.I),
    re.compile(r"\b(https://[\w.\-]+\.(?:dfs|blob)\.core\.windows\.net/[^\s'\"<>,;()?]+)", re.I),
    re.compile(r"container ?name:\s*([\w\-]+)", re.I),
    re.compile(r"cluster(?: id)?[ :]+['\"]?(\d{4}-\d{6}-[a-z0-9]{8})", re.I),
    re.compile(r"\b(\d{4}-\d{6}-[a-z0-9]{8})\b"),
    re.compile(r"linked ?service[ :]+'([^']{1,120})'", re.I),
    re.compile(r"integration runtime[ :]+['‘\"]([^'’\"]{1,120})['’\"]", re.I),
    re.compile(r"init script ([\w:/.\-]+\.sh)", re.I),
    re.compile(r"\btable '([^']{1,200})'", re.I),
    re.compile(r"column '([^']{1,120})'", re.I),
]
_PLACEHOLDER = re.compile(r"^(?:%\w+;?|<[^>]*>|\.+|x+|\{\d+\}|\*)$", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]|\x1b\[[0-9;]*[A-Za-z]")


def clean_quote(text: str) -> str:
    """Single-line, control-free, length-capped: safe to show as plain text anywhere."""
    flat = " ".join(_CONTROL.sub(" ", text).split())
    return flat if len(flat) <= MAX_QUOTE_CHARS else flat[: MAX_QUOTE_CHARS - 1] + "…"


def quote_around(text: str, span: tuple[int, int]) -> str:
    """The sentence-ish window around a match, so the quote reads on its own."""
    start, end = span
    left = max(text.rfind(sep, 0, start) for sep in (". ", "\n", ": ", "; "))
    right_candidates = [i for i in (text.find(sep, end) for sep in (". ", "\n", "; ")) if i != -1]
    left = 0 if left == -1 else left + 2
    right = min(right_candidates) + 1 if right_candidates else len(text)
    if right - left > MAX_QUOTE_CHARS:
        left = max(0, start - 80)
        right = min(len(text), max(end, start + 160))
    return clean_quote(text[left:right])


def _usable(value: str) -> bool:
    value = value.strip("`'\" ")
    return bool(value) and not _PLACEHOLDER.match(value) and "%" not in value


def extract_entity(texts: list[str]) -> str | None:
    """The most specific object named in the error texts, innermost text first."""
    for pattern in _ENTITY_PATTERNS:
        for text in texts:
            found = pattern.search(text)
            if not found:
                continue
            value = found.group(found.lastindex or 1) if pattern.groups > 1 else found.group(1)
            if _usable(value):
                return clean_quote(value.replace("`", "").strip("'\" .,"))[:MAX_ENTITY_CHARS]
    return None
