"""GeminiRefiner through the real google-genai SDK against the fake generateContent endpoint."""

import pytest

from shared.config import load_settings
from shared.rca.breaker import CircuitBreaker
from shared.rca.gemini import GeminiRefiner, RefinerError
from shared.rca.model import Category, Severity
from tests.fakes_http.base import Reply
from tests.fakes_http.gemini_server import GeminiServer
from tests.unit.analyze.stand_in import evidence, stand_in_classify


@pytest.fixture(scope="module")
def server():
    with GeminiServer() as running:
        yield running


@pytest.fixture
def gemini(server):
    server.reset()
    yield server
    assert not server.errors, server.errors  # every request looked like one the real API accepts


def refiner(server, *, key="test-gemini-key", breaker=None, timeout_ms=3000, sleeps=None):
    settings = load_settings(GEMINI_API_KEY=key, GEMINI_BASE_URL=server.url, GEMINI_MODEL=server.model)
    return GeminiRefiner(settings, timeout_ms=timeout_ms, breaker=breaker,
                         sleep=(sleeps.append if sleeps is not None else lambda s: None))


def run(r, ev=None):
    ev = ev or evidence()
    return r.refine(ev, stand_in_classify(ev))


def test_structured_request_and_reply_with_token_usage(gemini):
    ev = evidence()
    gemini.expect_once.append(ev.message)
    out = run(refiner(gemini), ev)
    assert out.reply.category == Category.CONFIGURATION_ERROR and out.reply.severity == Severity.MEDIUM
    assert out.reply.evidence == [ev.message]
    assert out.model == "gemini-2.5-flash" and out.attempts == 1
    assert out.tokens["total"] == out.tokens["prompt"] + out.tokens["output"] > 0
    [req] = gemini.generate_requests()
    assert req.headers["x-goog-api-key"] == "test-gemini-key"
    cfg = req.json()["generationConfig"]
    assert cfg["temperature"] <= 0.2
    schema = cfg["responseSchema"]
    assert set(schema["properties"]["category"]["enum"]) == {c.value for c in Category}
    assert set(schema["required"]) >= {"category", "severity", "root_cause", "evidence"}


def test_wrong_api_key_is_a_refiner_error(gemini):
    with pytest.raises(RefinerError, match="HTTP 400"):
        run(refiner(gemini, key="wrong"))


def test_429_then_503_are_retried_with_backoff(gemini):
    gemini.fail_status(429)
    gemini.fail_status(503)
    sleeps = []
    out = run(refiner(gemini, sleeps=sleeps))
    assert out.attempts == 3 and len(gemini.generate_requests()) == 3
    assert sleeps == [0.5, 1.0]


def test_retries_stop_after_two(gemini):
    gemini.fail_status(503, times=5)
    with pytest.raises(RefinerError, match="HTTP 503 UNAVAILABLE after 3 attempts"):
        run(refiner(gemini))
    assert len(gemini.generate_requests()) == 3


def test_500_is_not_retried(gemini):
    gemini.fail_status(500)
    with pytest.raises(RefinerError, match="HTTP 500"):
        run(refiner(gemini))
    assert len(gemini.generate_requests()) == 1


def test_a_stalled_answer_times_out(gemini):
    gemini.stall(2.0)
    with pytest.raises(RefinerError, match="timeout"):
        run(refiner(gemini, timeout_ms=300))


@pytest.mark.parametrize("raw, reason", [
    ("{not json", "not JSON"),
    ('{"category": "ignore", "error_type": "x", "root_cause": "x", "severity": "Low", "confidence": 1,'
     ' "recommendations": [], "auto_heal_possible": false, "evidence": []}', "validation: category"),
    ('{"category": "timeout", "severity": "Trivial"}', "validation"),
])
def test_malformed_or_out_of_enum_output_is_rejected_with_tokens_kept(gemini, raw, reason):
    gemini.replies.append(raw)
    with pytest.raises(RefinerError, match=reason) as info:
        run(refiner(gemini))
    assert info.value.tokens["total"] > 0


def test_empty_candidate_is_rejected(gemini):
    gemini.replies.append(Reply(200, {"candidates": [{"finishReason": "SAFETY", "index": 0}],
                                      "usageMetadata": {"promptTokenCount": 5, "totalTokenCount": 5}}))
    with pytest.raises(RefinerError, match="SAFETY"):
        run(refiner(gemini))


def test_circuit_opens_after_failures_and_stops_calling(gemini):
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, open_seconds=60, clock=lambda: now[0])
    r = refiner(gemini, breaker=breaker)
    gemini.fail_status(500, times=2)
    for _ in range(2):
        with pytest.raises(RefinerError, match="HTTP 500"):
            run(r)
    with pytest.raises(RefinerError, match="circuit open") as info:
        run(r)
    assert info.value.called is False and len(gemini.generate_requests()) == 2
    now[0] = 60.0  # half-open: one probe goes through and closes the circuit
    assert run(r).reply.category == Category.CONFIGURATION_ERROR
    assert breaker.state == "closed"


def test_a_bad_reply_does_not_count_against_the_circuit(gemini):
    breaker = CircuitBreaker(threshold=1, open_seconds=60)
    gemini.replies.append("{nope")
    with pytest.raises(RefinerError, match="not JSON"):
        run(refiner(gemini, breaker=breaker))
    assert breaker.state == "closed"
