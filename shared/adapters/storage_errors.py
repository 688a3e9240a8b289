"""Turn Azure Storage SDK failures into the app's Retryable/Permanent errors at the adapter boundary."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from shared.errors import IntegrationError, PermanentError, RetryableError, is_retryable_status

__all__ = ["storage_boundary", "storage_call"]

T = TypeVar("T", bound=type)


def _translate(exc: Exception) -> IntegrationError | None:
    from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):  # unreachable, reset, timed out
        return RetryableError("storage", type(exc).__name__)
    if isinstance(exc, HttpResponseError):
        status = exc.status_code or 503
        cls = RetryableError if is_retryable_status(status) else PermanentError
        return cls("storage", f"{status} {getattr(exc, 'error_code', '') or ''}".strip(), status=status)
    return None


def storage_call(method: Callable[..., Any]) -> Callable[..., Any]:
    """Function decorator: storage SDK failures leave it as IntegrationError."""

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except IntegrationError:
            raise
        except Exception as exc:
            translated = _translate(exc)
            if translated is None:
                raise
            raise translated from exc
    return call


def storage_boundary(cls: T) -> T:
    """Class decorator: every public method reports storage outages as IntegrationError, so callers
    answer 503 (HTTP) or let Service Bus redeliver (queues) instead of failing with a 500."""
    for name, member in list(vars(cls).items()):
        if callable(member) and not name.startswith("_"):
            setattr(cls, name, storage_call(member))
    return cls
