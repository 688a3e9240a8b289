"""PayloadError: JSON that is not a usable alert, with the field paths that make it unusable."""

from __future__ import annotations

from typing import Any

__all__ = [
    "INVALID_ALERT",
    "NON_COMMON_SCHEMA",
    "UNSUPPORTED_EVENT_TYPE",
    "UNSUPPORTED_SCHEMA",
    "PayloadError",
    "problem",
]

INVALID_ALERT = "invalid_alert"  # required fields missing or of the wrong type
NON_COMMON_SCHEMA = "non_common_schema"  # a legacy Azure Monitor schema: the sender must switch
UNSUPPORTED_SCHEMA = "unsupported_schema"  # a schemaId this service does not know
UNSUPPORTED_EVENT_TYPE = "unsupported_event_type"  # a Databricks event_type outside the four we handle


def problem(field: str, what: str) -> dict[str, str]:
    """One entry of `PayloadError.details`: which field, and what is wrong with it."""
    return {"field": field, "problem": what}


class PayloadError(ValueError):
    """The HTTP layer answers 422 with `to_response()`; `details` lists `{field, problem}` entries."""

    def __init__(self, code: str, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = list(details or [])

    def to_response(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}

    def __repr__(self) -> str:
        return f"PayloadError({self.code!r}, {self.message!r}, {self.details!r})"
