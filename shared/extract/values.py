"""Tolerant readers for untrusted JSON values: trimmed strings, string ids, UTC datetimes, str→str maps."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "as_dict",
    "as_list",
    "clean",
    "identifier",
    "is_identifier_like",
    "iso_z",
    "json_object",
    "lower_keys",
    "string_map",
    "text",
    "to_utc",
]

# Log Analytics V1 payloads render times the .NET way, e.g. "3/22/2019 1:36:31 PM" (always UTC).
_SURROGATE = re.compile("[\ud800-\udfff]")
_DOTNET_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p", "%m/%d/%Y")


def clean(value: str) -> str:
    """Trim, and replace lone surrogates (valid in JSON escapes, not in UTF-8) so the value can be stored."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = _SURROGATE.sub("\ufffd", value)
    return value.strip()


def _number_text(value: float) -> str | None:
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer():
            value = int(value)
        else:
            return repr(value)
    try:
        return str(value)
    except ValueError:  # more digits than Python will print
        return None


def text(value: Any) -> str | None:
    """A non-empty trimmed string; numbers become their decimal text; anything else is None."""
    if isinstance(value, str):
        return clean(value) or None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _number_text(value)
    return None


def identifier(value: Any) -> str | None:
    """An id sent as a string or an integer (Databricks senders use both); floats only when integral."""
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None
    return text(value)


def is_identifier_like(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def to_utc(value: Any) -> datetime | None:
    """ISO 8601 or .NET-style text → an aware UTC datetime; naive times are taken as UTC."""
    raw = text(value) if isinstance(value, str) else None
    if raw is None:
        return None
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        for fmt in _DOTNET_FORMATS:
            try:
                parsed = datetime.strptime(raw, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _map_value(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        try:
            return clean(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
        except (ValueError, RecursionError):
            return None
    return text(value)


def string_map(value: Any) -> dict[str, str]:
    """An object, or a list of `{name, value}` pairs (Azure dimensions), as a str→str dict; nulls dropped."""
    pairs: list[tuple[Any, Any]] = []
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, list):
        pairs = [(item.get("name"), item.get("value")) for item in value if isinstance(item, Mapping)]
    result: dict[str, str] = {}
    for key, raw in pairs:
        name = text(key)
        rendered = _map_value(raw)
        if name is not None and rendered is not None and name not in result:
            result[name] = rendered
    return result


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """A JSON array as a list; a lone string becomes a one-element list; anything else is empty."""
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [value]
    return []


def json_object(value: Any) -> dict[str, Any]:
    """An object, or a string holding a JSON object (Log Analytics columns such as RequestParams, Error)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def lower_keys(record: Mapping[Any, Any]) -> dict[str, Any]:
    """Case-insensitive view of a record: Azure preserves the case of column and dimension names as typed."""
    view: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(key, str):
            view.setdefault(key.strip().lower(), value)
    return view
