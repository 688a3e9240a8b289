"""HTTP-agnostic request/response types and the contract's error shape (no azure.functions here)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ApiError", "ApiResponse", "json_response", "error_response", "MAX_BODY", "Principal",
           "parse_principal"]

MAX_BODY = 1024 * 1024


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: list[Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []

    def response(self) -> ApiResponse:
        return error_response(self.status, self.code, self.message, self.details)


@dataclass
class ApiResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    mimetype: str = "application/json"


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> ApiResponse:
    return ApiResponse(status, json.dumps(payload, default=str).encode(), headers or {})


def error_response(status: int, code: str, message: str, details: list[Any] | None = None) -> ApiResponse:
    return json_response(status, {"error": {"code": code, "message": message, "details": details or []}})


@dataclass
class Principal:
    user_id: str
    user_details: str
    roles: frozenset[str]

    @property
    def actor(self) -> str:
        return self.user_details or self.user_id or "unknown"


def parse_principal(header: str | None) -> Principal | None:
    """Decode the Static Web Apps `x-ms-client-principal` header (base64 JSON); None if absent/bad."""
    if not header:
        return None
    try:
        data = json.loads(base64.b64decode(header, validate=False))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    roles = data.get("userRoles") or []
    if not isinstance(roles, list):
        roles = []
    return Principal(str(data.get("userId") or ""), str(data.get("userDetails") or ""),
                     frozenset(str(r) for r in roles))
