"""Failure fingerprints: the error text with run-specific parts removed, plus source and code, hashed."""

from __future__ import annotations

import hashlib
import re

__all__ = ["fingerprint", "normalize_error_text", "MAX_NORMALIZED_CHARS"]

MAX_NORMALIZED_CHARS = 2000

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_WRAPPER_TARGET = re.compile(r"operation on target (.{1,200}?) failed", re.I)
_URL = re.compile(r"\bhttps?://([^/\s'\"<>?#]+)[^\s'\"<>]*", re.I)
_STORAGE_URI = re.compile(r"\b((?:abfss?|wasbs?|adl|dbfs|s3a?|gs|file):/{1,3})([^\s'\"<>,;()]*)", re.I)
_UNIX_PATH = re.compile(r"(?<![\w:/])(/(?:[^\s/'\"<>,;()]+/)+[^\s/'\"<>,;()]*)")
_PARTITION = re.compile(r"(?<=/)([\w\-]+)=[^/\s'\"<>,;()]+")
_EMAIL = re.compile(r"(?<![/\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+\b")
_GUID = re.compile(r"\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b", re.I)
_TIMESTAMP = re.compile(
    r"\b\d{4}[-/]\d{2}[-/]\d{2}(?:[t ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?:z|[+-]\d{2}:?\d{2})?\b"
    r"|\b\d{2}/\d{2}/\d{2,4}[ t]\d{1,2}:\d{2}(?::\d{2})?\b"
    r"|\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b",
    re.I,
)
_CLUSTER_ID = re.compile(r"\b\d{4}-\d{6}-[a-z0-9]{8}\b", re.I)
_HEX = re.compile(r"\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.I)
_IP = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b")
# Numbers that name the error itself (SQL error numbers, ORA-/AADSTS codes, HTTP and exit
# statuses) are kept: a different number there is a different error.
_KEPT_NUMBER = re.compile(
    r"\b(?:ora-\d+|aadsts\d+|sqlerrornumber=\d+|sqlstate[ =:]*\w+|errno[ =:]*\d+"
    r"|error (?:code|number)[ =:'\"]*\d+|exit (?:code|status)[ =:'\"]*-?\d+"
    r"|status(?: code)?[ =:'\"]*\d{3}|http (?:error )?\d{3}|msg \d+)\b|\(\d{3}\)",
    re.I,
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_SPACE = re.compile(r"\s+")


def _normalize_path(path: str) -> str:
    return _PARTITION.sub(lambda m: f"{m.group(1)}=<v>", path)


def _letters(index: int) -> str:
    # Digit-free marker, so the number pass cannot touch it.
    out = ""
    while True:
        index, rest = divmod(index, 26)
        out += chr(ord("a") + rest)
        if not index:
            return out


def _protect_kept_numbers(text: str) -> tuple[str, list[str]]:
    kept: list[str] = []

    def stash(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return f"\x00{_letters(len(kept) - 1)}\x00"

    return _KEPT_NUMBER.sub(stash, text), kept


def normalize_error_text(text: str | None) -> str:
    """Lower-cased error text with GUIDs, times, ids, URLs, numbers and path variables replaced."""
    if not text:
        return ""
    # Only the head survives the final cut; normalising a 200 KB trace whole cost ~50 ms per ticket.
    out = _ANSI.sub("", text[:MAX_NORMALIZED_CHARS * 4]).lower()
    out = _WRAPPER_TARGET.sub("operation on target <activity> failed", out)
    out = _URL.sub(lambda m: f"<url:{m.group(1)}>", out)
    out = _STORAGE_URI.sub(lambda m: m.group(1) + _normalize_path(m.group(2)), out)
    out = _UNIX_PATH.sub(lambda m: _normalize_path(m.group(1)), out)
    out = _EMAIL.sub("<email>", out)
    out = _GUID.sub("<guid>", out)
    out = _TIMESTAMP.sub("<ts>", out)
    out = _CLUSTER_ID.sub("<cluster>", out)
    out = _IP.sub("<ip>", out)
    out = _HEX.sub("<hex>", out)
    out, kept = _protect_kept_numbers(out)
    out = _NUMBER.sub("<n>", out)
    markers = {f"\x00{_letters(i)}\x00": value for i, value in enumerate(kept)}
    out = re.sub(r"\x00[a-z]+\x00", lambda m: markers[m.group(0)], out)
    out = _SPACE.sub(" ", out).strip()
    return out[:MAX_NORMALIZED_CHARS]


def fingerprint(service: str, error_code: str | None, text: str | None) -> str:
    """32 hex characters; equal for the same error from different runs, different otherwise."""
    parts = [
        (service or "").strip().lower(),
        (error_code or "").strip().lower(),
        normalize_error_text(text),
    ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
