"""The circuit breaker opens after consecutive failures, then lets one probe through."""

from shared.rca.breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_opens_after_threshold_consecutive_failures():
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, open_seconds=30, clock=clock)
    for _ in range(2):
        breaker.record_failure()
    assert breaker.allow()
    breaker.record_success()  # resets the count
    for _ in range(3):
        breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()


def test_half_open_allows_one_probe_and_its_failure_reopens():
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, open_seconds=30, clock=clock)
    breaker.record_failure()
    clock.t += 30
    assert breaker.state == "half_open"
    assert breaker.allow() and not breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    clock.t += 29
    assert not breaker.allow()


def test_successful_probe_closes_the_circuit():
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, open_seconds=5, clock=clock)
    breaker.record_failure()
    clock.t += 5
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow() and breaker.allow()
