"""A requests Session with timeouts and retries on 429/5xx that honours Retry-After."""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from shared.errors import PermanentError, RetryableError, is_retryable_status

__all__ = ["retrying_session", "raise_for_status", "TimeoutSession"]

RETRY_STATUSES = (429, 500, 502, 503, 504)


class CappedRetry(Retry):
    """Honours Retry-After, but never sleeps longer than `max_retry_after` inside one invocation:
    a longer wait is better spent by Service Bus redelivering the message later."""

    max_retry_after: float = 30.0

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.max_retry_after)

    def new(self, **kw: Any) -> CappedRetry:
        fresh = super().new(**kw)
        fresh.max_retry_after = self.max_retry_after
        return fresh


class TimeoutSession(requests.Session):
    """requests has no default timeout; a hung peer must not hang a stage until the host kills it."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def retrying_session(
    total: int = 3, backoff: float = 0.5, timeout: float = 10.0, max_retry_after: float = 30.0,
    retry_post: bool = True,
) -> TimeoutSession:
    """Retries 429/5xx and connection errors. With retry_post=False a POST is not retried here: a 5xx
    may come after the side effect, so the caller's queue redelivery (with its idempotency check) does."""
    retry = CappedRetry(
        total=total,
        connect=total,
        read=1,
        status=total,
        backoff_factor=backoff,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None if retry_post else frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    retry.max_retry_after = max_retry_after
    session = TimeoutSession(timeout)
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def raise_for_status(system: str, response: requests.Response) -> requests.Response:
    """Turn an HTTP error into a Retryable/Permanent error that names the system and status only."""
    if response.status_code < 400:
        return response
    text = (response.text or "")[:300].replace("\n", " ")
    cls = RetryableError if is_retryable_status(response.status_code) else PermanentError
    raise cls(system, f"{response.status_code} {text}".strip(), status=response.status_code)
