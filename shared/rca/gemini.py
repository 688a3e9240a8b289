"""Gemini refiner: structured-output generateContent with retries, a circuit breaker and a checked reply."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.config import Settings
from shared.rca.breaker import CircuitBreaker
from shared.rca.evidence import FailureEvidence
from shared.rca.model import Category, RcaResult, Severity
from shared.rca.prompt import SYSTEM_INSTRUCTION, build_user_prompt

__all__ = ["LlmRca", "GeminiRefiner", "Refinement", "RefinerError", "RETRYABLE_STATUS"]

RETRYABLE_STATUS = frozenset({429, 503})


# The fields the model fills in, and the `response_schema` sent to Gemini (its docstring and field
# descriptions reach the model). Kept to schema features the Gemini API accepts: enums, nullable,
# min/max, max items; no $refs, no unions.
class LlmRca(BaseModel):
    """Root-cause analysis of one failed data pipeline or job run."""

    model_config = ConfigDict(extra="ignore")

    category: Category = Field(description="one of the allowed category values")
    error_type: str = Field(description="short name of the error class, e.g. PathNotFound")
    root_cause: str = Field(description="why the run failed, one to three sentences")
    affected_entity: str | None = Field(default=None, description="table, file, cluster or linked service")
    severity: Severity
    confidence: float = Field(ge=0.0, le=1.0)
    recommendations: list[str] = Field(max_length=6, description="plain-text next steps")
    auto_heal_possible: bool
    evidence: list[str] = Field(max_length=10, description="exact substrings of the error text")

    @field_validator("category", mode="before")
    @classmethod
    def _category_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("severity", mode="before")
    @classmethod
    def _severity_case(cls, value: Any) -> Any:
        return value.strip().capitalize() if isinstance(value, str) else value

    @field_validator("confidence", mode="before")
    @classmethod
    def _clamp(cls, value: Any) -> Any:
        return min(1.0, max(0.0, value)) if isinstance(value, (int, float)) else value

    # The model may cap these in the schema but not always honour the cap; trim, don't reject.
    @field_validator("recommendations", "evidence", mode="before")
    @classmethod
    def _cap(cls, value: Any) -> Any:
        return value[:10] if isinstance(value, list) else value


class RefinerError(Exception):
    """Gemini could not give a usable answer; `reason` is short and safe to show on the ticket."""

    def __init__(self, reason: str, tokens: dict[str, int] | None = None, called: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.tokens = tokens or {}
        self.called = called  # False when the circuit breaker kept the request from being sent


@dataclass
class Refinement:
    reply: LlmRca
    model: str
    tokens: dict[str, int] = field(default_factory=dict)
    attempts: int = 1


def _tokens(usage: Any) -> dict[str, int]:
    if usage is None:
        return {}
    pairs = {"prompt": getattr(usage, "prompt_token_count", None),
             "output": getattr(usage, "candidates_token_count", None),
             "thoughts": getattr(usage, "thoughts_token_count", None),
             "total": getattr(usage, "total_token_count", None)}
    return {k: int(v) for k, v in pairs.items() if isinstance(v, int)}


class GeminiRefiner:
    """Calls Gemini for one failure. Thread-safe; one SDK client per refiner, built on first use."""

    def __init__(self, settings: Settings, *, timeout_ms: int = 15000, max_retries: int = 2,
                 backoff_seconds: float = 0.5, temperature: float = 0.1,
                 breaker: CircuitBreaker | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not settings.gemini_api_key:
            raise ValueError("GeminiRefiner needs GEMINI_API_KEY")
        self.settings = settings
        self.model = settings.gemini_model
        self.timeout_ms = timeout_ms
        self.max_retries = min(max_retries, 2)
        self.backoff_seconds = backoff_seconds
        self.temperature = min(temperature, 0.2)
        self.breaker = breaker or CircuitBreaker()
        self.calls = 0  # HTTP requests made, retries included (the bench and tests read it)
        self._sleep = sleep
        self._client: Any = None
        self._lock = threading.Lock()

    def _sdk(self) -> Any:
        # Imported here, not at module top: google.genai costs a noticeable share of a cold start.
        try:
            from google import genai
            from google.genai import types
        except ImportError as exc:  # pragma: no cover - dependency is in requirements.txt
            raise RefinerError("google-genai is not installed (pip install google-genai)") from exc
        with self._lock:
            if self._client is None:
                self._client = genai.Client(
                    vertexai=False,  # the Gemini API, whatever GOOGLE_GENAI_USE_VERTEXAI says
                    api_key=self.settings.gemini_api_key,
                    http_options=types.HttpOptions(base_url=self.settings.gemini_base_url,
                                                   timeout=self.timeout_ms),
                )
        return types

    def _config(self, types: Any) -> Any:
        return types.GenerateContentConfig(
            system_instruction=SYSTEM_INSTRUCTION,
            temperature=self.temperature,
            response_mime_type="application/json",
            response_schema=LlmRca,
            candidate_count=1,
        )

    def refine(self, evidence: FailureEvidence, hypothesis: RcaResult) -> Refinement:
        """One structured answer, or RefinerError saying why not (circuit open, HTTP, timeout, reply)."""
        if not self.breaker.allow():
            raise RefinerError("circuit open: Gemini failed repeatedly, not called", called=False)
        types = self._sdk()
        prompt = build_user_prompt(evidence, hypothesis)
        try:
            response, attempts = self._call(types, prompt)
        except RefinerError:
            self.breaker.record_failure()
            raise
        self.breaker.record_success()
        tokens = _tokens(getattr(response, "usage_metadata", None))
        model = getattr(response, "model_version", None) or self.model
        return Refinement(self._parse(response, tokens), model, tokens, attempts)

    def _call(self, types: Any, prompt: str) -> tuple[Any, int]:
        from google.genai import errors

        attempt = 0
        while True:
            attempt += 1
            with self._lock:
                self.calls += 1
            try:
                return self._client.models.generate_content(
                    model=self.model, contents=prompt, config=self._config(types)), attempt
            except errors.APIError as exc:
                if exc.code in RETRYABLE_STATUS and attempt <= self.max_retries:
                    self._sleep(self.backoff_seconds * 2 ** (attempt - 1))
                    continue
                tried = f" after {attempt} attempts" if attempt > 1 else ""
                raise RefinerError(f"Gemini HTTP {exc.code} {exc.status or ''}".strip() + tried) from exc
            except Exception as exc:  # httpx timeouts and transport errors are not APIError
                kind = "timeout" if "timeout" in type(exc).__name__.lower() else "transport error"
                raise RefinerError(f"Gemini {kind}: {type(exc).__name__}") from exc

    @staticmethod
    def _parse(response: Any, tokens: dict[str, int]) -> LlmRca:
        try:
            text = response.text
        except Exception:  # the SDK raises on some blocked / empty candidates
            text = None
        if not text:
            reason = "no text"
            candidates = getattr(response, "candidates", None) or []
            if candidates and getattr(candidates[0], "finish_reason", None):
                reason = f"finish reason {candidates[0].finish_reason}"
            raise RefinerError(f"Gemini reply unusable: {reason}", tokens)
        try:
            return LlmRca.model_validate(json.loads(text))
        except json.JSONDecodeError as exc:
            raise RefinerError(f"Gemini reply is not JSON ({exc.msg})", tokens) from exc
        except ValidationError as exc:
            fields = sorted({".".join(str(p) for p in e["loc"]) or "reply" for e in exc.errors()})
            raise RefinerError(f"Gemini reply failed validation: {', '.join(fields)[:200]}", tokens) from exc
