"""Minimal HS256 JSON Web Tokens, as Azure SignalR Service issues and checks them with its AccessKey."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

__all__ = ["encode", "decode", "TokenError"]


class TokenError(ValueError):
    """The token is malformed, badly signed, expired or meant for another audience."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(signing_input: str, key: str) -> str:
    return _b64(hmac.new(key.encode(), signing_input.encode("ascii"), hashlib.sha256).digest())


def encode(claims: dict[str, Any], key: str) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{header}.{payload}.{_signature(f'{header}.{payload}', key)}"


def decode(token: str, key: str, *, audience: str | None = None, leeway: float = 5.0) -> dict[str, Any]:
    """Verify signature, `exp`/`nbf` and (when given) `aud`; return the claims."""
    try:
        header_b64, payload_b64, signature = token.split(".")
        header = json.loads(_unb64(header_b64))
        claims = json.loads(_unb64(payload_b64))
    except (ValueError, json.JSONDecodeError) as exc:
        raise TokenError("malformed token") from exc
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
        raise TokenError("token must be an HS256 JWT")
    if not hmac.compare_digest(signature, _signature(f"{header_b64}.{payload_b64}", key)):
        raise TokenError("bad token signature")
    now = time.time()
    if "exp" in claims and now > float(claims["exp"]) + leeway:
        raise TokenError("token expired")
    if "nbf" in claims and now + leeway < float(claims["nbf"]):
        raise TokenError("token not valid yet")
    if audience is not None:
        audiences = claims.get("aud")
        audiences = audiences if isinstance(audiences, list) else [audiences]
        if not any(isinstance(a, str) and a.lower() == audience.lower() for a in audiences):
            raise TokenError("token audience does not match")
    return claims
