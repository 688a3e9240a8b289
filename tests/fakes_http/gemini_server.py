"""Fake Gemini API (`models/{model}:generateContent`) that checks requests as the real service would."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from typing import Any

from tests.fakes_http.base import FakeServer, Recorded, Reply

__all__ = ["GeminiServer", "valid_reply", "GOOGLE_STATUS"]

GOOGLE_STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}

# The REST API rejects unknown names ("Invalid JSON payload received. Unknown name ...").
_TOP_LEVEL = {"contents", "systemInstruction", "generationConfig", "safetySettings", "tools",
              "toolConfig", "cachedContent", "labels"}
_GENERATION_CONFIG = {"temperature", "topP", "topK", "candidateCount", "maxOutputTokens", "stopSequences",
                      "responseMimeType", "responseSchema", "responseJsonSchema", "presencePenalty",
                      "frequencyPenalty", "seed", "responseLogprobs", "logprobs", "thinkingConfig",
                      "responseModalities", "mediaResolution", "speechConfig"}
# OpenAPI-subset Schema object of the API: no $ref/$defs/additionalProperties/oneOf in responseSchema.
_SCHEMA_KEYS = {"type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems",
                "properties", "required", "minProperties", "maxProperties", "minLength", "maxLength",
                "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum", "maximum"}
_TYPES = {"STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"}
_FENCE = re.compile(r"^(`{3,})[^\n`]*\n(.*?)\n\1[ \t]*$", re.MULTILINE | re.DOTALL)

Responder = Callable[[dict[str, Any]], Any]


def _camel(name: str) -> str:
    # Proto JSON parsing accepts the proto field name (snake_case) as well as lowerCamelCase.
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _check_schema(schema: Any, where: str = "responseSchema") -> None:
    assert isinstance(schema, dict), f"{where} must be an object"
    unknown = {_camel(k) for k in schema} - _SCHEMA_KEYS
    assert not unknown, f"{where}: unknown schema field(s) {sorted(unknown)}"
    if "type" in schema:
        assert str(schema["type"]).upper() in _TYPES, f"{where}.type {schema['type']!r} is not a Type"
    for name, sub in (schema.get("properties") or {}).items():
        _check_schema(sub, f"{where}.properties.{name}")
    if "items" in schema:
        _check_schema(schema["items"], f"{where}.items")
    for i, sub in enumerate(schema.get("anyOf") or []):
        _check_schema(sub, f"{where}.anyOf[{i}]")


def _texts(node: Any) -> list[str]:
    parts = node.get("parts") if isinstance(node, dict) else None
    return [p["text"] for p in parts or [] if isinstance(p, dict) and isinstance(p.get("text"), str)]


def valid_reply(prompt: str, **fields: Any) -> dict[str, Any]:
    """A well-formed structured answer whose evidence quotes the first fenced line of the prompt."""
    fence = _FENCE.search(prompt)
    first = (fence.group(2).strip().splitlines() or [""])[0] if fence else ""
    reply = {"category": "configuration_error", "error_type": "ConfigurationError",
             "root_cause": "The linked service points at a setting that does not exist.",
             "affected_entity": "ls_datalake", "severity": "Medium", "confidence": 0.8,
             "recommendations": ["Check the linked service settings.", "Re-run the pipeline."],
             "auto_heal_possible": False, "evidence": [first[:200]] if first else []}
    reply.update(fields)
    return reply


class GeminiServer(FakeServer):
    """`replies` are served in order, then `responder`: a dict is the model's JSON object, a str is raw
    model text (malformed output), a Reply is sent as is. Faults come from `fail_status`/`stall`."""

    def __init__(self, api_key: str = "test-gemini-key", model: str = "gemini-2.5-flash",
                 max_temperature: float = 0.2) -> None:
        super().__init__()
        self.api_key = api_key
        self.model = model
        self.max_temperature = max_temperature
        self.expect_once: list[str] = []  # texts that must appear exactly once, inside a fence
        self.replies: list[Any] = []
        self.responder: Responder = lambda req: valid_reply(self.prompt_of(req))
        self.served = 0  # successful generateContent answers
        self._count_lock = threading.Lock()
        self.route("POST", r"/v1beta/models/(?P<model>[^/:]+):generateContent", self._generate)

    # -- scripting ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget requests, scripts and errors (a module-wide server is cheaper than one per test)."""
        with self._lock:
            self.requests.clear()
            self.faults.clear()
            self.errors.clear()
        self.replies.clear()
        self.expect_once.clear()
        self.responder = lambda req: valid_reply(self.prompt_of(req))

    def fail_status(self, status: int, times: int = 1, delay: float = 0.0) -> None:
        body = {"error": {"code": status, "message": f"injected {status}",
                          "status": GOOGLE_STATUS.get(status, "UNKNOWN")}}
        self.fail_next(r":generateContent$", status=status, times=times, body=body, delay=delay)

    def stall(self, seconds: float, times: int = 1) -> None:
        """Answer only after `seconds` (longer than the client's timeout = a timeout)."""
        self.fail_status(504, times=times, delay=seconds)

    def generate_requests(self) -> list[Recorded]:
        return self.requests_to(r":generateContent$", "POST")

    @staticmethod
    def prompt_of(request: dict[str, Any]) -> str:
        return "\n".join(t for c in request.get("contents") or [] for t in _texts(c))

    # -- the endpoint ------------------------------------------------------------------------
    def _error(self, status: int, message: str) -> Reply:
        return Reply(status, {"error": {"code": status, "message": message,
                                        "status": GOOGLE_STATUS.get(status, "UNKNOWN")}})

    def _generate(self, rec: Recorded, match: re.Match[str]) -> Reply:
        key = rec.headers.get("x-goog-api-key") or (rec.query.get("key") or [None])[0]
        if not key:
            return self._error(403, "Method doesn't allow unregistered callers. Please use an API Key.")
        if key != self.api_key:
            return self._error(400, "API key not valid. Please pass a valid API key.")
        if match.group("model") != self.model:
            return self._error(404, f"models/{match.group('model')} is not found for API version v1beta")
        req = rec.json()
        self._check(req)
        reply = self.replies.pop(0) if self.replies else self.responder(req)
        if isinstance(reply, Reply):
            return reply
        text = reply if isinstance(reply, str) else json.dumps(reply)
        with self._count_lock:
            self.served += 1
        prompt_tokens = (len(self.prompt_of(req)) + len(json.dumps(req.get("systemInstruction")))) // 4
        out_tokens = max(1, len(text) // 4)
        return Reply(200, {
            "candidates": [{"content": {"parts": [{"text": text}], "role": "model"},
                            "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": prompt_tokens, "candidatesTokenCount": out_tokens,
                              "totalTokenCount": prompt_tokens + out_tokens},
            "modelVersion": self.model, "responseId": f"fake-{self.served}",
        })

    def _check(self, req: dict[str, Any]) -> None:
        assert isinstance(req, dict), "body must be a JSON object"
        unknown = set(req) - _TOP_LEVEL
        assert not unknown, f"Invalid JSON payload received. Unknown name(s) {sorted(unknown)}"
        contents = req.get("contents")
        assert isinstance(contents, list) and contents, "contents is required"
        for c in contents:
            assert c.get("role") in (None, "user", "model"), f"bad role {c.get('role')!r}"
            assert _texts(c), "each content needs a text part"
        assert _texts(req.get("systemInstruction") or {}), "a systemInstruction is expected"
        cfg = req.get("generationConfig") or {}
        unknown = set(cfg) - _GENERATION_CONFIG
        assert not unknown, f"generationConfig: unknown name(s) {sorted(unknown)}"
        assert cfg.get("responseMimeType") == "application/json", "responseMimeType must be application/json"
        assert "responseSchema" in cfg or "responseJsonSchema" in cfg, "no response schema was sent"
        assert not ("responseSchema" in cfg and "responseJsonSchema" in cfg), \
            "responseSchema and responseJsonSchema are mutually exclusive"
        if "responseSchema" in cfg:
            _check_schema(cfg["responseSchema"])
        temperature = cfg.get("temperature")
        assert temperature is not None and 0 <= temperature <= self.max_temperature, \
            f"temperature {temperature!r} above {self.max_temperature}"
        prompt = self.prompt_of(req)
        for text in self.expect_once:
            count = prompt.count(text)
            assert count == 1, f"error text appears {count} times in the prompt, expected once"
            assert any(text in m.group(2) for m in _FENCE.finditer(prompt)), "error text is not fenced"
